package bam

import (
	"encoding/binary"
)

// sweep turns the aligned blocks of coordinate-sorted reads on one contig
// into depth runs. Each block [s, e) (0-based, half-open) is a +1 event at
// s and a −1 event at e. Reads arrive sorted by start, so before a read at
// p every position < p is final: advance(p) emits the runs up to p from
// the pending events, a min-heap keyed by position. Cost: O(log k) per
// block (k = pending events, about the depth), O(1) per run, no per-base
// array.
type sweep struct {
	length uint32 // contig length
	cur    uint32 // positions < cur are emitted
	depth  int64  // depth at cur, counting the events at positions <= cur
	heap   []uint64

	ends, depths []uint32 // the runs so far (ends 1-based inclusive)
}

func (w *sweep) reset(length uint32) {
	w.length, w.cur, w.depth = length, 0, 0
	w.heap = w.heap[:0]
	w.ends, w.depths = nil, nil
}

// Events are heap keys: position << 1 | 1 for +1, position << 1 for −1.
func evStart(pos int64) uint64 { return uint64(pos)<<1 | 1 }
func evEnd(pos int64) uint64   { return uint64(pos) << 1 }

// emit appends positions [w.cur, to) at the current depth.
func (w *sweep) emit(to uint32) {
	if to <= w.cur {
		return
	}
	d := uint32(w.depth)
	if n := len(w.depths); n > 0 && w.depths[n-1] == d {
		w.ends[n-1] = to
	} else {
		w.ends = append(w.ends, to)
		w.depths = append(w.depths, d)
	}
	w.cur = to
}

// advance emits every position below to (to <= length) and applies the
// pending events at positions <= to.
func (w *sweep) advance(to uint32) {
	for len(w.heap) > 0 {
		top := w.heap[0]
		p := top >> 1
		if p > uint64(to) {
			break
		}
		w.emit(uint32(p))
		if top&1 != 0 {
			w.depth++
		} else {
			w.depth--
		}
		w.pop()
	}
	w.emit(to)
}

// finish emits the rest of the contig and returns its runs. Events past
// the contig end (reads hanging over it) are dropped.
func (w *sweep) finish() (ends, depths []uint32) {
	w.advance(w.length)
	return w.ends, w.depths
}

// block adds an aligned block [s, e) with s >= w.cur.
func (w *sweep) block(s, e int64) {
	if s >= e || s >= int64(w.length) {
		return
	}
	if s == int64(w.cur) {
		w.depth++
	} else {
		w.push(evStart(s))
	}
	if e < int64(w.length) {
		w.push(evEnd(e))
	}
}

func (w *sweep) push(k uint64) {
	h := append(w.heap, k)
	i := len(h) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if h[parent] <= k {
			break
		}
		h[i] = h[parent]
		i = parent
	}
	h[i] = k
	w.heap = h
}

func (w *sweep) pop() {
	h := w.heap
	n := len(h) - 1
	k := h[n]
	h = h[:n]
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && h[c+1] < h[c] {
			c++
		}
		if k <= h[c] {
			break
		}
		h[i] = h[c]
		i = c
	}
	if n > 0 {
		h[i] = k
	}
	w.heap = h
}

// addRead adds the aligned blocks of a read at pos (pos >= w.cur, after
// advance(pos)): M, = and X cover the reference; D and N advance over it
// without covering (samtools depth without -J); I, S, H and P do not
// advance. Adjacent blocks (across an insertion, say) merge. With
// minBaseQ > 0, bases whose quality is below it are not counted; bases
// beyond the stored sequence (SEQ "*") always are, as in samtools.
func (w *sweep) addRead(pos int64, cigar, qual []byte, minBaseQ int) {
	ref := pos      // reference position of the next op
	bs := int64(-1) // start of the open block, -1 when none
	spos := 0       // query position
	for i := 0; i < len(cigar); i += 4 {
		c := binary.LittleEndian.Uint32(cigar[i:])
		op, n := c&0xf, int64(c>>4)
		switch op {
		case opM, opEq, opX:
			k := int64(0)
			if minBaseQ > 0 {
				// Base by base while there are qualities (at most the
				// sequence length in all).
				for ; k < n && spos < len(qual); k++ {
					ok := int(qual[spos]) >= minBaseQ
					if ok && bs < 0 {
						bs = ref
					} else if !ok && bs >= 0 {
						w.block(bs, ref)
						bs = -1
					}
					ref++
					spos++
				}
			}
			if k < n {
				if bs < 0 {
					bs = ref
				}
				ref += n - k
				spos += int(n - k)
			}
		case opD, opN:
			if bs >= 0 {
				w.block(bs, ref)
				bs = -1
			}
			ref += n
		case opI, opS:
			spos += int(n)
		}
	}
	if bs >= 0 {
		w.block(bs, ref)
	}
}
