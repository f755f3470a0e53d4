package geno

import (
	"encoding/binary"
	"math/bits"
)

// A sample set field (F, S, M, Mlo) is a uvarint header h then either
//   - h = 2n: a list of n sample indices, each as the uvarint gap
//     index - previous - 1 (previous starts at -1), strictly increasing;
//   - h = 1: a bitmap of ceil(nSamples/64) little-endian 64-bit words, bit
//     i%64 of word i/64 for sample i, bits at or beyond nSamples zero.

// Version 2 rows write a list as h = 2n, then (n > 0) a uvarint L, the
// list's length in bytes, then the L bytes of gaps.

// sampleSet is a parsed set field: a view of its bytes.
type sampleSet struct {
	data []byte // list: the gap uvarints; bitmap: 8*words bytes
	n    int    // list: number of members; bitmap: -1
	lim  int    // the row's sample count: members at or above it are not read
	// checked: the list's members were validated (version 1 rows at
	// Reset; version 2 rows by Decode's checkLists).
	checked bool
}

func (s *sampleSet) bitmap() bool { return s.n < 0 }

// empty reports whether the set is a list with no member (a bitmap is
// never reported empty; callers use it to reject fields that must be).
func (s *sampleSet) empty() bool { return s.n == 0 }

// parseSet parses a set field from the start of b and returns the rest.
func parseSet(b []byte, nSamples, words int, s *sampleSet) ([]byte, error) {
	h, k := uvarint(b)
	if k <= 0 {
		return nil, corrupt("truncated set header")
	}
	b = b[k:]
	if h == 1 {
		need := 8 * words
		if len(b) < need {
			return nil, corrupt("truncated bitmap")
		}
		s.data, s.n = b[:need:need], -1
		if words > 0 && le64(b[need-8:])&^tailMask(nSamples) != 0 {
			return nil, corrupt("bitmap bits beyond the last sample")
		}
		return b[need:], nil
	}
	if h&1 != 0 {
		return nil, corrupt("bad set header %d", h)
	}
	n := h >> 1
	if n > uint64(nSamples) {
		return nil, corrupt("set of %d members over %d samples", n, nSamples)
	}
	start, prev := b, -1
	for range n {
		// Gaps are mostly one or two bytes: decode those inline.
		var g uint64
		switch {
		case len(b) > 0 && b[0] < 0x80:
			g, b = uint64(b[0]), b[1:]
		case len(b) > 1 && b[1] < 0x80:
			g, b = uint64(b[0]&0x7f)|uint64(b[1])<<7, b[2:]
		default:
			v, k := uvarintSlow(b)
			if k <= 0 {
				return nil, corrupt("truncated set list")
			}
			g, b = v, b[k:]
		}
		if g >= uint64(nSamples-prev-1) {
			return nil, corrupt("set member out of range")
		}
		prev += int(g) + 1
	}
	s.data, s.n, s.lim, s.checked = start[:len(start)-len(b):len(start)-len(b)], int(n), nSamples, true
	return b, nil
}

// parseSet2 parses a version 2 set field from the start of b and returns
// the rest, without reading a list's members (checkList does, for Decode).
func parseSet2(b []byte, nSamples, words int, s *sampleSet) ([]byte, error) {
	h, k := uvarint(b)
	if k <= 0 {
		return nil, corrupt("truncated set header")
	}
	if h == 1 || h == 0 {
		return parseSet(b, nSamples, words, s)
	}
	b = b[k:]
	if h&1 != 0 {
		return nil, corrupt("bad set header %d", h)
	}
	n := h >> 1
	if n > uint64(nSamples) {
		return nil, corrupt("set of %d members over %d samples", n, nSamples)
	}
	l, k := uvarint(b)
	if k <= 0 || l < n || l > 10*n || l > uint64(len(b)-k) {
		return nil, corrupt("bad set list length")
	}
	b = b[k:]
	s.data, s.n, s.lim, s.checked = b[:l:l], int(n), nSamples, false
	return b[l:], nil
}

// checkList validates a version 2 list as parseSet does a version 1 one:
// exactly n gaps filling its bytes, every member below the sample count.
func (s *sampleSet) checkList() error {
	if s.bitmap() || s.checked {
		return nil
	}
	d, prev := s.data, -1
	for range s.n {
		g, k := uvarint(d)
		if k <= 0 {
			return corrupt("truncated set list")
		}
		if g >= uint64(s.lim-prev-1) {
			return corrupt("set member out of range")
		}
		prev += int(g) + 1
		d = d[k:]
	}
	if len(d) != 0 {
		return corrupt("set list longer than its members")
	}
	s.checked = true
	return nil
}

// countIn returns the number of members of s in m (every sample when m is
// nil). m has exactly the row's number of words.
func (s *sampleSet) countIn(m []uint64) int {
	if s.bitmap() {
		n, d := 0, s.data
		if m == nil {
			for len(d) >= 8 {
				n += bits.OnesCount64(le64(d))
				d = d[8:]
			}
			return n
		}
		for _, w := range m {
			if len(d) < 8 {
				break
			}
			n += bits.OnesCount64(le64(d) & w)
			d = d[8:]
		}
		return n
	}
	if m == nil {
		return s.n
	}
	return countList(s.data, m)
}

// countList counts the members of a gap list that are in m. It stops at a
// member beyond m (a corrupt list of an unchecked version 2 row).
func countList(d []byte, m []uint64) int {
	n, idx, lim := 0, -1, 64*len(m)
	for len(d) > 0 {
		g := uint64(d[0])
		switch {
		case g < 0x80:
			d = d[1:]
		case len(d) > 1 && d[1] < 0x80:
			g = g&0x7f | uint64(d[1])<<7
			d = d[2:]
		default:
			var k int
			if g, k = uvarintSlow(d); k <= 0 {
				return n
			}
			d = d[k:]
		}
		if g >= uint64(lim-idx-1) {
			return n
		}
		idx += int(g) + 1
		n += int(m[idx>>6] >> (uint(idx) & 63) & 1)
	}
	return n
}

// each calls fn for every member of s in increasing order.
func (s *sampleSet) each(fn func(i int)) {
	if s.bitmap() {
		for wi, d := 0, s.data; len(d) >= 8; wi, d = wi+1, d[8:] {
			for w := le64(d); w != 0; w &= w - 1 {
				fn(wi<<6 | bits.TrailingZeros64(w))
			}
		}
		return
	}
	idx, d := -1, s.data
	for len(d) > 0 {
		g, k := uvarint(d)
		if k <= 0 || g >= uint64(s.lim-idx-1) {
			return // a corrupt list of an unchecked version 2 row
		}
		d = d[k:]
		idx += int(g) + 1
		fn(idx)
	}
}

// words writes the set as a bitmap into dst (len(dst) == row words).
func (s *sampleSet) words(dst []uint64) {
	if s.bitmap() {
		for i := range dst {
			dst[i] = le64(s.data[8*i:])
		}
		return
	}
	clear(dst)
	s.each(func(i int) { dst[i>>6] |= 1 << (uint(i) & 63) })
}

// appendSet appends the set field of the sorted indices idx over nSamples
// samples in its smaller form (the list on a tie).
func appendSet(dst []byte, idx []int32, nSamples int) []byte {
	words := (nSamples + 63) / 64
	listLen := uvarintLen(uint64(2 * len(idx)))
	prev := int32(-1)
	for _, i := range idx {
		listLen += uvarintLen(uint64(i - prev - 1))
		prev = i
	}
	if listLen <= 1+8*words {
		dst = binary.AppendUvarint(dst, uint64(2*len(idx)))
		prev = -1
		for _, i := range idx {
			dst = binary.AppendUvarint(dst, uint64(i-prev-1))
			prev = i
		}
		return dst
	}
	dst = append(dst, 1)
	off := len(dst)
	dst = appendZeros(dst, 8*words)
	for _, i := range idx {
		dst[off+int(i>>3)] |= 1 << (uint(i) & 7)
	}
	return dst
}

// appendZeros appends n zero bytes.
func appendZeros(dst []byte, n int) []byte {
	if cap(dst)-len(dst) < n {
		nb := make([]byte, len(dst), 2*cap(dst)+n)
		copy(nb, dst)
		dst = nb
	}
	dst = dst[:len(dst)+n]
	clear(dst[len(dst)-n:])
	return dst
}
