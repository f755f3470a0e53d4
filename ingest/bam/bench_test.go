package bam

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gentre/gentre/engine/coverage"
)

// benchDir holds files generated once per test binary run.
var (
	benchOnce sync.Once
	benchDir  string
	benchPath string
	benchErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchOptions is a simulated 30x BAM of a 1 Mb region: 300,000 reads of
// 100 bp (a few with a small indel), paired flags.
var benchOptions = simOptions{Seed: 30, Lengths: []int{1_000_000}, Reads: 300_000, ReadLen: 100}

// benchBAM writes the benchmark BAM once (with biogo/hts) and returns its
// path.
func benchBAM(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "gentre-bam-bench")
		if benchErr != nil {
			return
		}
		benchPath = filepath.Join(benchDir, "sim30x.bam")
		h, recs := simRecords(b, benchOptions)
		f, err := os.Create(benchPath)
		if err != nil {
			benchErr = err
			return
		}
		w := bufio.NewWriterSize(f, 1<<20)
		writeBAM(b, w, h, recs)
		if err := w.Flush(); err != nil {
			benchErr = err
		}
		if err := f.Close(); err != nil && benchErr == nil {
			benchErr = err
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

// peerTimes returns the best of n wall-clock and CPU (user+system) times
// of a command.
func peerTimes(b *testing.B, n int, name string, args ...string) (wall, cpu time.Duration) {
	b.Helper()
	wall, cpu = time.Duration(1<<62), time.Duration(1<<62)
	for range n {
		cmd := exec.Command(name, args...)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s %v: %v: %s", name, args, err, out)
		}
		wall = min(wall, time.Since(start))
		cpu = min(cpu, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
	}
	return wall, cpu
}

func ms(d time.Duration) float64 { return d.Seconds() * 1e3 }

// BenchmarkRead reads the simulated 30x BAM with 2 decompression threads
// (after checking the result once), and when samtools is present times
// `samtools depth -a` and `samtools flagstat` on the same file. Read does
// the work of both in one pass, so the headline ratio is against their
// sum; against depth alone too. Wall-clock and CPU time both: on a shared
// machine the wall clock measures the neighbours as well.
func BenchmarkRead(b *testing.B) {
	path := benchBAM(b)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Threads: 2}
	s, err := ReadFile(path, opts)
	if err != nil {
		b.Fatal(err)
	}
	if got := s.Flagstat.Total[0]; got != int64(benchOptions.Reads) {
		b.Fatalf("%d records, want %d", got, benchOptions.Reads)
	}
	if m := s.Contigs()[0].Stats().MeanDepth; m < 29 || m > 31 {
		b.Fatalf("mean depth %.2f, want about 30", m)
	}
	enc := coverage.Encode(s)
	b.SetBytes(st.Size())
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for range b.N {
		if _, err := ReadFile(path, opts); err != nil {
			b.Fatal(err)
		}
	}
	wall := time.Since(start) / time.Duration(b.N)
	cpu := (cpuTime() - cpu0) / time.Duration(b.N)
	b.StopTimer()
	b.ReportMetric(float64(benchOptions.Reads)/wall.Seconds(), "reads/s")
	b.ReportMetric(ms(cpu), "cpu-ms")
	b.ReportMetric(float64(len(enc)), "gcv-bytes")
	b.ReportMetric(float64(s.Contigs()[0].NumRuns()), "runs")
	if _, err := exec.LookPath("samtools"); err != nil {
		return
	}
	dWall, dCPU := peerTimes(b, 3, "samtools", "depth", "-a", "-o", os.DevNull, path)
	fWall, fCPU := peerTimes(b, 3, "samtools", "flagstat", path)
	b.ReportMetric(ms(dWall), "samtools-depth-ms")
	b.ReportMetric(ms(fWall), "samtools-flagstat-ms")
	b.ReportMetric(wall.Seconds()/(dWall+fWall).Seconds(), "x-depth+flagstat")
	b.ReportMetric(wall.Seconds()/dWall.Seconds(), "x-depth")
	if cpu > 0 {
		b.ReportMetric(cpu.Seconds()/(dCPU+fCPU).Seconds(), "cpu-x-depth+flagstat")
		b.ReportMetric(cpu.Seconds()/dCPU.Seconds(), "cpu-x-depth")
	}
}
