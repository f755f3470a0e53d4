package vcf

import (
	"bytes"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gentre/gentre/engine/geno"
)

// bcfCaseHeader's string dictionary: PASS 0, q10 1, DP 2 (INFO and
// FORMAT), AF 3, DB 4, GT 5, GQ 6, AD 7, FT 8, ST 9, CH 10; contigs chr1 0, chr2 1.
const bcfCaseHeader = `##fileformat=VCFv4.2
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=q10,Description="Quality below 10">
##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">
##INFO=<ID=AF,Number=A,Type=Float,Description="AF">
##INFO=<ID=DB,Number=0,Type=Flag,Description="dbSNP">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
##FORMAT=<ID=GQ,Number=1,Type=Float,Description="Quality">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=FT,Number=1,Type=String,Description="Sample filter, with \"quotes\", commas">
##INFO=<ID=ST,Number=1,Type=String,Description="A string">
##INFO=<ID=CH,Number=1,Type=Character,Description="A character">
##contig=<ID=chr1,length=1000>
##contig=<ID=chr2,length=2000>
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	S1	S2	S3	S4
`

const (
	bkPASS, bkQ10, bkDP, bkAF, bkDB, bkGT, bkGQ, bkAD, bkFT, bkST, bkCH = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
)

const (
	bgM = geno.Missing
	bgE = geno.End
)

// bcfCase returns a biallelic record of bcfCaseHeader's 4 samples.
func bcfCase(fmts ...[]byte) bcfTestRec {
	return bcfTestRec{Chrom: 0, Pos: 100, Qual: math.Float32bits(50), Alleles: []string{"A", "G"},
		Filters: []int32{bkPASS}, NSample: 4, Fmt: fmts}
}

func bcfTestSource(t testing.TB, data []byte, opts Options) source {
	t.Helper()
	src, err := newBCFSource(bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("newBCFSource: %v", err)
	}
	return src
}

func TestBCFGenotypes(t *testing.T) {
	gt := func(a int, ph bool) int64 { return bcfTestGT(a, ph) }
	manyAlleles := []string{"A"}
	for i := 1; i <= 70; i++ {
		manyAlleles = append(manyAlleles, "A"+strings.Repeat("C", i))
	}
	tests := []struct {
		name   string
		rec    bcfTestRec
		ploidy int
		gt     []int16
		phased []bool
	}{{
		name: "diploid, haploid, missing and phased in one record",
		rec: bcfCase(bcfTestFmt(bkGT, 2, bcfInt8,
			gt(0, false), gt(1, false), gt(1, false), bcfTestEnd8, 0, 0, gt(1, false), gt(1, true))),
		ploidy: 2, gt: []int16{0, 1, 1, bgE, bgM, bgM, 1, 1}, phased: []bool{false, false, false, true},
	}, {
		name: "half calls",
		rec: bcfCase(bcfTestFmt(bkGT, 2, bcfInt8,
			0, gt(1, false), gt(1, false), 1, 0, gt(1, true), gt(0, false), 0)),
		ploidy: 2, gt: []int16{bgM, 1, 1, bgM, bgM, 1, 0, bgM}, phased: []bool{false, true, true, false},
	}, {
		name:   "all missing, including the int8 missing value",
		rec:    bcfCase(bcfTestFmt(bkGT, 2, bcfInt8, 0, 0, 0, 0, bcfTestMiss8, bcfTestMiss8, 1, 1)),
		ploidy: 2, gt: []int16{bgM, bgM, bgM, bgM, bgM, bgM, bgM, bgM}, phased: []bool{false, false, false, true},
	}, {
		name: "a vector starting with vector-end reads as one missing allele",
		rec: bcfCase(bcfTestFmt(bkGT, 2, bcfInt8,
			bcfTestEnd8, bcfTestEnd8, bcfTestEnd8, gt(1, true), bcfTestMiss8, bcfTestEnd8, gt(0, false), gt(0, false))),
		ploidy: 2, gt: []int16{bgM, bgE, bgM, bgE, bgM, bgE, 0, 0}, phased: []bool{false, false, false, false},
	}, {
		name: "71 alleles: int16 GT",
		rec: func() bcfTestRec {
			r := bcfCase(bcfTestFmt(bkGT, 2, bcfInt16,
				gt(0, false), gt(70, false), gt(69, false), gt(70, true), gt(1, false), gt(65, false), 0, gt(70, false)))
			r.Alleles = manyAlleles
			return r
		}(),
		ploidy: 2, gt: []int16{0, 70, 69, 70, 1, 65, bgM, 70}, phased: []bool{false, true, false, false},
	}, {
		name: "int32 GT with vector-end",
		rec: bcfCase(bcfTestFmt(bkGT, 2, bcfInt32,
			gt(0, false), gt(1, true), gt(1, false), bcfTestEnd32, 0, 0, math.MinInt32, bcfTestEnd32)),
		ploidy: 2, gt: []int16{0, 1, 1, bgE, bgM, bgM, bgM, bgE}, phased: []bool{true, false, false, false},
	}, {
		name: "triploid: phased only when every later allele is",
		rec: func() bcfTestRec {
			r := bcfCase(bcfTestFmt(bkGT, 3, bcfInt8,
				gt(0, false), gt(1, true), gt(2, true),
				gt(0, false), gt(1, true), gt(2, false),
				gt(0, false), gt(1, false), gt(2, false),
				gt(0, false), gt(1, true), bcfTestEnd8))
			r.Alleles = []string{"A", "C", "G"}
			return r
		}(),
		ploidy: 3, gt: []int16{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, bgE}, phased: []bool{true, false, false, true},
	}, {
		name:   "the first allele's phase bit is ignored",
		rec:    bcfCase(bcfTestFmt(bkGT, 2, bcfInt8, gt(0, true), gt(1, false), gt(0, true), gt(1, true), 0, 0, 0, 0)),
		ploidy: 2, gt: []int16{0, 1, 0, 1, bgM, bgM, bgM, bgM}, phased: []bool{false, true, false, false},
	}, {
		name:   "haploid: never phased",
		rec:    bcfCase(bcfTestFmt(bkGT, 1, bcfInt8, gt(0, false), gt(1, true), 0, bcfTestEnd8)),
		ploidy: 1, gt: []int16{0, 1, bgM, bgM}, phased: []bool{false, false, false, false},
	}, {
		name:   "GT of type MISSING",
		rec:    bcfCase(bcfTestFmt(bkGT, 2, bcfNull)),
		ploidy: 1, gt: []int16{bgM, bgM, bgM, bgM}, phased: []bool{false, false, false, false},
	}, {
		name:   "no GT field",
		rec:    bcfCase(bcfTestFmt(bkDP, 1, bcfInt8, 1, 2, 3, 4)),
		ploidy: 1, gt: []int16{bgM, bgM, bgM, bgM}, phased: []bool{false, false, false, false},
	}, {
		name: "GT after another field, and a second GT ignored",
		rec: bcfCase(bcfTestFmt(bkDP, 1, bcfInt8, 1, 2, 3, 4),
			bcfTestFmt(bkGT, 2, bcfInt8, gt(1, false), gt(1, false), 0, 0, 0, 0, 0, 0),
			bcfTestFmt(bkGT, 2, bcfInt8, gt(0, false), gt(0, false), 0, 0, 0, 0, 0, 0)),
		ploidy: 2, gt: []int16{1, 1, bgM, bgM, bgM, bgM, bgM, bgM}, phased: []bool{false, false, false, false},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Decode after another record, so that reused storage is exercised.
			first := bcfCase(bcfTestFmt(bkGT, 4, bcfInt8, slices.Repeat([]int64{gt(1, true)}, 16)...))
			src := bcfTestSource(t, bcfTestFile(bcfCaseHeader, first, tc.rec), Options{})
			var rec Record
			if err := src.next(&rec); err != nil {
				t.Fatal(err)
			}
			if err := src.next(&rec); err != nil {
				t.Fatal(err)
			}
			row := &rec.GT
			if row.Ploidy != tc.ploidy || !slices.Equal(row.GT, tc.gt) || !slices.Equal(row.Phased, tc.phased) {
				t.Errorf("got ploidy %d GT %v phased %v\nwant ploidy %d GT %v phased %v",
					row.Ploidy, row.GT, row.Phased, tc.ploidy, tc.gt, tc.phased)
			}
			if row.NAlleles != len(tc.rec.Alleles) || row.NSamples() != 4 {
				t.Errorf("NAlleles %d NSamples %d", row.NAlleles, row.NSamples())
			}
			if err := src.next(&rec); err != io.EOF {
				t.Errorf("after the last record: %v, want io.EOF", err)
			}
		})
	}
}

func TestBCFSites(t *testing.T) {
	flag := bcfTestInfo(bkDB, 0, bcfNull)
	tests := []struct {
		name                                    string
		rec                                     bcfTestRec
		chrom, id, ref, alt, qual, filter, info string
		pos                                     int64
	}{{
		name: "typical",
		rec: func() bcfTestRec {
			r := bcfCase()
			r.Chrom, r.Pos, r.ID = 1, 1, "rs1;rs2"
			r.Info = [][]byte{bcfTestInfo(bkDP, 1, bcfInt16, 1000), bcfTestInfo(bkAF, 1, bcfFloat, bcfTestF(0.25)), flag}
			return r
		}(),
		chrom: "chr2", pos: 1, id: "rs1;rs2", ref: "A", alt: "G", qual: "50", filter: "PASS", info: "DP=1000;AF=0.25;DB",
	}, {
		name: "missing everything",
		rec: func() bcfTestRec {
			r := bcfCase()
			r.Qual, r.Alleles, r.Filters = bcfFloatMissing, []string{"A"}, nil
			return r
		}(),
		chrom: "chr1", pos: 100, id: ".", ref: "A", alt: "", qual: ".", filter: ".", info: ".",
	}, {
		name: "vectors with missing values and vector-end, several filters",
		rec: func() bcfTestRec {
			r := bcfCase()
			r.Alleles = []string{"AT", "A", "ATT"}
			r.Filters = []int32{bkQ10, bkPASS}
			r.Info = [][]byte{
				bcfTestInfo(bkAF, 3, bcfFloat, bcfTestF(0.5), bcfTestMissF, bcfTestEndF),
				bcfTestInfo(bkDP, 4, bcfInt8, 1, bcfTestMiss8, -3, bcfTestEnd8),
				bcfTestInfo(bkST, 6, bcfChar, 'a', 'b', 'c', 0, 'x', 'y'),
				bcfTestInfo(bkCH, 1, bcfChar, 'z'),
				bcfTestInfo(bkAF, 1, bcfFloat, bcfTestMissF),
				bcfTestInfo(bkDP, 1, bcfInt32, math.MinInt32),
				bcfTestInfo(bkDP, 2, bcfInt16, bcfTestEnd16, 5),
			}
			return r
		}(),
		chrom: "chr1", pos: 100, id: ".", ref: "AT", alt: "A,ATT", qual: "50", filter: "q10;PASS",
		info: "AF=0.5,.;DP=1,.,-3;ST=abc;CH=z;AF=.;DP=.;DP=",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := bcfTestSource(t, bcfTestFile(bcfCaseHeader, tc.rec), Options{})
			var rec Record
			if err := src.next(&rec); err != nil {
				t.Fatal(err)
			}
			qual := "."
			if !QualMissing(rec.Qual) {
				qual = string(bcfAppendG(nil, float64(rec.Qual)))
			}
			got := []string{rec.Chrom, rec.ID, rec.Ref, strings.Join(rec.Alt, ","), qual, rec.Filter, rec.Info}
			want := []string{tc.chrom, tc.id, tc.ref, tc.alt, tc.qual, tc.filter, tc.info}
			if !slices.Equal(got, want) || rec.Pos != tc.pos {
				t.Errorf("got  %q pos %d\nwant %q pos %d", got, rec.Pos, want, tc.pos)
			}
			if rec.Line != 1 {
				t.Errorf("Line %d, want 1", rec.Line)
			}
		})
	}
}

func TestBCFKeepFormat(t *testing.T) {
	nan := math.NaN()
	rec1 := bcfCase(
		bcfTestFmt(bkGT, 2, bcfInt8, 2, 4, 2, 2, 0, 0, 4, 4),
		bcfTestFmt(bkDP, 1, bcfInt8, 10, bcfTestMiss8, bcfTestEnd8, 3),
		bcfTestFmt(bkGQ, 1, bcfFloat, bcfTestF(30.5), bcfTestMissF, bcfTestEndF, bcfTestF(1e-5)),
		bcfTestFmt(bkAD, 2, bcfInt16, 5, 5, 0, 700, bcfTestMiss16, bcfTestEnd16, 6, 6),
	)
	rec2 := bcfCase(bcfTestFmt(bkGT, 2, bcfInt8, 2, 4, 2, 2, 0, 0, 4, 4),
		bcfTestFmt(bkAD, 1, bcfInt32, 1, 2, 3, math.MinInt32))
	src := bcfTestSource(t, bcfTestFile(bcfCaseHeader, rec1, rec2), Options{KeepFormat: []string{"DP", "GQ", "AD", "XX"}})
	var rec Record
	check := func(k int, key string, width int, want []float64) {
		t.Helper()
		fv := rec.Kept[k]
		got := make([]float64, len(fv.Values))
		for i, v := range fv.Values {
			got[i] = float64(v)
		}
		eq := len(got) == len(want)
		for i := 0; eq && i < len(got); i++ {
			eq = got[i] == want[i] || math.IsNaN(got[i]) && math.IsNaN(want[i])
		}
		if fv.Key != key || fv.Width != width || !eq {
			t.Errorf("Kept[%d] = %s width %d %v, want %s width %d %v", k, fv.Key, fv.Width, got, key, width, want)
		}
	}
	if err := src.next(&rec); err != nil {
		t.Fatal(err)
	}
	check(0, "DP", 1, []float64{10, nan, nan, 3})
	check(1, "GQ", 1, []float64{30.5, nan, nan, float64(float32(1e-5))})
	check(2, "AD", 2, []float64{5, 5, 0, 700, nan, nan, 6, 6})
	check(3, "XX", 1, []float64{nan, nan, nan, nan})
	if err := src.next(&rec); err != nil {
		t.Fatal(err)
	}
	check(0, "DP", 1, []float64{nan, nan, nan, nan})
	check(1, "GQ", 1, []float64{nan, nan, nan, nan})
	check(2, "AD", 1, []float64{1, 2, 3, nan})

	// A kept field encoded as characters is an error in the record.
	bad := bcfCase(bcfTestFmt(bkDP, 1, bcfChar, 'a', 'b', 'c', 'd'))
	src = bcfTestSource(t, bcfTestFile(bcfCaseHeader, bad), Options{KeepFormat: []string{"DP"}})
	if err := src.next(&rec); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "DP") {
		t.Errorf("character DP kept: %v", err)
	}

	// A key declared Type=String cannot be kept: Reader says so, naming it.
	_, err := NewReader(bytes.NewReader(bcfTestFile(bcfCaseHeader, rec1)), Options{KeepFormat: []string{"FT"}})
	if err == nil || !strings.Contains(err.Error(), "FT") {
		t.Errorf("KeepFormat FT (a String): %v", err)
	}
}

func TestBCFNoSamples(t *testing.T) {
	header := strings.Replace(bcfCaseHeader, "\tFORMAT\tS1\tS2\tS3\tS4", "", 1)
	r := bcfCase()
	r.NSample = 0
	src := bcfTestSource(t, bcfTestFile(header, r, r), Options{KeepFormat: []string{"DP"}})
	if n := len(src.header().Samples); n != 0 {
		t.Fatalf("%d samples", n)
	}
	var rec Record
	for i := 0; i < 2; i++ {
		if err := src.next(&rec); err != nil {
			t.Fatal(err)
		}
		if rec.GT.NSamples() != 0 || len(rec.GT.GT) != 0 || rec.GT.NAlleles != 2 || len(rec.Kept[0].Values) != 0 {
			t.Errorf("row %+v kept %+v", rec.GT, rec.Kept)
		}
	}
}
