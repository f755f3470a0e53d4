package geno

import "encoding/binary"

// Sample-major storage of rare rows.
//
// A store chunk keeps the missing set, the exceptions and the carrier list
// of its sparse Simple rows (rare biallelic diploid variants, most rows of a
// chromosome) sample-major, so that a query for a small cohort reads only
// its members' calls instead of walking every row's lists (engine/store,
// section T). SplitSparse takes those three lists out of an encoded row,
// leaving a stub; JoinSparse puts them back, byte for byte.
//
// A stub is itself a valid row: the same row with every sample hom-REF
// (an empty missing set, no exceptions, no carriers). A cohort's counts at
// the row are those of C hom-REF calls (AN 2C) plus each split member's
// SplitEvent.

// Split event codes: what a split sample of a row is beyond hom-REF. For a
// carrier the code is its slot mask (bit s: slot s holds the ALT); for an
// exception (a half call, a haploid call, ...) SplitException plus its two
// slots' allele codes, each code+2 (End 0, Missing 1, REF 2, ALT 3), as
// c0<<2 | c1.
const (
	SplitMissing   uint8 = 0 // both slots missing
	SplitAlt0      uint8 = 1 // ALT in slot 0 only (1|0, 1/0)
	SplitAlt1      uint8 = 2 // ALT in slot 1 only (0|1, 0/1)
	SplitHom       uint8 = 3 // ALT in both slots
	SplitException uint8 = 4 // 4 .. 19: an exception
)

// SplitCodes is the number of split event codes.
const SplitCodes = 20

// splitEvents[code] is SplitEvent(code).
var splitEvents = func() (t [SplitCodes]SimpleEvent) {
	var one Row
	var c Counts
	for code := range SplitCodes {
		one.Reset(2, 1, 2)
		switch {
		case code == int(SplitMissing):
			one.GT[0], one.GT[1] = Missing, Missing
		case code < int(SplitException):
			one.GT[0], one.GT[1] = int16(code&1), int16(code>>1)
		default:
			x := code - int(SplitException)
			one.GT[0], one.GT[1] = int16(x>>2)-2, int16(x&3)-2
		}
		CountRow(&one, nil, &c)
		t[code] = SimpleEvent{AN: int8(c.AN - 2), Missing: int8(c.Missing), AC: int8(c.AC[0]), Het: int8(c.Het[0]), HomAlt: int8(c.HomAlt[0])}
	}
	return t
}()

// SplitEvent returns what a split call of this code adds to a cohort's
// counts beyond a hom-REF call (which adds AN 2), as CountRow counts it.
func SplitEvent(code uint8) SimpleEvent { return splitEvents[code%SplitCodes] }

// splitLayout holds the byte offsets of a version 2 sparse Simple row's
// fields: the missing set is row[mStart:mEnd], the exceptions (count and
// entries) row[mEnd:xEnd], the carrier count and entries row[xEnd:].
type splitLayout struct {
	mStart, mEnd, xEnd int
}

// layoutSparse finds the fields of a version 2 sparse Simple row that v
// (Reset on row) accepted, with the parsers Reset used.
func layoutSparse(row []byte, v *View) (splitLayout, bool) {
	var l splitLayout
	var set sampleSet
	p := row[1:]
	_, k1 := uvarint(p)
	_, k2 := uvarint(p[k1:])
	q, err := parseSet2(row[1+k1+k2+2:], v.n, v.words, &set) // F
	if err != nil {
		return l, false
	}
	l.mStart = len(row) - len(q)
	if q, err = parseSet2(q, v.n, v.words, &set); err != nil { // M
		return l, false
	}
	l.mEnd = len(row) - len(q)
	if q, err = v.parseX(q); err != nil { // the same exceptions again
		return l, false
	}
	l.xEnd = len(row) - len(q)
	return l, true
}

// Splitter splits and joins rows (SplitSparse, JoinSparse), reusing its
// view; one Splitter is not for concurrent use.
type Splitter struct {
	v View
}

// SplitSparse splits a version 2 sparse Simple row of nSamples samples
// (View.Simple, not dense): it appends the row's stub to dst and calls
// fn(sample, code) for each sample of its missing set (SplitMissing), then
// each exception, then each carrier, each list in increasing sample order. It
// returns the extended dst and true, or dst and false without calling fn
// when the row is of another kind. A row Decode would reject is an error
// wrapping ErrCorrupt (fn may have been called for some of its samples).
func (sp *Splitter) SplitSparse(dst, row []byte, nSamples int, fn func(sample int, code uint8)) ([]byte, bool, error) {
	v := &sp.v
	if err := v.Reset(row, nSamples); err != nil {
		return dst, false, err
	}
	if !v.v2 || v.tag != tagSparse || !v.Simple() {
		return dst, false, nil
	}
	if err := v.m.checkList(); err != nil {
		return dst, false, err
	}
	l, ok := layoutSparse(row, v)
	if !ok || l.xEnd >= len(row) {
		return dst, false, corrupt("sparse row fields overrun the row")
	}
	first := len(dst)
	dst = append(dst, row[:l.mStart]...)
	dst = append(dst, 0, 0, 0) // no missing set, exceptions or carriers
	v.m.each(func(i int) { fn(i, SplitMissing) })
	// parseX (Reset) checked the exceptions: samples in range, codes below
	// NAlleles+2 = 4, one byte each.
	x := v.x
	idx := -1
	for range v.nx {
		g, k := uvarint(x)
		idx += int(g) + 1
		fn(idx, SplitException+(x[k]<<2|x[k+1]))
		x = x[k+2:]
	}
	// nextCarrier checks each entry's sample and mask (a Simple row has no
	// ALT indices).
	d, cr := v.car, carrier{idx: -1}
	for range v.ncar {
		if d = v.nextCarrier(d, &cr); d == nil {
			return dst[:first], false, corrupt("bad carrier entry")
		}
		fn(cr.idx, uint8(cr.mask))
	}
	if len(d) != 0 {
		return dst[:first], false, corrupt("%d trailing bytes", len(d))
	}
	return dst, true, nil
}

// JoinSparse appends to dst the row whose stub (SplitSparse) is stub, with
// the missing samples missing (increasing), the exceptions exceptions (each
// sample<<4 | c0<<2 | c1, increasing samples) and the carriers carriers (each
// sample<<2 | code, increasing samples, codes SplitAlt0..SplitHom). It is
// the exact row SplitSparse split. A stub that is not one, or lists out of
// order or range, are an error wrapping ErrCorrupt.
func (sp *Splitter) JoinSparse(dst, stub []byte, nSamples int, missing []int32, exceptions, carriers []uint32) ([]byte, error) {
	v := &sp.v
	if err := v.Reset(stub, nSamples); err != nil {
		return dst, err
	}
	if !v.v2 || v.tag != tagSparse || !v.Simple() || !v.m.empty() || v.nx != 0 || v.ncar != 0 {
		return dst, corrupt("not a split row's stub")
	}
	l, ok := layoutSparse(stub, v)
	if !ok || l.mEnd != l.mStart+1 || l.xEnd != l.mEnd+1 || len(stub) != l.xEnd+1 {
		return dst, corrupt("not a split row's stub")
	}
	prev := int32(-1)
	for _, i := range missing {
		if i <= prev || int(i) >= nSamples {
			return dst, corrupt("split missing sample out of order or range")
		}
		prev = i
	}
	dst = append(dst, stub[:l.mStart]...)
	dst = appendSet2(dst, missing, nSamples)
	dst = binary.AppendUvarint(dst, uint64(len(exceptions)))
	prev = -1
	for _, x := range exceptions {
		i := int32(x >> 4)
		if i <= prev || int(i) >= nSamples {
			return dst, corrupt("split exception out of order or range")
		}
		dst = binary.AppendUvarint(dst, uint64(i-prev-1))
		dst = append(dst, byte(x>>2&3), byte(x&3))
		prev = i
	}
	dst = binary.AppendUvarint(dst, uint64(len(carriers)))
	prev = -1
	for _, x := range carriers {
		i, code := int32(x>>2), x&3
		if i <= prev || int(i) >= nSamples || code == 0 {
			return dst, corrupt("split carrier out of order or range")
		}
		dst = binary.AppendUvarint(dst, uint64(i-prev-1)<<2|uint64(code))
		prev = i
	}
	return dst, nil
}

// appendSet2 appends the version 2 set field of the sorted indices idx
// over nSamples samples, in the form the encoder chooses (appendSet, then
// toV2).
func appendSet2(dst []byte, idx []int32, nSamples int) []byte {
	if len(idx) == 0 {
		return append(dst, 0)
	}
	words := (nSamples + 63) / 64
	gaps := 0
	prev := int32(-1)
	for _, i := range idx {
		gaps += uvarintLen(uint64(i - prev - 1))
		prev = i
	}
	if uvarintLen(uint64(2*len(idx)))+gaps > 1+8*words {
		return appendSet(dst, idx, nSamples) // the bitmap
	}
	dst = binary.AppendUvarint(dst, uint64(2*len(idx)))
	dst = binary.AppendUvarint(dst, uint64(gaps))
	prev = -1
	for _, i := range idx {
		dst = binary.AppendUvarint(dst, uint64(i-prev-1))
		prev = i
	}
	return dst
}
