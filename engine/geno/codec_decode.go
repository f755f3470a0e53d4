package geno

import (
	"math/bits"
)

// Decode writes the row v views into r, reusing r's storage, and checks
// what Reset leaves unchecked: the sparse carrier entries; that every sample is in at most one of the
// carriers (or planes), M, Mlo and the exceptions; that no two ALTs share an
// allele slot; that no plane bit lies beyond a sample's ploidy; and that the
// ploidy set S names exactly the samples of the low ploidy. It is not on a
// hot path. Errors wrap ErrCorrupt.
func (v *View) Decode(r *Row) error {
	if v.tag == 0 {
		return corrupt("view holds no row")
	}
	if v.tag == tagSparse {
		if err := v.checkSparse(); err != nil {
			return err
		}
	}
	for _, set := range []*sampleSet{&v.f, &v.s, &v.m, &v.mlo} {
		if err := set.checkList(); err != nil {
			return err
		}
	}
	n, p, k, klo := v.n, v.ploidy, v.k, v.klo
	if v.relPhase && len(v.phaseRef) != v.words {
		return corrupt("the row's phase flags are relative to a phase reference, and the view has none for %d samples", n)
	}
	r.Reset(v.nAlleles, n, p)
	if v.phased {
		for i := range r.Phased {
			r.Phased[i] = true
		}
	}
	v.f.each(func(i int) { r.Phased[i] = !v.phased })
	if v.relPhase {
		for i := range r.Phased {
			if v.phaseRef[i>>6]>>(uint(i)&63)&1 != 0 {
				r.Phased[i] = !r.Phased[i]
			}
		}
		if v.words > 0 && v.phaseRef[v.words-1]&^tailMask(n) != 0 {
			return corrupt("phase reference has bits beyond the last sample")
		}
	}

	// Every sample starts as a regular hom-REF call.
	for i := range n {
		g := r.GT[i*p : (i+1)*p]
		clear(g[:k])
		for s := k; s < p; s++ {
			g[s] = End
		}
	}
	if v.mixed {
		v.s.each(func(i int) {
			g := r.GT[i*p : (i+1)*p]
			for s := klo; s < k; s++ {
				g[s] = End
			}
		})
	}
	var err error
	if v.tag == tagSparse {
		err = v.decodeSparse(r)
	} else {
		err = v.decodeDense(r)
	}
	if err != nil {
		return err
	}
	if err = v.decodeMissing(r, &v.m, k, false); err != nil {
		return err
	}
	if v.mixed {
		if err = v.decodeMissing(r, &v.mlo, klo, true); err != nil {
			return err
		}
	}
	return v.decodeX(r)
}

// inLow reports whether sample slots g are (still) those of the low ploidy.
func (v *View) inLow(g []int16) bool { return v.mixed && g[v.klo] == End }

// pristine reports whether g is still the regular hom-REF call it started
// as (no carrier, plane bit, missing set or exception touched it).
func (v *View) pristine(g []int16) bool {
	pl := v.k
	if v.inLow(g) {
		pl = v.klo
	}
	for _, a := range g[:pl] {
		if a != 0 {
			return false
		}
	}
	return true
}

func (v *View) decodeSparse(r *Row) error {
	p, d, idx := v.ploidy, v.car, -1
	full := uint64(1)<<uint(v.k) - 1
	for range v.ncar {
		x, w := uvarint(d)
		d = d[w:]
		idx += int(x>>v.shift) + 1
		g := r.GT[idx*p : (idx+1)*p]
		if v.mixed && (x>>uint(v.k)&1 != 0) != v.inLow(g) {
			return corrupt("carrier ploidy bit disagrees with the ploidy set")
		}
		for mask := x & full; mask != 0; mask &= mask - 1 {
			s := bits.TrailingZeros64(mask)
			a := int16(1)
			if v.nAlleles > 2 {
				c, w := uvarint(d)
				d = d[w:]
				a = int16(c) + 1
			}
			if g[s] != 0 {
				return corrupt("carrier allele beyond the sample's ploidy")
			}
			g[s] = a
		}
	}
	return nil
}

func (v *View) decodeDense(r *Row) error {
	p, words, planeBytes := v.ploidy, v.words, 8*v.words
	var err error
	v.eachAlt(func(alt int, planes []byte) {
		for s := 0; s < v.k && err == nil; s++ {
			plane := planes[s*planeBytes : (s+1)*planeBytes]
			for wi := range words {
				for w := le64(plane[8*wi:]); w != 0; w &= w - 1 {
					i := wi<<6 | bits.TrailingZeros64(w)
					slot := &r.GT[i*p+s]
					if *slot != 0 {
						err = corrupt("plane bit on a taken or absent allele slot")
						return
					}
					*slot = int16(alt + 1)
				}
			}
		}
	})
	return err
}

// decodeMissing applies a missing set whose members must be pristine
// samples of ploidy pl (low: of the low ploidy).
func (v *View) decodeMissing(r *Row, set *sampleSet, pl int, low bool) error {
	var err error
	p := v.ploidy
	set.each(func(i int) {
		g := r.GT[i*p : (i+1)*p]
		if err != nil {
			return
		}
		if v.inLow(g) != low || !v.pristine(g) {
			err = corrupt("missing sample also listed elsewhere or of another ploidy")
			return
		}
		for s := range g[:pl] {
			g[s] = Missing
		}
	})
	return err
}

func (v *View) decodeX(r *Row) error {
	p, d, idx := v.ploidy, v.x, -1
	for range v.nx {
		gap, w := uvarint(d)
		d = d[w:]
		idx += int(gap) + 1
		g := r.GT[idx*p : (idx+1)*p]
		if !v.pristine(g) {
			return corrupt("exception sample also listed elsewhere")
		}
		low := v.inLow(g)
		ne := 0
		for s := range g {
			c, w := uvarint(d)
			d = d[w:]
			g[s] = int16(c) - 2
			if g[s] != End {
				ne++
			}
		}
		if v.mixed && (ne == v.klo) != low {
			return corrupt("exception ploidy disagrees with the ploidy set")
		}
	}
	return nil
}
