package concept

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// The binary form of a Hierarchy (docs/format.md, "Concept hierarchy", has the layout): every array a
// query uses, so loading is a checksum, a decode and bounds checks, with no
// graph work.
const (
	fileMagic   = "\x89SCT\r\n\x1a\n"
	fileVersion = 1
	headerSize  = 32
	trailerSize = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// arrays64 and arrays32 list the stored arrays in file order.
func (h *Hierarchy) arrays64() []*[]int64 { return []*[]int64{&h.sctid, &h.sortedIDs} }

func (h *Hierarchy) arrays32() []*[]int32 {
	return []*[]int32{&h.sortedIdx, &h.rank, &h.end, &h.childOff, &h.child,
		&h.parentOff, &h.parent, &h.crossOff, &h.crossDst}
}

// fileSize is the size of the binary form for n concepts, e links and c
// cross links.
func fileSize(n, e, c uint64) uint64 {
	return headerSize + 8*2*n + 4*(3*n+3*(n+1)+2*e+c) + trailerSize
}

// MarshalBinary encodes the hierarchy in its versioned, checksummed binary
// form (docs/format.md). The same hierarchy always encodes to the same bytes.
func (h *Hierarchy) MarshalBinary() ([]byte, error) {
	n, e, c := len(h.sctid), len(h.child), len(h.crossDst)
	le := binary.LittleEndian
	buf := make([]byte, 0, fileSize(uint64(n), uint64(e), uint64(c)))
	buf = append(buf, fileMagic...)
	buf = le.AppendUint16(buf, fileVersion)
	buf = le.AppendUint16(buf, 0) // flags
	buf = le.AppendUint32(buf, uint32(n))
	buf = le.AppendUint32(buf, uint32(e))
	buf = le.AppendUint32(buf, uint32(c))
	buf = le.AppendUint32(buf, uint32(h.release))
	buf = le.AppendUint32(buf, 0) // reserved: pads the header to 32 bytes
	for _, a := range h.arrays64() {
		for _, v := range *a {
			buf = le.AppendUint64(buf, uint64(v))
		}
	}
	for _, a := range h.arrays32() {
		for _, v := range *a {
			buf = le.AppendUint32(buf, uint32(v))
		}
	}
	buf = le.AppendUint32(buf, crc32.Checksum(buf, castagnoli))
	return buf, nil
}

// ReadHierarchy decodes a hierarchy written by MarshalBinary.
func ReadHierarchy(data []byte) (*Hierarchy, error) {
	h := new(Hierarchy)
	if err := h.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	return h, nil
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("concept: hierarchy file: %s: %w", fmt.Sprintf(format, args...), ErrCorrupt)
}

// UnmarshalBinary decodes a hierarchy written by MarshalBinary, replacing h.
// It checks the magic number, version, length and CRC-32C, then the bounds of
// every offset and index, so that no input, even one with a valid checksum,
// can make a query panic (queries always terminate). The CRC is what
// guarantees the content; Verify checks, more slowly, that the arrays also
// describe one consistent acyclic hierarchy. An error wraps ErrCorrupt; data
// is not retained.
func (h *Hierarchy) UnmarshalBinary(data []byte) error {
	if len(data) < headerSize+trailerSize || string(data[:8]) != fileMagic {
		return corrupt("not a SNOMED CT hierarchy (bad magic number or too short)")
	}
	le := binary.LittleEndian
	if v := le.Uint16(data[8:]); v != fileVersion {
		return corrupt("unsupported version %d (this build reads %d)", v, fileVersion)
	}
	body := data[:len(data)-trailerSize]
	if got, want := crc32.Checksum(body, castagnoli), le.Uint32(data[len(body):]); got != want {
		return corrupt("checksum mismatch (CRC-32C %08x, stored %08x)", got, want)
	}
	if f, r := le.Uint16(data[10:]), le.Uint32(data[28:]); f != 0 || r != 0 {
		return corrupt("unknown flags %#x or reserved field %#x", f, r)
	}
	n, e, c := uint64(le.Uint32(data[12:])), uint64(le.Uint32(data[16:])), uint64(le.Uint32(data[20:]))
	if n >= 1<<31-1 || e >= 1<<31-1 || c > e {
		return corrupt("counts out of range")
	}
	if want := fileSize(n, e, c); uint64(len(data)) != want {
		return corrupt("length %d, want %d for %d concepts, %d links and %d cross links", len(data), want, n, e, c)
	}
	d := &Hierarchy{release: int32(le.Uint32(data[24:]))}
	p := data[headerSize:]
	all64 := make([]int64, 2*n)
	for i := range all64 {
		all64[i] = int64(le.Uint64(p[8*i:]))
	}
	p = p[8*len(all64):]
	d.sctid, d.sortedIDs = all64[:n:n], all64[n:]
	lens := []uint64{n, n, n, n + 1, e, n + 1, e, n + 1, c}
	all32 := make([]int32, (len(body)-headerSize-8*len(all64))/4)
	for i := range all32 {
		all32[i] = int32(le.Uint32(p[4*i:]))
	}
	for k, a := range d.arrays32() {
		*a, all32 = all32[:lens[k]:lens[k]], all32[lens[k]:]
	}
	if err := d.checkBounds(); err != nil {
		return err
	}
	d.initScratch()
	*h = *d
	return nil
}

// checkBounds makes every index a query may follow safe: offsets start at 0,
// never decrease and end at their array's length; indices are in [0, n);
// interval ends are in (i, n]; SCTIDs are in range and sortedIDs ascends
// strictly (binary search).
func (h *Hierarchy) checkBounds() error {
	n := int32(len(h.sctid))
	for i, id := range h.sctid {
		if id < 100_000 || id >= 1_000_000_000_000_000_000 {
			return corrupt("concept %d: %d is not an SCTID", i, id)
		}
	}
	for i := 1; i < len(h.sortedIDs); i++ {
		if h.sortedIDs[i] <= h.sortedIDs[i-1] {
			return corrupt("sorted SCTIDs not strictly ascending at %d", i)
		}
	}
	for name, a := range map[string][]int32{"sorted index": h.sortedIdx, "rank": h.rank, "child": h.child, "parent": h.parent, "cross link": h.crossDst} {
		for i, v := range a {
			if uint32(v) >= uint32(n) {
				return corrupt("%s %d: %d out of range", name, i, v)
			}
		}
	}
	for name, o := range map[string]struct{ off, list []int32 }{
		"child": {h.childOff, h.child}, "parent": {h.parentOff, h.parent}, "cross link": {h.crossOff, h.crossDst}} {
		if o.off[0] != 0 || int(o.off[n]) != len(o.list) {
			return corrupt("%s offsets do not span their %d entries", name, len(o.list))
		}
		for i := range n {
			if o.off[i] > o.off[i+1] {
				return corrupt("%s offsets decrease at concept %d", name, i)
			}
		}
	}
	for v, end := range h.end {
		if end <= int32(v) || end > n {
			return corrupt("concept %d: interval end %d out of range", v, end)
		}
	}
	return nil
}
