package disclosure

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"go.etcd.io/bbolt"
)

// openTest opens a store in a temporary directory with a seeded noise
// source. fsync is off: these tests are about logic, not durability
// (BenchmarkSpend measures the real commit).
func openTest(t testing.TB, seed uint64, def Settings) *Store {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "tre.db"), 0o600, &bbolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(db, &Options{Rand: rand.NewPCG(seed, seed^0x9e3779b97f4a7c15), Defaults: def})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// span is the set {lo, …, hi−1}.
func span(lo, hi uint32) *roaring.Bitmap {
	b := roaring.New()
	b.AddRange(uint64(lo), uint64(hi))
	return b
}

// without returns b minus the listed people.
func without(b *roaring.Bitmap, people ...uint32) *roaring.Bitmap {
	c := b.Clone()
	for _, p := range people {
		c.Remove(p)
	}
	return c
}

func q(partner, project, release, query string) Question {
	return Question{Partner: partner, Project: project, Release: release, Query: query}
}

func one(b *roaring.Bitmap) []Group { return []Group{{People: b}} }

// hasDigit reports whether s contains a decimal digit (refusal messages must
// not carry sizes).
func hasDigit(s string) bool {
	for _, r := range s {
		if r >= '0' && r <= '9' {
			return true
		}
	}
	return false
}
