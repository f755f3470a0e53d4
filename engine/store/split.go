package store

import (
	"encoding/binary"
	"fmt"

	"github.com/gentre/gentre/engine/geno"
)

// SplitRows is the sample-major part of a chunk (section T): for its split
// rows (sparse Simple rows, geno.SplitSparse), each column's missing calls,
// exceptions and carriers. A chunk read by Store.ReadChunkInto keeps it,
// and its split rows are then stubs (every sample hom-REF); ReadChunk and
// DecodeChunk join every row back.
type SplitRows struct {
	// Rows holds the chunk row of each split row (its slot), increasing.
	Rows []int32
	// Slot holds each chunk row's slot, or -1 for a row not split.
	Slot []int32
	// tot holds per slot what every column's split calls add to the counts
	// of hom-REF calls (Totals), made when first asked for.
	tot     []int32
	haveTot bool
	// tot3 holds per slot the stored totals: missing calls, hets (an ALT in
	// one slot), hom-ALTs.
	tot3 []int32
	// Column c's events are ev[evOff[c]:evOff[c+1]]: each a uvarint
	// gap<<2 | code, gap over slots (the previous slot, -1 at first, plus one
	// plus gap), code geno.SplitMissing .. geno.SplitHom. Its exceptions are
	// exc[excOff[c]:excOff[c+1]]: each a uvarint slot gap, then one byte
	// c0<<2 | c1 (geno.SplitException).
	evOff, excOff []uint32
	ev, exc       []byte
}

// The counters of a split row's calls, per slot (SplitRows.Totals, AddColumn).
const (
	SplitAN = iota
	SplitMissing
	SplitAC
	SplitHet
	SplitHomAlt
	SplitCounters
)

// splitEvents[code] is geno.SplitEvent(code) as counters.
var splitEvents = func() (t [geno.SplitCodes][SplitCounters]int32) {
	for code := range geno.SplitCodes {
		e := geno.SplitEvent(uint8(code))
		t[code] = [SplitCounters]int32{int32(e.AN), int32(e.Missing), int32(e.AC), int32(e.Het), int32(e.HomAlt)}
	}
	return t
}()

// AddColumn adds column c's split calls to cnt (SplitCounters counters per
// slot); a corrupt column is an error wrapping ErrCorrupt (the section's
// checksum makes that unlikely, and nothing is indexed out of range either
// way).
func (s *SplitRows) AddColumn(c int, cnt []int32) error {
	return s.column(c, len(s.Rows), func(slot int, code uint8) {
		e := &splitEvents[code]
		x := cnt[SplitCounters*slot : SplitCounters*slot+SplitCounters]
		x[0] += e[0]
		x[1] += e[1]
		x[2] += e[2]
		x[3] += e[3]
		x[4] += e[4]
	})
}

// column calls fn(slot, code) for column c's split calls at slots up to
// upTo: events in slot order, then exceptions in slot order (codes
// geno.SplitException..).
func (s *SplitRows) column(c, upTo int, fn func(slot int, code uint8)) error {
	n := len(s.Rows)
	d := s.ev[s.evOff[c]:s.evOff[c+1]]
	slot := -1
	for len(d) > 0 && slot < upTo {
		var x uint64
		if d[0] < 0x80 {
			x, d = uint64(d[0]), d[1:]
		} else {
			v, k := binary.Uvarint(d)
			if k <= 0 {
				return fmt.Errorf("split column %d: bad varint: %w", c, ErrCorrupt)
			}
			x, d = v, d[k:]
		}
		if g := x >> 2; g >= uint64(n-slot-1) {
			return fmt.Errorf("split column %d: slot out of range: %w", c, ErrCorrupt)
		} else {
			slot += int(g) + 1
		}
		if slot <= upTo {
			fn(slot, uint8(x&3))
		}
	}
	if !eachException(s.exc[s.excOff[c]:s.excOff[c+1]], n, upTo, func(slot int, x byte) { fn(slot, geno.SplitException+x) }) {
		return fmt.Errorf("split column %d: bad exception: %w", c, ErrCorrupt)
	}
	return nil
}

// eachException calls fn(slot, c0<<2|c1) for the exceptions in d (a
// column's) of a chunk of n split rows, up to slot upTo; it reports false
// on a corrupt entry.
func eachException(d []byte, n, upTo int, fn func(slot int, x byte)) bool {
	slot := -1
	for len(d) > 0 && slot < upTo {
		g, k := binary.Uvarint(d)
		if k <= 0 || k >= len(d) || g >= uint64(n-slot-1) || d[k] > 15 {
			return false
		}
		if slot += int(g) + 1; slot <= upTo {
			fn(slot, d[k])
		}
		d = d[k+1:]
	}
	return true
}

// parseSplit reads section T into s (reusing its storage) for a chunk of
// nVariants rows and nSamples columns.
func parseSplit(d *decoder, s *SplitRows, nVariants, nSamples int) {
	ns := d.count(1)
	if d.err != nil {
		return
	}
	if ns > nVariants {
		d.err = fmt.Errorf("%d split rows of %d", ns, nVariants)
		return
	}
	s.Rows = grow(s.Rows, ns)
	s.Slot = grow(s.Slot, nVariants)
	for i := range s.Slot {
		s.Slot[i] = -1
	}
	prev := -1
	for i := 0; i < ns && d.err == nil; i++ {
		g := d.uvarint()
		if d.err == nil && g >= uint64(nVariants-prev-1) {
			d.err = fmt.Errorf("split row out of range")
			return
		}
		prev += int(g) + 1
		s.Rows[i] = int32(prev)
		s.Slot[prev] = int32(i)
	}
	s.tot3 = grow(s.tot3, 3*ns)
	for i := 0; i < 3*ns && d.err == nil; i++ {
		v := d.uvarint()
		if v > uint64(nSamples) {
			d.err = fmt.Errorf("split row total out of range")
			return
		}
		s.tot3[i] = int32(v)
	}
	if nc := d.uvarint(); d.err == nil && nc != uint64(nSamples) {
		d.err = fmt.Errorf("split rows of %d columns in a chunk of %d samples", nc, nSamples)
		return
	}
	offsets := func(off []uint32) ([]uint32, uint64) {
		off = grow(off, nSamples+1)
		total := uint64(0)
		off[0] = 0
		b := d.b
		for c := range nSamples {
			var x uint64
			switch {
			case len(b) > 0 && b[0] < 0x80:
				x, b = uint64(b[0]), b[1:]
			default:
				v, k := binary.Uvarint(b)
				if k <= 0 {
					d.err = fmt.Errorf("bad split column length")
					return off, 0
				}
				x, b = v, b[k:]
			}
			if total += x; x > uint64(len(d.b)) || total > uint64(len(d.b)) {
				d.err = fmt.Errorf("split columns overrun the section")
				return off, 0
			}
			off[c+1] = uint32(total)
		}
		d.b = b
		if total > uint64(len(b)) {
			d.err = fmt.Errorf("split columns overrun the section")
			return off, 0
		}
		return off, total
	}
	var nev, nexc uint64
	s.evOff, nev = offsets(s.evOff)
	s.excOff, nexc = offsets(s.excOff)
	if d.err != nil {
		return
	}
	if nev+nexc != uint64(len(d.b)) {
		d.err = fmt.Errorf("split columns are %d bytes, section holds %d", nev+nexc, len(d.b))
		return
	}
	s.ev, s.exc = d.b[:nev:nev], d.b[nev:]
	d.b = nil
	s.haveTot = false
}

// Totals returns per slot what every column's split calls add to the
// counts of hom-REF calls: Totals()[SplitCounters*s+k], k one of SplitAN ..
// SplitHomAlt. The first call walks every column's exceptions (the events'
// totals are stored).
func (s *SplitRows) Totals() ([]int32, error) {
	if s.haveTot {
		return s.tot, nil
	}
	ns := len(s.Rows)
	s.tot = grow(s.tot, SplitCounters*ns)
	for i := range ns {
		m, het, hom := s.tot3[3*i], s.tot3[3*i+1], s.tot3[3*i+2]
		copy(s.tot[SplitCounters*i:], []int32{-2 * m, m, het + 2*hom, het, hom})
	}
	for c := range len(s.excOff) - 1 {
		if !eachException(s.exc[s.excOff[c]:s.excOff[c+1]], ns, ns, func(slot int, x byte) {
			e := &splitEvents[geno.SplitException+x]
			t := s.tot[SplitCounters*slot : SplitCounters*slot+SplitCounters]
			for k := range t {
				t[k] += e[k]
			}
		}) {
			return nil, fmt.Errorf("split column %d: bad exception: %w", c, ErrCorrupt)
		}
	}
	s.haveTot = true
	return s.tot, nil
}

// join replaces c's split rows, stubs, by the whole rows, checking every
// call and the totals.
func (c *Chunk) join(s *SplitRows) error {
	n, ns := len(c.Samples), len(s.Rows)
	// Each slot's missing samples, exceptions and carriers, gathered
	// column by column (so in sample order).
	cnt := make([]int32, 4*ns) // missing, het, hom, exceptions
	for col := range n {
		if err := s.column(col, ns, func(slot int, code uint8) {
			switch {
			case code >= geno.SplitException:
				cnt[4*slot+3]++
			case code == geno.SplitMissing:
				cnt[4*slot]++
			case code == geno.SplitHom:
				cnt[4*slot+2]++
			default:
				cnt[4*slot+1]++
			}
		}); err != nil {
			return err
		}
	}
	mStart, xStart, cStart := make([]int, ns+1), make([]int, ns+1), make([]int, ns+1)
	for i := range ns {
		for k := range 3 {
			if cnt[4*i+k] != s.tot3[3*i+k] {
				return fmt.Errorf("split row %d: totals do not match its columns: %w", s.Rows[i], ErrCorrupt)
			}
		}
		mStart[i+1] = mStart[i] + int(cnt[4*i])
		cStart[i+1] = cStart[i] + int(cnt[4*i+1]+cnt[4*i+2])
		xStart[i+1] = xStart[i] + int(cnt[4*i+3])
	}
	miss := make([]int32, mStart[ns])
	car := make([]uint32, cStart[ns])
	exc := make([]uint32, xStart[ns])
	nm, nc, nx := make([]int, ns), make([]int, ns), make([]int, ns)
	for col := range n {
		s.column(col, ns, func(slot int, code uint8) { // checked above
			switch {
			case code >= geno.SplitException:
				exc[xStart[slot]+nx[slot]] = uint32(col)<<4 | uint32(code-geno.SplitException)
				nx[slot]++
			case code == geno.SplitMissing:
				miss[mStart[slot]+nm[slot]] = int32(col)
				nm[slot]++
			default:
				car[cStart[slot]+nc[slot]] = uint32(col)<<2 | uint32(code)
				nc[slot]++
			}
		})
	}
	// Room for the stubs and, generously, their calls (at most 3 bytes for
	// a missing sample or carrier at fewer than 2^21 samples, 5 for an
	// exception), so that buf is not regrown as it fills.
	size := 0
	for _, r := range s.Rows {
		size += len(c.rows[r]) + 16
	}
	buf := make([]byte, 0, size+3*(mStart[ns]+cStart[ns])+5*xStart[ns])
	ends := make([]int, ns)
	var sp geno.Splitter
	for i, r := range s.Rows {
		var err error
		if buf, err = sp.JoinSparse(buf, c.rows[r], n, miss[mStart[i]:mStart[i+1]], exc[xStart[i]:xStart[i+1]], car[cStart[i]:cStart[i+1]]); err != nil {
			return fmt.Errorf("split row %d: %v: %w", r, err, ErrCorrupt)
		}
		ends[i] = len(buf)
	}
	if cap(buf) > len(buf)+len(buf)/8 {
		buf = append(make([]byte, 0, len(buf)), buf...) // a cached chunk keeps it
	}
	prev := 0
	for i, r := range s.Rows {
		c.rows[r] = buf[prev:ends[i]:ends[i]]
		prev = ends[i]
	}
	return nil
}

// WholeRow returns row i whole: Row(i) (the chunk's own bytes), or for a
// split row of a chunk read by ReadChunkInto the row joined from its stub
// and the columns' calls at its slot, appended to dst (which must not hold
// a row of the chunk; a buffer WholeRow joined into may be passed again).
// Joining one row walks each column only up to the row's slot, without the
// allocations of joining the whole chunk: what a single-variant question
// needs.
func (c *Chunk) WholeRow(i int, dst []byte) ([]byte, error) {
	s := c.Split
	if s == nil || s.Slot[i] < 0 {
		return c.Row(i), nil
	}
	slot := int(s.Slot[i])
	var miss []int32
	var exc, car []uint32
	for col := range len(c.Samples) {
		if err := s.column(col, slot, func(at int, code uint8) {
			switch {
			case at != slot:
			case code >= geno.SplitException:
				exc = append(exc, uint32(col)<<4|uint32(code-geno.SplitException))
			case code == geno.SplitMissing:
				miss = append(miss, int32(col))
			default:
				car = append(car, uint32(col)<<2|uint32(code))
			}
		}); err != nil {
			return dst, fmt.Errorf("%s: %w", c.Name, err)
		}
	}
	t := s.tot3[3*slot : 3*slot+3]
	if len(miss) != int(t[0]) || len(car) != int(t[1]+t[2]) {
		return dst, fmt.Errorf("%s: split row %d: totals do not match its columns: %w", c.Name, i, ErrCorrupt)
	}
	var sp geno.Splitter
	out, err := sp.JoinSparse(dst, c.Row(i), len(c.Samples), miss, exc, car)
	if err != nil {
		return dst, fmt.Errorf("%s: split row %d: %v: %w", c.Name, i, err, ErrCorrupt)
	}
	return out[len(dst):], nil
}
