package concept

import "slices"

// Verify checks that the hierarchy's arrays describe one consistent acyclic
// hierarchy, beyond the bounds UnmarshalBinary checks: every SCTID is a
// concept id with a valid check digit; sortedIDs, sortedIdx and rank agree
// (a permutation); child lists ascend and every child comes after its parent
// (acyclic); the spanning-tree intervals nest, each inside its tree parent's
// and linked to it by an is-a link, with roots at the top, so that every
// interval is a set of descendants; and the parent lists and cross links are
// exactly those the child lists imply. It takes about as long as building
// the derived arrays (tens of milliseconds for a full release); an error
// wraps ErrCorrupt.
func (h *Hierarchy) Verify() error {
	if err := h.checkBounds(); err != nil {
		return err
	}
	n := int32(len(h.sctid))
	for i, id := range h.sctid {
		if !IsConceptID(id) {
			return corrupt("concept %d: %d is not a concept SCTID", i, id)
		}
	}
	for i, v := range h.sortedIdx {
		if h.sctid[v] != h.sortedIDs[i] || h.rank[v] != int32(i) {
			return corrupt("sorted index %d disagrees with the concepts or their ranks", i)
		}
	}
	hasParent := make([]bool, n)
	for v := range n {
		prev := v
		for _, c := range h.child[h.childOff[v]:h.childOff[v+1]] {
			if c <= prev {
				return corrupt("concept %d: children not ascending after their parent", v)
			}
			prev = c
			hasParent[c] = true
		}
	}
	var stack []int32
	for u := range n {
		for len(stack) > 0 && h.end[stack[len(stack)-1]] <= u {
			stack = stack[:len(stack)-1]
		}
		if len(stack) == 0 {
			if hasParent[u] {
				return corrupt("concept %d: has parents but starts a top-level interval", u)
			}
		} else {
			tp := stack[len(stack)-1]
			if h.end[u] > h.end[tp] {
				return corrupt("concept %d: interval not nested in its tree parent's", u)
			}
			if _, ok := slices.BinarySearch(h.child[h.childOff[tp]:h.childOff[tp+1]], u); !ok {
				return corrupt("concept %d: not a child of its tree parent %d", u, tp)
			}
		}
		stack = append(stack, u)
	}
	d := &Hierarchy{sctid: h.sctid, sortedIDs: h.sortedIDs, sortedIdx: h.sortedIdx,
		end: h.end, childOff: h.childOff, child: h.child}
	d.derive()
	if !slices.Equal(d.parentOff, h.parentOff) || !slices.Equal(d.parent, h.parent) {
		return corrupt("parent lists are not the child lists inverted")
	}
	if !slices.Equal(d.crossOff, h.crossOff) || !slices.Equal(d.crossDst, h.crossDst) {
		return corrupt("cross links are not those the child lists and intervals imply")
	}
	return nil
}
