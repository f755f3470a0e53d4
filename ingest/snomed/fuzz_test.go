package snomed

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

func fuzzSeeds(f *testing.F) {
	small, err := os.ReadFile("testdata/small_relationships.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(small)
	f.Add(CuratedRF2())
	f.Add(Synthetic(40, 1))
	hdr := headerText() + "\n"
	f.Add([]byte(hdr))
	f.Add([]byte(""))
	f.Add([]byte(hdr + relRow("2001025", "20240731", "1", cA, cR) + "\n" + relRow("2003027", "20240731", "1", cR, cA)))
	f.Add([]byte(hdr + relRow("2001025", "20240731", "1", cA, cR) + "\n" + relRow("2001025", "20250731", "0", cA, cR)))
}

// FuzzRF2: no input makes the reader panic; an accepted input gives a
// hierarchy whose queries are consistent and which survives a binary round
// trip; a rejected one gives ErrFormat.
func FuzzRF2(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		h, _, err := ParseRF2(bytes.NewReader(data), "fuzz.txt")
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error without ErrFormat: %v", err)
			}
			return
		}
		checkConsistent(t, h)
		if err := h.Verify(); err != nil {
			t.Fatalf("built hierarchy fails Verify: %v", err)
		}
		bin, err := h.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		h2, err := ReadHierarchy(bin)
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		bin2, _ := h2.MarshalBinary()
		if !bytes.Equal(bin, bin2) {
			t.Fatal("round trip changed the encoding")
		}
	})
}

// checkConsistent runs every query on every concept (small hierarchies).
func checkConsistent(t *testing.T, h *Hierarchy) {
	t.Helper()
	if h.Len() > 2000 {
		return
	}
	var s *ConceptSet
	for i := range int32(h.Len()) {
		id := h.SCTID(i)
		if j, ok := h.Index(id); !ok || j != i {
			t.Fatalf("Index(SCTID(%d)) = %d, %v", i, j, ok)
		}
		s = h.DescendantSetOf(i, s)
		if !s.Contains(i) {
			t.Fatalf("<<%d lacks itself", id)
		}
		anc, err := h.Ancestors(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range anc {
			if a == id {
				t.Fatalf("%d is its own ancestor", id)
			}
			if ok, _ := h.IsA(id, a); !ok {
				t.Fatalf("%d has ancestor %d but IsA is false", id, a)
			}
			if !h.Contains(a, id) {
				t.Fatalf("%d not in <<%d", id, a)
			}
		}
		if len(s.SCTIDs()) != s.Len() {
			t.Fatal("SCTIDs and Len disagree")
		}
	}
}
