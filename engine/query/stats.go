package query

import "math"

// AlleleTest compares one ALT allele between a cohort and its comparator:
// the 2×2 table of allele counts [AC, AN−AC] in each.
type AlleleTest struct {
	OddsRatio float64 // NaN when a side has no called allele
	FisherP   float64 // two-sided Fisher's exact test
	ChisqP    float64 // allelic chi-square, 1 df, no continuity correction; NaN when a margin is 0
}

// TestAlleles computes the odds ratio (with the Haldane–Anscombe +0.5
// correction when a cell is 0), Fisher's exact p and the chi-square p for
// the table [[a, b], [c, d]] = [[AC_in, AN_in−AC_in], [AC_vs, AN_vs−AC_vs]].
func TestAlleles(in, vs AlleleCounts) AlleleTest {
	a, b := in.AC, in.AN-in.AC
	c, d := vs.AC, vs.AN-vs.AC
	t := AlleleTest{OddsRatio: math.NaN(), FisherP: math.NaN(), ChisqP: math.NaN()}
	if a < 0 || b < 0 || c < 0 || d < 0 || a+b == 0 || c+d == 0 {
		return t
	}
	fa, fb, fc, fd := float64(a), float64(b), float64(c), float64(d)
	if a == 0 || b == 0 || c == 0 || d == 0 {
		fa, fb, fc, fd = fa+0.5, fb+0.5, fc+0.5, fd+0.5
	}
	t.OddsRatio = (fa * fd) / (fb * fc)
	t.FisherP = fisherExact(a, b, c, d)
	n := float64(a + b + c + d)
	r1, r2, c1, c2 := float64(a+b), float64(c+d), float64(a+c), float64(b+d)
	if c1 > 0 && c2 > 0 {
		diff := float64(a)*float64(d) - float64(b)*float64(c)
		chi2 := n * diff * diff / (r1 * r2 * c1 * c2)
		t.ChisqP = math.Erfc(math.Sqrt(chi2 / 2))
	}
	return t
}

// fisherExact is the two-sided p of Fisher's exact test: the sum of the
// hypergeometric probabilities of every table with the margins of
// [[a, b], [c, d]] that is no more likely than the observed one. The
// distribution is unimodal, so the tables counted are two tails: the one
// beyond the observed table, and the one beyond the point on the other side
// of the mode where tables become as unlikely (found by binary search). Each
// tail is summed outward with the ratio recurrence until its terms are
// negligible, so the cost does not grow with N.
func fisherExact(a, b, c, d int64) float64 {
	r1, c1, n := a+b, a+c, a+b+c+d
	lo, hi := max(0, c1-(n-r1)), min(r1, c1)
	lp := func(x int64) float64 {
		return lchoose(r1, x) + lchoose(n-r1, c1-x) - lchoose(n, c1)
	}
	obs := lp(a)
	tol := 1e-7 * math.Max(1, math.Abs(obs)) // ties in floating point
	mode := min(max((r1+1)*(c1+1)/(n+2), lo), hi)
	// tail sums exp(lp(x)) for x = from, from+dir, ... within [lo, hi].
	tail := func(from, dir int64) float64 {
		sum, l := 0.0, lp(from)
		for x := from; x >= lo && x <= hi; x += dir {
			if x != from {
				// l(x) from l(x-dir) by the ratio of consecutive terms.
				if dir > 0 {
					p := x - 1
					l += math.Log(float64(r1-p)*float64(c1-p)) - math.Log(float64(p+1)*float64(n-r1-c1+p+1))
				} else {
					p := x
					l -= math.Log(float64(r1-p)*float64(c1-p)) - math.Log(float64(p+1)*float64(n-r1-c1+p+1))
				}
			}
			sum += math.Exp(l)
			if l < obs-50 {
				break
			}
		}
		return sum
	}
	var p float64
	if a >= mode {
		p = tail(a, +1)
		// Largest x in [lo, min(mode, a-1)] with lp(x) <= obs (lp rises there).
		i, j := lo, min(mode, a-1)+1
		for i < j {
			m := i + (j-i)/2
			if lp(m) <= obs+tol {
				i = m + 1
			} else {
				j = m
			}
		}
		if x := i - 1; x >= lo && x < a {
			p += tail(x, -1)
		}
	} else {
		p = tail(a, -1)
		// Smallest x in [max(mode, a+1), hi] with lp(x) <= obs (lp falls there).
		i, j := max(mode, a+1), hi+1
		for i < j {
			m := i + (j-i)/2
			if lp(m) <= obs+tol {
				j = m
			} else {
				i = m + 1
			}
		}
		if i <= hi && i > a {
			p += tail(i, +1)
		}
	}
	return min(p, 1)
}

func lchoose(n, k int64) float64 {
	if k < 0 || k > n {
		return math.Inf(-1)
	}
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}
