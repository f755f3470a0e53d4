package concept

import "math/bits"

// ConceptSet is a set of concepts of one Hierarchy as a flat bitset over
// dense indices: Contains is one bit test, whatever the set's size (a full
// SNOMED CT release needs ~44 KiB, which stays in cache while a scan of
// condition rows tests each row's code). Bit i of Words()[i/64] is dense
// index i. A ConceptSet is not safe for concurrent modification; reuse one
// per goroutine by passing it back to DescendantSet.
type ConceptSet struct {
	h     *Hierarchy
	words []uint64
	count int
	stack []int32 // scratch for the closure walk
}

// Contains reports whether dense index i is in the set (false for any i
// outside [0, Len()) of the hierarchy, such as -1 for an unknown code).
func (s *ConceptSet) Contains(i int32) bool {
	u := uint32(i)
	if int(u>>6) >= len(s.words) {
		return false
	}
	return s.words[u>>6]&(1<<(u&63)) != 0
}

// ContainsSCTID reports whether the concept is in the set (false for a concept
// the hierarchy does not have). It costs a binary search: in a scan, turn
// codes into dense indices first.
func (s *ConceptSet) ContainsSCTID(sctid int64) bool {
	if s.h == nil {
		return false
	}
	i, ok := s.h.Index(sctid)
	return ok && s.Contains(i)
}

// Len returns the number of concepts in the set.
func (s *ConceptSet) Len() int { return s.count }

// Words returns the bitset, read-only: bit i%64 of word i/64 is dense index i.
// It has (Hierarchy.Len()+63)/64 words.
func (s *ConceptSet) Words() []uint64 { return s.words }

// Hierarchy returns the hierarchy whose dense indices the set uses.
func (s *ConceptSet) Hierarchy() *Hierarchy { return s.h }

// Run is a half-open range [Lo, Hi) of dense indices.
type Run struct{ Lo, Hi int32 }

// AppendRuns appends the set as maximal runs of consecutive dense indices,
// ascending. Descendant sets are few runs (dense indices number subtrees
// contiguously), so this is the compact form to hand to a run-length or
// roaring bitmap (AddRange).
func (s *ConceptSet) AppendRuns(dst []Run) []Run {
	n := int32(len(s.words) * 64)
	i := int32(0)
	for {
		lo := s.nextBit(i, false)
		if lo >= n {
			return dst
		}
		hi := s.nextBit(lo, true)
		dst = append(dst, Run{lo, hi})
		i = hi
	}
}

// nextBit returns the first index >= i whose bit is set (or clear, if clear).
func (s *ConceptSet) nextBit(i int32, clear bool) int32 {
	w := int(i >> 6)
	if w >= len(s.words) {
		return int32(len(s.words) * 64)
	}
	x := s.words[w]
	if clear {
		x = ^x
	}
	x &= ^uint64(0) << (uint(i) & 63)
	for x == 0 {
		w++
		if w >= len(s.words) {
			return int32(len(s.words) * 64)
		}
		x = s.words[w]
		if clear {
			x = ^x
		}
	}
	return int32(w*64 + bits.TrailingZeros64(x))
}

// AppendIndices appends the dense indices in the set, ascending.
func (s *ConceptSet) AppendIndices(dst []int32) []int32 {
	for w, x := range s.words {
		for x != 0 {
			dst = append(dst, int32(w*64+bits.TrailingZeros64(x)))
			x &= x - 1
		}
	}
	return dst
}

// SCTIDs returns the concepts in the set, ascending by SCTID. No sort: each
// member marks its SCTID's rank in a bitset, which is then read in order.
func (s *ConceptSet) SCTIDs() []int64 {
	h := s.h
	out := make([]int64, 0, s.count)
	marks := make([]uint64, len(s.words))
	for w, x := range s.words {
		for x != 0 {
			r := h.rank[w*64+bits.TrailingZeros64(x)]
			marks[r>>6] |= 1 << (uint32(r) & 63)
			x &= x - 1
		}
	}
	for w, x := range marks {
		for x != 0 {
			out = append(out, h.sortedIDs[w*64+bits.TrailingZeros64(x)])
			x &= x - 1
		}
	}
	return out
}

func (s *ConceptSet) reset(h *Hierarchy) {
	nw := (len(h.sctid) + 63) / 64
	if s.h != h || len(s.words) != nw {
		s.words = make([]uint64, nw)
	} else {
		clear(s.words)
	}
	s.h = h
	s.count = 0
}

// fill adds [lo, hi).
func (s *ConceptSet) fill(lo, hi int32) {
	if lo >= hi {
		return
	}
	a, b := lo>>6, (hi-1)>>6
	first := ^uint64(0) << (uint(lo) & 63)
	last := ^uint64(0) >> (63 - (uint(hi-1) & 63))
	if a == b {
		s.words[a] |= first & last
		return
	}
	s.words[a] |= first
	for w := a + 1; w < b; w++ {
		s.words[w] = ^uint64(0)
	}
	s.words[b] |= last
}

func (s *ConceptSet) has(i int32) bool { return s.words[i>>6]&(1<<(uint32(i)&63)) != 0 }

// DescendantSet returns <<sctid: the concept and all its descendants, as a
// set over dense indices. reuse, if not nil, is overwritten and returned
// (no allocation when it was last used with this hierarchy).
func (h *Hierarchy) DescendantSet(sctid int64, reuse *ConceptSet) (*ConceptSet, error) {
	v, err := h.index(sctid)
	if err != nil {
		return nil, err
	}
	return h.DescendantSetOf(v, reuse), nil
}

// DescendantSetOf is DescendantSet for a dense index; it panics if i is out of
// range.
func (h *Hierarchy) DescendantSetOf(i int32, reuse *ConceptSet) *ConceptSet {
	s := reuse
	if s == nil {
		s = new(ConceptSet)
	}
	s.reset(h)
	h.closure(i, s)
	n := 0
	for _, w := range s.words {
		n += bits.OnesCount64(w)
	}
	s.count = n
	return s
}

// closure adds the descendants-or-self of x to s. A concept's spanning-tree
// interval is all descendants, so it is filled in one go; the only links to
// follow are the cross links leaving the interval (grouped by source, so
// those of a whole interval are one slice).
func (h *Hierarchy) closure(x int32, s *ConceptSet) {
	if h.end[x]-x == int32(len(h.sctid)) { // the root of everything
		s.fill(0, h.end[x])
		return
	}
	stack := append(s.stack[:0], x)
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s.has(v) {
			continue
		}
		e := h.end[v]
		s.fill(v, e)
		for _, c := range h.crossDst[h.crossOff[v]:h.crossOff[e]] {
			if !s.has(c) {
				stack = append(stack, c)
			}
		}
	}
	s.stack = stack
}

// DescendantsOrSelf returns <<sctid: the concept and all its descendants,
// ascending by SCTID. For membership tests use DescendantSet.
func (h *Hierarchy) DescendantsOrSelf(sctid int64) ([]int64, error) {
	s, err := h.DescendantSet(sctid, nil)
	if err != nil {
		return nil, err
	}
	return s.SCTIDs(), nil
}

// Contains reports whether code is in <<ancestor, i.e. IsA(code, ancestor),
// with false for unknown concepts. For many codes against one ancestor, build
// the set once with DescendantSet.
func (h *Hierarchy) Contains(ancestor, code int64) bool {
	a, ok := h.Index(ancestor)
	if !ok {
		return false
	}
	c, ok := h.Index(code)
	return ok && h.isA(c, a)
}
