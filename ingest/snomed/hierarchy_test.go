package snomed

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The concepts of testdata/small_relationships.txt (valid SCTIDs, payloads
// 101..108). Active is-a links:
//
//	A→R  B→R  C→A  C→B  D→C  E→A  F→E  F→D  G→B  F→C (redundant)
//
// plus an inactive G→E (would put G under E), an inactive R→D (would make a
// cycle) and an active finding-site row B→E (would put B under E if it were
// taken as is-a). R-A-C / R-B-C is a diamond; C and F have several parents.
const (
	cR int64 = 101009
	cA int64 = 102002
	cB int64 = 103007
	cC int64 = 104001
	cD int64 = 105000
	cE int64 = 106004
	cF int64 = 107008
	cG int64 = 108003
)

func loadSmall(t testing.TB) *Hierarchy {
	t.Helper()
	h, st, err := ParseRF2File("testdata/small_relationships.txt")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Stats{Rows: 13, Inactive: 2, OtherType: 1, Edges: 10, Concepts: 8, Release: 20240731}); st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	return h
}

func sorted(ids ...int64) []int64 {
	s := slices.Clone(ids)
	slices.Sort(s)
	return s
}

func TestSmallDescendants(t *testing.T) {
	h := loadSmall(t)
	if h.Len() != 8 || h.Edges() != 10 {
		t.Fatalf("Len %d Edges %d, want 8 10", h.Len(), h.Edges())
	}
	cases := []struct {
		of   int64
		want []int64
	}{
		{cR, sorted(cR, cA, cB, cC, cD, cE, cF, cG)},
		{cA, sorted(cA, cC, cD, cE, cF)},
		{cB, sorted(cB, cC, cD, cF, cG)}, // not E: the finding-site row is not is-a
		{cC, sorted(cC, cD, cF)},
		{cD, sorted(cD, cF)},
		{cE, sorted(cE, cF)}, // not G: G→E is inactive
		{cF, []int64{cF}},
		{cG, []int64{cG}},
	}
	var reuse *ConceptSet
	for _, c := range cases {
		got, err := h.DescendantsOrSelf(c.of)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("<<%d = %v, want %v", c.of, got, c.want)
		}
		s, err := h.DescendantSet(c.of, reuse)
		if err != nil {
			t.Fatal(err)
		}
		reuse = s
		if s.Len() != len(c.want) {
			t.Errorf("<<%d: set Len %d, want %d", c.of, s.Len(), len(c.want))
		}
		for _, x := range []int64{cR, cA, cB, cC, cD, cE, cF, cG} {
			in := slices.Contains(c.want, x)
			i, _ := h.Index(x)
			if s.Contains(i) != in || s.ContainsSCTID(x) != in || h.Contains(c.of, x) != in {
				t.Errorf("<<%d contains %d: want %v", c.of, x, in)
			}
			if ok, err := h.IsA(x, c.of); err != nil || ok != in {
				t.Errorf("IsA(%d, %d) = %v, %v; want %v", x, c.of, ok, err, in)
			}
		}
	}
}

func TestSmallAncestorsParents(t *testing.T) {
	h := loadSmall(t)
	for _, c := range []struct {
		of               int64
		anc, par, childs []int64
	}{
		{cF, sorted(cE, cD, cC, cA, cB, cR), sorted(cE, cD, cC), nil},
		{cG, sorted(cB, cR), []int64{cB}, nil},
		{cC, sorted(cA, cB, cR), sorted(cA, cB), sorted(cD, cF)},
		{cR, nil, nil, sorted(cA, cB)},
	} {
		anc, err := h.Ancestors(c.of)
		if err != nil || !slices.Equal(anc, c.anc) {
			t.Errorf("Ancestors(%d) = %v, %v; want %v", c.of, anc, err, c.anc)
		}
		par, _ := h.Parents(c.of)
		if !slices.Equal(par, c.par) {
			t.Errorf("Parents(%d) = %v, want %v", c.of, par, c.par)
		}
		ch, _ := h.Children(c.of)
		if !slices.Equal(ch, c.childs) {
			t.Errorf("Children(%d) = %v, want %v", c.of, ch, c.childs)
		}
	}
	if r := h.Roots(); !slices.Equal(r, []int64{cR}) {
		t.Errorf("Roots = %v", r)
	}
}

func TestUnknownConcept(t *testing.T) {
	h := loadSmall(t)
	const unknown int64 = 73211009 // valid, but not in this file
	if _, err := h.DescendantsOrSelf(unknown); !errors.Is(err, ErrUnknownConcept) {
		t.Errorf("DescendantsOrSelf: %v", err)
	}
	if _, err := h.DescendantSet(-5, nil); !errors.Is(err, ErrUnknownConcept) {
		t.Errorf("DescendantSet: %v", err)
	}
	if _, err := h.Ancestors(unknown); !errors.Is(err, ErrUnknownConcept) {
		t.Errorf("Ancestors: %v", err)
	}
	if _, err := h.IsA(cA, unknown); !errors.Is(err, ErrUnknownConcept) {
		t.Errorf("IsA: %v", err)
	}
	if _, err := h.Parents(0); !errors.Is(err, ErrUnknownConcept) {
		t.Errorf("Parents: %v", err)
	}
	if i, ok := h.Index(unknown); ok || i != -1 {
		t.Errorf("Index = %d, %v", i, ok)
	}
	s, _ := h.DescendantSet(cR, nil)
	for _, i := range []int32{-1, 8, 64, 1 << 30} {
		if s.Contains(i) {
			t.Errorf("Contains(%d) is true", i)
		}
	}
	if s.ContainsSCTID(unknown) || h.Contains(cR, unknown) || h.Contains(unknown, cR) {
		t.Error("an unknown concept is contained")
	}
	idx := h.AppendIndices(nil, []int64{cA, unknown, cG})
	if idx[1] != -1 || h.SCTID(idx[0]) != cA || h.SCTID(idx[2]) != cG || h.SCTID(-1) != 0 {
		t.Errorf("AppendIndices = %v", idx)
	}
}

// TestCRLFAndOrder: CRLF line ends and another row order give the same
// hierarchy, byte for byte.
func TestCRLFAndOrder(t *testing.T) {
	data, err := os.ReadFile("testdata/small_relationships.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	body := lines[1:]
	slices.Reverse(body)
	crlf := lines[0] + "\r\n" + strings.Join(body, "\r\n") + "\r\n"
	h1 := loadSmall(t)
	h2, _, err := ParseRF2(strings.NewReader(crlf), "crlf.txt")
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := h1.MarshalBinary()
	b2, _ := h2.MarshalBinary()
	if !bytes.Equal(b1, b2) {
		t.Error("CRLF, reordered input builds a different hierarchy")
	}
}

// TestFullRelease: several versions of a relationship id; the latest wins.
func TestFullRelease(t *testing.T) {
	row := func(id, time, active string, src, dst int64, typ int64) string {
		return strings.Join([]string{id, time, active, "900000000000207008", itoa(src), itoa(dst), "0",
			itoa(typ), "900000000000011006", "900000000000451002"}, "\t")
	}
	in := strings.Join([]string{
		headerText(),
		row("2001025", "20200131", "1", cA, cR, IsA),
		row("2002021", "20200131", "1", cB, cR, IsA),
		row("2003027", "20200131", "1", cC, cA, IsA), // C→A, inactivated later
		row("2003027", "20220131", "0", cC, cA, IsA),
		row("2004022", "20220131", "1", cC, cB, IsA), // C→B: inactive first, active later
		row("2004022", "20200131", "0", cC, cB, IsA),
		row("2005023", "20200131", "1", cD, cA, IsA), // D→A, later version has another type
		row("2005023", "20230131", "1", cD, cA, findingSiteID),
		row("2006024", "20230131", "1", cD, cB, IsA),
		row("2007026", "20200131", "1", cE, cA, IsA), // an older non-is-a version does not matter
		row("2007026", "20190131", "1", cE, cA, findingSiteID),
	}, "\n")
	h, st, err := ParseRF2(strings.NewReader(in), "full.txt")
	if err != nil {
		t.Fatal(err)
	}
	if st.Superseded != 4 || st.Release != 20230131 || st.Edges != 5 {
		t.Errorf("stats %+v", st)
	}
	for _, c := range []struct {
		of   int64
		want []int64
	}{
		{cA, sorted(cA, cE)},
		{cB, sorted(cB, cC, cD)},
		{cR, sorted(cR, cA, cB, cC, cD, cE)},
	} {
		got, _ := h.DescendantsOrSelf(c.of)
		if !slices.Equal(got, c.want) {
			t.Errorf("<<%d = %v, want %v", c.of, got, c.want)
		}
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestConceptSetRuns(t *testing.T) {
	h := loadSmall(t)
	for _, of := range []int64{cR, cA, cB, cE, cG} {
		s, _ := h.DescendantSet(of, nil)
		runs := s.AppendRuns(nil)
		var fromRuns []int32
		for _, r := range runs {
			if r.Lo >= r.Hi {
				t.Fatalf("empty run %v", r)
			}
			for i := r.Lo; i < r.Hi; i++ {
				fromRuns = append(fromRuns, i)
			}
		}
		if idx := s.AppendIndices(nil); !slices.Equal(idx, fromRuns) {
			t.Errorf("<<%d: runs %v, indices %v", of, runs, idx)
		}
		if s.Hierarchy() != h || len(s.Words()) != 1 {
			t.Error("Hierarchy/Words")
		}
	}
	// The root's set is the single run [0, 8).
	s, _ := h.DescendantSet(cR, nil)
	if runs := s.AppendRuns(nil); !slices.Equal(runs, []Run{{Lo: 0, Hi: 8}}) {
		t.Errorf("root runs %v", runs)
	}
}
