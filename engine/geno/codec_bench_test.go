package geno

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/zstd"
)

const (
	spectrumSamples = 10_000
	spectrumRows    = 400
)

// spectrumRows draws rows of diploid samples whose ALT allele counts
// follow the neutral site-frequency spectrum: count i of 2n haplotypes
// with probability ∝ 1/i, so most variants are rare. missing is the
// per-sample missing rate; chrX makes 40% of the samples (the same in
// every row) haploid.
func spectrumRowSet(n, rows int, missing float64, chrX bool, seed uint64) []Row {
	rng := rand.New(rand.NewPCG(seed, 7))
	h := 2 * n
	// Inverse CDF of ∝ 1/i on [1, h): i = floor(exp(u*ln h)).
	out := make([]Row, rows)
	for k := range out {
		i := max(1, min(h-1, int(math.Exp(rng.Float64()*math.Log(float64(h))))))
		af := float64(i) / float64(h)
		sp := rowSpec{n: n, nAlleles: 2, ploidies: []int{2}, af: af, missing: missing}
		if chrX {
			sp.ploidies, sp.lowFrac, sp.fixedLow = []int{2, 1}, 0.4, true
		}
		randRow(rng, sp, &out[k])
	}
	return out
}

// BenchmarkEncodedSize reports the encoded size of neutral-spectrum rows
// over 10,000 diploid samples, before ("B/genotype") and after
// ("zstd-B/genotype") the store's zstd pass over chunks of rows; PLINK 2's
// uncompressed .pgen baseline is 0.25 B/genotype.
func BenchmarkEncodedSize(b *testing.B) {
	zenc, err := zstd.NewWriter(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer zenc.Close()
	for _, tc := range []struct {
		name    string
		missing float64
		chrX    bool
	}{
		{"missing=0", 0, false},
		{"missing=0.01", 0.01, false},
		{"chrX/missing=0.01", 0.01, true},
	} {
		rows := spectrumRowSet(spectrumSamples, spectrumRows, tc.missing, tc.chrX, 1)
		var e Encoder
		var v View
		var got Row
		var buf []byte
		dense := 0
		for i := range rows {
			n := len(buf)
			buf = e.Append(buf, &rows[i])
			if err := v.Reset(buf[n:], spectrumSamples); err != nil {
				b.Fatal(err)
			}
			if err := v.Decode(&got); err != nil || !rowsEqual(&got, &rows[i]) {
				b.Fatalf("row %d does not round-trip: %v", i, err)
			}
			if v.Dense() {
				dense++
			}
		}
		genotypes := float64(spectrumSamples * spectrumRows)
		z := zenc.EncodeAll(buf, nil)
		b.Run(tc.name, func(b *testing.B) {
			p := startPerf(b)
			for b.Loop() {
				buf = buf[:0]
				for i := range rows {
					buf = e.Append(buf, &rows[i])
				}
			}
			b.ReportMetric(float64(len(buf))/genotypes, "B/genotype")
			b.ReportMetric(float64(len(z))/genotypes, "zstd-B/genotype")
			b.ReportMetric(float64(dense)/float64(len(rows)), "dense-fraction")
			p.report(genotypes)
		})
	}
}

// BenchmarkEncode reports encoding speed for rare, common and chrX rows.
func BenchmarkEncode(b *testing.B) {
	for _, tc := range []struct {
		name string
		sp   rowSpec
	}{
		{"rare", rowSpec{n: spectrumSamples, nAlleles: 2, ploidies: []int{2}, af: 0.001, missing: 0.005}},
		{"common", rowSpec{n: spectrumSamples, nAlleles: 2, ploidies: []int{2}, af: 0.3, missing: 0.005}},
		{"chrX", rowSpec{n: spectrumSamples, nAlleles: 2, ploidies: []int{2, 1}, lowFrac: 0.4, af: 0.3, missing: 0.005}},
		{"multiallelic", rowSpec{n: spectrumSamples, nAlleles: 5, ploidies: []int{2}, af: 0.2, missing: 0.005}},
	} {
		var r, got Row
		randRow(rand.New(rand.NewPCG(3, 3)), tc.sp, &r)
		var e Encoder
		var v View
		buf := e.Append(nil, &r)
		if err := v.Reset(buf, tc.sp.n); err != nil {
			b.Fatal(err)
		}
		if err := v.Decode(&got); err != nil || !rowsEqual(&got, &r) {
			b.Fatalf("%s does not round-trip: %v", tc.name, err)
		}
		b.Run(fmt.Sprintf("%s/dense=%v", tc.name, v.Dense()), func(b *testing.B) {
			p := startPerf(b)
			for b.Loop() {
				buf = e.Append(buf[:0], &r)
			}
			p.report(float64(tc.sp.n))
		})
	}
}
