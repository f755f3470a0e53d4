package disclosure

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
)

// Cell is one released count. A suppressed cell has no count: Count is 0
// and means nothing, and its JSON form is {"suppressed": true} with no
// "count" (DESIGN.md). A released cell's JSON form always has "count", 0
// included.
type Cell struct {
	Label      string
	Count      int64
	Suppressed bool
}

type cellJSON struct {
	Label      string `json:"label,omitempty"`
	Count      *int64 `json:"count,omitempty"`
	Suppressed bool   `json:"suppressed,omitempty"`
}

// MarshalJSON writes {"label":…, "count": N} or {"label":…, "suppressed": true}.
func (c Cell) MarshalJSON() ([]byte, error) {
	j := cellJSON{Label: c.Label, Suppressed: c.Suppressed}
	if !c.Suppressed {
		n := c.Count
		j.Count = &n
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes; a cell must have exactly one
// of "count" and "suppressed".
func (c *Cell) UnmarshalJSON(b []byte) error {
	var j cellJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.Suppressed == (j.Count != nil) {
		return fmt.Errorf("%w: a cell has exactly one of count and suppressed", ErrCorrupt)
	}
	*c = Cell{Label: j.Label, Suppressed: j.Suppressed}
	if j.Count != nil {
		c.Count = *j.Count
	}
	return nil
}

// Release releases one true count under the settings s:
//   - 0 is released as 0 (exactly: there is nobody to protect);
//   - 1..Threshold is suppressed (and so, fail-closed, is a negative count);
//   - anything larger is round(count + Laplace(0, 1/Epsilon)) to the nearest
//     multiple of RoundTo, clamped at 0.
//
// rng must be CryptoSource outside tests. s must be valid (Validate). The
// caller accounts for ε: Release spends nothing by itself.
func (s Settings) Release(count int64, rng rand.Source) Cell {
	switch {
	case count == 0:
		return Cell{}
	case count < 0 || count <= s.Threshold:
		return Cell{Suppressed: true}
	}
	return Cell{Count: roundClamp(float64(count)+laplace(rng, 1/s.Epsilon), s.RoundTo)}
}

// roundClamp rounds v to the nearest multiple of base (halves away from
// zero) and clamps the result at 0. Rounding is also the floating-point
// mitigation: the released value is a coarse function of the noisy float,
// so the low-order bits that betray the true value in Mironov's attack on
// textbook Laplace never leave (docs/disclosure.md).
func roundClamp(v float64, base int64) int64 {
	b := float64(base)
	r := math.Round(v/b) * b
	if !(r > 0) { // also catches NaN, which laplace never produces
		return 0
	}
	return int64(r)
}
