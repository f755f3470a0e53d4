package disclosure

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLaplaceDistribution checks 100k seeded draws of Laplace(0, b) for
// b = 1/0.5: finite, mean ~0, mean |x| ~b, variance ~2b², CDF at several
// points within a few standard errors.
func TestLaplaceDistribution(t *testing.T) {
	const n = 100000
	b := 1 / DefaultEpsilon
	rng := rand.NewPCG(42, 1)
	xs := make([]float64, n)
	var sum, abs, sq float64
	for i := range xs {
		x := laplace(rng, b)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t.Fatalf("draw %d is %v", i, x)
		}
		xs[i] = x
		sum += x
		abs += math.Abs(x)
		sq += x * x
	}
	mean := sum / n
	if se := math.Sqrt2 * b / math.Sqrt(n); math.Abs(mean) > 5*se {
		t.Errorf("mean %.4f, want 0 ± %.4f", mean, 5*se)
	}
	if se := b / math.Sqrt(n); math.Abs(abs/n-b) > 5*se {
		t.Errorf("mean |x| %.4f, want scale %.4f ± %.4f", abs/n, b, 5*se)
	}
	if v, se := sq/n-mean*mean, math.Sqrt(20)*b*b/math.Sqrt(n); math.Abs(v-2*b*b) > 5*se {
		t.Errorf("variance %.4f, want %.4f ± %.4f", v, 2*b*b, 5*se)
	}
	cdf := func(x float64) float64 {
		if x < 0 {
			return 0.5 * math.Exp(x/b)
		}
		return 1 - 0.5*math.Exp(-x/b)
	}
	for _, at := range []float64{-8, -3, -1, 0, 0.5, 2, 6} {
		k := 0
		for _, x := range xs {
			if x <= at {
				k++
			}
		}
		got, want := float64(k)/n, cdf(at)
		if se := math.Sqrt(want * (1 - want) / n); math.Abs(got-want) > 5*se+1e-4 {
			t.Errorf("P(x ≤ %v) = %.4f, want %.4f", at, got, want)
		}
	}
}

type constSource uint64

func (c constSource) Uint64() uint64 { return uint64(c) }

// TestLaplaceExtremes: the uniform never reaches 0 or 1, so the extreme
// words give finite draws within 37.5 scales.
func TestLaplaceExtremes(t *testing.T) {
	for _, w := range []uint64{0, 1, 1 << 11, math.MaxUint64, math.MaxUint64 - 1} {
		x := laplace(constSource(w), 2)
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 37.5*2 {
			t.Errorf("laplace(word %#x) = %v", w, x)
		}
	}
	if x := laplace(constSource(0), 1); !(x > 37 && x < 37.5) {
		t.Errorf("smallest uniform gives %v, want ln(2^54) ≈ 37.43", x)
	}
}

// TestCryptoSource: the production source is not constant (a smoke test: it
// is crypto/rand).
func TestCryptoSource(t *testing.T) {
	seen := map[uint64]bool{}
	for range 64 {
		seen[CryptoSource.Uint64()] = true
	}
	if len(seen) < 60 {
		t.Fatalf("crypto source gave %d distinct words of 64", len(seen))
	}
}
