package snomed

import (
	"bytes"
	"flag"
	"os"
	"slices"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/curated_relationships.txt from curatedEdges")

// TestCuratedFile checks the embedded file is the rendering of curatedEdges
// (go test -update rewrites it).
func TestCuratedFile(t *testing.T) {
	want := renderCurated()
	if *update {
		if err := os.WriteFile("testdata/curated_relationships.txt", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(CuratedRF2(), want) {
		t.Fatal("testdata/curated_relationships.txt differs from curatedEdges: run go test -update")
	}
}

func TestCuratedHierarchy(t *testing.T) {
	h, st, err := ParseRF2(bytes.NewReader(CuratedRF2()), "curated_relationships.txt")
	if err != nil {
		t.Fatal(err)
	}
	concepts := CuratedConcepts()
	if h.Len() != len(concepts) || st.Edges != len(curatedEdges) || st.Release != 20240101 {
		t.Fatalf("Len %d, stats %+v; want %d concepts, %d edges", h.Len(), st, len(concepts), len(curatedEdges))
	}
	for _, c := range concepts {
		if !IsConceptID(c.ID) || c.Term == "" || !h.Has(c.ID) || CuratedTerm(c.ID) != c.Term {
			t.Errorf("concept %d %q", c.ID, c.Term)
		}
	}
	if CuratedTerm(Root) != "SNOMED CT Concept" || CuratedTerm(IsA) != "" {
		t.Error("CuratedTerm")
	}
	if r := h.Roots(); !slices.Equal(r, []int64{Root}) {
		t.Errorf("roots %v", r)
	}
	for _, c := range []struct {
		of   int64
		want []int64
	}{
		{73211009, sorted(73211009, 44054006, 46635009)},
		{414545008, sorted(414545008, 22298006, 57054005, 194828000)},
		{49601007, sorted(49601007, 56265001, 414545008, 22298006, 57054005, 194828000, 84114007,
			42343007, 698247007, 49436004, 38341003, 59621000)},
		{38341003, sorted(38341003, 59621000)},
		{44054006, []int64{44054006}},
	} {
		got, err := h.DescendantsOrSelf(c.of)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("<<%d (%s) = %v, want %v", c.of, CuratedTerm(c.of), got, c.want)
		}
	}
	disease, _ := h.DescendantsOrSelf(64572001)
	if len(disease) != len(concepts)-2 {
		t.Errorf("<<Disease has %d concepts, want all but the root and Clinical finding", len(disease))
	}
	anc, _ := h.Ancestors(44054006)
	if want := sorted(73211009, 362969004, 126877002, 64572001, 404684003, 138875005); !slices.Equal(anc, want) {
		t.Errorf("ancestors of type 2 diabetes %v, want %v", anc, want)
	}
	if ok, _ := h.IsA(57054005, 49601007); !ok {
		t.Error("acute MI is not a cardiovascular disorder")
	}
	if ok, _ := h.IsA(44054006, 49601007); ok {
		t.Error("type 2 diabetes is a cardiovascular disorder")
	}
	if err := h.Verify(); err != nil {
		t.Error(err)
	}
}
