package vcf

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// bcfBenchFile makes an uncompressed BCF of sites × samples diploid int8
// genotypes (mostly 0/0, some het, hom-alt, missing and phased), with
// AC/AN INFO, and returns it with its count of ALT alleles.
func bcfBenchFile(sites, samples int) ([]byte, int) {
	var h strings.Builder
	h.WriteString("##fileformat=VCFv4.2\n##FILTER=<ID=PASS,Description=\"All filters passed\">\n" +
		"##INFO=<ID=AC,Number=A,Type=Integer,Description=\"AC\">\n" +
		"##INFO=<ID=AN,Number=1,Type=Integer,Description=\"AN\">\n" +
		"##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n" +
		"##contig=<ID=chr1,length=100000000>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT")
	for i := 0; i < samples; i++ {
		fmt.Fprintf(&h, "\tS%d", i)
	}
	h.WriteByte('\n')
	const keyAC, keyAN, keyGT = 1, 2, 3
	rng := rand.New(rand.NewPCG(1, 2))
	data := bcfTestHeader(h.String())
	alts := 0
	gts := make([]int64, 2*samples)
	for s := 0; s < sites; s++ {
		af := rng.Float64() * 0.5
		ac := 0
		for i := 0; i < samples; i++ {
			a0, a1 := 0, 0
			if rng.Float64() < af {
				a0 = 1
			}
			if rng.Float64() < af {
				a1 = 1
			}
			ph := rng.IntN(4) == 0
			gts[2*i], gts[2*i+1] = bcfTestGT(a0, false), bcfTestGT(a1, ph)
			if rng.IntN(100) == 0 {
				gts[2*i], gts[2*i+1] = 0, 0
				a0, a1 = 0, 0
			}
			ac += a0 + a1
		}
		alts += ac
		r := bcfTestRec{Chrom: 0, Pos: int32(100 + 10*s), Qual: math.Float32bits(30), Alleles: []string{"A", "G"},
			Filters: []int32{0}, NSample: samples,
			Info: [][]byte{bcfTestInfo(keyAC, 1, bcfInt32, int64(ac)), bcfTestInfo(keyAN, 1, bcfInt16, int64(2*samples))},
			Fmt:  [][]byte{bcfTestFmt(keyGT, 2, bcfInt8, gts...)}}
		data = r.encode(data)
	}
	return data, alts
}

// bcfBenchDecode decodes every record of data and counts ALT alleles.
func bcfBenchDecode(data []byte, rec *Record) (alts, genotypes int, err error) {
	src, err := newBCFSource(bytes.NewReader(data), Options{Name: "bench.bcf"})
	if err != nil {
		return 0, 0, err
	}
	for {
		if err := src.next(rec); err == io.EOF {
			return alts, genotypes, nil
		} else if err != nil {
			return 0, 0, err
		}
		for _, a := range rec.GT.GT {
			if a > 0 {
				alts++
			}
		}
		genotypes += rec.GT.NSamples()
	}
}

// BenchmarkBCFDecodeGT decodes 2,000 sites × 2,000 samples of diploid GT.
func BenchmarkBCFDecodeGT(b *testing.B) {
	const sites, samples = 2000, 2000
	data, wantAlts := bcfBenchFile(sites, samples)
	var rec Record
	alts, n, err := bcfBenchDecode(data, &rec)
	if err != nil || alts != wantAlts || n != sites*samples {
		b.Fatalf("decoded %d ALT alleles in %d genotypes (%v), want %d in %d", alts, n, err, wantAlts, sites*samples)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := bcfCPUTime()
	for i := 0; i < b.N; i++ {
		src, err := newBCFSource(bytes.NewReader(data), Options{Name: "bench.bcf"})
		if err != nil {
			b.Fatal(err)
		}
		for err == nil {
			err = src.next(&rec)
		}
		if err != io.EOF {
			b.Fatal(err)
		}
	}
	genotypes := float64(sites*samples) * float64(b.N)
	b.ReportMetric(genotypes/b.Elapsed().Seconds(), "genotypes/s")
	// CPU time too: on a shared machine wall-clock time counts the
	// neighbours. Run with -cpu 1 so that it is one core's.
	if cpu := bcfCPUTime() - cpu0; cpu > 0 {
		b.ReportMetric(genotypes/cpu.Seconds(), "genotypes/cpu-s")
	}
}

// Decoding a record allocates only its strings: nothing per genotype.
func TestBCFAllocsPerRecord(t *testing.T) {
	data, _ := bcfBenchFile(50, 2000)
	src := bcfTestSource(t, data, Options{})
	var rec Record
	if err := src.next(&rec); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(40, func() {
		if err := src.next(&rec); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 { // the INFO string
		t.Errorf("%.1f allocations a record of 2000 samples", allocs)
	}
}
