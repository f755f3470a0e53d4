package concept

import (
	"fmt"
	"slices"
)

// Build makes a hierarchy from is-a edges (Child is-a Parent). Every id must
// be a concept SCTID (IsConceptID); repeated edges count once; the concepts
// are exactly those named by the edges. A cycle is an error naming one
// concept on it (ErrCycle).
func Build(edges []Edge) (*Hierarchy, error) {
	for i, e := range edges {
		if !IsConceptID(e.Child) {
			return nil, fmt.Errorf("concept: edge %d: child %d is not a concept SCTID: %w", i, e.Child, ErrInvalid)
		}
		if !IsConceptID(e.Parent) {
			return nil, fmt.Errorf("concept: edge %d: parent %d is not a concept SCTID: %w", i, e.Parent, ErrInvalid)
		}
	}
	h, cyc, err := BuildCycle(edges)
	if err != nil && cyc >= 0 {
		return nil, fmt.Errorf("concept: edge %d: is-a cycle through concept %d: %w", cyc, edges[cyc].Child, ErrCycle)
	}
	return h, err
}

// BuildCycle does the work of Build on validated ids. On a cycle it returns the
// index of an edge whose child lies on the cycle (the cycle's lowest SCTID),
// and an error; otherwise cyc is -1.
func BuildCycle(edges []Edge) (h *Hierarchy, cyc int, err error) {
	if len(edges) >= 1<<31-1 {
		return nil, -1, fmt.Errorf("concept: %d edges is too many: %w", len(edges), ErrInvalid)
	}
	// Temporary ids: the rank of the SCTID among all concepts, so that
	// "ascending temporary id" is "ascending SCTID" (deterministic order).
	// A radix sort of the endpoints, not a hash map: several times faster.
	keys := make([]uint64, 2*len(edges))
	slots := make([]uint32, 2*len(edges))
	for i, e := range edges {
		keys[2*i], keys[2*i+1] = uint64(e.Child), uint64(e.Parent)
		slots[2*i], slots[2*i+1] = uint32(2*i), uint32(2*i+1)
	}
	SortKeys(keys, slots)
	var ids []int64
	src := make([]int32, len(edges))
	dst := make([]int32, len(edges))
	r := int32(-1)
	for i, k := range keys {
		if i == 0 || k != keys[i-1] {
			ids = append(ids, int64(k))
			r++
		}
		if s := slots[i]; s&1 == 0 {
			src[s>>1] = r
		} else {
			dst[s>>1] = r
		}
	}
	keys, slots = nil, nil
	n := len(ids)

	// Parent lists by temporary id, sorted, without repeats; pEdge keeps the
	// index of the first edge giving each link (for cycle messages).
	pOff, pList, pEdge := parentLists(n, src, dst)
	// Child lists by temporary id, each ascending (so: by SCTID).
	cOff := make([]int32, n+1)
	for _, p := range pList {
		cOff[p+1]++
	}
	for i := 1; i <= n; i++ {
		cOff[i] += cOff[i-1]
	}
	cList := make([]int32, len(pList))
	fill := slices.Clone(cOff[:n])
	for c := range n {
		for _, p := range pList[pOff[c]:pOff[c+1]] {
			cList[fill[p]] = int32(c)
			fill[p]++
		}
	}
	fill = nil

	pre, end, numbered := topoPreorder(n, pOff, cOff, cList)
	if numbered < n {
		return nil, cycleEdge(n, pre, pOff, pList, pEdge, ids), fmt.Errorf("concept: is-a cycle: %w", ErrCycle)
	}

	// Relabel to dense indices.
	h = &Hierarchy{
		sctid:     make([]int64, n),
		end:       make([]int32, n),
		childOff:  make([]int32, n+1),
		child:     make([]int32, len(cList)),
		sortedIDs: ids,
		sortedIdx: pre,
	}
	for t := range n {
		v := pre[t]
		h.sctid[v] = ids[t]
		h.end[v] = end[t]
		h.childOff[v+1] = cOff[t+1] - cOff[t]
	}
	for v := 1; v <= n; v++ {
		h.childOff[v] += h.childOff[v-1]
	}
	for t := range n {
		v := pre[t]
		out := h.child[h.childOff[v]:h.childOff[v+1]]
		for i, c := range cList[cOff[t]:cOff[t+1]] {
			out[i] = pre[c]
		}
		slices.Sort(out)
	}
	h.derive()
	return h, -1, nil
}

// parentLists groups the links by child into sorted, repeat-free lists.
func parentLists(n int, src, dst []int32) (off, list, edge []int32) {
	off = make([]int32, n+1)
	for _, s := range src {
		off[s+1]++
	}
	for i := 1; i <= n; i++ {
		off[i] += off[i-1]
	}
	list = make([]int32, len(src))
	edge = make([]int32, len(src))
	fill := slices.Clone(off[:n])
	for i, s := range src {
		list[fill[s]] = dst[i]
		edge[fill[s]] = int32(i)
		fill[s]++
	}
	// Sort each list (they are short) and drop repeats, compacting in place.
	w := int32(0)
	for c := range n {
		lo, hi := off[c], off[c+1]
		l, e := list[lo:hi], edge[lo:hi]
		if len(l) > 1 {
			sortPairs(l, e)
		}
		off[c] = w
		for i := range l {
			if i > 0 && l[i] == l[i-1] {
				continue
			}
			list[w], edge[w] = l[i], e[i]
			w++
		}
	}
	off[n] = w
	return off, list[:w], edge[:w]
}

// sortPairs sorts keys ascending, carrying vals along (insertion sort: the
// lists are a few entries long; ties keep the earlier edge first).
func sortPairs(keys, vals []int32) {
	for i := 1; i < len(keys); i++ {
		k, v := keys[i], vals[i]
		j := i
		for j > 0 && keys[j-1] > k {
			keys[j], vals[j] = keys[j-1], vals[j-1]
			j--
		}
		keys[j], vals[j] = k, v
	}
}

// topoPreorder walks the DAG depth-first from its roots (ascending), entering
// a concept only once all of its parents have been entered. It returns each
// concept's pre-order number, the end of its spanning-tree interval, and how
// many concepts were numbered (fewer than n when there is a cycle; the rest
// have pre = -1).
func topoPreorder(n int, pOff, cOff, cList []int32) (pre, end []int32, numbered int) {
	pre = make([]int32, n)
	end = make([]int32, n)
	remaining := make([]int32, n)
	for v := range n {
		pre[v] = -1
		remaining[v] = pOff[v+1] - pOff[v]
	}
	type frame struct{ v, cur int32 }
	var stack []frame
	counter := int32(0)
	for r := range n {
		if remaining[r] != 0 || pre[r] >= 0 {
			continue
		}
		pre[r] = counter
		counter++
		stack = append(stack[:0], frame{int32(r), cOff[r]})
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.cur < cOff[top.v+1] {
				c := cList[top.cur]
				top.cur++
				if remaining[c]--; remaining[c] == 0 {
					pre[c] = counter
					counter++
					stack = append(stack, frame{c, cOff[c]})
				}
				continue
			}
			end[top.v] = counter
			stack = stack[:len(stack)-1]
		}
	}
	return pre, end, int(counter)
}

// cycleEdge finds a cycle among the concepts the walk could not number (each
// has an unnumbered parent, so following those parents must loop) and
// returns the edge leaving the cycle's lowest SCTID along the cycle.
func cycleEdge(n int, pre, pOff, pList, pEdge []int32, ids []int64) int {
	next := func(v int32) (int32, int32) { // first unnumbered parent, and its edge
		for k := pOff[v]; k < pOff[v+1]; k++ {
			if pre[pList[k]] < 0 {
				return pList[k], pEdge[k]
			}
		}
		return -1, -1
	}
	start := int32(-1)
	for v := range n {
		if pre[v] < 0 {
			start = int32(v)
			break
		}
	}
	seen := make(map[int32]bool)
	v := start
	for !seen[v] {
		seen[v] = true
		v, _ = next(v)
	}
	// v is on the cycle: go round it once, keeping the lowest SCTID.
	best, bestEdge := v, int32(-1)
	u := v
	for {
		w, e := next(u)
		if ids[u] <= ids[best] {
			best, bestEdge = u, e
		}
		u = w
		if u == v {
			break
		}
	}
	return int(bestEdge)
}
