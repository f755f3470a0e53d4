package geno

import (
	"encoding/binary"
	"math/bits"
)

// Encoder encodes Rows. Its zero value is ready to use; it keeps scratch
// space between calls, so one Encoder per goroutine encodes without
// allocating in the steady state.
type Encoder struct {
	hist    [MaxPloidy + 1]int
	nPhased int

	f, s, m, mlo []int32 // set members
	car          []int32 // regular carriers, for the dense planes
	carBuf       []byte  // sparse carrier entries
	nCar         int
	xBuf         []byte // exception entries
	nX           int
	present      []bool  // by ALT index (allele-1)
	group        []int32 // ALT index -> plane group (dense)
	tmp          []byte  // second candidate of a mixed-ploidy row
	bits         []byte  // bitmaps of the diploid fast path (append2)

	ref     []byte // phase reference, one 0/1 byte a sample (SetPhaseRef)
	relBits []byte // phase XOR reference, packed
	tmpF    []byte // the relative phase set
	v2buf   []byte // toV2's copy of the row
}

// denseBias: a row is stored dense when its planes take less than
// denseBias times the bytes of its sparse carrier list. Measured on 10,000
// and 100,000 diploid samples with a neutral (1/x) allele-frequency
// spectrum, going from 1 (strictly smaller) to 3 made reset+count 1.9-2.3x
// faster and the zstd-compressed chunks 7% smaller (planes of
// low-frequency variants compress better than their carrier lists), at
// 15-18% more bytes before compression (0.074-0.11 B/genotype, against
// PLINK 2's 0.25).
const denseBias = 3

// Append appends the encoding of r to dst and returns the extended slice.
// r must satisfy CheckRow (rows from the ingest readers do); Append panics
// on a row that does not. Use AppendChecked for rows of unknown origin.
func (e *Encoder) Append(dst []byte, r *Row) []byte {
	out, err := e.AppendChecked(dst, r)
	if err != nil {
		panic(err)
	}
	return out
}

// AppendChecked is Append returning an error wrapping ErrInvalidRow, with
// dst unchanged, for a row that breaks the Row contract.
//
// Diploid biallelic rows take a fast path (append2, in
// codec_encode_diploid.go) that writes the same bytes as the general one
// below; it hands rows with an End or invalid code back to it.
func (e *Encoder) AppendChecked(dst []byte, r *Row) ([]byte, error) {
	start := len(dst)
	out, err := e.appendChecked(dst, r)
	if err != nil {
		return dst, err
	}
	if out, err = e.relPhase(out, start, r); err != nil {
		return dst, err
	}
	return e.toV2(out, start), nil
}

func (e *Encoder) appendChecked(dst []byte, r *Row) ([]byte, error) {
	if err := checkShape(r); err != nil {
		return dst, err
	}
	if r.Ploidy == 2 && r.NAlleles == 2 {
		if out, ok := e.append2(dst, r); ok {
			return out, nil
		}
	}
	if err := e.scan(r); err != nil {
		return dst, err
	}
	p1, p2 := e.topPloidies(r.Ploidy)
	if p2 < 0 {
		return e.appendWith(dst, r, p1, p1), nil
	}
	if p2 < p1 && e.hist[p2]*(1+r.Ploidy) > 2*(1+8*((len(r.Phased)+63)/64)) {
		// Many samples of a lower ploidy (chrX in a cohort of mostly
		// women): listing them as exceptions would cost more than twice
		// a ploidy bitmap, so do not try.
		return e.appendWith(dst, r, p1, p2), nil
	}
	// Two ploidies: plane only the most common one and list the others as
	// exceptions, or plane both with a ploidy set. Keep the smaller.
	n := len(dst)
	dst = e.appendWith(dst, r, p1, p1)
	e.tmp = e.appendWith(e.tmp[:0], r, max(p1, p2), min(p1, p2))
	if len(e.tmp) < len(dst)-n {
		dst = append(dst[:n], e.tmp...)
	}
	return dst, nil
}

// scan validates r's allele codes and tallies ploidies and phase.
func (e *Encoder) scan(r *Row) error {
	clear(e.hist[:])
	e.nPhased = 0
	p, na := r.Ploidy, int16(r.NAlleles)
	if p == 2 {
		return e.scan2(r)
	}
	for i, ph := range r.Phased {
		ne := 0
		for _, a := range r.GT[i*p : (i+1)*p] {
			if a < End || a >= na {
				return CheckRow(r)
			}
			if a != End {
				ne++
			}
		}
		e.hist[ne]++
		if ph {
			e.nPhased++
		}
	}
	return nil
}

// scan2 is scan for ploidy 2.
func (e *Encoder) scan2(r *Row) error {
	na := int16(r.NAlleles)
	gt := r.GT[:2*len(r.Phased)]
	for i, ph := range r.Phased {
		a, b := gt[2*i], gt[2*i+1]
		if a < End || a >= na || b < End || b >= na {
			return CheckRow(r)
		}
		ne := 2
		if a == End {
			ne--
		}
		if b == End {
			ne--
		}
		e.hist[ne]++
		if ph {
			e.nPhased++
		}
	}
	return nil
}

// topPloidies returns the most common sample ploidy and the second most
// common (-1 if there is none); ties go to the larger ploidy.
func (e *Encoder) topPloidies(rowPloidy int) (int, int) {
	p1, p2 := -1, -1
	for p := rowPloidy; p >= 0; p-- {
		switch {
		case e.hist[p] == 0:
		case p1 < 0 || e.hist[p] > e.hist[p1]:
			p1, p2 = p, p1
		case p2 < 0 || e.hist[p] > e.hist[p2]:
			p2 = p
		}
	}
	if p1 < 0 {
		return rowPloidy, -1
	}
	return p1, p2
}

// appendWith appends r encoded with plane ploidy k and low ploidy klo
// (klo == k: no ploidy set).
func (e *Encoder) appendWith(dst []byte, r *Row, k, klo int) []byte {
	n, p := len(r.Phased), r.Ploidy
	nAlt := r.NAlleles - 1
	mixed := klo < k
	def := 2*e.nPhased > n
	e.classify(r, k, klo, def)

	tag := len(dst)
	dst = append(dst, tagSparse)
	dst = binary.AppendUvarint(dst, uint64(n))
	dst = binary.AppendUvarint(dst, uint64(r.NAlleles))
	flags := byte(0)
	if def {
		flags |= flagPhased
	}
	dst = append(dst, byte(p<<4|k), byte(klo<<4)|flags)
	dst = appendSet(dst, e.f, n)
	if mixed {
		dst = appendSet(dst, e.s, n)
	}
	dst = appendSet(dst, e.m, n)
	if mixed {
		dst = appendSet(dst, e.mlo, n)
	}
	dst = binary.AppendUvarint(dst, uint64(e.nX))
	dst = append(dst, e.xBuf...)

	// Body: planes unless they are denseBias times the carrier list or more.
	sparse := uvarintLen(uint64(e.nCar)) + len(e.carBuf)
	if nAlt == 0 {
		dst = binary.AppendUvarint(dst, uint64(e.nCar))
		return append(dst, e.carBuf...)
	}
	nPresent, presentLen := 1, 0
	if nAlt > 1 {
		nPresent, presentLen = 0, 0
		prev := -1
		for j, ok := range e.present[:nAlt] {
			if ok {
				e.group[j] = int32(nPresent)
				nPresent++
				presentLen += uvarintLen(uint64(j - prev - 1))
				prev = j
			}
		}
		presentLen += uvarintLen(uint64(nPresent))
	} else {
		e.group[0] = 0
	}
	planeBytes := 8 * ((n + 63) / 64)
	if presentLen+nPresent*k*planeBytes >= denseBias*sparse {
		dst = binary.AppendUvarint(dst, uint64(e.nCar))
		return append(dst, e.carBuf...)
	}
	dst[tag] = tagDense
	if nAlt > 1 {
		dst = binary.AppendUvarint(dst, uint64(nPresent))
		prev := -1
		for j, ok := range e.present[:nAlt] {
			if ok {
				dst = binary.AppendUvarint(dst, uint64(j-prev-1))
				prev = j
			}
		}
	}
	off := len(dst)
	dst = appendZeros(dst, nPresent*k*planeBytes)
	for _, i := range e.car {
		g := r.GT[int(i)*p : int(i+1)*p]
		for s := 0; s < k && s < len(g); s++ {
			if a := g[s]; a > 0 {
				plane := int(e.group[a-1])*k + s
				dst[off+plane*planeBytes+int(i>>3)] |= 1 << (uint(i) & 7)
			}
		}
	}
	return dst
}

// classify sorts the samples of r into sets, exceptions and carriers for
// plane ploidy k and low ploidy klo, with default phase def.
func (e *Encoder) classify(r *Row, k, klo int, def bool) {
	n, p := len(r.Phased), r.Ploidy
	nAlt := r.NAlleles - 1
	mixed := klo < k
	shift := uint(k)
	if mixed {
		shift++
	}
	e.f, e.s, e.m, e.mlo, e.car = e.f[:0], e.s[:0], e.m[:0], e.mlo[:0], e.car[:0]
	e.carBuf, e.xBuf = e.carBuf[:0], e.xBuf[:0]
	e.nCar, e.nX = 0, 0
	if cap(e.present) < nAlt {
		e.present = make([]bool, nAlt)
		e.group = make([]int32, nAlt)
	}
	e.present = e.present[:nAlt]
	e.group = e.group[:nAlt]
	clear(e.present)
	if p == 2 && k == 2 && !mixed {
		e.classify2(r, def)
		return
	}
	prevCar, prevX := -1, -1
	for i := range n {
		g := r.GT[i*p : (i+1)*p]
		if r.Phased[i] != def {
			e.f = append(e.f, int32(i))
		}
		lead := 0
		for lead < p && g[lead] != End {
			lead++
		}
		tot := lead
		for _, a := range g[lead:] {
			if a != End {
				tot++
			}
		}
		inS := mixed && tot == klo
		if inS {
			e.s = append(e.s, int32(i))
		}
		if tot != lead || (tot != k && !inS) {
			e.appendX(g, i, &prevX)
			continue
		}
		var mask uint64
		nMiss := 0
		for s, a := range g[:tot] {
			if a == Missing {
				nMiss++
			} else if a > 0 {
				mask |= 1 << uint(s)
			}
		}
		switch {
		case nMiss == tot && tot > 0:
			if inS {
				e.mlo = append(e.mlo, int32(i))
			} else {
				e.m = append(e.m, int32(i))
			}
		case nMiss > 0:
			e.appendX(g, i, &prevX)
		case mask != 0:
			x := uint64(i-prevCar-1)<<shift | mask
			if inS {
				x |= 1 << uint(k)
			}
			e.carBuf = binary.AppendUvarint(e.carBuf, x)
			for m := mask; m != 0; m &= m - 1 {
				a := g[bits.TrailingZeros64(m)]
				e.present[a-1] = true
				if nAlt > 1 {
					e.carBuf = binary.AppendUvarint(e.carBuf, uint64(a-1))
				}
			}
			e.car = append(e.car, int32(i))
			e.nCar++
			prevCar = i
		}
	}
}

// classify2 is classify for the common diploid row (p == k == 2, no
// ploidy set).
func (e *Encoder) classify2(r *Row, def bool) {
	multi := r.NAlleles > 2
	prevCar, prevX := -1, -1
	gt := r.GT[:2*len(r.Phased)]
	for i, ph := range r.Phased {
		if ph != def {
			e.f = append(e.f, int32(i))
		}
		a, b := gt[2*i], gt[2*i+1]
		if a|b == 0 {
			continue
		}
		switch {
		case a >= 0 && b >= 0:
			var mask uint64
			if a > 0 {
				mask = 1
				e.present[a-1] = true
			}
			if b > 0 {
				mask |= 2
				e.present[b-1] = true
			}
			e.carBuf = binary.AppendUvarint(e.carBuf, uint64(i-prevCar-1)<<2|mask)
			if multi {
				if a > 0 {
					e.carBuf = binary.AppendUvarint(e.carBuf, uint64(a-1))
				}
				if b > 0 {
					e.carBuf = binary.AppendUvarint(e.carBuf, uint64(b-1))
				}
			}
			e.car = append(e.car, int32(i))
			e.nCar++
			prevCar = i
		case a == Missing && b == Missing:
			e.m = append(e.m, int32(i))
		default:
			e.appendX(gt[2*i:2*i+2], i, &prevX)
		}
	}
}

// appendX appends sample i's verbatim exception entry.
func (e *Encoder) appendX(g []int16, i int, prev *int) {
	e.xBuf = binary.AppendUvarint(e.xBuf, uint64(i-*prev-1))
	for _, a := range g {
		e.xBuf = binary.AppendUvarint(e.xBuf, uint64(a+2))
	}
	*prev = i
	e.nX++
}
