package geno

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// The fast path of the encoder for the common row: diploid, biallelic, no
// End code. Every sample is then hom-REF (0,0), a carrier (both alleles
// called, one an ALT), missing (-1,-1) or a half call (one allele -1, an
// exception). The path builds four bitmaps over the samples from GT, 8
// samples (16 codes, four 64-bit loads) at a time, skipping groups of
// 0|0 calls in one test:
//
//	nz0, nz1: slot 0 / slot 1 holds a non-zero code (1 or -1)
//	ng0, ng1: slot 0 / slot 1 holds a negative code (-1)
//
// and derives every field of the row from them word by word (planes
// P_s = nz_s &^ (ng0|ng1), M = ng0 & ng1, X = ng0 ^ ng1). A code other than
// -1, 0 or 1 (End, a corrupt allele) is noticed at the end of the pass and
// sends the row to the general path, which validates it and handles End
// layouts. The bytes written are exactly the general path's (the
// differential tests compare them with the original encoder).

// Bits 0 and 15 of each 16-bit lane of a word of four codes: bit 0 is set
// for 1 and -1, bit 15 for -1.
const laneEnds = 0x8001_8001_8001_8001

// laneMid masks bits 1..14 of each lane of v ^ v>>1: zero for a lane
// whose bits 1..15 are all equal, that is 0, 1, -1 or -2 (End, which
// endBits tells apart).
const laneMid = 0x7ffe_7ffe_7ffe_7ffe

// load4 returns GT codes g[0..3] as the 16-bit lanes of a word, g[0] in
// the low lane (one load on little-endian machines).
func load4(g []int16) uint64 {
	_ = g[3]
	return uint64(uint16(g[0])) | uint64(uint16(g[1]))<<16 | uint64(uint16(g[2]))<<32 | uint64(uint16(g[3]))<<48
}

// pack8 gathers bits 0 and 15 of the 16 codes of 8 diploid samples (v0..v3:
// codes 0-3, 4-7, 8-11, 12-15) into one word. Lane l of v_k holds slot l&1
// of sample 2k + l>>1; its bit 0 lands at bit 16l + 2k and its bit 15 at
// bit 16l + 15 + 2k (mod 64): low bits at even positions, high bits at odd
// ones, all distinct.
func pack8(v0, v1, v2, v3 uint64) uint64 {
	return v0&laneEnds | bits.RotateLeft64(v1&laneEnds, 2) |
		bits.RotateLeft64(v2&laneEnds, 4) | bits.RotateLeft64(v3&laneEnds, 6)
}

// unpack8 returns the bitmap bytes of the 8 samples of pack8's word x,
// sample j at bit j: slot 0 and 1 non-zero (bit 0), slot 0 and 1 negative
// (bit 15).
func unpack8(x uint64) (nz0, nz1, ng0, ng1 byte) {
	y := x >> 31
	nz0 = byte(x&0x55 | y&0xaa)                       // lanes 0 and 2, bit 0
	nz1 = byte(x>>16&0x55 | x>>47&0xaa)               // lanes 1 and 3, bit 0
	ng0 = byte(x>>15&0x55 | x>>46&0xaa)               // lanes 0 and 2, bit 15
	ng1 = byte(y&0x55 | bits.RotateLeft64(x, 2)&0xaa) // lanes 1 and 3, bit 15
	return
}

// endBits of a word of pack8 has a bit of lowBits set when a code has bit
// 15 set and bit 0 clear, as End, unlike -1, 0 and 1: rotated by 15 bits,
// the high bits fall on the low bits of their lanes.
func endBits(x uint64) uint64 {
	return bits.RotateLeft64(x, -15) &^ x
}

// lowBits are the positions of the low bits in a word of pack8.
const lowBits = 0x0055_0055_0055_0055

// boolBytes views the phase flags as bytes (a bool is one byte, 0 or 1).
func boolBytes(b []bool) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(b))), len(b))
}

// phaseBits packs 8 phase flags (as bytes) into a byte, flag j at bit j.
func phaseBits(w uint64) byte {
	// High bit of each byte: the byte is not zero.
	w = ((w & 0x7f7f7f7f7f7f7f7f) + 0x7f7f7f7f7f7f7f7f | w) & 0x8080808080808080
	return byte((w >> 7) * 0x0102040810204080 >> 56)
}

// append2 appends the encoding of r, a row with Ploidy 2 and NAlleles 2
// that passed checkShape, and reports true; or, when a code is not -1, 0
// or 1, reports false having appended nothing.
func (e *Encoder) append2(dst []byte, r *Row) ([]byte, bool) {
	n := len(r.Phased)
	gt := r.GT[:2*n]
	words := (n + 63) / 64
	nb := 8 * words
	if cap(e.bits) < 5*nb {
		e.bits = make([]byte, 5*nb)
	}
	b := e.bits[:5*nb]
	clear(b[:4*nb])
	nz0, nz1, ng0, ng1, ph := b[:nb], b[nb:2*nb], b[2*nb:3*nb], b[3*nb:4*nb], b[4*nb:]

	if !diploidBits(gt, nz0, nz1, ng0, ng1) {
		return dst, false
	}

	// Pass 2, word by word: planes into nz0/nz1, M into ng0 (and its
	// members into e.m), X into ng1.
	nX, nCar := 0, 0
	e.m = e.m[:0]
	for w := 0; w < nb; w += 8 {
		a0, a1 := le64(nz0[w:]), le64(nz1[w:])
		if a0|a1 == 0 {
			continue // only hom-REF samples: nothing to rewrite
		}
		m0, m1 := le64(ng0[w:]), le64(ng1[w:])
		neg := m0 | m1
		p0, p1 := a0&^neg, a1&^neg
		m, x := m0&m1, m0^m1
		nCar += bits.OnesCount64(p0 | p1)
		nX += bits.OnesCount64(x)
		for mm := m; mm != 0; mm &= mm - 1 {
			e.m = append(e.m, int32(w<<3|bits.TrailingZeros64(mm)))
		}
		binary.LittleEndian.PutUint64(nz0[w:], p0)
		binary.LittleEndian.PutUint64(nz1[w:], p1)
		binary.LittleEndian.PutUint64(ng0[w:], m)
		binary.LittleEndian.PutUint64(ng1[w:], x)
	}
	p0b, p1b, mb, xb := nz0, nz1, ng0, ng1

	nPhased, fForm := e.phase(boolBytes(r.Phased), ph)
	def := 2*nPhased > n

	dst = append(dst, tagSparse)
	tag := len(dst) - 1
	dst = binary.AppendUvarint(dst, uint64(n))
	flags := byte(0)
	if def {
		flags |= flagPhased
	}
	dst = append(dst, 2, 2<<4|2, 2<<4|flags)
	switch fForm {
	case fEmpty:
		dst = append(dst, 0)
	case fList:
		dst = appendSet(dst, e.f, n)
	default:
		nF, flip := nPhased, uint64(0)
		if def {
			nF, flip = n-nPhased, ^uint64(0)
		}
		dst = appendSetBits(dst, ph, flip, nF, n)
	}
	if nM := len(e.m); uvarintLen(uint64(2*nM))+nM > 1+nb {
		dst = append(dst, 1) // a bitmap, shorter even with one-byte gaps
		dst = append(dst, mb...)
	} else {
		dst = appendSet(dst, e.m, n)
	}
	dst = binary.AppendUvarint(dst, uint64(nX))
	if nX > 0 {
		prev := -1
		for w := 0; w < nb; w += 8 {
			for x := le64(xb[w:]); x != 0; x &= x - 1 {
				i := w<<3 | bits.TrailingZeros64(x)
				dst = binary.AppendUvarint(dst, uint64(i-prev-1))
				dst = append(dst, byte(gt[2*i]+2), byte(gt[2*i+1]+2))
				prev = i
			}
		}
	}

	// Body: the planes take 2*nb bytes; the carrier list at least one
	// byte a carrier. Build the list only when it may be chosen.
	planes := 2 * nb
	if planes >= denseBias*(uvarintLen(uint64(nCar))+nCar) {
		e.carBuf = e.carBuf[:0]
		prev := -1
		for w := 0; w < nb; w += 8 {
			p0, p1 := le64(p0b[w:]), le64(p1b[w:])
			for c := p0 | p1; c != 0; c &= c - 1 {
				s := bits.TrailingZeros64(c)
				i := w<<3 | s
				mask := p0>>uint(s)&1 | p1>>uint(s)&1<<1
				e.carBuf = binary.AppendUvarint(e.carBuf, uint64(i-prev-1)<<2|mask)
				prev = i
			}
		}
		if planes >= denseBias*(uvarintLen(uint64(nCar))+len(e.carBuf)) {
			dst = binary.AppendUvarint(dst, uint64(nCar))
			return append(dst, e.carBuf...), true
		}
	}
	dst[tag] = tagDense
	dst = append(dst, p0b...)
	return append(dst, p1b...), true
}

// diploidBits writes the bitmaps nz0, nz1, ng0, ng1 (zero, 8*words bytes
// each) of the codes gt of a diploid row, 8 samples (a byte of each) at a
// time, and reports whether every code is -1, 0 or 1.
func diploidBits(gt []int16, nz0, nz1, ng0, ng1 []byte) bool {
	var bad uint64  // bits 1..14 of a lane: bits 1..15 of a code differ
	var bad2 uint64 // endBits: a code with bit 15 set, bit 0 clear (End)
	full := len(gt) / 16
	n0, n1, m0, m1 := nz0[:full], nz1[:full], ng0[:full], ng1[:full]
	for g := range full {
		c := gt[16*g : 16*g+16 : 16*g+16]
		v0, v1, v2, v3 := load4(c[0:]), load4(c[4:]), load4(c[8:]), load4(c[12:])
		if v0|v1|v2|v3 == 0 {
			continue
		}
		bad |= (v0 ^ v0>>1) | (v1 ^ v1>>1) | (v2 ^ v2>>1) | (v3 ^ v3>>1)
		x := pack8(v0, v1, v2, v3)
		bad2 |= endBits(x)
		n0[g], n1[g], m0[g], m1[g] = unpack8(x)
	}
	if rest := gt[16*full:]; len(rest) > 0 {
		var c [16]int16 // padded with hom-REF samples, which set no bit
		copy(c[:], rest)
		v0, v1, v2, v3 := load4(c[0:]), load4(c[4:]), load4(c[8:]), load4(c[12:])
		bad |= (v0 ^ v0>>1) | (v1 ^ v1>>1) | (v2 ^ v2>>1) | (v3 ^ v3>>1)
		x := pack8(v0, v1, v2, v3)
		bad2 |= endBits(x)
		nz0[full], nz1[full], ng0[full], ng1[full] = unpack8(x)
	}
	return bad&laneMid == 0 && bad2&lowBits == 0
}

// Forms of the phase set F found by Encoder.phase.
const (
	fEmpty  = iota // every flag is the default
	fList          // the members of F in e.f
	fBitmap        // the phase flags as a bitmap in ph
)

// phase tallies the phase flags pb (as bytes, 0 for false) and returns the
// number of phased samples and the form of F. F is listed in e.f when it
// is short (the missing calls "./." of a phased file), else the flags are
// written to the bitmap ph (8*words bytes).
func (e *Encoder) phase(pb, ph []byte) (nPhased int, form int) {
	n := len(pb)
	nUn := bytes.Count(pb, []byte{0})
	if nUn == 0 || nUn == n {
		return n - nUn, fEmpty
	}
	nPhased = n - nUn
	var c byte // the flag of F's members
	nF := nUn  // F: the samples whose flag is not the default
	if 2*nPhased <= n {
		c, nF = 1, nPhased
	}
	if nF <= 8+n>>8 {
		e.f = e.f[:0]
		for i := 0; len(e.f) < nF; {
			z := bytes.IndexByte(pb[i:], c)
			if z < 0 {
				break // a true flag that is not 1: take the bitmap
			}
			e.f = append(e.f, int32(i+z))
			i += z + 1
		}
		if len(e.f) == nF {
			return nPhased, fList
		}
	}
	clear(ph)
	j := 0
	for ; j+8 <= n; j += 8 {
		ph[j>>3] = phaseBits(le64(pb[j:]))
	}
	if j < n {
		var c [8]byte
		copy(c[:], pb[j:])
		ph[j>>3] = phaseBits(le64(c[:]))
	}
	return nPhased, fBitmap
}

// appendSetBits is appendSet for the set of cnt samples whose bits are
// set in the bitmap bm ^ flip (8*words bytes; bits of bm beyond n zero),
// without listing them first.
func appendSetBits(dst, bm []byte, flip uint64, cnt, n int) []byte {
	nb := len(bm)
	hdr := uvarintLen(uint64(2 * cnt))
	listLen := hdr + cnt // every gap takes at least a byte
	if listLen <= 1+nb {
		listLen = hdr
		prev := -1
		for w := 0; w < nb; w += 8 {
			x := le64(bm[w:]) ^ flip
			if w+8 == nb {
				x &= tailMask(n)
			}
			for ; x != 0; x &= x - 1 {
				i := w<<3 | bits.TrailingZeros64(x)
				listLen += uvarintLen(uint64(i - prev - 1))
				prev = i
			}
		}
	}
	if listLen <= 1+nb {
		dst = binary.AppendUvarint(dst, uint64(2*cnt))
		prev := -1
		for w := 0; w < nb; w += 8 {
			x := le64(bm[w:]) ^ flip
			if w+8 == nb {
				x &= tailMask(n)
			}
			for ; x != 0; x &= x - 1 {
				i := w<<3 | bits.TrailingZeros64(x)
				dst = binary.AppendUvarint(dst, uint64(i-prev-1))
				prev = i
			}
		}
		return dst
	}
	dst = append(dst, 1)
	if flip == 0 {
		return append(dst, bm...)
	}
	for w := 0; w < nb; w += 8 {
		x := le64(bm[w:]) ^ flip
		if w+8 == nb {
			x &= tailMask(n)
		}
		dst = binary.LittleEndian.AppendUint64(dst, x)
	}
	return dst
}
