package disclosure

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestTotalsNeverRevealSuppressedCells enumerates every 3-cell table with
// true counts 0..12 and checks, under identical noise, that changing a
// suppressed cell's true value (anywhere in 1..7) changes nothing that is
// released, total included; and that the total is the sum of the visible
// cells, so "total minus visible cells" is always 0.
func TestTotalsNeverRevealSuppressedCells(t *testing.T) {
	s := DefaultSettings()
	const hi = 13
	release := func(counts []int64) Table {
		tab, err := s.Table([]string{"a", "b", "c"}, counts, rand.NewPCG(7, 7))
		if err != nil {
			t.Fatal(err)
		}
		return tab
	}
	for a := range int64(hi) {
		for b := range int64(hi) {
			for c := range int64(hi) {
				counts := []int64{a, b, c}
				tab := release(counts)
				var visible int64
				sup := 0
				for i, cell := range tab.Cells {
					if cell.Suppressed != (counts[i] >= 1 && counts[i] <= 7) {
						t.Fatalf("%v: cell %d = %+v", counts, i, cell)
					}
					if cell.Suppressed {
						sup++
					} else {
						visible += cell.Count
					}
				}
				if tab.Total-visible != 0 || tab.SuppressedCells != sup {
					t.Fatalf("%v: total %d, visible %d, suppressed %d/%d", counts, tab.Total, visible, tab.SuppressedCells, sup)
				}
				for i := range counts {
					if tab.Cells[i].Suppressed {
						for v := int64(1); v <= 7; v++ {
							alt := append([]int64(nil), counts...)
							alt[i] = v
							if got := release(alt); !reflect.DeepEqual(got, tab) {
								t.Fatalf("%v vs %v: released %+v vs %+v", counts, alt, tab, got)
							}
						}
					}
				}
			}
		}
	}
}

func TestTableLabels(t *testing.T) {
	s := DefaultSettings()
	tab, err := s.Table([]string{"female", "male"}, []int64{0, 3}, rand.NewPCG(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	want := Table{Cells: []Cell{{Label: "female"}, {Label: "male", Suppressed: true}}, Total: 0, SuppressedCells: 1}
	if !reflect.DeepEqual(tab, want) {
		t.Fatalf("got %+v, want %+v", tab, want)
	}
	if _, err := s.Table([]string{"x"}, []int64{1, 2}, rand.NewPCG(1, 1)); err == nil {
		t.Fatal("label/count mismatch accepted")
	}
}
