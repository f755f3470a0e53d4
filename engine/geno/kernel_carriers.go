package geno

import "math/bits"

// Carriers makes dst the set of samples holding allele (0 = REF, 1.. the
// ALTs) in at least one allele slot, as for a carrier(VARIANT) predicate.
// dst is resized to the row's samples, reusing its storage; an allele out
// of range gives the empty set.
func (v *View) Carriers(allele int, dst *Bitset) {
	if cap(dst.Words) < v.words {
		dst.Words = make([]uint64, v.words)
	}
	dst.Words, dst.N = dst.Words[:v.words], v.n
	clear(dst.Words)
	if v.tag == 0 || allele < 0 || allele >= v.nAlleles {
		return
	}
	if allele == 0 {
		v.refCarriers(dst)
	} else if v.tag == tagSparse {
		d, cr := v.car, carrier{idx: -1}
		for range v.ncar {
			if d = v.nextCarrier(d, &cr); d == nil {
				break
			}
			if v.nAlleles == 2 || cr.holds(int16(allele)) {
				dst.Set(cr.idx)
			}
		}
	} else {
		planeBytes := 8 * v.words
		v.eachAlt(func(alt int, planes []byte) {
			if alt != allele-1 {
				return
			}
			for s := 0; s < v.k; s++ {
				plane := planes[s*planeBytes:]
				for i := range dst.Words {
					dst.Words[i] |= le64(plane[8*i:])
				}
			}
		})
	}
	v.eachX(func(i int, g []int16) {
		for _, a := range g {
			if int(a) == allele {
				dst.Set(i)
				return
			}
		}
	})
}

func (cr *carrier) holds(a int16) bool {
	for mk := cr.mask; mk != 0; mk &= mk - 1 {
		if cr.gt[bits.TrailingZeros64(mk)] == a {
			return true
		}
	}
	return false
}

// refCarriers sets the regular samples holding REF: those with an allele
// slot (below their ploidy) that no ALT takes. Exceptions are the caller's.
func (v *View) refCarriers(dst *Bitset) {
	w := dst.Words
	if v.tag == tagSparse {
		if v.k > 0 {
			dst.Fill()
		}
		if v.mixed && v.klo == 0 {
			v.s.each(func(i int) { w[i>>6] &^= 1 << (uint(i) & 63) })
		}
		d, cr := v.car, carrier{idx: -1}
		for range v.ncar {
			if d = v.nextCarrier(d, &cr); d == nil {
				break
			}
			if cr.mask == cr.full {
				w[cr.idx>>6] &^= 1 << (uint(cr.idx) & 63)
			}
		}
	} else if v.k > 0 {
		v.denseRef(w)
	}
	clearSet := func(i int) { w[i>>6] &^= 1 << (uint(i) & 63) }
	v.m.each(clearSet)
	if v.mixed {
		v.mlo.each(clearSet)
	}
	v.eachX(func(i int, _ []int16) { clearSet(i) })
}

// denseRef sets in w the samples with a slot below their ploidy that no
// ALT plane takes.
func (v *View) denseRef(w []uint64) {
	k, klo := v.k, v.klo
	var sw []uint64
	if v.mixed {
		sw = v.lowWords()
	} else {
		klo = k
	}
	stride, group := 8*v.words, v.k*8*v.words
	for i := range w {
		var lo, hi uint64 // free slot below klo, free slot at or above it
		for s := range k {
			var taken uint64
			for g := 0; g < v.npresent; g++ {
				taken |= le64(v.planes[g*group+s*stride+8*i:])
			}
			if s < klo {
				lo |= ^taken
			} else {
				hi |= ^taken
			}
		}
		if sw != nil {
			hi &^= sw[i]
		}
		w[i] = lo | hi
	}
	if len(w) > 0 {
		w[len(w)-1] &= tailMask(v.n)
	}
}

// eachX calls fn for every exception with its verbatim allele slots
// (valid only during the call).
func (v *View) eachX(fn func(i int, g []int16)) {
	var g [MaxPloidy]int16
	d, idx := v.x, -1
	for range v.nx {
		gap, w := uvarint(d)
		if w <= 0 {
			return
		}
		d = d[w:]
		idx += int(gap) + 1
		for s := range v.ploidy {
			x, w := uvarint(d)
			if w <= 0 {
				return
			}
			d = d[w:]
			g[s] = int16(x) - 2
		}
		fn(idx, g[:v.ploidy])
	}
}
