package concept

import (
	"fmt"
	"slices"
	"sort"
	"sync"
)

// Hierarchy is the is-a DAG of a SNOMED CT release over dense concept
// indices (see the package doc). It is immutable; make one with ParseRF2,
// Build or UnmarshalBinary.
type Hierarchy struct {
	sctid     []int64 // dense index → SCTID
	sortedIDs []int64 // SCTIDs ascending
	sortedIdx []int32 // dense index of sortedIDs[i]
	rank      []int32 // dense index → position of its SCTID in sortedIDs
	end       []int32 // spanning-tree interval of i is [i, end[i])
	childOff  []int32 // CSR offsets into child, len n+1
	child     []int32 // children of each concept, ascending
	parentOff []int32 // CSR offsets into parent, len n+1
	parent    []int32 // parents of each concept, ascending
	crossOff  []int32 // len n+1: cross links with source in [a, b) are crossDst[crossOff[a]:crossOff[b]]
	crossDst  []int32 // targets of the is-a links that leave their parent's interval, grouped by parent
	release   int32   // latest effectiveTime read (YYYYMMDD), 0 if unknown

	scratch *sync.Pool // of *visited
}

// derive computes, from sctid, sortedIDs, sortedIdx, end and the child
// lists, the arrays that build does not make directly: the parent lists, the
// cross links and rank.
func (h *Hierarchy) derive() {
	n := len(h.sctid)
	h.parentOff = make([]int32, n+1)
	for _, c := range h.child {
		h.parentOff[c+1]++
	}
	for i := 1; i <= n; i++ {
		h.parentOff[i] += h.parentOff[i-1]
	}
	h.parent = make([]int32, len(h.child))
	fill := slices.Clone(h.parentOff[:n])
	h.crossOff = make([]int32, n+1)
	ncross := 0
	for v := range n {
		for _, c := range h.child[h.childOff[v]:h.childOff[v+1]] {
			h.parent[fill[c]] = int32(v) // v ascending: parent lists come out sorted
			fill[c]++
			if c >= h.end[v] {
				ncross++
			}
		}
	}
	h.crossDst = make([]int32, 0, ncross)
	for v := range n {
		h.crossOff[v] = int32(len(h.crossDst))
		for _, c := range h.child[h.childOff[v]:h.childOff[v+1]] {
			if c >= h.end[v] {
				h.crossDst = append(h.crossDst, c)
			}
		}
	}
	h.crossOff[n] = int32(len(h.crossDst))
	h.rank = make([]int32, n)
	for i, v := range h.sortedIdx {
		h.rank[v] = int32(i)
	}
	h.initScratch()
}

func (h *Hierarchy) initScratch() {
	nw := (len(h.sctid) + 63) / 64
	h.scratch = &sync.Pool{New: func() any { return &visited{bits: make([]uint64, nw)} }}
}

// visited is a reusable set of dense indices for the upward walks: it clears
// only the words it touched, so a walk costs its own size, not Len()/64.
type visited struct {
	bits    []uint64
	touched []int32
	stack   []int32
}

// add marks v and reports whether it was new.
func (s *visited) add(v int32) bool {
	w, b := v>>6, uint64(1)<<(uint32(v)&63)
	x := s.bits[w]
	if x&b != 0 {
		return false
	}
	if x == 0 {
		s.touched = append(s.touched, w)
	}
	s.bits[w] = x | b
	return true
}

func (h *Hierarchy) getVisited() *visited { return h.scratch.Get().(*visited) }

func (h *Hierarchy) putVisited(s *visited) {
	for _, w := range s.touched {
		s.bits[w] = 0
	}
	s.touched, s.stack = s.touched[:0], s.stack[:0]
	h.scratch.Put(s)
}

// Len returns the number of concepts.
func (h *Hierarchy) Len() int { return len(h.sctid) }

// Edges returns the number of distinct is-a links.
func (h *Hierarchy) Edges() int { return len(h.child) }

// Release returns the latest effectiveTime of the RF2 rows the hierarchy was
// read from (YYYYMMDD), or 0 when it was built from edges.
func (h *Hierarchy) Release() int { return int(h.release) }

// SetRelease records the release date (YYYYMMDD) the hierarchy was read
// from; readers call it once, before sharing the hierarchy.
func (h *Hierarchy) SetRelease(yyyymmdd int) { h.release = int32(yyyymmdd) }

// Index returns the dense index of a concept, and false if the hierarchy does
// not have it. It is a binary search over the sorted SCTIDs (no allocation);
// callers translating many codes should do it once, at ingest.
func (h *Hierarchy) Index(sctid int64) (int32, bool) {
	i, ok := slices.BinarySearch(h.sortedIDs, sctid)
	if !ok {
		return -1, false
	}
	return h.sortedIdx[i], true
}

// AppendIndices appends the dense index of each code to dst, -1 for a code
// the hierarchy does not have (ConceptSet.Contains(-1) is false).
func (h *Hierarchy) AppendIndices(dst []int32, codes []int64) []int32 {
	for _, c := range codes {
		i, _ := h.Index(c)
		dst = append(dst, i)
	}
	return dst
}

// SCTID returns the concept at dense index i, or 0 if i is out of range.
func (h *Hierarchy) SCTID(i int32) int64 {
	if uint32(i) >= uint32(len(h.sctid)) {
		return 0
	}
	return h.sctid[i]
}

// Has reports whether the hierarchy has the concept.
func (h *Hierarchy) Has(sctid int64) bool {
	_, ok := h.Index(sctid)
	return ok
}

func (h *Hierarchy) index(sctid int64) (int32, error) {
	i, ok := h.Index(sctid)
	if !ok {
		return -1, fmt.Errorf("concept: concept %d: %w", sctid, ErrUnknownConcept)
	}
	return i, nil
}

// Roots returns the concepts without parents, ascending (138875005 alone in a
// full release).
func (h *Hierarchy) Roots() []int64 {
	var out []int64
	for v := range h.sctid {
		if h.parentOff[v] == h.parentOff[v+1] {
			out = append(out, h.sctid[v])
		}
	}
	slices.Sort(out)
	return out
}

// Parents returns the direct parents of a concept, ascending by SCTID.
func (h *Hierarchy) Parents(sctid int64) ([]int64, error) {
	v, err := h.index(sctid)
	if err != nil {
		return nil, err
	}
	return h.sortedSCTIDs(h.parent[h.parentOff[v]:h.parentOff[v+1]]), nil
}

// Children returns the direct children of a concept, ascending by SCTID.
func (h *Hierarchy) Children(sctid int64) ([]int64, error) {
	v, err := h.index(sctid)
	if err != nil {
		return nil, err
	}
	return h.sortedSCTIDs(h.child[h.childOff[v]:h.childOff[v+1]]), nil
}

func (h *Hierarchy) sortedSCTIDs(idx []int32) []int64 {
	out := make([]int64, len(idx))
	for i, v := range idx {
		out[i] = h.sctid[v]
	}
	slices.Sort(out)
	return out
}

// Ancestors returns every proper ancestor of a concept (not the concept
// itself), ascending by SCTID.
func (h *Hierarchy) Ancestors(sctid int64) ([]int64, error) {
	v, err := h.index(sctid)
	if err != nil {
		return nil, err
	}
	return h.sortedSCTIDs(h.ancestors(v)), nil
}

// ancestors returns the dense indices of v's proper ancestors, unordered.
func (h *Hierarchy) ancestors(v int32) []int32 {
	var out []int32
	seen := h.getVisited()
	defer h.putVisited(seen)
	stack := append(seen.stack, v)
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, p := range h.parent[h.parentOff[u]:h.parentOff[u+1]] {
			if seen.add(p) {
				out = append(out, p)
				stack = append(stack, p)
			}
		}
	}
	seen.stack = stack
	return out
}

// IsA reports whether concept a is-a concept b: a == b or a is a descendant
// of b (SNOMED CT subsumption, so IsA(a, b) is a ∈ <<b).
func (h *Hierarchy) IsA(a, b int64) (bool, error) {
	ia, err := h.index(a)
	if err != nil {
		return false, err
	}
	ib, err := h.index(b)
	if err != nil {
		return false, err
	}
	return h.isA(ia, ib), nil
}

// isA: every concept on an upward path from a to b is a descendant-or-self of
// b, so its index is at least b's (topological order): parents below b are
// pruned, and a parent inside b's interval answers at once.
func (h *Hierarchy) isA(a, b int32) bool {
	lo, hi := b, h.end[b]
	if a < lo {
		return false
	}
	if a < hi {
		return true
	}
	seen := h.getVisited()
	defer h.putVisited(seen)
	stack := append(seen.stack, a)
	defer func() { seen.stack = stack }()
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		ps := h.parent[h.parentOff[u]:h.parentOff[u+1]]
		// ps is ascending: skip the parents below b.
		for _, p := range ps[sort.Search(len(ps), func(i int) bool { return ps[i] >= lo }):] {
			if p < hi {
				return true
			}
			if seen.add(p) {
				stack = append(stack, p)
			}
		}
	}
	return false
}
