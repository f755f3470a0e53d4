package airlock

import (
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"go.etcd.io/bbolt"

	"github.com/gentre/gentre/trusted-research/access"
)

// clock is a test clock that advances one second a reading.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func openDB(t testing.TB) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "tre.db"), 0o600, &bbolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openTest opens a store on a fresh database with a test clock and a
// seeded noise source.
func openTest(t testing.TB) *Store {
	t.Helper()
	c := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	s, err := New(openDB(t), &Options{Now: c.now, Rand: rand.NewPCG(1, 2)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func people(ids ...uint32) *roaring.Bitmap { return roaring.BitmapOf(ids...) }

// draft is a valid draft by researcher user in project.
func draft(project, user string) Draft {
	return Draft{
		Project: project, Requester: user, Justification: "table 2 of the paper",
		Queries: []string{"count all"}, Format: TSV, Release: "4",
		Content: []byte("# query\tcount all\ncount\n75\n"), People: people(1, 2, 3),
	}
}

func researcher(user, project string) Caller {
	return Caller{User: user, Role: access.Researcher, Project: project}
}

func checker(user, project string) Caller {
	return Caller{User: user, Role: access.OutputChecker, Project: project}
}

func mustCreate(t testing.TB, s *Store, d Draft) *Request {
	t.Helper()
	r, err := s.Create(d)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
