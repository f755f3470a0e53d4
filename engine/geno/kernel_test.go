package geno

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func countsEqual(a, b *Counts) bool {
	return a.AN == b.AN && a.Missing == b.Missing && slices.Equal(a.AC, b.AC) &&
		slices.Equal(a.Het, b.Het) && slices.Equal(a.HomAlt, b.HomAlt)
}

func fmtCounts(c *Counts) string {
	trim := func(s []int64) []int64 { return s[:min(len(s), 6)] }
	return fmt.Sprintf("AN=%d Missing=%d AC=%v Het=%v HomAlt=%v", c.AN, c.Missing, trim(c.AC), trim(c.Het), trim(c.HomAlt))
}

// testCohorts returns named cohorts over n samples: empty, full, random
// halves, a sparse one, and prefixes ending at word boundaries.
func testCohorts(rng *rand.Rand, n int) map[string]*Bitset {
	cs := map[string]*Bitset{"empty": NewBitset(n), "full": NewBitset(n)}
	cs["full"].Fill()
	for _, f := range []float64{0.5, 0.02} {
		b := NewBitset(n)
		for i := range n {
			if rng.Float64() < f {
				b.Set(i)
			}
		}
		cs[fmt.Sprintf("random %.2f", f)] = b
	}
	for _, k := range []int{1, 63, 64, 65, 129} {
		if k <= n {
			b := NewBitset(n)
			for i := range k {
				b.Set(i)
			}
			cs[fmt.Sprintf("first %d", k)] = b
		}
	}
	return cs
}

// naiveCarriers is the reference for Carriers.
func naiveCarriers(r *Row, allele int) *Bitset {
	b := NewBitset(r.NSamples())
	if allele < 0 || allele >= r.NAlleles {
		return b
	}
	for i := range r.NSamples() {
		if slices.Contains(r.Sample(i), int16(allele)) {
			b.Set(i)
		}
	}
	return b
}

// checkKernels compares every kernel on the encoding of r with the naive
// references.
func checkKernels(t *testing.T, rng *rand.Rand, e *Encoder, r *Row, what string) {
	t.Helper()
	var v View
	if err := v.Reset(e.Append(nil, r), r.NSamples()); err != nil {
		t.Fatalf("%s: Reset: %v", what, err)
	}
	var got, want, got2a, got2b, wantB Counts
	cohorts := testCohorts(rng, r.NSamples())
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range cohorts {
			if !yield(k) {
				return
			}
		}
	})
	check := func(name string, in *Bitset, got *Counts) {
		t.Helper()
		CountRow(r, in, &want)
		if !countsEqual(got, &want) {
			t.Fatalf("%s (dense=%v) cohort %s:\n got %s\nwant %s", what, v.Dense(), name, fmtCounts(got), fmtCounts(&want))
		}
	}
	v.Count(nil, &got)
	check("nil", nil, &got)
	for _, name := range names {
		in := cohorts[name]
		v.Count(in, &got)
		check(name, in, &got)
		v.CountSized(in, in.Count(), &got)
		check(name+" (sized)", in, &got)
	}
	for i, a := range names {
		b := names[(i+1)%len(names)]
		v.Count2(cohorts[a], cohorts[b], &got2a, &got2b)
		check(a+" (Count2 a)", cohorts[a], &got2a)
		CountRow(r, cohorts[b], &wantB)
		check(b+" (Count2 b)", cohorts[b], &got2b)
	}
	v.Count2(nil, cohorts["full"], &got2a, &got2b)
	check("nil (Count2 a)", nil, &got2a)
	check("full (Count2 b)", cohorts["full"], &got2b)

	alleles := []int{-1, 0, 1, 2, r.NAlleles - 1, r.NAlleles}
	var dst Bitset
	for _, a := range alleles {
		v.Carriers(a, &dst)
		want := naiveCarriers(r, a)
		if dst.N != want.N || !slices.Equal(dst.Words, want.Words) {
			t.Fatalf("%s (dense=%v): Carriers(%d) = %x, want %x", what, v.Dense(), a, dst.Words, want.Words)
		}
	}
}

func TestKernelsRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var e Encoder
	var r Row
	for _, n := range testSizes {
		specs := fixedSpecs(n)
		for range 25 {
			specs = append(specs, randSpec(rng, n))
		}
		for _, sp := range specs {
			randRow(rng, sp, &r)
			checkKernels(t, rng, &e, &r, sp.String())
		}
	}
}

// TestKernelsTable pins small hand-written rows, each exercising one rule.
func TestKernelsTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	var e Encoder
	row := func(nAlleles, p int, gts ...[]int16) *Row {
		r := &Row{NAlleles: nAlleles, Ploidy: p, Phased: make([]bool, len(gts))}
		for _, g := range gts {
			r.GT = append(r.GT, g...)
		}
		return r
	}
	for _, tc := range []struct {
		name string
		r    *Row
	}{
		{"het and hom", row(2, 2, []int16{0, 1}, []int16{1, 1}, []int16{0, 0}, []int16{1, 0})},
		{"half calls", row(2, 2, []int16{Missing, 1}, []int16{0, Missing}, []int16{Missing, Missing})},
		{"haploid in diploid", row(2, 2, []int16{1, End}, []int16{0, 1}, []int16{Missing, End}, []int16{0, End})},
		{"multi-allelic het", row(4, 2, []int16{1, 2}, []int16{3, 3}, []int16{0, 3}, []int16{2, 0})},
		{"triploid", row(3, 3, []int16{1, 1, 2}, []int16{2, 2, 2}, []int16{0, End, End}, []int16{1, Missing, 1})},
		{"ploidy zero samples", row(2, 2, []int16{End, End}, []int16{1, 1}, []int16{End, End})},
		{"odd layout", row(2, 2, []int16{End, 1}, []int16{End, Missing}, []int16{1, 1})},
		{"no ALT", row(1, 2, []int16{0, 0}, []int16{Missing, 0})},
		{"ploidy 0 row", &Row{NAlleles: 2, Ploidy: 0, Phased: make([]bool, 3)}},
	} {
		checkKernels(t, rng, &e, tc.r, tc.name)
		roundTrip(t, &e, tc.r, tc.name)
	}
}

// TestCountNoAlloc checks that counting allocates nothing once Counts has
// room.
func TestCountNoAlloc(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	var e Encoder
	var r Row
	for _, sp := range []rowSpec{
		{n: 1000, nAlleles: 2, ploidies: []int{2}, af: 0.01},
		{n: 1000, nAlleles: 2, ploidies: []int{2}, af: 0.4},
		{n: 1000, nAlleles: 3, ploidies: []int{2, 1}, lowFrac: 0.5, af: 0.4, missing: 0.1},
	} {
		randRow(rng, sp, &r)
		var v View
		if err := v.Reset(e.Append(nil, &r), sp.n); err != nil {
			t.Fatal(err)
		}
		in := testCohorts(rng, sp.n)["random 0.50"]
		var a, b Counts
		v.Count2(in, in, &a, &b)
		if n := testing.AllocsPerRun(20, func() {
			v.Count(in, &a)
			v.Count(nil, &a)
			v.Count2(in, in, &a, &b)
		}); n != 0 {
			t.Errorf("%v: %v allocations per count", sp, n)
		}
	}
}

// TestLargeGaps covers list gaps of three uvarint bytes (>= 16384), which
// the hot loops decode out of line.
func TestLargeGaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	var e Encoder
	var r Row
	for _, sp := range []rowSpec{
		{n: 60000, nAlleles: 2, ploidies: []int{2}, af: 0.00003, missing: 0.00005, half: 0.00005},
		{n: 60000, nAlleles: 3, ploidies: []int{2, 1}, lowFrac: 0.00005, af: 0.00003, missing: 0.00005},
	} {
		randRow(rng, sp, &r)
		r.GT[2*59999] = 1 // a carrier at the end: the last gap is large
		checkKernels(t, rng, &e, &r, sp.String())
		roundTrip(t, &e, &r, sp.String())
	}
}
