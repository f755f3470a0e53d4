package bam

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/gentre/gentre/engine/coverage"
)

// samtools runs samtools and returns its stdout, or an error (with its
// stderr) when it exits non-zero.
func samtools(args ...string) ([]byte, error) {
	cmd := exec.Command("samtools", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("samtools %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// depthChecker compares `samtools depth` output, streamed line by line,
// with a sample's runs, position by position, without holding either the
// output or a per-base array. With -a (all), samtools prints a contig
// exactly when some read was counted on it, every position from 1; it also
// prints positions past the contig end covered by reads hanging over it (a
// quirk: those are not reference bases and are not kept; counted in
// overhang). Without -a it prints only some positions: every other one
// must be 0 here.
type depthChecker struct {
	s        *coverage.Sample
	all      bool
	cur      *coverage.Contig
	next     int64 // next position expected on cur
	seen     map[string]bool
	overhang int
	lines    int64
}

func (dc *depthChecker) line(name string, pos int64, d uint32) error {
	dc.lines++
	if dc.cur == nil || dc.cur.Name() != name {
		if err := dc.endContig(); err != nil {
			return err
		}
		if dc.seen[name] {
			return fmt.Errorf("samtools printed contig %s twice", name)
		}
		dc.seen[name] = true
		if dc.cur = dc.s.Contig(name); dc.cur == nil || dc.cur.Name() != name {
			return fmt.Errorf("samtools printed contig %s, which the sample lacks", name)
		}
		dc.next = 1
	}
	c := dc.cur
	if pos < dc.next || (dc.all && pos != dc.next) {
		return fmt.Errorf("samtools depth: %s:%d after %d", name, pos, dc.next-1)
	}
	if pos > c.Length() {
		dc.overhang++
		dc.next = pos + 1
		return nil
	}
	if err := dc.zeroUpTo(pos - 1); err != nil {
		return err
	}
	got, err := c.DepthAt(pos)
	if err != nil {
		return err
	}
	if got != d {
		return fmt.Errorf("%s:%d: depth %d, samtools %d", name, pos, got, d)
	}
	dc.next = pos + 1
	return nil
}

// zeroUpTo checks that positions next..to (within the contig) are 0.
func (dc *depthChecker) zeroUpTo(to int64) error {
	c := dc.cur
	to = min(to, c.Length())
	if dc.next > to {
		return nil
	}
	if sum, _, err := c.SumDepth(dc.next, to); err != nil || sum != 0 {
		return fmt.Errorf("%s:%d-%d: depth sum %d where samtools prints nothing (%v)", c.Name(), dc.next, to, sum, err)
	}
	return nil
}

func (dc *depthChecker) endContig() error {
	c := dc.cur
	if c == nil {
		return nil
	}
	if dc.all && dc.next <= c.Length() {
		return fmt.Errorf("%s: samtools depth -a stopped at %d of %d", c.Name(), dc.next-1, c.Length())
	}
	if dc.all && c.Reads() == 0 {
		return fmt.Errorf("%s: samtools printed it, but no read was counted", c.Name())
	}
	return dc.zeroUpTo(c.Length())
}

func (dc *depthChecker) finish() error {
	if err := dc.endContig(); err != nil {
		return err
	}
	for _, c := range dc.s.Contigs() {
		if dc.seen[c.Name()] {
			continue
		}
		if dc.all && c.Reads() > 0 {
			return fmt.Errorf("%s: %d reads counted, samtools depth -a did not print it", c.Name(), c.Reads())
		}
		if c.Length() > 0 {
			if sum, _, _ := c.SumDepth(1, c.Length()); sum != 0 {
				return fmt.Errorf("%s: depth sum %d, samtools printed nothing", c.Name(), sum)
			}
		}
	}
	return nil
}

// maxAllBases bounds the reference length for which the comparison uses
// samtools depth -a; longer (index2.sam has 250 Mb contigs) use samtools
// depth without -a, still checking every position.
const maxAllBases = 20_000_000

// compareDepth runs `samtools depth [-a] [extra] path` and compares its
// output with s, streaming.
func compareDepth(t testing.TB, s *coverage.Sample, path string, extra ...string) {
	t.Helper()
	var total int64
	for _, c := range s.Contigs() {
		total += c.Length()
	}
	dc := &depthChecker{s: s, all: total <= maxAllBases, seen: map[string]bool{}}
	args := []string{"depth"}
	if dc.all {
		args = append(args, "-a")
	}
	cmd := exec.Command("samtools", append(append(args, extra...), path)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	fail := func(err error) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 {
			fail(fmt.Errorf("samtools depth: bad line %q", sc.Text()))
		}
		pos, err1 := strconv.ParseInt(f[1], 10, 64)
		d, err2 := strconv.ParseUint(f[2], 10, 32)
		if err1 != nil || err2 != nil {
			fail(fmt.Errorf("samtools depth: bad line %q", sc.Text()))
		}
		if err := dc.line(f[0], pos, uint32(d)); err != nil {
			fail(err)
		}
	}
	if err := sc.Err(); err != nil {
		fail(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("samtools %v: %v: %s", cmd.Args[1:], err, stderr.String())
	}
	if err := dc.finish(); err != nil {
		t.Fatal(err)
	}
	if dc.overhang > 0 {
		t.Logf("%s: samtools printed %d positions past contig ends (not kept)", path, dc.overhang)
	}
	if !dc.all {
		t.Logf("%s: compared with samtools depth without -a (%d bases of reference)", path, total)
	}
}

// compareFlagstat checks every line of `samtools flagstat`.
func compareFlagstat(t testing.TB, s *coverage.Sample, want string) {
	t.Helper()
	got := s.Flagstat.Text()
	if got == want {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("flagstat line %d:\n got %q\nwant %q", i+1, g, w)
		}
	}
	t.FailNow()
}

// compareWithSamtools reads path with opts and compares it with samtools
// depth -a (with -Q/-q from opts) and samtools flagstat.
func compareWithSamtools(t testing.TB, path string, opts Options) *coverage.Sample {
	t.Helper()
	s, err := ReadFile(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range s.Contigs() {
		checkRuns(t, c)
	}
	var extra []string
	if opts.MinMapQ > 0 {
		extra = append(extra, "-Q", strconv.Itoa(opts.MinMapQ))
	}
	if opts.MinBaseQ > 0 {
		extra = append(extra, "-q", strconv.Itoa(opts.MinBaseQ))
	}
	compareDepth(t, s, path, extra...)
	fs, err := samtools("flagstat", path)
	if err != nil {
		t.Fatal(err)
	}
	compareFlagstat(t, s, string(fs))
	return s
}
