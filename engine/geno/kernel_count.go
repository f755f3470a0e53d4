package geno

import (
	"fmt"
	"math/bits"
)

// Count tallies the samples in the cohort in (every sample when in is nil)
// into c, which it resets first; the result equals CountRow of the decoded
// row. in must be a set over the row's samples (in.N == NSamples); Count
// panics otherwise. It allocates nothing once c has room for the row's
// ALTs. Count pays a popcount of in to size the cohort: callers counting
// many rows for one cohort use CountSized.
func (v *View) Count(in *Bitset, c *Counts) {
	size := v.n
	if in != nil {
		size = cohortSize(v.mask(in), v.n)
	}
	v.CountSized(in, size, c)
}

// CountSized is Count for a cohort whose size (in.Count(), or NSamples
// when in is nil) the caller already knows; a sparse row then costs time
// proportional to its entries, not to the number of samples.
func (v *View) CountSized(in *Bitset, inSize int, c *Counts) {
	if v.tag == 0 {
		c.Reset(0)
		return
	}
	c.Reset(v.nAlleles - 1)
	var m []uint64
	if in != nil {
		m = v.mask(in)
	}
	v.countBase(m, inSize, c)
	if v.tag == tagSparse {
		v.countSparse(m, c)
	} else {
		v.countDense(m, c)
	}
}

// Count2 counts the cohorts a and b (nil: every sample) into ca and cb in
// one pass over the row: the two sides of `freq ... in A vs B`.
func (v *View) Count2(a, b *Bitset, ca, cb *Counts) {
	if a == nil || b == nil || v.tag == 0 {
		v.Count(a, ca)
		v.Count(b, cb)
		return
	}
	ma, mb := v.mask(a), v.mask(b)
	v.Count2Sized(a, b, cohortSize(ma, v.n), cohortSize(mb, v.n), ca, cb)
}

// Count2Sized is Count2 with both cohort sizes known; a and b must not be
// nil.
func (v *View) Count2Sized(a, b *Bitset, aSize, bSize int, ca, cb *Counts) {
	if v.tag == 0 {
		ca.Reset(0)
		cb.Reset(0)
		return
	}
	ca.Reset(v.nAlleles - 1)
	cb.Reset(v.nAlleles - 1)
	ma, mb := v.mask(a), v.mask(b)
	v.countBase(ma, aSize, ca)
	v.countBase(mb, bSize, cb)
	if v.tag == tagSparse {
		v.countSparse2(ma, mb, ca, cb)
	} else {
		v.countDense2(ma, mb, ca, cb)
	}
}

// mask returns in's words, checking that in is a set over the row's samples.
func (v *View) mask(in *Bitset) []uint64 {
	if in.N != v.n || len(in.Words) < v.words {
		panic(fmt.Sprintf("geno: cohort over %d samples used on a row of %d", in.N, v.n))
	}
	return in.Words[:v.words]
}

// cohortSize counts the set bits of m below n.
func cohortSize(m []uint64, n int) int {
	c := 0
	for _, w := range m {
		c += bits.OnesCount64(w)
	}
	if len(m) > 0 {
		c -= bits.OnesCount64(m[len(m)-1] &^ tailMask(n))
	}
	return c
}

// countBase adds to c the allele numbers of the regular samples of m, the
// missing sets, and everything of the exceptions: all but the body.
func (v *View) countBase(m []uint64, size int, c *Counts) {
	mc := v.m.countIn(m)
	xc, xlow := v.countX(m, c)
	reg := size - mc - xc
	c.Missing += int64(mc)
	if v.mixed {
		mlc := v.mlo.countIn(m)
		reg -= mlc
		c.Missing += int64(mlc)
		low := v.s.countIn(m) - mlc - xlow
		c.AN -= int64(v.k-v.klo) * int64(low)
	}
	c.AN += int64(v.k) * int64(reg)
}

// countX counts the exceptions in m into c and returns how many there are
// and how many of them have the low ploidy.
func (v *View) countX(m []uint64, c *Counts) (n, low int) {
	var g [MaxPloidy]int16
	d, idx := v.x, -1
	for range v.nx {
		gap, w := uvarint(d)
		if w <= 0 {
			break
		}
		d = d[w:]
		idx += int(gap) + 1
		ne := 0
		for s := range v.ploidy {
			x, w := uvarint(d)
			if w <= 0 {
				return n, low
			}
			d = d[w:]
			g[s] = int16(x) - 2
			if g[s] != End {
				ne++
			}
		}
		if m != nil && m[idx>>6]&(1<<(uint(idx)&63)) == 0 {
			continue
		}
		n++
		if ne == v.klo {
			low++
		}
		countGT(g[:v.ploidy], c)
	}
	return n, low
}

// countGT adds one sample's verbatim allele slots to c, with CountRow's
// rules.
func countGT(gt []int16, c *Counts) {
	called, missing, allSame := 0, false, true
	first := int16(-3)
	for _, a := range gt {
		switch {
		case a == End:
			continue
		case a == Missing:
			missing = true
			continue
		}
		called++
		c.AN++
		if a > 0 {
			c.AC[a-1]++
		}
		if first == -3 {
			first = a
		} else if a != first {
			allSame = false
		}
	}
	if missing {
		c.Missing++
	}
	if called == 0 {
		return
	}
	if allSame {
		if !missing && first > 0 {
			c.HomAlt[first-1]++
		}
		return
	}
	addHet(gt, c)
}

// addHet counts a heterozygous sample once for each distinct ALT it holds.
func addHet(gt []int16, c *Counts) {
	var seen [MaxPloidy]int16
	ns := 0
next:
	for _, a := range gt {
		if a <= 0 {
			continue
		}
		for _, s := range seen[:ns] {
			if s == a {
				continue next
			}
		}
		seen[ns] = a
		ns++
		c.Het[a-1]++
	}
}

// carrier is one decoded sparse entry.
type carrier struct {
	idx  int
	mask uint64
	full uint64 // mask of the sample's ploidy
	gt   [MaxPloidy]int16
}

// nextCarrier decodes the carrier entry at the start of d (the one after
// sample cr.idx) into cr and returns the rest of d, or nil at an entry
// Decode would reject.
func (v *View) nextCarrier(d []byte, cr *carrier) []byte {
	if len(d) == 0 {
		return nil
	}
	x := uint64(d[0])
	switch {
	case x < 0x80:
		d = d[1:]
	case len(d) > 1 && d[1] < 0x80:
		x = x&0x7f | uint64(d[1])<<7
		d = d[2:]
	default:
		var w int
		if x, w = uvarintSlow(d); w <= 0 {
			return nil
		}
		d = d[w:]
	}
	g := x >> v.shift
	if g >= uint64(v.n-cr.idx-1) {
		return nil // only in rows Decode rejects
	}
	cr.idx += int(g) + 1
	cr.mask = x & (1<<uint(v.k) - 1)
	if cr.mask == 0 {
		return nil // only in rows Decode rejects
	}
	cr.full = 1<<uint(v.k) - 1
	if v.mixed && x>>uint(v.k)&1 != 0 {
		cr.full = 1<<uint(v.klo) - 1
	}
	if v.nAlleles == 2 {
		return d
	}
	clear(cr.gt[:])
	for mk := cr.mask; mk != 0; mk &= mk - 1 {
		a, w := uvarint(d)
		if w <= 0 || a >= uint64(v.nAlleles-1) {
			return nil
		}
		d = d[w:]
		cr.gt[bits.TrailingZeros64(mk)] = int16(a) + 1
	}
	return d
}

// add counts the carrier's ALT alleles (multi-allelic rows).
func (cr *carrier) add(c *Counts) {
	var first int16
	same := cr.mask == cr.full
	for mk := cr.mask; mk != 0; mk &= mk - 1 {
		a := cr.gt[bits.TrailingZeros64(mk)]
		c.AC[a-1]++
		if first == 0 {
			first = a
		} else if a != first {
			same = false
		}
	}
	if same {
		c.HomAlt[first-1]++
		return
	}
	addHet(cr.gt[:], c)
}

func (v *View) countSparse(m []uint64, c *Counts) {
	d := v.car
	cr := carrier{idx: -1}
	if v.nAlleles == 2 {
		v.countSparseBiallelic(m, c)
		return
	}
	for range v.ncar {
		if d = v.nextCarrier(d, &cr); d == nil {
			break
		}
		if m == nil || m[cr.idx>>6]&(1<<(uint(cr.idx)&63)) != 0 {
			cr.add(c)
		}
	}
}

// countSparseBiallelic is the hot loop of rare biallelic rows: one
// uvarint per carrier, decoded in place.
func (v *View) countSparseBiallelic(m []uint64, c *Counts) {
	var ac, het, hom int
	d, idx := v.car, -1
	k, shift := uint(v.k), v.shift
	kmask := uint64(1)<<k - 1
	full, fullLow := kmask, uint64(1)<<uint(v.klo)-1
	lowBit := uint64(0)
	if v.mixed {
		lowBit = 1 << k
	}
	n := v.n
	for range v.ncar {
		// Entries of one or two bytes (nearly all) are decoded without a
		// branch on their length, which is unpredictable in the hot loop.
		var x uint64
		if len(d) >= 2 {
			b0, b1 := uint64(d[0]), uint64(d[1])
			more := b0 >> 7
			if more&(b1>>7) == 0 {
				x = b0&0x7f | b1<<7&-more
				d = d[1+more:]
			} else {
				var w int
				if x, w = uvarintSlow(d); w <= 0 {
					break
				}
				d = d[w:]
			}
		} else if len(d) == 1 && d[0] < 0x80 {
			x, d = uint64(d[0]), d[1:]
		} else {
			break
		}
		g := x >> shift
		if g >= uint64(n-idx-1) {
			break // only in rows Decode rejects
		}
		idx += int(g) + 1
		if m != nil && m[idx>>6]&(1<<(uint(idx)&63)) == 0 {
			continue
		}
		mask := x & kmask
		if mask == 0 {
			break // only in rows Decode rejects
		}
		f := full
		if x&lowBit != 0 {
			f = fullLow
		}
		h := 0
		if mask == f {
			h = 1
		}
		ac += bits.OnesCount64(mask)
		hom += h
		het += 1 - h
	}
	c.AC[0] += int64(ac)
	c.Het[0] += int64(het)
	c.HomAlt[0] += int64(hom)
}

func (v *View) countSparse2(ma, mb []uint64, ca, cb *Counts) {
	d := v.car
	cr := carrier{idx: -1}
	for range v.ncar {
		if d = v.nextCarrier(d, &cr); d == nil {
			break
		}
		bit := uint64(1) << (uint(cr.idx) & 63)
		inA, inB := ma[cr.idx>>6]&bit != 0, mb[cr.idx>>6]&bit != 0
		if !inA && !inB {
			continue
		}
		if v.nAlleles == 2 {
			ac := int64(bits.OnesCount64(cr.mask))
			hom := cr.mask == cr.full
			if inA {
				addBiallelic(ca, ac, hom)
			}
			if inB {
				addBiallelic(cb, ac, hom)
			}
			continue
		}
		if inA {
			cr.add(ca)
		}
		if inB {
			cr.add(cb)
		}
	}
}

func addBiallelic(c *Counts, ac int64, hom bool) {
	c.AC[0] += ac
	if hom {
		c.HomAlt[0]++
	} else {
		c.Het[0]++
	}
}
