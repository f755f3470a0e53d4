package airlock

import (
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"go.etcd.io/bbolt"

	"github.com/gentre/gentre/trusted-research/internal/sealed"
)

// The people of a request are stored under its id as sealed.Bitmap
// writes them: [0:4] CRC-32C of [8:] (big-endian), [4:8] zero, [8:]
// roaring's portable serialisation.
func encodeBitmap(b *roaring.Bitmap) ([]byte, error) { return sealed.Bitmap(b) }

// Use is one approved airlock release whose figures included a person.
type Use struct {
	Time    time.Time // when it was approved (released)
	Project string
	Release string // the data release its content was computed on
}

// UsesOf lists the APPROVED requests whose people include person (an
// index of the stable person numbering), in the order they were approved.
// It says nothing else about them.
func (s *Store) UsesOf(person uint32) ([]Use, error) {
	var out []Use
	err := s.db.View(func(tx *bbolt.Tx) error {
		rb, err := sub(tx, bucketReleased)
		if err != nil {
			return err
		}
		pb, err := sub(tx, bucketPeople)
		if err != nil {
			return err
		}
		return rb.ForEach(func(k, _ []byte) error {
			if len(k) <= 8 {
				return fmt.Errorf("%w: released index key", ErrCorrupt)
			}
			id := string(k[8:])
			in, err := contains(pb.Get([]byte(id)), person)
			if err != nil || !in {
				return err
			}
			r, err := getRequest(tx, id)
			if err != nil {
				return err
			}
			if r == nil || r.State != Approved {
				return fmt.Errorf("%w: released index names a request that is not approved", ErrCorrupt)
			}
			out = append(out, Use{Time: r.Decided, Project: r.Project, Release: r.Release})
			return nil
		})
	})
	if err != nil {
		return nil, wrap("uses", err)
	}
	return out, nil
}

// contains reports whether the stored bitmap v holds person.
func contains(v []byte, person uint32) (bool, error) {
	b, err := sealed.BitmapView(v, ErrCorrupt, "person set") // valid for the read transaction
	if err != nil {
		return false, err
	}
	return b.Contains(person), nil
}

// sectionKey is SHA-256 of the length-prefixed project, release and query.
func sectionKey(project, release, query string) []byte {
	h := sha256.Sum256(sealed.AppendLP(sealed.AppendLP(sealed.AppendLP(nil, project), release), query))
	return h[:]
}

// Section returns the released section of a query on a data release of a
// project: the one released before if the same question was asked (the
// same noise: repeating a request cannot average it away), else build's,
// which is kept. build runs outside any transaction; if two callers build
// at once, the first stored wins and both get it.
func (s *Store) Section(project, release, query string, build func() (*Section, error)) (*Section, error) {
	key := sectionKey(project, release, query)
	var sec *Section
	get := func(tx *bbolt.Tx) error {
		b, err := sub(tx, bucketSections)
		if err != nil {
			return err
		}
		v := b.Get(key)
		if v == nil {
			return nil
		}
		sec = &Section{}
		if err := unsealJSON(v, sec); err != nil {
			return fmt.Errorf("released section: %w", err)
		}
		if sec.Query != query {
			return fmt.Errorf("%w: released section is of another query", ErrCorrupt)
		}
		return nil
	}
	if err := s.db.View(get); err != nil {
		return nil, wrap("section", err)
	}
	if sec != nil {
		return sec, nil
	}
	built, err := build()
	if err != nil {
		return nil, err
	}
	if built.Query != query {
		return nil, fmt.Errorf("%w: built section is of another query", ErrInvalid)
	}
	v, err := sealJSON(built)
	if err != nil {
		return nil, fmt.Errorf("airlock: section: %w", err)
	}
	err = s.db.Update(func(tx *bbolt.Tx) error {
		if err := get(tx); err != nil || sec != nil {
			return err
		}
		b, err := sub(tx, bucketSections)
		if err != nil {
			return err
		}
		sec = built
		return b.Put(key, v)
	})
	if err != nil {
		return nil, wrap("section", err)
	}
	return sec, nil
}
