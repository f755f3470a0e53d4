package concept

import (
	"errors"
	"strings"
	"testing"
)

func TestBuildEdges(t *testing.T) {
	h, err := Build([]Edge{{Child: cA, Parent: cR}, {Child: cB, Parent: cR}, {Child: cC, Parent: cA}, {Child: cC, Parent: cB}, {Child: cC, Parent: cB}})
	if err != nil {
		t.Fatal(err)
	}
	if h.Len() != 4 || h.Edges() != 4 || h.Release() != 0 {
		t.Errorf("Len %d Edges %d Release %d", h.Len(), h.Edges(), h.Release())
	}
	if _, err := Build([]Edge{{Child: cA, Parent: 1234}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad SCTID: %v", err)
	}
	if _, err := Build([]Edge{{Child: cA, Parent: 2001025}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("relationship id as concept: %v", err)
	}
	_, err = Build([]Edge{{Child: cA, Parent: cR}, {Child: cB, Parent: cA}, {Child: cC, Parent: cB}, {Child: cA, Parent: cC}, {Child: cD, Parent: cC}})
	if !errors.Is(err, ErrCycle) || !strings.Contains(err.Error(), "concept 102002") {
		t.Errorf("cycle: %v", err)
	}
	empty, err := Build(nil)
	if err != nil || empty.Len() != 0 {
		t.Fatalf("empty: %v", err)
	}
	if _, err := empty.DescendantsOrSelf(cA); !errors.Is(err, ErrUnknownConcept) {
		t.Errorf("empty: %v", err)
	}
}
