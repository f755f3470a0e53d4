package store

import (
	"encoding/binary"
	"fmt"

	"github.com/gentre/gentre/engine/geno"
)

// SplitRows is the sample-major part of a chunk (section T): for its split
// rows (sparse Simple rows, geno.SplitSparse), each column's missing calls
// and carriers. A chunk read by Store.ReadChunkInto keeps it, and its split
// rows are then stubs; ReadChunk and DecodeChunk join every row back.
type SplitRows struct {
	// Rows holds the chunk row of each split row (its slot), increasing.
	Rows []int32
	// Slot holds each chunk row's slot, or -1 for a row not split.
	Slot []int32
	// Tot holds per slot the missing calls, hets (ALT in one slot) and
	// hom-ALTs over every column: Tot[3*s : 3*s+3].
	Tot []int32
	off []uint32 // column c's events are data[off[c]:off[c+1]]
	// data holds the events, column after column: each uvarint
	// gap<<2 | code, gap over slots (the previous slot, -1 at first, plus
	// one plus gap), code geno.SplitMissing .. geno.SplitHom.
	data []byte
}

// Split event kinds, the index of a counter in Tot and in AddColumn's.
const (
	SplitKindMissing = 0
	SplitKindHet     = 1
	SplitKindHom     = 2
)

// splitKind maps an event code to its kind.
var splitKind = [4]int{geno.SplitMissing: SplitKindMissing, geno.SplitAlt0: SplitKindHet, geno.SplitAlt1: SplitKindHet, geno.SplitHom: SplitKindHom}

// AddColumn adds column c's events to cnt, three counters per slot (missing,
// het, hom: cnt[3*slot+kind]); a corrupt column is an error wrapping
// ErrCorrupt (the section's checksum makes that unlikely, but nothing is
// indexed out of range either way).
func (s *SplitRows) AddColumn(c int, cnt []int32) error {
	d := s.data[s.off[c]:s.off[c+1]]
	slot, n := -1, len(s.Rows)
	for len(d) > 0 {
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
		g := x >> 2
		if g >= uint64(n-slot-1) {
			return fmt.Errorf("split column %d: slot out of range: %w", c, ErrCorrupt)
		}
		slot += int(g) + 1
		cnt[3*slot+splitKind[x&3]]++
	}
	return nil
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
	s.Tot = grow(s.Tot, 3*ns)
	for i := 0; i < 3*ns && d.err == nil; i++ {
		v := d.uvarint()
		if v > uint64(nSamples) {
			d.err = fmt.Errorf("split row total out of range")
			return
		}
		s.Tot[i] = int32(v)
	}
	if nc := d.uvarint(); d.err == nil && nc != uint64(nSamples) {
		d.err = fmt.Errorf("split rows of %d columns in a chunk of %d samples", nc, nSamples)
		return
	}
	s.off = grow(s.off, nSamples+1)
	total := uint64(0)
	s.off[0] = 0
	for c := 0; c < nSamples && d.err == nil; c++ {
		total += d.uvarint()
		if total > uint64(len(d.b)) {
			d.err = fmt.Errorf("split columns overrun the section")
			return
		}
		s.off[c+1] = uint32(total)
	}
	if d.err != nil {
		return
	}
	if total != uint64(len(d.b)) {
		d.err = fmt.Errorf("split columns are %d bytes, section holds %d", total, len(d.b))
		return
	}
	s.data = d.b
	d.b = nil
}

// join replaces c's split rows, stubs, by the whole rows, checking every
// event and the totals.
func (c *Chunk) join(s *SplitRows) error {
	n, ns := len(c.Samples), len(s.Rows)
	// Each slot's missing samples and carriers, gathered column by column
	// (so in sample order) into one array: per slot its missing samples
	// from the front of its range, its carriers after them.
	cnt := make([]int32, 3*ns)
	for col := range n {
		if err := s.AddColumn(col, cnt); err != nil {
			return err
		}
	}
	start := make([]int, ns+1)
	for i := range ns {
		for k := range 3 {
			if cnt[3*i+k] != s.Tot[3*i+k] {
				return fmt.Errorf("split row %d: totals do not match its columns: %w", s.Rows[i], ErrCorrupt)
			}
		}
		start[i+1] = start[i] + int(cnt[3*i]+cnt[3*i+1]+cnt[3*i+2])
	}
	miss := make([]int32, start[ns])
	car := make([]uint32, start[ns])
	nMiss := make([]int, ns)
	nCar := make([]int, ns)
	for col := range n {
		d := s.data[s.off[col]:s.off[col+1]]
		slot := -1
		for len(d) > 0 {
			x, k := binary.Uvarint(d) // checked by AddColumn above
			d = d[k:]
			slot += int(x>>2) + 1
			if code := uint8(x & 3); code == geno.SplitMissing {
				miss[start[slot]+nMiss[slot]] = int32(col)
				nMiss[slot]++
			} else {
				car[start[slot]+nCar[slot]] = uint32(col)<<2 | uint32(code)
				nCar[slot]++
			}
		}
	}
	size := 0
	for _, r := range c.rows {
		size += len(r)
	}
	buf := make([]byte, 0, size+4*start[ns]+8*ns)
	ends := make([]int, ns)
	var sp geno.Splitter
	for i, r := range s.Rows {
		var err error
		a := start[i]
		if buf, err = sp.JoinSparse(buf, c.rows[r], n, miss[a:a+nMiss[i]], car[a:a+nCar[i]]); err != nil {
			return fmt.Errorf("split row %d: %v: %w", r, err, ErrCorrupt)
		}
		ends[i] = len(buf)
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
// and the columns' events at its slot, appended to dst (which must not hold
// a row of the chunk; a buffer WholeRow joined into may be passed again).
// Joining one row walks each column only up to the row's slot, without the
// allocations of joining the whole chunk: what a single-variant question
// needs.
func (c *Chunk) WholeRow(i int, dst []byte) ([]byte, error) {
	s := c.Split
	if s == nil || s.Slot[i] < 0 {
		return c.Row(i), nil
	}
	slot, ns := int(s.Slot[i]), len(s.Rows)
	var miss []int32
	var car []uint32
	for col := range len(c.Samples) {
		d := s.data[s.off[col]:s.off[col+1]]
		at := -1
		for len(d) > 0 && at < slot {
			x, k := binary.Uvarint(d)
			if k <= 0 || x>>2 >= uint64(ns-at-1) {
				return dst, fmt.Errorf("%s: split column %d: %w", c.Name, col, ErrCorrupt)
			}
			d = d[k:]
			at += int(x>>2) + 1
			if at == slot {
				if code := uint8(x & 3); code == geno.SplitMissing {
					miss = append(miss, int32(col))
				} else {
					car = append(car, uint32(col)<<2|uint32(code))
				}
			}
		}
	}
	t := s.Tot[3*slot : 3*slot+3]
	if len(miss) != int(t[SplitKindMissing]) || len(car) != int(t[SplitKindHet]+t[SplitKindHom]) {
		return dst, fmt.Errorf("%s: split row %d: totals do not match its columns: %w", c.Name, i, ErrCorrupt)
	}
	var sp geno.Splitter
	out, err := sp.JoinSparse(dst, c.Row(i), len(c.Samples), miss, car)
	if err != nil {
		return dst, fmt.Errorf("%s: split row %d: %v: %w", c.Name, i, err, ErrCorrupt)
	}
	return out[len(dst):], nil
}
