package geno

// Simple rows, sample-major.
//
// A long-lived engine (the gateway's) can turn the commonest rows, rare
// biallelic diploid variants, into per-sample event lists once, and then
// count a small cohort by walking its members' events instead of every
// row's missing set, exceptions and carrier list (engine/query's sample
// index).

// SimpleEvent is what one sample of a Simple row adds to a cohort's
// counts beyond a hom-REF diploid call (which adds AN 2 and nothing else).
type SimpleEvent struct {
	AN, Missing, AC, Het, HomAlt int8
}

// Simple reports whether the viewed row is a biallelic, diploid row
// without a ploidy set: every sample is hom-REF, missing, a carrier of one
// or two ALT copies, or an exception (a half call, say). The cohort counts
// of a sparse one follow from EachSimple's events alone; a dense one's
// carriers are its planes, counted by CountBody.
func (v *View) Simple() bool {
	return (v.tag == tagSparse || v.tag == tagDense) && v.nAlleles == 2 && v.ploidy == 2 && v.k == 2 && !v.mixed
}

// Events of the regular classes.
var (
	simpleMissing = SimpleEvent{AN: -2, Missing: 1}
	simpleHet     = SimpleEvent{AC: 1, Het: 1}
	simpleHom     = SimpleEvent{AC: 2, HomAlt: 1}
)

// EachSimple calls fn(sample, event) for every sample of a Simple row
// that is not a hom-REF diploid call, but for a dense row's carriers. A
// cohort of C samples then counts AN = 2C plus its members' AN events, and
// Missing, AC, Het and HomAlt as the sums of theirs, plus for a dense row
// CountBody's: Count's result (an exception's event is CountRow's count of
// that sample alone). On a row Decode would reject it stops early,
// without panicking.
func (v *View) EachSimple(fn func(sample int, e SimpleEvent)) {
	if !v.Simple() {
		return
	}
	v.m.each(func(i int) { fn(i, simpleMissing) })
	var one Row
	var c Counts
	v.eachX(func(i int, g []int16) {
		one.Reset(2, 1, 2)
		copy(one.GT, g)
		CountRow(&one, nil, &c)
		fn(i, SimpleEvent{AN: int8(c.AN - 2), Missing: int8(c.Missing), AC: int8(c.AC[0]), Het: int8(c.Het[0]), HomAlt: int8(c.HomAlt[0])})
	})
	if v.tag == tagDense {
		return
	}
	d, cr := v.car, carrier{idx: -1}
	for range v.ncar {
		if d = v.nextCarrier(d, &cr); d == nil {
			return
		}
		if cr.mask == cr.full {
			fn(cr.idx, simpleHom)
		} else {
			fn(cr.idx, simpleHet)
		}
	}
}

// CountBody adds to c the ALT counts (AC, Het, HomAlt) of the row's body,
// its carrier list or planes, for the cohort in (nil: every sample), and
// nothing of its missing sets and exceptions; c must already hold the
// row's number of ALTs (Counts.Reset).
func (v *View) CountBody(in *Bitset, c *Counts) {
	if v.tag == 0 {
		return
	}
	var m []uint64
	if in != nil {
		m = v.mask(in)
	}
	if v.tag == tagSparse {
		v.countSparse(m, c)
	} else {
		v.countDense(m, c)
	}
}
