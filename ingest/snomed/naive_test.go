package snomed

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// naive is the slow reference: maps and breadth-first search.
type naive struct {
	children, parents map[int64][]int64
	ids               []int64
}

func newNaive(edges []Edge) *naive {
	nv := &naive{children: map[int64][]int64{}, parents: map[int64][]int64{}}
	seen := map[int64]bool{}
	for _, e := range edges {
		nv.children[e.Parent] = append(nv.children[e.Parent], e.Child)
		nv.parents[e.Child] = append(nv.parents[e.Child], e.Parent)
		for _, id := range []int64{e.Child, e.Parent} {
			if !seen[id] {
				seen[id] = true
				nv.ids = append(nv.ids, id)
			}
		}
	}
	slices.Sort(nv.ids)
	return nv
}

func bfs(start int64, next map[int64][]int64, self bool) []int64 {
	seen := map[int64]bool{start: true}
	queue := []int64{start}
	var out []int64
	if self {
		out = append(out, start)
	}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range next[v] {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
				queue = append(queue, w)
			}
		}
	}
	slices.Sort(out)
	return out
}

// randomDAG makes n concepts with random SCTIDs in a random topological
// order; each gets 0 to maxParents parents among the earlier ones (0: another
// root), with some repeated links.
func randomDAG(rng *rand.Rand, n, maxParents int) []Edge {
	ids := make([]int64, 0, n)
	seen := map[int64]bool{}
	for len(ids) < n {
		id, ok := MakeSCTID(1000+rng.Int64N(1e6), PartConcept)
		if ok && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	var edges []Edge
	for i := 1; i < n; i++ {
		k := rng.IntN(maxParents + 1)
		if k == 0 && rng.IntN(4) != 0 {
			k = 1 // mostly one root
		}
		for range k {
			edges = append(edges, Edge{Child: ids[i], Parent: ids[rng.IntN(i)]})
		}
		if len(edges) > 0 && rng.IntN(10) == 0 {
			edges = append(edges, edges[rng.IntN(len(edges))]) // repeat a link
		}
	}
	rng.Shuffle(len(edges), func(a, b int) { edges[a], edges[b] = edges[b], edges[a] })
	return edges
}

// checkAgainstNaive compares every query of h with the naive reference.
func checkAgainstNaive(t *testing.T, h *Hierarchy, edges []Edge, rng *rand.Rand) {
	t.Helper()
	nv := newNaive(edges)
	if h.Len() != len(nv.ids) {
		t.Fatalf("Len %d, want %d", h.Len(), len(nv.ids))
	}
	var reuse *ConceptSet
	for _, id := range nv.ids {
		want := bfs(id, nv.children, true)
		got, err := h.DescendantsOrSelf(id)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("<<%d = %v (%v), want %v", id, got, err, want)
		}
		s, _ := h.DescendantSet(id, reuse)
		reuse = s
		if s.Len() != len(want) {
			t.Fatalf("<<%d: set Len %d, want %d", id, s.Len(), len(want))
		}
		if anc, _ := h.Ancestors(id); !slices.Equal(anc, bfs(id, nv.parents, false)) {
			t.Fatalf("Ancestors(%d) = %v, want %v", id, anc, bfs(id, nv.parents, false))
		}
		for range 8 {
			other := nv.ids[rng.IntN(len(nv.ids))]
			_, in := slices.BinarySearch(want, other)
			i, _ := h.Index(other)
			if s.Contains(i) != in {
				t.Fatalf("<<%d contains %d: want %v", id, other, in)
			}
			if isa, _ := h.IsA(other, id); isa != in {
				t.Fatalf("IsA(%d, %d) = %v, want %v", other, id, isa, in)
			}
		}
	}
}

// TestAgainstNaive: the interval-and-cross-link closure, the pruned IsA and
// the ancestor walk agree with breadth-first search on maps, on random DAGs
// of several shapes, before and after a binary round trip.
func TestAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 60 {
		n := 2 + rng.IntN(300)
		var edges []Edge
		switch trial % 3 {
		case 0:
			edges = randomDAG(rng, n, 1) // forests
		case 1:
			edges = randomDAG(rng, n, 4) // many parents
		default:
			edges = SyntheticEdges(n, int64(trial))
		}
		h, err := Build(edges)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstNaive(t, h, edges, rng)
		if err := h.Verify(); err != nil {
			t.Fatal(err)
		}
		data, _ := h.MarshalBinary()
		h2, err := ReadHierarchy(data)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstNaive(t, h2, edges, rng)
	}
}

// TestSyntheticRF2: the generated snapshot parses to exactly SyntheticEdges
// (its inactive and finding-site rows are noise), deterministically.
func TestSyntheticRF2(t *testing.T) {
	const n = 3000
	data := Synthetic(n, 7)
	if !slices.Equal(data, Synthetic(n, 7)) {
		t.Fatal("Synthetic is not deterministic")
	}
	h, st, err := ParseRF2(bytes.NewReader(data), "synthetic.txt")
	if err != nil {
		t.Fatal(err)
	}
	edges := SyntheticEdges(n, 7)
	if h.Len() != n || st.Edges != len(edges) || st.Inactive != n/20 || st.OtherType != n/10 {
		t.Errorf("Len %d, stats %+v; want %d concepts, %d edges", h.Len(), st, n, len(edges))
	}
	if r := h.Roots(); !slices.Equal(r, []int64{Root}) {
		t.Errorf("roots %v", r)
	}
	checkAgainstNaive(t, h, edges, rand.New(rand.NewPCG(3, 4)))
	// Depth and shape are SNOMED-like.
	multi := 0
	for _, id := range newNaive(edges).ids {
		if p, _ := h.Parents(id); len(p) > 1 {
			multi++
		}
	}
	if multi < n/5 || multi > n/2 {
		t.Errorf("%d of %d concepts with several parents", multi, n)
	}
}
