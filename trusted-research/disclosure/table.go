package disclosure

import (
	"fmt"
	"math/rand/v2"
)

// Table is a released count table: one cell per group (e.g. count by sex),
// and a total computed from the released cells only.
type Table struct {
	Cells []Cell `json:"cells"`
	// Total is the sum of the released counts; a suppressed cell adds 0.
	// It is post-processing of the cells, so it costs no ε and cannot reveal
	// a suppressed cell: Total minus the visible cells is always 0.
	Total int64 `json:"total"`
	// SuppressedCells is how many cells are left out of Total, so a reader
	// knows the total is partial.
	SuppressedCells int `json:"suppressed_cells"`
}

// Table releases counts cell by cell under the settings s (see Release) and
// totals the released cells. labels may be nil; otherwise it has one label a
// count. The groups must be disjoint (each person in at most one cell): then
// the table as a whole changes by at most 1 in one cell when one person is
// added or removed, and by parallel composition it costs one ε, however many
// cells it has. Table itself spends nothing: Store.Count charges the ε.
func (s Settings) Table(labels []string, counts []int64, rng rand.Source) (Table, error) {
	if labels != nil && len(labels) != len(counts) {
		return Table{}, fmt.Errorf("%w: %d labels for %d counts", ErrInvalid, len(labels), len(counts))
	}
	t := Table{Cells: make([]Cell, len(counts))}
	for i, n := range counts {
		c := s.Release(n, rng)
		if labels != nil {
			c.Label = labels[i]
		}
		t.Cells[i] = c
	}
	t.retotal()
	return t, nil
}

// retotal recomputes Total and SuppressedCells from the cells.
func (t *Table) retotal() {
	t.Total, t.SuppressedCells = 0, 0
	for _, c := range t.Cells {
		if c.Suppressed {
			t.SuppressedCells++
			continue
		}
		t.Total += c.Count
	}
}
