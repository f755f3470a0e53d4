package geno

import "encoding/binary"

// toV2 rewrites the version 1 row at dst[start:] (as the encoders build
// it, phase reference applied) in version 2: the same fields, with each
// listed sample set preceded by its length in bytes. It returns the
// extended dst.
func (e *Encoder) toV2(dst []byte, start int) []byte {
	row := dst[start:]
	p := row[1:]
	n, k1 := uvarint(p)
	_, k2 := uvarint(p[k1:])
	hdr := 1 + k1 + k2
	k, klo := int(row[hdr]&15), int(row[hdr+1]>>4)
	nSets := 2
	if klo < k {
		nSets = 4
	}
	words := (int(n) + 63) / 64
	out := append(e.v2buf[:0], row[:hdr+2]...)
	out[0] += 1 << 4
	q := row[hdr+2:]
	for range nSets {
		h, kh := uvarint(q)
		switch {
		case h == 1:
			out = append(out, q[:kh+8*words]...)
			q = q[kh+8*words:]
		case h == 0:
			out = append(out, 0)
			q = q[kh:]
		default:
			l := 0
			for range h >> 1 {
				_, kg := uvarint(q[kh+l:])
				l += kg
			}
			out = binary.AppendUvarint(out, h)
			out = binary.AppendUvarint(out, uint64(l))
			out = append(out, q[kh:kh+l]...)
			q = q[kh+l:]
		}
	}
	out = append(out, q...)
	e.v2buf = out
	return append(dst[:start], out...)
}
