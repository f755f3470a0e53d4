package disclosure

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/gentre/gentre/trusted-research/internal/sealed"
)

// A released person set is stored twice over, under the same 16-byte key,
// cardinality (8 bytes, big-endian) ‖ sequence (8 bytes, big-endian), so that
// the sets whose size is within the threshold of a new cohort's are one
// contiguous key range:
//
//   - in the project's "sets" bucket, a small index record the guard scans:
//     [0] version (1), [1:4] zero, [4:8] CRC-32C of bytes [8:] (big-endian),
//     [8:40] SHA-256 of the query text that released the set, [40:1064] the
//     set's sketch: 256 little-endian uint32 counts of its members by
//     bucket(x) (see sketchBucket);
//   - in the project's "bitmaps" bucket, the set itself: [0:4] CRC-32C of
//     bytes [8:] (big-endian), [4:8] zero, [8:] roaring's portable
//     serialisation.
const (
	setVersion     = 1
	sketchBuckets  = 256
	setIndexSize   = 40 + 4*sketchBuckets
	bitmapHeadSize = 8
)

// sketch counts a set's members by a hash of the person number. Each person
// in A Δ B changes one count by one, so the L1 distance between two sketches
// is a lower bound of |A Δ B|: a stored set whose sketch is more than t away
// cannot be within t people, and its bitmap is never read.
type sketch [sketchBuckets]uint32

// sketchBucket is a multiplicative (Fibonacci) hash to 8 bits. It is public
// and fixed: a crafted set can only make differences cancel out in the
// sketch, which costs an exact comparison, never a wrong answer.
func sketchBucket(x uint32) uint32 { return (x * 0x9e3779b1) >> 24 }

func sketchOf(b *roaring.Bitmap) *sketch {
	var s sketch
	buf := make([]uint32, 1024)
	it := b.ManyIterator()
	for n := it.NextMany(buf); n > 0; n = it.NextMany(buf) {
		for _, x := range buf[:n] {
			s[sketchBucket(x)]++
		}
	}
	return &s
}

// farther reports whether the L1 distance between s and the stored sketch
// raw (1024 bytes) exceeds t, stopping as soon as it does.
func (s *sketch) farther(raw []byte, t uint64) bool {
	var d uint64
	for i, c := range s {
		o := binary.LittleEndian.Uint32(raw[4*i:])
		if c > o {
			d += uint64(c - o)
		} else {
			d += uint64(o - c)
		}
		if d > t {
			return true
		}
	}
	return false
}

func setKey(card, seq uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, card)
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

func encodeSetIndex(s *sketch, digest [32]byte) []byte {
	v := make([]byte, setIndexSize)
	v[0] = setVersion
	copy(v[8:40], digest[:])
	for i, c := range s {
		binary.LittleEndian.PutUint32(v[40+4*i:], c)
	}
	binary.BigEndian.PutUint32(v[4:8], crc(v[8:]))
	return v
}

// decodeSetIndex checks an index record and returns its query digest and
// sketch bytes (aliasing v).
func decodeSetIndex(v []byte) (digest, sk []byte, err error) {
	if len(v) != setIndexSize || v[0] != setVersion || binary.BigEndian.Uint32(v[4:8]) != crc(v[8:]) {
		return nil, nil, fmt.Errorf("%w: released person set index", ErrCorrupt)
	}
	return v[8:40], v[40:], nil
}

func encodeBitmap(b *roaring.Bitmap) ([]byte, error) { return sealed.Bitmap(b) }

// storeSets records the person sets of a released answer.
func storeSets(p project, sets []*roaring.Bitmap, digest [32]byte) error {
	_, err := storeSetKeys(p, sets, sameDigests(digest, len(sets)))
	return err
}

// sameDigests is n copies of digest: every set named by one query text.
func sameDigests(digest [32]byte, n int) [][32]byte {
	out := make([][32]byte, n)
	for i := range out {
		out[i] = digest
	}
	return out
}

// storeSetKeys is storeSets, returning the keys the sets were stored under
// (for the answer's use record, uses.go). digests[i] is the digest of
// sets[i]'s name (Question.Names, or the query text).
func storeSetKeys(p project, sets []*roaring.Bitmap, digests [][32]byte) ([][]byte, error) {
	ib, bb := p.b.Bucket(bucketSets), p.b.Bucket(bucketBitmaps)
	keys := make([][]byte, 0, len(sets))
	for i, b := range sets {
		bm, err := encodeBitmap(b)
		if err != nil {
			return nil, err
		}
		seq, err := ib.NextSequence()
		if err != nil {
			return nil, err
		}
		k := setKey(b.GetCardinality(), seq)
		if err := ib.Put(k, encodeSetIndex(sketchOf(b), digests[i])); err != nil {
			return nil, err
		}
		if err := bb.Put(k, bm); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// tooClose reports whether releasing the sets cands (from a question whose
// query text has the given digest) must be refused by the differencing
// guard, given the sets already released in the project p:
//
//   - against a stored set B, a candidate A is refused when |A Δ B| ≤ t,
//     except when A = B and B was released by the same query text (the same
//     question asked by another partner or on another data release);
//     A = B from a different text is refused like |A Δ B| = 1, because
//     otherwise "answered" versus "refused" would itself tell whether one
//     person is in a cohort (docs/disclosure.md, "The differencing guard");
//   - within the question (e.g. freq in A vs B), when 1 ≤ |A Δ B| ≤ t.
//
// Three filters, cheapest first: |A Δ B| ≥ ||A| − |B||, so only stored sets
// whose size is within t of |A| are looked at (a key-range scan); |A Δ B| ≥
// the L1 distance of the sketches, so only those whose sketch is within t
// are read; for those, |A Δ B| = |A| + |B| − 2|A ∩ B| exactly, from roaring's
// AndCardinality on a zero-copy view of the stored bytes.
//
// sameSetOK (tests only) applies DESIGN.md's literal 1..t rule instead,
// letting A = B through whatever text released B: the tracker test shows the
// attack that this opens.
func tooClose(p project, cands []*roaring.Bitmap, digest [32]byte, t uint64, sameSetOK bool) (bool, error) {
	return tooCloseNamed(p, cands, sameDigests(digest, len(cands)), t, sameSetOK)
}

// tooCloseNamed is tooClose with a name for each candidate (digests[i] for
// cands[i], see Question.Names): A = B is let through when B was released
// under A's name.
func tooCloseNamed(p project, cands []*roaring.Bitmap, digests [][32]byte, t uint64, sameSetOK bool) (bool, error) {
	cards := make([]uint64, len(cands))
	for i, a := range cands {
		cards[i] = a.GetCardinality()
		for j := range i {
			if d := symDiff(cards[i], cards[j], a.AndCardinality(cands[j])); d >= 1 && d <= t {
				return true, nil
			}
		}
	}
	ib, bb := p.sub(bucketSets), p.sub(bucketBitmaps)
	if ib == nil {
		return false, nil
	}
	c := ib.Cursor()
	var seek [8]byte
	for i, a := range cands {
		n := cards[i]
		var sk *sketch
		binary.BigEndian.PutUint64(seek[:], n-min(n, t))
		for k, v := c.Seek(seek[:]); k != nil; k, v = c.Next() {
			if len(k) != 16 {
				return false, fmt.Errorf("%w: released person set key", ErrCorrupt)
			}
			m := binary.BigEndian.Uint64(k)
			if m > n+t {
				break
			}
			dg, raw, err := decodeSetIndex(v)
			if err != nil {
				return false, err
			}
			if sk == nil {
				sk = sketchOf(a)
			}
			if sk.farther(raw, t) {
				continue
			}
			d, err := exactDiff(a, n, m, bb.Get(k))
			if err != nil {
				return false, err
			}
			if d > t || (d == 0 && (sameSetOK || bytes.Equal(dg, digests[i][:]))) {
				continue
			}
			return true, nil
		}
	}
	return false, nil
}

// exactDiff is |A Δ B| for the candidate a (cardinality n) and a stored
// bitmap record v whose key says it has m people.
func exactDiff(a *roaring.Bitmap, n, m uint64, v []byte) (uint64, error) {
	// The view aliases bbolt's memory map, which stays valid for the whole
	// transaction because nothing is written before the guard has run; the
	// view is dropped before this returns.
	b, err := sealed.BitmapView(v, ErrCorrupt, "released person set")
	if err != nil {
		return 0, err
	}
	if b.GetCardinality() != m {
		return 0, fmt.Errorf("%w: released person set: size does not match its key", ErrCorrupt)
	}
	return symDiff(n, m, a.AndCardinality(b)), nil
}

// symDiff is |A Δ B| from |A|, |B| and |A ∩ B|.
func symDiff(a, b, and uint64) uint64 { return a + b - 2*and }
