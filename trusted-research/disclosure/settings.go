package disclosure

import (
	"fmt"
	"math"
)

// Defaults of the per-project settings (DESIGN.md, "Privacy defaults").
const (
	DefaultEpsilon   = 0.5 // ε spent by one question
	DefaultBudget    = 2.0 // ε per partner × project × data release
	DefaultThreshold = 7   // counts 1..7 suppressed; cohorts ≤ 7 refused; differences of 0..7 refused
	DefaultRoundTo   = 5   // released counts are multiples of 5
)

// Limits enforced by Validate.
const (
	minEpsilon   = 1e-3
	maxEpsilon   = 100
	maxBudget    = 1e6
	maxThreshold = 1000
	maxRoundTo   = 1000
	// microEps is the ledger's unit: ε is kept as an integer number of
	// millionths so that repeated spends never drift (0.1 × 20 is exactly 2).
	microEps = 1e6
)

// Settings are a project's disclosure-control parameters. The zero value
// means "the defaults": EnsureDefaults fills zero fields.
type Settings struct {
	// Epsilon is the ε of the Laplace mechanism and the ε charged for one
	// question (a whole table is one question). Default 0.5; range
	// [0.001, 100].
	Epsilon float64 `json:"epsilon"`
	// Budget is the ε a partner may spend on the project per data release.
	// Default 2.0; range [0, 1e6] (0 after EnsureDefaults means 2.0: a
	// project that must answer nothing should remove the partner instead).
	Budget float64 `json:"budget"`
	// Threshold is the small-number threshold: counts 1..Threshold are
	// suppressed, analyses over at most Threshold people are refused, and a
	// cohort whose symmetric difference with a released one is at most
	// Threshold people is refused. Default 7; range [1, 1000].
	Threshold int64 `json:"threshold"`
	// RoundTo is the rounding base of released counts. Default 5; range
	// [1, 1000].
	RoundTo int64 `json:"round_to"`
}

// DefaultSettings returns the design's defaults.
func DefaultSettings() Settings {
	return Settings{Epsilon: DefaultEpsilon, Budget: DefaultBudget, Threshold: DefaultThreshold, RoundTo: DefaultRoundTo}
}

// EnsureDefaults fills zero fields with the defaults.
func (s *Settings) EnsureDefaults() {
	if s.Epsilon == 0 {
		s.Epsilon = DefaultEpsilon
	}
	if s.Budget == 0 {
		s.Budget = DefaultBudget
	}
	if s.Threshold == 0 {
		s.Threshold = DefaultThreshold
	}
	if s.RoundTo == 0 {
		s.RoundTo = DefaultRoundTo
	}
}

// Validate reports settings out of range (after EnsureDefaults).
func (s Settings) Validate() error {
	switch {
	case math.IsNaN(s.Epsilon) || s.Epsilon < minEpsilon || s.Epsilon > maxEpsilon:
		return fmt.Errorf("%w: epsilon must be in [%g, %g]", ErrInvalid, minEpsilon, float64(maxEpsilon))
	case math.IsNaN(s.Budget) || s.Budget < 0 || s.Budget > maxBudget:
		return fmt.Errorf("%w: budget must be in [0, %g]", ErrInvalid, float64(maxBudget))
	case s.Threshold < 1 || s.Threshold > maxThreshold:
		return fmt.Errorf("%w: threshold must be in [1, %d]", ErrInvalid, maxThreshold)
	case s.RoundTo < 1 || s.RoundTo > maxRoundTo:
		return fmt.Errorf("%w: rounding base must be in [1, %d]", ErrInvalid, maxRoundTo)
	}
	return nil
}

// CheckCohort refuses (ErrDisclosure) an analysis over a cohort of at most
// s.Threshold people. The message does not reveal the size.
func (s Settings) CheckCohort(size uint64) error {
	if size <= uint64(s.Threshold) {
		return fmt.Errorf("%w: %s", ErrDisclosure, msgSmallCohort)
	}
	return nil
}

// CheckCohort is Settings.CheckCohort under the default threshold (7).
func CheckCohort(size uint64) error { return DefaultSettings().CheckCohort(size) }

// toMicro converts ε to the ledger's integer unit.
func toMicro(eps float64) uint64 { return uint64(math.Round(eps * microEps)) }

// fromMicro converts the ledger's unit back to ε.
func fromMicro(m uint64) float64 { return float64(m) / microEps }
