package query

import (
	"math"
	"math/rand/v2"
	"testing"
)

// fisherNaive sums every table: the obviously correct reference.
func fisherNaive(a, b, c, d int64) float64 {
	r1, c1, n := a+b, a+c, a+b+c+d
	lp := func(x int64) float64 { return lchoose(r1, x) + lchoose(n-r1, c1-x) - lchoose(n, c1) }
	obs := lp(a)
	sum := 0.0
	for x := max(0, c1-(n-r1)); x <= min(r1, c1); x++ {
		if l := lp(x); l <= obs+1e-7*math.Max(1, math.Abs(obs)) {
			sum += math.Exp(l)
		}
	}
	return min(sum, 1)
}

func TestFisherKnownValues(t *testing.T) {
	for _, tc := range []struct {
		a, b, c, d int64
		p          float64
	}{
		// R: fisher.test(matrix(c(3,1,1,3),2))$p.value = 0.4857143
		{3, 1, 1, 3, 0.4857142857},
		// fisher.test(matrix(c(10,0,0,10),2)) = 1.082509e-05
		{10, 0, 0, 10, 1.0825088e-05},
		// fisher.test(matrix(c(1,9,11,3),2)) (the tea-tasting style table) = 0.002759456
		{1, 9, 11, 3, 0.002759456},
		{0, 0, 5, 5, 1},
		{5, 5, 5, 5, 1},
	} {
		got := fisherExact(tc.a, tc.b, tc.c, tc.d)
		if math.Abs(got-tc.p) > 1e-6*math.Max(tc.p, 1e-300) && math.Abs(got-tc.p) > 1e-9 {
			t.Errorf("fisher(%d,%d,%d,%d) = %.10g, want %.10g", tc.a, tc.b, tc.c, tc.d, got, tc.p)
		}
	}
}

func TestFisherMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		max := []int64{5, 30, 300, 3000}[i%4]
		a, b, c, d := rng.Int64N(max), rng.Int64N(max), rng.Int64N(max), rng.Int64N(max)
		got, want := fisherExact(a, b, c, d), fisherNaive(a, b, c, d)
		if math.Abs(got-want) > 1e-9*math.Max(want, 1e-300)+1e-300 && math.Abs(got-want) > 1e-12 {
			t.Fatalf("fisher(%d,%d,%d,%d) = %g, naive %g", a, b, c, d, got, want)
		}
	}
}

func TestAlleleTest(t *testing.T) {
	// Allelic chi-square: N(ad-bc)^2 / (r1 r2 c1 c2); table 30/70 vs 10/90:
	// chi2 = 200*(30*90-70*10)^2/(100*100*40*160) = 12.5, p = 0.0004069520.
	r := TestAlleles(AlleleCounts{AC: 30, AN: 100}, AlleleCounts{AC: 10, AN: 100})
	if math.Abs(r.ChisqP-0.000406952) > 1e-8 || math.Abs(r.OddsRatio-30.0*90/(70*10)) > 1e-12 {
		t.Fatalf("%+v", r)
	}
	// A zero cell gets the +0.5 correction; an empty side gives NaN.
	z := TestAlleles(AlleleCounts{AC: 0, AN: 10}, AlleleCounts{AC: 5, AN: 10})
	if math.Abs(z.OddsRatio-(0.5*5.5)/(10.5*5.5)) > 1e-12 {
		t.Fatalf("zero cell OR %g", z.OddsRatio)
	}
	e := TestAlleles(AlleleCounts{}, AlleleCounts{AC: 5, AN: 10})
	if !math.IsNaN(e.OddsRatio) || !math.IsNaN(e.FisherP) || !math.IsNaN(e.ChisqP) {
		t.Fatalf("empty side: %+v", e)
	}
}

func BenchmarkFisherLarge(b *testing.B) {
	for b.Loop() {
		fisherExact(812, 99188, 640, 99360)
	}
}
