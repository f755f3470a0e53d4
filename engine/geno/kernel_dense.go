package geno

import "math/bits"

// Dense kernels. For one ALT the k planes P_0..P_{k-1} say which regular
// samples hold that ALT in each allele slot. Per 64-sample word:
//
//	AC     = Σ_s popcount(P_s & m)
//	HomAlt = AND_s P_s  |  (AND_{s<klo} P_s & S)   (S: low-ploidy samples)
//	Het    = OR_s P_s &^ HomAlt
//
// Samples that are not regular calls have no plane bits, and low-ploidy
// samples none beyond slot klo, so these are exact; the allele numbers
// and the missing and exception samples come from countBase.

// tally is one ALT's counts from the planes.
type tally struct{ ac, het, hom int64 }

func (t *tally) addTo(c *Counts, alt int) {
	c.AC[alt] += t.ac
	c.Het[alt] += t.het
	c.HomAlt[alt] += t.hom
}

func (v *View) countDense(m []uint64, c *Counts) {
	if v.k == 0 {
		return
	}
	var sw []uint64
	if v.mixed {
		sw = v.lowWords()
	}
	planeBytes := 8 * v.words
	v.eachAlt(func(alt int, planes []byte) {
		var t tally
		switch {
		case v.k == 2 && !v.mixed && m == nil:
			t = dense2(planes[:planeBytes], planes[planeBytes:])
		case v.k == 2 && !v.mixed:
			t = dense2m(planes[:planeBytes], planes[planeBytes:], m)
		case v.k == 1 && !v.mixed:
			t = dense1(planes, m)
		default:
			var u tally
			v.denseGeneric(planes, sw, m, nil, &t, &u)
		}
		t.addTo(c, alt)
	})
}

func (v *View) countDense2(ma, mb []uint64, ca, cb *Counts) {
	if v.k == 0 {
		return
	}
	var sw []uint64
	if v.mixed {
		sw = v.lowWords()
	}
	planeBytes := 8 * v.words
	v.eachAlt(func(alt int, planes []byte) {
		var ta, tb tally
		if v.k == 2 && !v.mixed {
			ta, tb = dense2x2(planes[:planeBytes], planes[planeBytes:], ma, mb)
		} else {
			v.denseGeneric(planes, sw, ma, mb, &ta, &tb)
		}
		ta.addTo(ca, alt)
		tb.addTo(cb, alt)
	})
}

// lowWords returns the ploidy set S as words: the bitmap itself read in
// place when stored so, else materialised into the view's scratch.
func (v *View) lowWords() []uint64 {
	if cap(v.scratch) < v.words {
		v.scratch = make([]uint64, v.words)
	}
	w := v.scratch[:v.words]
	v.s.words(w)
	return w
}

// The diploid kernels use AC = Het + 2*HomAlt (popcount(a)+popcount(b) ==
// popcount(a^b) + 2*popcount(a&b)): two popcounts per word and cohort.

// dense2 is the diploid kernel over every sample.
func dense2(p0, p1 []byte) tally {
	var het, hom int
	for i := 0; i+8 <= len(p0) && i+8 <= len(p1); i += 8 {
		a, b := le64(p0[i:i+8]), le64(p1[i:i+8])
		het += bits.OnesCount64(a ^ b)
		hom += bits.OnesCount64(a & b)
	}
	return tally{int64(het + 2*hom), int64(het), int64(hom)}
}

// dense2m is the diploid kernel over the cohort m.
func dense2m(p0, p1 []byte, m []uint64) tally {
	var het, hom int
	p0, p1 = p0[:min(len(p0), len(p1), 8*len(m))], p1[:min(len(p0), len(p1), 8*len(m))]
	for i, w := range m {
		j := 8 * i
		if j+8 > len(p0) || j+8 > len(p1) {
			break
		}
		a, b := le64(p0[j:j+8]), le64(p1[j:j+8])
		het += bits.OnesCount64((a ^ b) & w)
		hom += bits.OnesCount64(a & b & w)
	}
	return tally{int64(het + 2*hom), int64(het), int64(hom)}
}

// dense2x2 is the diploid kernel over two cohorts in one pass.
func dense2x2(p0, p1 []byte, ma, mb []uint64) (ta, tb tally) {
	var ahet, ahom, bhet, bhom int
	mb = mb[:len(ma)]
	for i, wa := range ma {
		j := 8 * i
		if j+8 > len(p0) || j+8 > len(p1) {
			break
		}
		a, b := le64(p0[j:j+8]), le64(p1[j:j+8])
		het, hom, wb := a^b, a&b, mb[i]
		ahet += bits.OnesCount64(het & wa)
		ahom += bits.OnesCount64(hom & wa)
		bhet += bits.OnesCount64(het & wb)
		bhom += bits.OnesCount64(hom & wb)
	}
	return tally{int64(ahet + 2*ahom), int64(ahet), int64(ahom)}, tally{int64(bhet + 2*bhom), int64(bhet), int64(bhom)}
}

// dense1 is the haploid kernel (every call is hom-ALT or hom-REF).
func dense1(p []byte, m []uint64) tally {
	n := 0
	if m == nil {
		for ; len(p) >= 8; p = p[8:] {
			n += bits.OnesCount64(le64(p))
		}
	} else {
		for ; len(p) >= 8 && len(m) > 0; p, m = p[8:], m[1:] {
			n += bits.OnesCount64(le64(p) & m[0])
		}
	}
	return tally{ac: int64(n), hom: int64(n)}
}

// denseGeneric handles any plane ploidy, with or without a ploidy set sw,
// for the cohort ma (nil: every sample) and, when mb is not nil, a second
// cohort mb at the same time.
func (v *View) denseGeneric(planes []byte, sw, ma, mb []uint64, ta, tb *tally) {
	k, klo, words := v.k, v.klo, v.words
	if !v.mixed {
		klo = k
	}
	stride := 8 * words
	for i := range words {
		var acw [MaxPloidy]uint64
		and, or, and0 := ^uint64(0), uint64(0), uint64(0)
		for s := 0; s < k; s++ {
			if s == klo {
				and0 = and
			}
			x := le64(planes[s*stride+8*i:])
			acw[s] = x
			and &= x
			or |= x
		}
		if klo == 0 {
			and0 = 0
		}
		hom := and
		if sw != nil {
			hom |= and0 & sw[i]
		}
		het := or &^ hom
		wa := ^uint64(0)
		if ma != nil {
			wa = ma[i]
		}
		for _, x := range acw[:k] {
			ta.ac += int64(bits.OnesCount64(x & wa))
		}
		ta.het += int64(bits.OnesCount64(het & wa))
		ta.hom += int64(bits.OnesCount64(hom & wa))
		if mb != nil {
			wb := mb[i]
			for _, x := range acw[:k] {
				tb.ac += int64(bits.OnesCount64(x & wb))
			}
			tb.het += int64(bits.OnesCount64(het & wb))
			tb.hom += int64(bits.OnesCount64(hom & wb))
		}
	}
}
