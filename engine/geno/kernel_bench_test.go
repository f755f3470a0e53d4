package geno

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchView encodes a diploid biallelic row of n samples with ALT
// frequency af and returns its view, the row and a random half cohort.
func benchView(b *testing.B, n int, af float64, wantDense bool) (*View, *Row, *Bitset) {
	rng := rand.New(rand.NewPCG(uint64(n), 99))
	r := &Row{}
	randRow(rng, rowSpec{n: n, nAlleles: 2, ploidies: []int{2}, af: af, missing: 0.005}, r)
	var e Encoder
	v := &View{}
	if err := v.Reset(e.Append(nil, r), n); err != nil {
		b.Fatal(err)
	}
	if v.Dense() != wantDense {
		b.Fatalf("row with af %g: dense = %v", af, v.Dense())
	}
	in := NewBitset(n)
	for i := range n {
		if rng.IntN(2) == 0 {
			in.Set(i)
		}
	}
	return v, r, in
}

// perf measures a benchmark's throughput in genotypes per wall-clock
// second and per CPU second (the latter is "per core" even when the machine
// is shared).
type perf struct {
	b   *testing.B
	cpu float64
}

func startPerf(b *testing.B) perf { return perf{b, cpuSeconds()} }

// report reports genotypes genotypes per iteration.
func (p perf) report(genotypes float64) {
	total := genotypes * float64(p.b.N)
	p.b.ReportMetric(total/p.b.Elapsed().Seconds(), "genotypes/s")
	if cpu := cpuSeconds() - p.cpu; cpu > 0 {
		p.b.ReportMetric(total/cpu, "genotypes/cpu-s")
	}
}

// checkCount fails the benchmark unless the view counts in as CountRow.
func checkCount(b *testing.B, v *View, r *Row, in *Bitset) {
	var got, want Counts
	v.Count(in, &got)
	CountRow(r, in, &want)
	if !countsEqual(&got, &want) {
		b.Fatalf("Count = %s, want %s", fmtCounts(&got), fmtCounts(&want))
	}
}

func benchCount(b *testing.B, af float64, dense bool) {
	for _, n := range []int{10_000, 100_000} {
		v, r, in := benchView(b, n, af, dense)
		checkCount(b, v, r, in)
		checkCount(b, v, r, nil)
		var c, c2 Counts
		b.Run(fmt.Sprintf("n=%d/cohort=half", n), func(b *testing.B) {
			p := startPerf(b)
			for b.Loop() {
				v.Count(in, &c)
			}
			p.report(float64(n))
		})
		size := in.Count()
		b.Run(fmt.Sprintf("n=%d/cohort=half-sized", n), func(b *testing.B) {
			p := startPerf(b)
			for b.Loop() {
				v.CountSized(in, size, &c)
			}
			p.report(float64(n))
		})
		b.Run(fmt.Sprintf("n=%d/cohort=all", n), func(b *testing.B) {
			p := startPerf(b)
			for b.Loop() {
				v.Count(nil, &c)
			}
			p.report(float64(n))
		})
		b.Run(fmt.Sprintf("n=%d/count2", n), func(b *testing.B) {
			p := startPerf(b)
			for b.Loop() {
				v.Count2(in, in, &c, &c2)
			}
			p.report(2 * float64(n))
		})
	}
}

// BenchmarkCountDense counts a common (AF 0.3) diploid variant: bit
// planes, word-level AND and popcount.
func BenchmarkCountDense(b *testing.B) { benchCount(b, 0.3, true) }

// BenchmarkCountSparse counts a rare (AF 0.001) diploid variant: a
// carrier list. Count pays one popcount of the cohort; CountSized not.
func BenchmarkCountSparse(b *testing.B) { benchCount(b, 0.001, false) }

// BenchmarkNaiveCountRow is the reference, for scale.
func BenchmarkNaiveCountRow(b *testing.B) {
	_, r, in := benchView(b, 10_000, 0.3, true)
	var c Counts
	p := startPerf(b)
	for b.Loop() {
		CountRow(r, in, &c)
	}
	p.report(10_000)
}

// BenchmarkScanSpectrum is a query's inner loop over realistic rows:
// Reset and CountSized for a random half cohort, over neutral-spectrum
// rows (most variants rare) of 10,000 diploid samples.
func BenchmarkScanSpectrum(b *testing.B) {
	rows := spectrumRowSet(spectrumSamples, spectrumRows, 0.005, false, 2)
	var e Encoder
	encs := make([][]byte, len(rows))
	for i := range rows {
		encs[i] = e.Append(nil, &rows[i])
	}
	// A random half of the samples, and one in twenty (a cohort query's
	// usual size: the synthetic diabetes cohort is 5.7% of the samples).
	for _, every := range []int{2, 20} {
		in := NewBitset(spectrumSamples)
		for i := 0; i < spectrumSamples; i += every {
			in.Set(i)
		}
		size := in.Count()
		var v View
		var c Counts
		for i := range rows {
			if err := v.Reset(encs[i], spectrumSamples); err != nil {
				b.Fatal(err)
			}
			checkCount(b, &v, &rows[i], in)
		}
		b.Run(fmt.Sprintf("cohort=1/%d", every), func(b *testing.B) {
			p := startPerf(b)
			for b.Loop() {
				for _, enc := range encs {
					if v.Reset(enc, spectrumSamples) == nil {
						v.CountSized(in, size, &c)
					}
				}
			}
			p.report(float64(spectrumSamples * len(rows)))
		})
	}
}
