package audit

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// BenchmarkAppend: appends/s with fsync (one goroutine: every append its
// own write, fsync, checkpoint and fsync), with group commit (many
// goroutines sharing them), with a checkpoint every 100 entries, and
// without fsync (the CPU cost).
func BenchmarkAppend(b *testing.B) {
	for _, bc := range []struct {
		name    string
		workers int
		opts    Options
	}{
		{"fsync/1-goroutine", 1, Options{}},
		{"group-commit/16-goroutines", 16, Options{}},
		{"group-commit/64-goroutines", 64, Options{}},
		{"checkpoint-every-100/1-goroutine", 1, Options{CheckpointEvery: 100}},
		{"nosync/1-goroutine", 1, Options{NoSync: true}},
		{"nosync/16-goroutines", 16, Options{NoSync: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tl := newTestLog(b)
			o := bc.opts
			l := tl.open(b, &o)
			e := testEntry(1)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for w := 0; w < bc.workers; w++ {
				n := b.N / bc.workers
				if w < b.N%bc.workers {
					n++
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < n; i++ {
						if _, err := l.Append(e); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			el := time.Since(start)
			b.StopTimer()
			if l.Size() != uint64(b.N) {
				b.Fatalf("log holds %d entries after %d appends", l.Size(), b.N)
			}
			if err := l.Close(); err != nil {
				b.Fatal(err)
			}
			r := tl.mustVerify(b)
			b.ReportMetric(float64(b.N)/el.Seconds(), "appends/s")
			b.ReportMetric(float64(r.Checkpoints-1)/float64(b.N), "checkpoints/append")
		})
	}
}

// benchLog builds a closed log of n entries quickly (no fsync).
func benchLog(b *testing.B, n, every int) testLog {
	b.Helper()
	tl := newTestLog(b)
	l := tl.open(b, &Options{NoSync: true, CheckpointEvery: every})
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0) * 4
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if _, err := l.Append(testEntry(i)); err != nil {
					b.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	return tl
}

func logBytes(b *testing.B, tl testLog) int64 {
	var n int64
	for _, f := range []string{EntriesFile, CheckpointsFile} {
		st, err := os.Stat(tl.path(f))
		if err != nil {
			b.Fatal(err)
		}
		n += st.Size()
	}
	return n
}

// entriesFromEnv is the log size for BenchmarkOpen/BenchmarkVerify:
// AUDIT_BENCH_ENTRIES (e.g. 1000000), default 100000.
func entriesFromEnv() int {
	if n, err := strconv.Atoi(os.Getenv("AUDIT_BENCH_ENTRIES")); err == nil && n > 0 {
		return n
	}
	return 100000
}

// BenchmarkVerify reports Verify's throughput over both files, for a log
// checkpointed at every entry (one signature check an entry) and one
// checkpointed every 1000.
func BenchmarkVerify(b *testing.B) {
	n := entriesFromEnv()
	for _, every := range []int{1, 1000} {
		b.Run("checkpoint-every-"+strconv.Itoa(every)+"/entries-"+strconv.Itoa(n), func(b *testing.B) {
			tl := benchLog(b, n, every)
			size := logBytes(b, tl)
			b.SetBytes(size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r, err := Verify(tl.dir, tl.pub)
				if err != nil || r.Entries != uint64(n) {
					b.Fatalf("Verify: %v (%d entries)", err, r.Entries)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// BenchmarkOpen: the cost of reopening a log (reading every entry once to
// rebuild the tree). AUDIT_BENCH_ENTRIES=1000000 for the 1M figure.
func BenchmarkOpen(b *testing.B) {
	n := entriesFromEnv()
	b.Run("entries-"+strconv.Itoa(n), func(b *testing.B) {
		tl := benchLog(b, n, 1000)
		b.SetBytes(logBytes(b, tl))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			l, err := Open(tl.dir, tl.secrets, nil)
			if err != nil {
				b.Fatal(err)
			}
			if l.Size() != uint64(n) {
				b.Fatalf("opened %d entries", l.Size())
			}
			b.StopTimer()
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapAlloc)/float64(n), "heap-B/entry")
			l.Close()
			b.StartTimer()
		}
	})
}

// BenchmarkInclusionProof: proofs from the in-memory tree (with entry
// reads for the lowest levels).
func BenchmarkInclusionProof(b *testing.B) {
	n := 100000
	tl := benchLog(b, n, 1000)
	l := tl.open(b, nil)
	defer l.Close()
	root, _ := l.RootAt(uint64(n))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		seq := uint64(i*7919) % uint64(n)
		p, err := l.InclusionProof(seq, uint64(n))
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			e, _ := l.Entry(seq)
			if err := VerifyInclusion(e, seq, uint64(n), p, root); err != nil {
				b.Fatal(err)
			}
		}
	}
}
