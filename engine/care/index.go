package care

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"
)

// The care index (care/NNNNNN.careidx) is derived from one release's people
// and events tables, sample links and sample list, so that a query never
// reads Parquet: per condition, medication and observation code the people
// with such an event (for observations, every value with its person, sorted
// by value), the people's sex sets, months of birth and pseudonyms, and each
// sample's person. A section table at the front lets a reader fetch only the
// sections and code entries a query names; each section and each code entry
// has its own CRC-32C. The Parquet tables stay the source of truth: the
// index is rebuilt from them at every change and a reader without one
// builds the same sets from Parquet. Layout: docs/format.md, "Care index".

const (
	indexMagic = "\x89GCI\r\n\x1a\n"
	// IndexVersion is the care index format this gentre writes and reads.
	IndexVersion   = 1
	indexHeaderLen = 16
	indexEntryLen  = 24
	dirEntryLen    = 20 // off u64 | len u32 | crc u32 | count u32
	numEntryLen    = 12 // value i64 | entry u32
)

// Section tags, in the order they appear in the file.
const (
	secMeta       = 'H'
	secSets       = 'P'
	secBirths     = 'B'
	secPseudonyms = 'N'
	secSampleMap  = 'S'
	secCondDir    = 'c'
	secCondData   = 'C'
	secMedDir     = 'd'
	secMedData    = 'D'
	secObsDir     = 'o'
	secObsData    = 'O'
)

var indexTags = [...]byte{secMeta, secSets, secBirths, secPseudonyms, secSampleMap,
	secCondDir, secCondData, secMedDir, secMedData, secObsDir, secObsData}

// The position of each section in indexTags.
const (
	posMeta = iota
	posSets
	posBirths
	posPseudonyms
	posSampleMap
	posKinds // then a directory and a data section per indexed kind
)

// tableLen is the length of the header, section table and table CRC.
const tableLen = indexHeaderLen + len(indexTags)*indexEntryLen + 4

// IndexedKinds are the event kinds the index holds, in file order: those a
// cohort predicate can name. Procedures and encounters are not indexed.
var IndexedKinds = [...]Kind{Condition, Medication, Observation}

// kindSlot returns the position of k in IndexedKinds.
func kindSlot(k Kind) (int, bool) {
	for i, x := range IndexedKinds {
		if x == k {
			return i, true
		}
	}
	return 0, false
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// IndexStamp names what an index was built from: the release's people
// table, events tables and links file (store-relative names: a store never
// reuses a file name) and the SHA-256 (hex) of the body of its sample list
// ("" when the release has none). A reader uses the index only when the
// stamp matches its release; the sample map only when the digest does too.
type IndexStamp struct {
	People  string
	Events  []string
	Links   string
	Samples string
}

// SameCare reports whether s and o name the same people, events and links.
func (s *IndexStamp) SameCare(o *IndexStamp) bool {
	return s.People == o.People && s.Links == o.Links && slices.Equal(s.Events, o.Events)
}

type obsPair struct {
	v float64
	p uint32
}

// IndexBuilder accumulates one release's care records into an index.
type IndexBuilder struct {
	people    []Person
	codes     [2]map[string]*roaring.Bitmap // Condition, Medication
	obs       map[string][]obsPair
	sampleMap []int32
}

// NewIndexBuilder starts an index over people (row i = person index i;
// tombstones, Pseudonym RemovedPerson, are in no set).
func NewIndexBuilder(people []Person) *IndexBuilder {
	return &IndexBuilder{people: people, codes: [2]map[string]*roaring.Bitmap{{}, {}}, obs: map[string][]obsPair{}}
}

// Add indexes one event: conditions and medications by code, observations
// with a value by code and value (an observation without a value matches no
// observation predicate). Other kinds are checked and skipped.
func (b *IndexBuilder) Add(e *Event) error {
	if e.Person < 0 || int(e.Person) >= len(b.people) {
		return fmt.Errorf("person index %d out of range: %w", e.Person, ErrCorrupt)
	}
	switch e.Kind {
	case Observation:
		if !math.IsNaN(e.Value) {
			b.obs[e.Code] = append(b.obs[e.Code], obsPair{e.Value, uint32(e.Person)})
		}
	case Condition, Medication:
		m := b.codes[0]
		if e.Kind == Medication {
			m = b.codes[1]
		}
		bm := m[e.Code]
		if bm == nil {
			bm = roaring.New()
			m[e.Code] = bm
		}
		bm.Add(uint32(e.Person))
	}
	return nil
}

// SetSampleMap sets each sample's person (by global sample index; -1 for a
// sample linked to no stored person), as SampleMap computes it.
func (b *IndexBuilder) SetSampleMap(m []int32) error {
	for g, p := range m {
		if p < -1 || int(p) >= len(b.people) || (p >= 0 && b.people[p].Pseudonym == RemovedPerson) {
			return fmt.Errorf("sample %d: person %d is not a stored person", g, p)
		}
	}
	b.sampleMap = m
	return nil
}

// SampleMap returns each sample's person index, or -1: samples are the
// store's sample list (pseudonyms by global index), links maps a sample
// pseudonym to a person pseudonym, and pseudonyms are the people's by index.
// Removed people (RemovedPerson) have no samples.
func SampleMap(pseudonyms []string, links map[string]string, samples []string) []int32 {
	byPsn := make(map[string]int32, len(pseudonyms))
	for i, p := range pseudonyms {
		if p != RemovedPerson {
			byPsn[p] = int32(i)
		}
	}
	out := make([]int32, len(samples))
	for g, s := range samples {
		out[g] = -1
		if p, ok := links[s]; ok {
			if i, ok := byPsn[p]; ok {
				out[g] = i
			}
		}
	}
	return out
}

// Encode returns the index file.
func (b *IndexBuilder) Encode(stamp IndexStamp) ([]byte, error) {
	if uint64(len(b.people)) > math.MaxInt32 || uint64(len(b.sampleMap)) > math.MaxInt32 {
		return nil, fmt.Errorf("care index: too many people or samples")
	}
	secs := make([][]byte, len(indexTags))
	secs[posMeta] = b.encodeMeta(&stamp)
	var err error
	if secs[posSets], err = b.encodeSets(); err != nil {
		return nil, err
	}
	secs[posBirths] = b.encodeBirths()
	if secs[posPseudonyms], err = b.encodePseudonyms(); err != nil {
		return nil, err
	}
	sm := make([]byte, 0, 4*len(b.sampleMap))
	for _, p := range b.sampleMap {
		sm = binary.LittleEndian.AppendUint32(sm, uint32(p))
	}
	secs[posSampleMap] = sm
	for slot, k := range IndexedKinds {
		var dir, data []byte
		if k == Observation {
			dir, data, err = encodeObservations(b.obs)
		} else {
			dir, data, err = encodeBitmaps(b.codes[slot])
		}
		if err != nil {
			return nil, err
		}
		secs[posKinds+2*slot], secs[posKinds+2*slot+1] = dir, data
	}
	return assembleIndex(secs), nil
}

func assembleIndex(secs [][]byte) []byte {
	total := tableLen
	for _, s := range secs {
		total += len(s)
	}
	out := make([]byte, 0, total)
	out = append(out, indexMagic...)
	out = binary.LittleEndian.AppendUint16(out, IndexVersion)
	out = binary.LittleEndian.AppendUint16(out, 0)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(secs)))
	off := uint64(tableLen)
	for i, s := range secs {
		out = append(out, indexTags[i], 0, 0, 0)
		out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(s, crcTable))
		out = binary.LittleEndian.AppendUint64(out, off)
		out = binary.LittleEndian.AppendUint64(out, uint64(len(s)))
		off += uint64(len(s))
	}
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, crcTable))
	for _, s := range secs {
		out = append(out, s...)
	}
	return out
}

func appendBytes(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func (b *IndexBuilder) encodeMeta(s *IndexStamp) []byte {
	var out []byte
	out = binary.AppendUvarint(out, uint64(len(b.people)))
	out = binary.AppendUvarint(out, uint64(len(b.sampleMap)))
	out = appendBytes(out, s.People)
	out = binary.AppendUvarint(out, uint64(len(s.Events)))
	for _, e := range s.Events {
		out = appendBytes(out, e)
	}
	out = appendBytes(out, s.Links)
	return appendBytes(out, s.Samples)
}

// encodeSets writes every live person, then the people of each sex
// (SexUnknown, SexFemale, SexMale, SexOther), as serialized roaring bitmaps.
func (b *IndexBuilder) encodeSets() ([]byte, error) {
	sets := make([]*roaring.Bitmap, 1+numSexes)
	for i := range sets {
		sets[i] = roaring.New()
	}
	for i := range b.people {
		p := &b.people[i]
		if p.Pseudonym == RemovedPerson {
			continue
		}
		if p.Sex < 0 || int(p.Sex) >= numSexes {
			return nil, fmt.Errorf("care index: person %d: sex %d out of range", i, p.Sex)
		}
		sets[0].Add(uint32(i))
		sets[1+int(p.Sex)].Add(uint32(i))
	}
	var out []byte
	for _, s := range sets {
		s.RunOptimize()
		data, err := s.ToBytes()
		if err != nil {
			return nil, err
		}
		out = binary.AppendUvarint(out, uint64(len(data)))
		out = append(out, data...)
	}
	return out, nil
}

// numSexes is the number of Sex values (SexUnknown .. SexOther).
const numSexes = 4

func (b *IndexBuilder) encodeBirths() []byte {
	out := make([]byte, 0, 3*len(b.people))
	for i := range b.people {
		out = binary.LittleEndian.AppendUint16(out, uint16(b.people[i].BirthYear))
		out = append(out, byte(b.people[i].BirthMonth))
	}
	return out
}

func (b *IndexBuilder) encodePseudonyms() ([]byte, error) {
	n := 0
	for i := range b.people {
		n += len(b.people[i].Pseudonym)
	}
	if n > math.MaxUint32 {
		return nil, fmt.Errorf("care index: pseudonyms exceed 4 GiB")
	}
	out := make([]byte, 0, 4*(len(b.people)+1)+n)
	off := uint32(0)
	out = binary.LittleEndian.AppendUint32(out, 0)
	for i := range b.people {
		off += uint32(len(b.people[i].Pseudonym))
		out = binary.LittleEndian.AppendUint32(out, off)
	}
	for i := range b.people {
		out = append(out, b.people[i].Pseudonym...)
	}
	return out, nil
}

// encodeDir writes a kind's directory: codes (sorted), their entries in
// the data section (contiguous, in code order) and the codes that parse
// as integers (strconv.ParseInt base 10), sorted by value.
func encodeDir(codes []string, lens []int, crcs, counts []uint32) ([]byte, error) {
	if len(codes) > math.MaxInt32 {
		return nil, fmt.Errorf("care index: too many codes")
	}
	type num struct {
		v int64
		e uint32
	}
	var nums []num
	textLen := 0
	for i, c := range codes {
		textLen += len(c)
		if v, err := strconv.ParseInt(c, 10, 64); err == nil {
			nums = append(nums, num{v, uint32(i)})
		}
	}
	if textLen > math.MaxUint32 {
		return nil, fmt.Errorf("care index: codes exceed 4 GiB")
	}
	slices.SortFunc(nums, func(a, b num) int {
		if c := cmp.Compare(a.v, b.v); c != 0 {
			return c
		}
		return cmp.Compare(a.e, b.e)
	})
	out := make([]byte, 0, 8+4*(len(codes)+1)+dirEntryLen*len(codes)+numEntryLen*len(nums)+textLen)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(codes)))
	out = binary.LittleEndian.AppendUint32(out, uint32(len(nums)))
	off := uint32(0)
	out = binary.LittleEndian.AppendUint32(out, 0)
	for _, c := range codes {
		off += uint32(len(c))
		out = binary.LittleEndian.AppendUint32(out, off)
	}
	dataOff := uint64(0)
	for i := range codes {
		if lens[i] > math.MaxUint32 {
			return nil, fmt.Errorf("care index: one code's entry exceeds 4 GiB")
		}
		out = binary.LittleEndian.AppendUint64(out, dataOff)
		out = binary.LittleEndian.AppendUint32(out, uint32(lens[i]))
		out = binary.LittleEndian.AppendUint32(out, crcs[i])
		out = binary.LittleEndian.AppendUint32(out, counts[i])
		dataOff += uint64(lens[i])
	}
	for _, n := range nums {
		out = binary.LittleEndian.AppendUint64(out, uint64(n.v))
		out = binary.LittleEndian.AppendUint32(out, n.e)
	}
	for _, c := range codes {
		out = append(out, c...)
	}
	return out, nil
}

func encodeBitmaps(m map[string]*roaring.Bitmap) (dir, data []byte, err error) {
	codes := slices.Sorted(maps.Keys(m))
	lens := make([]int, len(codes))
	crcs := make([]uint32, len(codes))
	counts := make([]uint32, len(codes))
	for i, c := range codes {
		bm := m[c]
		bm.RunOptimize()
		b, err := bm.ToBytes()
		if err != nil {
			return nil, nil, err
		}
		lens[i], crcs[i], counts[i] = len(b), crc32.Checksum(b, crcTable), uint32(bm.GetCardinality())
		data = append(data, b...)
	}
	dir, err = encodeDir(codes, lens, crcs, counts)
	return dir, data, err
}

// encodeObservations writes each code's values ascending (ties by person,
// exact duplicates once), then the persons in the same order.
func encodeObservations(m map[string][]obsPair) (dir, data []byte, err error) {
	codes := slices.Sorted(maps.Keys(m))
	lens := make([]int, len(codes))
	crcs := make([]uint32, len(codes))
	counts := make([]uint32, len(codes))
	for i, c := range codes {
		ps := m[c]
		slices.SortFunc(ps, func(a, b obsPair) int {
			if c := cmp.Compare(a.v, b.v); c != 0 {
				return c
			}
			if c := cmp.Compare(a.p, b.p); c != 0 {
				return c
			}
			return cmp.Compare(math.Float64bits(a.v), math.Float64bits(b.v))
		})
		ps = slices.CompactFunc(ps, func(a, b obsPair) bool {
			return a.p == b.p && math.Float64bits(a.v) == math.Float64bits(b.v)
		})
		if len(ps) > math.MaxUint32/12 {
			return nil, nil, fmt.Errorf("care index: too many observations of one code")
		}
		start := len(data)
		for _, p := range ps {
			data = binary.LittleEndian.AppendUint64(data, math.Float64bits(p.v))
		}
		for _, p := range ps {
			data = binary.LittleEndian.AppendUint32(data, p.p)
		}
		b := data[start:]
		lens[i], crcs[i], counts[i] = len(b), crc32.Checksum(b, crcTable), uint32(len(ps))
	}
	dir, err = encodeDir(codes, lens, crcs, counts)
	return dir, data, err
}
