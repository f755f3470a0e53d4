package care

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"sort"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"
)

// Index reads a care index lazily: OpenIndex checks the header, the
// section table and the meta section; each other section is read and
// checked (CRC-32C, then structure) when first asked for, and each code's
// entry when its bitmap or values are asked for. Errors name the file and
// wrap ErrCorrupt. An Index is not safe for concurrent use.
type Index struct {
	name     string
	r        io.ReaderAt
	secs     [len(indexTags)]secRef
	stamp    IndexStamp
	nPeople  int
	nSamples int
	dirs     [len(IndexedKinds)]*CodeDir
}

type secRef struct {
	off, n uint64
	crc    uint32
}

func (x *Index) corrupt(format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", x.name, fmt.Sprintf(format, args...), ErrCorrupt)
}

// OpenIndex opens the care index of size bytes readable through r; name
// (the store-relative file name) prefixes every error.
func OpenIndex(name string, r io.ReaderAt, size int64) (*Index, error) {
	x := &Index{name: name, r: r}
	if size < int64(tableLen) {
		return nil, x.corrupt("not a care index (%d bytes)", size)
	}
	var h [tableLen]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if string(h[:8]) != indexMagic {
		return nil, x.corrupt("not a care index")
	}
	if v := binary.LittleEndian.Uint16(h[8:]); v != IndexVersion {
		return nil, x.corrupt("care index version %d, this gentre reads version %d", v, IndexVersion)
	}
	if crc32.Checksum(h[:tableLen-4], crcTable) != binary.LittleEndian.Uint32(h[tableLen-4:]) {
		return nil, x.corrupt("section table checksum mismatch")
	}
	if f := binary.LittleEndian.Uint16(h[10:]); f != 0 {
		return nil, x.corrupt("unknown flags %#x", f)
	}
	if n := binary.LittleEndian.Uint32(h[12:]); n != uint32(len(indexTags)) {
		return nil, x.corrupt("%d sections, want %d", n, len(indexTags))
	}
	off := uint64(tableLen)
	for i := range indexTags {
		e := h[indexHeaderLen+i*indexEntryLen:]
		if e[0] != indexTags[i] || e[1]|e[2]|e[3] != 0 {
			return nil, x.corrupt("section %d: tag %q, want %q", i, e[0], indexTags[i])
		}
		s := secRef{crc: binary.LittleEndian.Uint32(e[4:]), off: binary.LittleEndian.Uint64(e[8:]), n: binary.LittleEndian.Uint64(e[16:])}
		if s.off != off || s.n > uint64(size)-off {
			return nil, x.corrupt("section %c: offset or length out of range", indexTags[i])
		}
		off += s.n
		x.secs[i] = s
	}
	if off != uint64(size) {
		return nil, x.corrupt("%d bytes after the last section", uint64(size)-off)
	}
	if err := x.readMeta(); err != nil {
		return nil, err
	}
	return x, nil
}

// readAt is r.ReadAt, except that an empty read (an empty section at the
// end of the file) is no read at all.
func readAt(r io.ReaderAt, b []byte, off int64) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	return r.ReadAt(b, off)
}

// section reads and checks section i.
func (x *Index) section(i int) ([]byte, error) {
	s := x.secs[i]
	b := make([]byte, s.n)
	if _, err := readAt(x.r, b, int64(s.off)); err != nil {
		return nil, fmt.Errorf("%s: section %c: %w", x.name, indexTags[i], err)
	}
	if crc32.Checksum(b, crcTable) != s.crc {
		return nil, x.corrupt("section %c checksum mismatch", indexTags[i])
	}
	return b, nil
}

// metaReader reads the uvarint-based meta section.
type metaReader struct {
	b   []byte
	bad bool
}

func (m *metaReader) uvarint(limit uint64) uint64 {
	v, n := binary.Uvarint(m.b)
	if n <= 0 || v > limit {
		m.bad = true
		m.b = nil
		return 0
	}
	m.b = m.b[n:]
	return v
}

func (m *metaReader) str() string {
	n := m.uvarint(uint64(len(m.b)))
	if m.bad {
		return ""
	}
	s := string(m.b[:n])
	m.b = m.b[n:]
	return s
}

func (x *Index) readMeta() error {
	b, err := x.section(posMeta)
	if err != nil {
		return err
	}
	m := &metaReader{b: b}
	x.nPeople = int(m.uvarint(math.MaxInt32))
	x.nSamples = int(m.uvarint(math.MaxInt32))
	x.stamp.People = m.str()
	nev := m.uvarint(uint64(len(m.b)))
	for i := uint64(0); i < nev && !m.bad; i++ {
		x.stamp.Events = append(x.stamp.Events, m.str())
	}
	x.stamp.Links = m.str()
	x.stamp.Samples = m.str()
	if m.bad || len(m.b) != 0 {
		return x.corrupt("malformed meta section")
	}
	if x.secs[posBirths].n != 3*uint64(x.nPeople) || x.secs[posSampleMap].n != 4*uint64(x.nSamples) ||
		x.secs[posPseudonyms].n < 4*uint64(x.nPeople+1) {
		return x.corrupt("section lengths disagree with %d people and %d samples", x.nPeople, x.nSamples)
	}
	return nil
}

// Name returns the file name errors carry.
func (x *Index) Name() string { return x.name }

// Stamp returns what the index was built from.
func (x *Index) Stamp() IndexStamp { return x.stamp }

// NPeople returns the number of people rows (tombstones included).
func (x *Index) NPeople() int { return x.nPeople }

// NSamples returns the number of samples of the sample map.
func (x *Index) NSamples() int { return x.nSamples }

// readBitmap decodes one serialized roaring bitmap whose members must be
// people, with count members when count >= 0.
func (x *Index) readBitmap(b []byte, count int64, what string) (*roaring.Bitmap, error) {
	bm := roaring.New()
	n, err := bm.FromBuffer(b)
	if err != nil || n != int64(len(b)) {
		return nil, x.corrupt("%s: malformed bitmap", what)
	}
	if err := bm.Validate(); err != nil {
		return nil, x.corrupt("%s: malformed bitmap", what)
	}
	if !bm.IsEmpty() && bm.Maximum() >= uint32(x.nPeople) {
		return nil, x.corrupt("%s: person index out of range", what)
	}
	if count >= 0 && int64(bm.GetCardinality()) != count {
		return nil, x.corrupt("%s: %d people, directory says %d", what, bm.GetCardinality(), count)
	}
	return bm, nil
}

// PeopleSets returns every stored person (tombstones excluded) and the
// people of each sex, indexed by Sex.
func (x *Index) PeopleSets() (all *roaring.Bitmap, bySex [numSexes]*roaring.Bitmap, err error) {
	b, err := x.section(posSets)
	if err != nil {
		return nil, bySex, err
	}
	m := &metaReader{b: b}
	var sets [1 + numSexes]*roaring.Bitmap
	for i := range sets {
		n := m.uvarint(uint64(len(m.b)))
		if m.bad {
			return nil, bySex, x.corrupt("malformed people sets")
		}
		if sets[i], err = x.readBitmap(m.b[:n], -1, "people sets"); err != nil {
			return nil, bySex, err
		}
		m.b = m.b[n:]
	}
	if len(m.b) != 0 {
		return nil, bySex, x.corrupt("malformed people sets")
	}
	copy(bySex[:], sets[1:])
	return sets[0], bySex, nil
}

// Births returns each person's year and month of birth (0: unknown).
func (x *Index) Births() (years []int16, months []int8, err error) {
	b, err := x.section(posBirths)
	if err != nil {
		return nil, nil, err
	}
	years = make([]int16, x.nPeople)
	months = make([]int8, x.nPeople)
	for i := range years {
		years[i] = int16(binary.LittleEndian.Uint16(b[3*i:]))
		months[i] = int8(b[3*i+2])
	}
	return years, months, nil
}

// Pseudonyms returns each person's pseudonym (RemovedPerson for a
// tombstone), sharing one string's storage.
func (x *Index) Pseudonyms() ([]string, error) {
	b, err := x.section(posPseudonyms)
	if err != nil {
		return nil, err
	}
	n := x.nPeople
	text := b[4*(n+1):]
	if binary.LittleEndian.Uint32(b) != 0 || uint64(binary.LittleEndian.Uint32(b[4*n:])) != uint64(len(text)) {
		return nil, x.corrupt("malformed pseudonyms")
	}
	all := string(text)
	out := make([]string, n)
	prev := uint32(0)
	for i := range out {
		end := binary.LittleEndian.Uint32(b[4*(i+1):])
		if end < prev || int(end) > len(text) {
			return nil, x.corrupt("malformed pseudonyms")
		}
		out[i] = all[prev:end]
		prev = end
	}
	return out, nil
}

// SampleMap returns each sample's person index, or -1.
func (x *Index) SampleMap() ([]int32, error) {
	b, err := x.section(posSampleMap)
	if err != nil {
		return nil, err
	}
	out := make([]int32, x.nSamples)
	for g := range out {
		p := int32(binary.LittleEndian.Uint32(b[4*g:]))
		if p < -1 || int(p) >= x.nPeople {
			return nil, x.corrupt("sample %d: person index out of range", g)
		}
		out[g] = p
	}
	return out, nil
}

// Codes returns the directory of an indexed kind's codes.
func (x *Index) Codes(k Kind) (*CodeDir, error) {
	slot, ok := kindSlot(k)
	if !ok {
		return nil, fmt.Errorf("%s: %s events are not indexed", x.name, k)
	}
	if d := x.dirs[slot]; d != nil {
		return d, nil
	}
	b, err := x.section(posKinds + 2*slot)
	if err != nil {
		return nil, err
	}
	d, err := x.parseDir(slot, b)
	if err != nil {
		return nil, err
	}
	x.dirs[slot] = d
	return d, nil
}

// CodeDir is one kind's code directory.
type CodeDir struct {
	x       *Index
	kind    Kind
	data    secRef // the kind's data section
	n, nNum int
	offs    []byte // (n+1) u32 offsets into text
	entries []byte // n × dirEntryLen
	nums    []byte // nNum × numEntryLen
	text    []byte
}

func (x *Index) parseDir(slot int, b []byte) (*CodeDir, error) {
	d := &CodeDir{x: x, kind: IndexedKinds[slot], data: x.secs[posKinds+2*slot+1]}
	bad := func(what string) (*CodeDir, error) { return nil, x.corrupt("%s directory: %s", d.kind, what) }
	if len(b) < 8 {
		return bad("truncated")
	}
	n, nNum := uint64(binary.LittleEndian.Uint32(b)), uint64(binary.LittleEndian.Uint32(b[4:]))
	fixed := 8 + 4*(n+1) + dirEntryLen*n + numEntryLen*nNum
	if fixed > uint64(len(b)) || nNum > n {
		return bad("counts exceed the section")
	}
	d.n, d.nNum = int(n), int(nNum)
	p := 8
	d.offs = b[p : p+4*(d.n+1)]
	p += len(d.offs)
	d.entries = b[p : p+dirEntryLen*d.n]
	p += len(d.entries)
	d.nums = b[p : p+numEntryLen*d.nNum]
	p += len(d.nums)
	d.text = b[p:]
	if binary.LittleEndian.Uint32(d.offs) != 0 || uint64(binary.LittleEndian.Uint32(d.offs[4*d.n:])) != uint64(len(d.text)) {
		return bad("code offsets do not span the codes")
	}
	var end uint64
	for i := 0; i < d.n; i++ {
		if o := binary.LittleEndian.Uint32(d.offs[4*(i+1):]); o < binary.LittleEndian.Uint32(d.offs[4*i:]) || int(o) > len(d.text) {
			return bad("code offsets decrease")
		}
		if i > 0 && bytes.Compare(d.codeBytes(i-1), d.codeBytes(i)) >= 0 {
			return bad("codes not strictly ascending")
		}
		e := d.entries[dirEntryLen*i:]
		if binary.LittleEndian.Uint64(e) != end {
			return bad("entries not contiguous")
		}
		end += uint64(binary.LittleEndian.Uint32(e[8:]))
	}
	if end != d.data.n {
		return bad("entries do not span the data section")
	}
	for j := 0; j < d.nNum; j++ {
		v, e := d.Numeric(j)
		if e < 0 || e >= d.n {
			return bad("numeric entry out of range")
		}
		if j > 0 {
			pv, pe := d.Numeric(j - 1)
			if pv > v || (pv == v && pe >= e) {
				return bad("numeric codes not ascending")
			}
		}
	}
	return d, nil
}

// Len returns the number of codes.
func (d *CodeDir) Len() int { return d.n }

func (d *CodeDir) codeBytes(i int) []byte {
	return d.text[binary.LittleEndian.Uint32(d.offs[4*i:]):binary.LittleEndian.Uint32(d.offs[4*(i+1):])]
}

// Code returns code i (codes ascend bytewise).
func (d *CodeDir) Code(i int) string { return string(d.codeBytes(i)) }

// Find returns the entry of code, if the kind has it.
func (d *CodeDir) Find(code string) (int, bool) {
	i := sort.Search(d.n, func(i int) bool { return string(d.codeBytes(i)) >= code })
	return i, i < d.n && string(d.codeBytes(i)) == code
}

// NumericLen returns the number of codes that parse as base-10 integers.
func (d *CodeDir) NumericLen() int { return d.nNum }

// Numeric returns the j-th integer code (ascending by value) and its entry.
func (d *CodeDir) Numeric(j int) (value int64, entry int) {
	e := d.nums[numEntryLen*j:]
	return int64(binary.LittleEndian.Uint64(e)), int(binary.LittleEndian.Uint32(e[8:]))
}

// FindNumeric returns the range [lo, hi) of integer codes whose value is v.
func (d *CodeDir) FindNumeric(v int64) (lo, hi int) {
	lo = sort.Search(d.nNum, func(j int) bool { x, _ := d.Numeric(j); return x >= v })
	hi = lo
	for hi < d.nNum {
		if x, _ := d.Numeric(hi); x != v {
			break
		}
		hi++
	}
	return lo, hi
}

// entry reads and checks entry i's bytes.
func (d *CodeDir) entry(i int) ([]byte, uint32, error) {
	e := d.entries[dirEntryLen*i:]
	off, n := binary.LittleEndian.Uint64(e), binary.LittleEndian.Uint32(e[8:])
	b := make([]byte, n)
	if _, err := readAt(d.x.r, b, int64(d.data.off+off)); err != nil {
		return nil, 0, fmt.Errorf("%s: %s entry %d: %w", d.x.name, d.kind, i, err)
	}
	if crc32.Checksum(b, crcTable) != binary.LittleEndian.Uint32(e[12:]) {
		return nil, 0, d.x.corrupt("%s entry %d checksum mismatch", d.kind, i)
	}
	return b, binary.LittleEndian.Uint32(e[16:]), nil
}

// Bitmap returns the people with an event of code i (conditions and
// medications). The bitmap is the caller's.
func (d *CodeDir) Bitmap(i int) (*roaring.Bitmap, error) {
	if d.kind == Observation {
		return nil, fmt.Errorf("%s: observations have values, not bitmaps", d.x.name)
	}
	b, count, err := d.entry(i)
	if err != nil {
		return nil, err
	}
	return d.x.readBitmap(b, int64(count), fmt.Sprintf("%s entry %d", d.kind, i))
}

// Obs is one observation code's values, ascending, with their people.
type Obs struct {
	vals, persons []byte
	n             int
}

// Len returns the number of values.
func (o *Obs) Len() int { return o.n }

// Value returns value i.
func (o *Obs) Value(i int) float64 {
	return math.Float64frombits(binary.LittleEndian.Uint64(o.vals[8*i:]))
}

// Person returns the person of value i.
func (o *Obs) Person(i int) uint32 { return binary.LittleEndian.Uint32(o.persons[4*i:]) }

// Observations returns observation code i's values.
func (d *CodeDir) Observations(i int) (*Obs, error) {
	if d.kind != Observation {
		return nil, fmt.Errorf("%s: %s events have no values", d.x.name, d.kind)
	}
	b, count, err := d.entry(i)
	if err != nil {
		return nil, err
	}
	if uint64(len(b)) != 12*uint64(count) {
		return nil, d.x.corrupt("observation entry %d: length disagrees with its count", i)
	}
	o := &Obs{vals: b[:8*count], persons: b[8*count:], n: int(count)}
	for j := 0; j < o.n; j++ {
		v := o.Value(j)
		if math.IsNaN(v) || (j > 0 && o.Value(j-1) > v) || o.Person(j) >= uint32(d.x.nPeople) {
			return nil, d.x.corrupt("observation entry %d: values not ascending or person out of range", i)
		}
	}
	return o, nil
}

// VerifyIndex reads and checks every part of an index held in memory:
// every checksum, every structural rule a lazy reader checks, and the
// consistency rules between sections (the people sets against the
// pseudonyms, the sample map against the tombstones, each integer code's
// value). It returns the first problem found.
func VerifyIndex(name string, data []byte) error {
	x, err := OpenIndex(name, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	for i := range indexTags {
		if _, err := x.section(i); err != nil {
			return err
		}
	}
	all, bySex, err := x.PeopleSets()
	if err != nil {
		return err
	}
	psn, err := x.Pseudonyms()
	if err != nil {
		return err
	}
	union := roaring.New()
	for _, s := range bySex {
		if union.Intersects(s) {
			return x.corrupt("people sets: a person has two sexes")
		}
		union.Or(s)
	}
	if !union.Equals(all) {
		return x.corrupt("people sets: the sexes do not partition everyone")
	}
	for i, p := range psn {
		if all.Contains(uint32(i)) == (p == RemovedPerson) {
			return x.corrupt("people sets: person %d disagrees with its pseudonym", i)
		}
	}
	_, months, err := x.Births()
	if err != nil {
		return err
	}
	for i, m := range months {
		if m < 0 || m > 12 {
			return x.corrupt("person %d: birth month out of range", i)
		}
	}
	sm, err := x.SampleMap()
	if err != nil {
		return err
	}
	for g, p := range sm {
		if p >= 0 && !all.Contains(uint32(p)) {
			return x.corrupt("sample %d: linked to a removed person", g)
		}
	}
	for _, k := range IndexedKinds {
		d, err := x.Codes(k)
		if err != nil {
			return err
		}
		for j := 0; j < d.NumericLen(); j++ {
			v, e := d.Numeric(j)
			if pv, err := strconv.ParseInt(d.Code(e), 10, 64); err != nil || pv != v {
				return x.corrupt("%s directory: numeric entry %d disagrees with its code", k, j)
			}
		}
		nNum := 0
		for i := 0; i < d.Len(); i++ {
			if _, err := strconv.ParseInt(d.Code(i), 10, 64); err == nil {
				nNum++
			}
			var err error
			if k == Observation {
				_, err = d.Observations(i)
			} else {
				_, err = d.Bitmap(i)
			}
			if err != nil {
				return err
			}
		}
		if nNum != d.NumericLen() {
			return x.corrupt("%s directory: %d integer codes, %d listed", k, nNum, d.NumericLen())
		}
	}
	return nil
}
