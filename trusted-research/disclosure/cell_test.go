package disclosure

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

func TestReleaseSuppressionBoundaries(t *testing.T) {
	rng := rand.NewPCG(1, 2)
	s := DefaultSettings()
	for _, tc := range []struct {
		count      int64
		suppressed bool
		zero       bool
	}{
		{count: 0, zero: true},
		{count: 1, suppressed: true},
		{count: 2, suppressed: true},
		{count: 7, suppressed: true},
		{count: 8},
		{count: 9},
		{count: -1, suppressed: true}, // fail closed
	} {
		for range 2000 {
			c := s.Release(tc.count, rng)
			switch {
			case tc.zero && (c.Suppressed || c.Count != 0):
				t.Fatalf("Release(%d) = %+v, want exactly 0", tc.count, c)
			case tc.suppressed && (!c.Suppressed || c.Count != 0):
				t.Fatalf("Release(%d) = %+v, want suppressed with no count", tc.count, c)
			case !tc.suppressed && !tc.zero && (c.Suppressed || c.Count < 0 || c.Count%5 != 0):
				t.Fatalf("Release(%d) = %+v, want a non-negative multiple of 5", tc.count, c)
			}
		}
	}
}

func TestReleaseFollowsSettings(t *testing.T) {
	rng := rand.NewPCG(3, 4)
	s := Settings{Epsilon: 1, Budget: 1, Threshold: 10, RoundTo: 10}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		if c := s.Release(10, rng); !c.Suppressed {
			t.Fatalf("threshold 10: Release(10) = %+v, want suppressed", c)
		}
		if c := s.Release(11, rng); c.Suppressed || c.Count%10 != 0 {
			t.Fatalf("threshold 10, base 10: Release(11) = %+v", c)
		}
	}
}

// TestReleaseNearTruth: the noise is Laplace(1/ε) and the largest possible
// draw is 37.4/ε, so a large count is released within that (plus rounding),
// and on average close to the truth.
func TestReleaseNearTruth(t *testing.T) {
	rng := rand.NewPCG(5, 6)
	s := DefaultSettings()
	const truth, n = 1000, 20000
	var sum float64
	for range n {
		c := s.Release(truth, rng)
		if d := math.Abs(float64(c.Count - truth)); d > 37.5/s.Epsilon+2.5 {
			t.Fatalf("Release(%d) = %d: further than the largest noise", truth, c.Count)
		}
		sum += float64(c.Count)
	}
	if mean := sum / n; math.Abs(mean-truth) > 0.2 {
		t.Fatalf("mean released %.3f, want %d ± 0.2 (noise and rounding are unbiased)", mean, truth)
	}
}

func TestRoundClamp(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		base int64
		want int64
	}{
		{8.4, 5, 10}, {7.49, 5, 5}, {7.5, 5, 10}, {12.5, 5, 15}, {12.49, 5, 10},
		{2.5, 5, 5}, {2.49, 5, 0}, {-2.4, 5, 0}, {-3, 5, 0}, {-100, 5, 0},
		{1000.1, 5, 1000}, {17, 10, 20}, {14.9, 10, 10}, {3.6, 1, 4}, {3.4, 1, 3},
		{math.NaN(), 5, 0}, {math.Inf(-1), 5, 0},
	} {
		if got := roundClamp(tc.v, tc.base); got != tc.want {
			t.Errorf("roundClamp(%v, %d) = %d, want %d", tc.v, tc.base, got, tc.want)
		}
	}
}

func TestCellJSON(t *testing.T) {
	for _, tc := range []struct {
		c    Cell
		want string
	}{
		{Cell{Label: "female", Count: 35}, `{"label":"female","count":35}`},
		{Cell{Count: 0}, `{"count":0}`},
		{Cell{Label: "male", Suppressed: true}, `{"label":"male","suppressed":true}`},
		{Cell{Suppressed: true, Count: 3}, `{"suppressed":true}`}, // a count on a suppressed cell never leaves
	} {
		b, err := json.Marshal(tc.c)
		if err != nil || string(b) != tc.want {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tc.c, b, err, tc.want)
			continue
		}
		var back Cell
		if err := json.Unmarshal(b, &back); err != nil {
			t.Errorf("Unmarshal(%s): %v", b, err)
		}
		if tc.c.Suppressed {
			tc.c.Count = 0
		}
		if back != tc.c {
			t.Errorf("round trip %s = %+v, want %+v", b, back, tc.c)
		}
	}
	for _, bad := range []string{`{}`, `{"count":5,"suppressed":true}`} {
		var c Cell
		if err := json.Unmarshal([]byte(bad), &c); err == nil {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
}

func TestCheckCohort(t *testing.T) {
	for size, refused := range map[uint64]bool{0: true, 1: true, 7: true, 8: false, 100000: false} {
		err := CheckCohort(size)
		if (err != nil) != refused {
			t.Errorf("CheckCohort(%d) = %v, want refused=%v", size, err, refused)
		}
		if err != nil && hasDigit(err.Error()) {
			t.Errorf("CheckCohort message reveals a number: %q", err)
		}
	}
}

func TestSettingsValidate(t *testing.T) {
	var s Settings
	s.EnsureDefaults()
	if s != DefaultSettings() {
		t.Fatalf("EnsureDefaults = %+v", s)
	}
	for _, bad := range []Settings{
		{Epsilon: 0, Budget: 2, Threshold: 7, RoundTo: 5},
		{Epsilon: math.NaN(), Budget: 2, Threshold: 7, RoundTo: 5},
		{Epsilon: 0.5, Budget: -1, Threshold: 7, RoundTo: 5},
		{Epsilon: 0.5, Budget: math.Inf(1), Threshold: 7, RoundTo: 5},
		{Epsilon: 0.5, Budget: 2, Threshold: 0, RoundTo: 5},
		{Epsilon: 0.5, Budget: 2, Threshold: 7, RoundTo: 0},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("Validate(%+v) accepted", bad)
		}
	}
}
