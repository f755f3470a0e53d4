package disclosure

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/gentre/gentre/trusted-research/internal/sealed"
)

// A released answer's use record says when, on which data release and by
// which action the answer was released, and under which keys its person
// sets are stored, so that a citizen can be told which answers included
// them (UsesOf). It is written in the answer's transaction (store_release.go),
// only for answers that released person sets.
//
// In the project's "uses" bucket (created with the first record), key: the
// bucket's sequence (uint64, big-endian); value:
//
//	[0] version (1), [1:4] zero, [4:8] CRC-32C of [8:] (big-endian),
//	[8:16] time (Unix nanoseconds, big-endian), uvarint-length action,
//	uvarint-length release, uvarint n, n × 16-byte set keys ("sets"/"bitmaps").
//
// Answers released before this record existed have none: they are not
// listed.
var bucketUses = []byte("uses")

const useVersion = 1

// now is the clock of use records (a variable for tests).
var now = time.Now

// Use is one released answer that included a person.
type Use struct {
	Time    time.Time // when the answer was released (UTC)
	Project string
	// Action is the gateway action that released it: cohort.count, freq,
	// case_control, coverage, or the query's first word for other kinds.
	Action  string
	Release string // the data release the answer was computed on
}

// actionOf names the action of a canonical query text: the gateway's
// action names for the query kinds it releases (a freq with a comparator
// is case_control), else the text's first word. The query text itself is
// not kept.
func actionOf(query string) string {
	kind, rest, _ := strings.Cut(query, " ")
	switch kind {
	case "count":
		return "cohort.count"
	case "freq":
		if strings.Contains(rest, " vs ") {
			return "case_control"
		}
	}
	return kind
}

func encodeUse(t time.Time, action, release string, keys [][]byte) []byte {
	v := make([]byte, 16, 16+len(action)+len(release)+8+16*len(keys))
	v[0] = useVersion
	binary.BigEndian.PutUint64(v[8:16], uint64(t.UnixNano()))
	v = sealed.AppendLP(v, action)
	v = sealed.AppendLP(v, release)
	v = binary.AppendUvarint(v, uint64(len(keys)))
	for _, k := range keys {
		v = append(v, k...)
	}
	binary.BigEndian.PutUint32(v[4:8], crc(v[8:]))
	return v
}

type useRecord struct {
	time            time.Time
	action, release string
	keys            []byte // n × 16 bytes, aliasing the record
}

func decodeUse(v []byte) (useRecord, error) {
	bad := fmt.Errorf("%w: use record", ErrCorrupt)
	if len(v) < 16 || v[0] != useVersion || binary.BigEndian.Uint32(v[4:8]) != crc(v[8:]) {
		return useRecord{}, bad
	}
	r := useRecord{time: time.Unix(0, int64(binary.BigEndian.Uint64(v[8:16]))).UTC()}
	b := v[16:]
	field := func() (string, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return "", false
		}
		s := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return s, true
	}
	var ok1, ok2 bool
	r.action, ok1 = field()
	r.release, ok2 = field()
	n, k := binary.Uvarint(b)
	if !ok1 || !ok2 || k <= 0 || n > uint64(len(b)-k)/16 || uint64(len(b)-k) != 16*n {
		return useRecord{}, bad
	}
	r.keys = b[k:]
	return r, nil
}

// recordUse writes the use record of an answer whose person sets were just
// stored under keys (nothing when it released none).
func recordUse(p project, q Question, keys [][]byte) error {
	if len(keys) == 0 {
		return nil
	}
	ub, err := p.b.CreateBucketIfNotExists(bucketUses)
	if err != nil {
		return err
	}
	seq, err := ub.NextSequence()
	if err != nil {
		return err
	}
	k := binary.BigEndian.AppendUint64(nil, seq)
	return ub.Put(k, encodeUse(now().UTC(), actionOf(q.Query), q.Release, keys))
}

// UsesOf lists the released answers, in every project, one of whose person
// sets contains person (an index of the stable person numbering), oldest
// first. It says nothing of the answers' other people: no sizes, no query
// text. A stored set is only read when its sketch has members in person's
// bucket.
func (s *Store) UsesOf(person uint32) ([]Use, error) {
	var out []Use
	bucket := sketchBucket(person)
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketTop).Bucket(bucketProjects).Cursor()
		for name, v := c.First(); name != nil; name, v = c.Next() {
			if v != nil {
				continue // not a project bucket
			}
			p := project{b: tx.Bucket(bucketTop).Bucket(bucketProjects).Bucket(name)}
			uses, err := usesIn(p, person, bucket)
			if err != nil {
				return fmt.Errorf("project %q: %w", name, err)
			}
			for _, u := range uses {
				u.Project = string(name)
				out = append(out, u)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("disclosure: uses: %w", err)
	}
	slices.SortStableFunc(out, func(a, b Use) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Project, b.Project))
	})
	return out, nil
}

// usesIn returns the uses of one project that include person.
func usesIn(p project, person, bucket uint32) ([]Use, error) {
	ub, ib, bb := p.sub(bucketUses), p.sub(bucketSets), p.sub(bucketBitmaps)
	if ub == nil {
		return nil, nil
	}
	if ib == nil || bb == nil {
		return nil, fmt.Errorf("%w: use records without released sets", ErrCorrupt)
	}
	var out []Use
	err := ub.ForEach(func(_, v []byte) error {
		r, err := decodeUse(v)
		if err != nil {
			return err
		}
		for k := r.keys; len(k) > 0; k = k[16:] {
			in, err := setContains(ib, bb, k[:16], person, bucket)
			if err != nil {
				return err
			}
			if in {
				out = append(out, Use{Time: r.time, Action: r.action, Release: r.release})
				break
			}
		}
		return nil
	})
	return out, err
}

// setContains reports whether the stored set under key holds person,
// reading the bitmap only when the set's sketch counts members in person's
// bucket.
func setContains(ib, bb *bbolt.Bucket, key []byte, person, bucket uint32) (bool, error) {
	_, sk, err := decodeSetIndex(ib.Get(key))
	if err != nil {
		return false, err
	}
	if binary.LittleEndian.Uint32(sk[4*bucket:]) == 0 {
		return false, nil
	}
	v := bb.Get(key)
	// A zero-copy view of bbolt's memory, valid for the read transaction.
	b, err := sealed.BitmapView(v, ErrCorrupt, "released person set")
	if err != nil {
		return false, err
	}
	if !bytes.Equal(key[:8], binary.BigEndian.AppendUint64(nil, b.GetCardinality())) {
		return false, fmt.Errorf("%w: released person set: size does not match its key", ErrCorrupt)
	}
	return b.Contains(person), nil
}
