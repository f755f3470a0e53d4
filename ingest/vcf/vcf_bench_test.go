package vcf

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// benchVCF makes an in-memory VCF of sites × samples diploid calls, mostly
// 0/0 with some 0/1, 1/1 and ./., and returns it with the number of ALT
// alleles it holds (to check the decoding). extra is appended to every
// call (e.g. ":12,3:15" with FORMAT "GT:AD:DP").
func benchVCF(sites, samples int, format, extra string) ([]byte, int) {
	rng := rand.New(rand.NewPCG(7, 7))
	var b bytes.Buffer
	b.WriteString("##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n")
	b.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT")
	for i := range samples {
		fmt.Fprintf(&b, "\tSAMPLE%d", i)
	}
	b.WriteByte('\n')
	alts := 0
	for s := range sites {
		fmt.Fprintf(&b, "chr1\t%d\trs%d\tA\tG\t100\tPASS\tAC=10;AN=4000\t%s", 1000+s*10, s, format)
		for range samples {
			c := "0/0"
			switch x := rng.IntN(100); {
			case x < 6:
				c, alts = "0/1", alts+1
			case x < 8:
				c, alts = "1/1", alts+2
			case x < 9:
				c = "./."
			case x < 10:
				c, alts = "0|1", alts+1
			}
			b.WriteByte('\t')
			b.WriteString(c)
			b.WriteString(extra)
		}
		b.WriteByte('\n')
	}
	return b.Bytes(), alts
}

// readBench reads every record and counts ALT alleles and genotypes.
func readBench(data []byte, opts Options) (alts, genotypes int, err error) {
	r, err := NewReader(bytes.NewReader(data), opts)
	if err != nil {
		return 0, 0, err
	}
	defer r.Close()
	for r.Next() {
		row := &r.Record().GT
		for _, a := range row.GT {
			if a > 0 {
				alts++
			}
		}
		genotypes += row.NSamples()
	}
	return alts, genotypes, r.Err()
}

func benchmarkText(b *testing.B, format, extra string, opts Options) {
	const sites, samples = 2000, 2000
	data, wantAlts := benchVCF(sites, samples, format, extra)
	alts, n, err := readBench(data, opts)
	if err != nil {
		b.Fatal(err)
	}
	if alts != wantAlts || n != sites*samples {
		b.Fatalf("decoded %d ALT alleles in %d genotypes, want %d in %d", alts, n, wantAlts, sites*samples)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start := time.Now()
	b.ResetTimer()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), opts)
		if err != nil {
			b.Fatal(err)
		}
		for r.Next() {
		}
		if r.Err() != nil {
			b.Fatal(r.Err())
		}
		r.Close()
	}
	b.ReportMetric(float64(b.N)*float64(sites*samples)/time.Since(start).Seconds(), "genotypes/s")
}

// BenchmarkVCFTextGT decodes 2,000 samples × 2,000 GT-only diploid sites.
func BenchmarkVCFTextGT(b *testing.B) { benchmarkText(b, "GT", "", Options{}) }

// BenchmarkVCFTextGTFormat decodes the same calls with FORMAT GT:AD:DP:GQ
// (only GT decoded).
func BenchmarkVCFTextGTFormat(b *testing.B) {
	benchmarkText(b, "GT:AD:DP:GQ", ":12,3:15:99", Options{})
}

// BenchmarkVCFTextKeep also decodes AD and DP into Record.Kept.
func BenchmarkVCFTextKeep(b *testing.B) {
	benchmarkText(b, "GT:AD:DP:GQ", ":12,3:15:99", Options{KeepFormat: []string{"AD", "DP"}})
}

// TestAllocsPerRecord checks that reading allocates O(1) per record, not
// per sample.
func TestAllocsPerRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	allocs := func(sites int, opts Options) float64 {
		data, _ := benchVCF(sites, 500, "GT:AD:DP", ":3,4:7")
		return testing.AllocsPerRun(3, func() {
			if _, _, err := readBench(data, opts); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, opts := range []Options{{}, {KeepFormat: []string{"AD", "DP"}}} {
		a100, a300 := allocs(100, opts), allocs(300, opts)
		if per := (a300 - a100) / 200; per > 1.5 {
			t.Errorf("KeepFormat %q: %.2f allocations per record (%v for 100 records, %v for 300)", opts.KeepFormat, per, a100, a300)
		}
	}
}
