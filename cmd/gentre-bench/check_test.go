package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gentre/gentre/bench/sim"
)

// truthSites: a biallelic site, a tri-allelic site with a half call, and a
// site with nothing called.
func truthSites() []sim.SiteStats {
	return []sim.SiteStats{
		{Chrom: "chr22", Pos: 100, Ref: "A", Alt: []string{"G"}, AC: []int{3}, AN: 10,
			Het: []int{1}, HomAlt: []int{1}, HalfAC: []int{0}},
		{Chrom: "chr22", Pos: 200, Ref: "C", Alt: []string{"T", "*"}, AC: []int{2, 1}, AN: 9,
			Het: []int{2, 0}, HomAlt: []int{0, 0}, Missing: 1, HalfCalls: 1, HalfAC: []int{0, 1}},
		{Chrom: "chr22", Pos: 300, Ref: "G", Alt: []string{"<DEL>"}, AC: []int{0}, AN: 0,
			Het: []int{0}, HomAlt: []int{0}, Missing: 5, HalfAC: []int{0}},
	}
}

func TestCompareFreqAgree(t *testing.T) {
	want := truthRows(truthSites())
	if len(want) != 4 || want[2].Alt != "*" || want[2].AC != 1 || want[2].Missing != 1 {
		t.Fatalf("truthRows: %+v", want)
	}
	got := append([]freqRow(nil), want...)
	for i := range got {
		got[i].Chrom = "22" // the chr prefix does not matter
	}
	if c := compareFreq("x", got, want); !c.OK() || c.Compared != 4 {
		t.Fatalf("identical rows: %+v", c)
	}
	// bcftools rows have no genotype counts: only ac/an compared.
	bcf := append([]freqRow(nil), want...)
	for i := range bcf {
		bcf[i].HasGenotypeCounts, bcf[i].Het = false, 99
	}
	if c := compareFreq("x", bcf, want); !c.OK() {
		t.Fatalf("bcftools-like rows: %+v", c)
	}
}

func TestCompareFreqMismatches(t *testing.T) {
	want := truthRows(truthSites())
	for name, tc := range map[string]struct {
		edit func([]freqRow) []freqRow
		msg  string
	}{
		"ac":      {func(r []freqRow) []freqRow { r[0].AC++; return r }, "ac/an"},
		"an":      {func(r []freqRow) []freqRow { r[3].AN = 2; return r }, "ac/an"},
		"het":     {func(r []freqRow) []freqRow { r[1].Het = 0; return r }, "het/hom_alt/missing"},
		"missing": {func(r []freqRow) []freqRow { r[2].Missing = 0; return r }, "het/hom_alt/missing"},
		"af":      {func(r []freqRow) []freqRow { r[0].AF = 0.31; return r }, "af"},
		"dropped": {func(r []freqRow) []freqRow { return r[1:] }, "row missing"},
		"extra": {func(r []freqRow) []freqRow {
			x := r[0]
			x.Alt = "T"
			return append(r, x)
		}, "extra row"},
		"repeated": {func(r []freqRow) []freqRow { return append(r, r[0]) }, "repeated"},
		"order":    {func(r []freqRow) []freqRow { r[1], r[2] = r[2], r[1]; return r }, "order"},
		"ref":      {func(r []freqRow) []freqRow { r[0].Ref = "T"; return r }, "extra row"},
	} {
		got := tc.edit(append([]freqRow(nil), want...))
		c := compareFreq(name, got, want)
		if c.OK() || c.Mismatches == 0 {
			t.Errorf("%s: not detected: %+v", name, c)
			continue
		}
		if !strings.Contains(strings.Join(c.Examples, ";"), tc.msg) {
			t.Errorf("%s: examples %q lack %q", name, c.Examples, tc.msg)
		}
	}
}

func TestCompareFreqExampleLimit(t *testing.T) {
	want := truthRows(truthSites())
	var got []freqRow
	for i := 0; i < 20; i++ {
		r := want[0]
		r.Pos = int64(1000 + i)
		got = append(got, r)
	}
	c := compareFreq("x", got, want)
	if c.Mismatches != 24 || len(c.Examples) != maxExamples {
		t.Fatalf("mismatches %d, examples %d", c.Mismatches, len(c.Examples))
	}
}

func TestAFClose(t *testing.T) {
	for _, tc := range []struct {
		af     float64
		ac, an int
		ok     bool
	}{
		{0.3, 3, 10, true}, {0.333333, 1, 3, true}, {0.3333, 1, 3, true}, {0.0001, 1, 20000, true},
		{0.31, 3, 10, false}, {0, 1, 2, false}, {nan(), 0, 0, true}, {nan(), 1, 2, false},
	} {
		if got := afClose(tc.af, tc.ac, tc.an); got != tc.ok {
			t.Errorf("afClose(%g, %d, %d) = %v", tc.af, tc.ac, tc.an, got)
		}
	}
}

func nan() float64 { z := 0.0; return z / z }

// plinkRows are what plink2 --freq prints for truthSites with
// --vcf-half-call m: the half call at 200 is missing (OBS_CT 8, and the '*'
// it carried is not counted).
func plinkRows() ([]afreqRow, []pvarRow) {
	af := []afreqRow{
		{Chrom: "22", ID: ".", Ref: "A", Alts: []string{"G"}, Freqs: []float64{0.3}, Obs: 10},
		{Chrom: "22", ID: ".", Ref: "C", Alts: []string{"T", "*"}, Freqs: []float64{0.25, 0}, Obs: 8},
		{Chrom: "22", ID: ".", Ref: "G", Alts: []string{"<DEL>"}, Freqs: []float64{nan()}, Obs: 0},
	}
	pvar := []pvarRow{{"22", 100, "A", []string{"G"}}, {"22", 200, "C", []string{"T", "*"}}, {"22", 300, "G", []string{"<DEL>"}}}
	return af, pvar
}

func TestCompareAfreq(t *testing.T) {
	af, pvar := plinkRows()
	if c := compareAfreq("x", af, pvar, truthSites()); !c.OK() || c.Compared != 3 {
		t.Fatalf("agreeing: %+v", c)
	}
	af[0].Freqs[0] = 0.4
	if c := compareAfreq("x", af, pvar, truthSites()); c.OK() {
		t.Fatal("wrong frequency not detected")
	}
	af, pvar = plinkRows()
	af[1].Obs = 9 // half call counted: not plink's convention
	if c := compareAfreq("x", af, pvar, truthSites()); c.OK() {
		t.Fatal("wrong OBS_CT not detected")
	}
	af, pvar = plinkRows()
	pvar[2].Pos = 301
	if c := compareAfreq("x", af, pvar, truthSites()); c.OK() {
		t.Fatal("wrong position not detected")
	}
	af, pvar = plinkRows()
	af[0].Pos = 100 // a POS column wins over the pvar
	pvar[0].Pos = 5
	if c := compareAfreq("x", af, pvar, truthSites()); !c.OK() {
		t.Fatalf("POS column: %+v", c)
	}
	if c := compareAfreq("x", af[:2], pvar, truthSites()); c.OK() {
		t.Fatal("missing variant not detected")
	}
}

func TestCompareGentrePlink(t *testing.T) {
	af, pvar := plinkRows()
	gentre := truthRows(truthSites())
	c := compareGentrePlink(gentre, af, pvar, truthSites())
	if !c.OK() || c.Compared != 2 { // site 200 has a half call: skipped
		t.Fatalf("agreeing: %+v", c)
	}
	gentre[0].AN = 12
	if c := compareGentrePlink(gentre, af, pvar, truthSites()); c.OK() {
		t.Fatal("AN difference not detected")
	}
	if c := compareGentrePlink(gentre[1:], af, pvar, truthSites()); c.OK() {
		t.Fatal("missing gentre row not detected")
	}
}

func TestMeasureStore(t *testing.T) {
	dir := t.TempDir()
	write := func(rel string, n int) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, n), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("MANIFEST", 100)
	write("chunks/0001.gt", 5000)
	write("secrets/key", 32)
	write("secrets/sub/other", 8)
	write("secretsfile", 7) // not under secrets/
	if err := os.Symlink(filepath.Join(dir, "chunks/0001.gt"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	s, err := measureStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Total != 5147 || s.Secrets != 40 || s.Data() != 5107 {
		t.Fatalf("measureStore = %+v (data %d)", s, s.Data())
	}
	if _, err := measureStore(filepath.Join(dir, "absent")); err == nil {
		t.Fatal("absent store: no error")
	}
	n, err := fileSizes(filepath.Join(dir, "MANIFEST"), filepath.Join(dir, "secretsfile"))
	if err != nil || n != 107 {
		t.Fatalf("fileSizes = %d, %v", n, err)
	}
	if _, err := fileSizes(filepath.Join(dir, "nope")); err == nil {
		t.Fatal("fileSizes of a missing file: no error")
	}
	if perGenotype(10, 0) != 0 || perGenotype(10, 4) != 2.5 {
		t.Fatal("perGenotype")
	}
}
