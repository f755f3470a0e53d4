package main

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gentre/gentre/bench/sim"
	"github.com/gentre/gentre/engine/geno"
)

func TestParseGT(t *testing.T) {
	for _, c := range []struct {
		in   string
		nAlt int
		want []int16
		err  bool
	}{
		{"0/1", 1, []int16{0, 1}, false},
		{"1|2", 2, []int16{1, 2}, false},
		{"./.", 1, []int16{-1, -1}, false},
		{".|1", 1, []int16{-1, 1}, false},
		{".", 1, []int16{-1}, false},
		{"1", 1, []int16{1}, false},
		{"0/0/1", 1, []int16{0, 0, 1}, false},
		{"12/0", 12, []int16{12, 0}, false},
		{"0/2", 1, nil, true}, // allele beyond the ALTs
		{"0/", 1, nil, true},
		{"0-1", 1, nil, true},
		{"", 1, nil, true},
		{"a/1", 1, nil, true},
	} {
		var dst [16]int16
		n, err := parseGT([]byte(c.in), dst[:], c.nAlt)
		if c.err {
			if err == nil {
				t.Errorf("%q: no error", c.in)
			}
			continue
		}
		if err != nil || !slices.Equal(dst[:n], c.want) {
			t.Errorf("%q: %v %v, want %v", c.in, dst[:n], err, c.want)
		}
	}
}

// TestTallyMatchesCountRow checks the harness's counter against the
// engine's reference counter on random genotypes of every shape (haploid,
// diploid, triploid; missing and half calls; multi-allelic).
func TestTallyMatchesCountRow(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for iter := range 500 {
		nAlt := 1 + r.IntN(3)
		ploidy := 1 + r.IntN(3)
		n := 1 + r.IntN(40)
		var row geno.Row
		row.Reset(nAlt+1, n, ploidy)
		st := sim.SiteStats{AC: make([]int, nAlt), Het: make([]int, nAlt), HomAlt: make([]int, nAlt), HalfAC: make([]int, nAlt)}
		for i := range n {
			g := row.Sample(i)
			for j := range g {
				switch x := r.IntN(10); {
				case x == 0:
					g[j] = geno.Missing
				case x < 5:
					g[j] = 0
				default:
					g[j] = int16(1 + r.IntN(nAlt))
				}
			}
			tallyGT(g, &st)
		}
		var c geno.Counts
		geno.CountRow(&row, nil, &c)
		if int64(st.AN) != c.AN || int64(st.Missing) != c.Missing {
			t.Fatalf("iter %d: AN/missing %d/%d, CountRow %d/%d", iter, st.AN, st.Missing, c.AN, c.Missing)
		}
		for a := range nAlt {
			if int64(st.AC[a]) != c.AC[a] || int64(st.Het[a]) != c.Het[a] || int64(st.HomAlt[a]) != c.HomAlt[a] {
				t.Fatalf("iter %d alt %d: ac/het/hom %d/%d/%d, CountRow %d/%d/%d", iter, a,
					st.AC[a], st.Het[a], st.HomAlt[a], c.AC[a], c.Het[a], c.HomAlt[a])
			}
		}
	}
}

func TestTallyVCF(t *testing.T) {
	vcf := strings.Join([]string{
		"##fileformat=VCFv4.2",
		"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\tD",
		"chr22\t100\t.\tA\tG\t.\tPASS\t.\tGT\t0|1\t1/1\t./1\t0/0",
		"chr22\t200\tx\tC\tT,G\t.\tPASS\t.\tGT:DP\t1/2:3\t./.:0\t0|2:5\t2/2:1",
		"chr22\t300\t.\tT\t.\t.\tPASS\t.\tGT\t0/0\t0/0\t0/.\t0/0",
	}, "\n") + "\n"
	sets := []map[string]bool{{"A": true, "B": true, "C": true}, {"C": true, "D": true}}
	linked := map[string]string{"A": "pa", "B": "pb", "C": "pc"} // D is unlinked
	watch := []watchVariant{{"22", 200, "C", "G"}, {"chr22", 100, "A", "G"}, {"chr22", 999, "A", "G"}}
	tl, err := tallyVCF(strings.NewReader(vcf), sets, linked, watch)
	if err != nil {
		t.Fatal(err)
	}
	if tl.Samples != 4 || tl.Records != 3 {
		t.Fatalf("%d samples, %d records", tl.Samples, tl.Records)
	}
	s0 := tl.Sets[0]
	// Site 100 among A, B, C: AN 5 (0|1, 1/1, ./1), AC 4, het 1, hom 1, missing 1 (a half call carrying ALT).
	if s := s0[0]; s.AN != 5 || s.AC[0] != 4 || s.Het[0] != 1 || s.HomAlt[0] != 1 || s.Missing != 1 || s.HalfCalls != 1 || s.HalfAC[0] != 1 {
		t.Errorf("site 100, set 0: %+v", s)
	}
	// Site 200 among C, D: 0|2 and 2/2: AN 4, AC [0 3], het [0 1], hom [0 1].
	if s := tl.Sets[1][1]; s.AN != 4 || !slices.Equal(s.AC, []int{0, 3}) || !slices.Equal(s.Het, []int{0, 1}) ||
		!slices.Equal(s.HomAlt, []int{0, 1}) || s.Missing != 0 || s.Ref != "C" || !slices.Equal(s.Alt, []string{"T", "G"}) {
		t.Errorf("site 200, set 1: %+v", s)
	}
	// Site 300 has no ALT: AN counts, nothing else.
	if s := tl.Sets[1][2]; s.AN != 3 || len(s.AC) != 0 || s.HalfCalls != 1 {
		t.Errorf("site 300, set 1: %+v", s)
	}
	// Carriers among linked people: G at 200 is held by A (1/2) and C (0|2);
	// D (2/2) is unlinked. G at 100: A, B, C (./1 holds it).
	if !slices.Equal(tl.Carriers, []int{2, 3, -1}) {
		t.Errorf("carriers %v, want [2 3 -1]", tl.Carriers)
	}

	for name, bad := range map[string]string{
		"no header":     "chr22\t1\t.\tA\tG\t.\t.\t.\tGT\t0/1\n",
		"short row":     "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\nchr22\t1\t.\tA\tG\t.\t.\t.\tGT\t0/1\n",
		"long row":      "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\nchr22\t1\t.\tA\tG\t.\t.\t.\tGT\t0/1\t1/1\n",
		"format not GT": "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\nchr22\t1\t.\tA\tG\t.\t.\t.\tDP\t3\n",
		"bad allele":    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\nchr22\t1\t.\tA\tG\t.\t.\t.\tGT\t0/3\n",
	} {
		if _, err := tallyVCF(strings.NewReader(bad), []map[string]bool{{"A": true, "B": true}}, nil, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
