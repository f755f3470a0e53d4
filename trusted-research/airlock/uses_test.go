package airlock

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"go.etcd.io/bbolt"
)

func approve(t *testing.T, s *Store, id, project string) {
	t.Helper()
	for _, u := range []string{"olive", "otto"} {
		if _, err := s.Review(id, checker(u, project), Approve, "", nil); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUsesOf: only APPROVED requests count, and only for the people behind
// them, in the order of approval, with the approval time.
func TestUsesOf(t *testing.T) {
	s := openTest(t)
	mk := func(project string, ids ...uint32) *Request {
		d := draft(project, "alice")
		d.People = people(ids...)
		d.Release = project + "-rel"
		return mustCreate(t, s, d)
	}
	a := mk("p1", 1, 2, 3)       // approved second
	b := mk("p2", 3, 70000)      // approved first
	c := mk("p1", 1, 3)          // rejected
	d := mk("p1", 1, 2, 3, 4)    // pending
	e := mk("p3", 100000, 1<<31) // approved, large numbers
	approve(t, s, b.ID, "p2")
	approve(t, s, a.ID, "p1")
	if _, err := s.Review(c.ID, checker("olive", "p1"), Reject, "", nil); err != nil {
		t.Fatal(err)
	}
	approve(t, s, e.ID, "p3")
	_ = d
	for _, tc := range []struct {
		person   uint32
		projects []string
	}{
		{1, []string{"p1"}},
		{3, []string{"p2", "p1"}},
		{4, nil},
		{70000, []string{"p2"}},
		{1 << 31, []string{"p3"}},
		{5, nil},
	} {
		uses, err := s.UsesOf(tc.person)
		if err != nil {
			t.Fatal(err)
		}
		if len(uses) != len(tc.projects) {
			t.Fatalf("person %d: %+v, want projects %v", tc.person, uses, tc.projects)
		}
		for i, u := range uses {
			if u.Project != tc.projects[i] || u.Release != u.Project+"-rel" || u.Time.IsZero() {
				t.Fatalf("person %d: use %d is %+v", tc.person, i, u)
			}
			if i > 0 && u.Time.Before(uses[i-1].Time) {
				t.Fatalf("person %d: not in approval order: %+v", tc.person, uses)
			}
		}
	}
	got, _ := s.Get(a.ID, checker("olive", "p1"))
	uses, _ := s.UsesOf(2)
	if len(uses) != 1 || !uses[0].Time.Equal(got.Decided) {
		t.Fatalf("use time %v, approved at %v", uses, got.Decided)
	}
	// A damaged person set fails closed.
	err := s.db.Update(func(tx *bbolt.Tx) error {
		pb := tx.Bucket(bucketTop).Bucket(bucketPeople)
		v := append([]byte(nil), pb.Get([]byte(a.ID))...)
		v[len(v)-1] ^= 0xff
		return pb.Put([]byte(a.ID), v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UsesOf(2); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("damaged set: %v", err)
	}
}

// TestSectionReleasedOnce: the same query on the same project and data
// release gets the values released the first time, whoever asks and
// however often; another release or project gets its own.
func TestSectionReleasedOnce(t *testing.T) {
	s := openTest(t)
	r := s.Releaser(testMeta.Settings)
	var builds atomic.Int32
	build := func(q string) func() (*Section, error) {
		return func() (*Section, error) {
			builds.Add(1)
			return &Section{Query: q, Columns: []string{"count"}, Rows: [][]Value{{r.Count(1000)}}}, nil
		}
	}
	first, err := s.Section("p1", "4", "count all", build("count all"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			again, err := s.Section("p1", "4", "count all", build("count all"))
			if err != nil || again.Rows[0][0] != first.Rows[0][0] {
				t.Errorf("again: %+v %v, first %+v", again, err, first)
			}
		}()
	}
	wg.Wait()
	if builds.Load() != 1 {
		t.Fatalf("built %d times, want 1", builds.Load())
	}
	for _, k := range [][3]string{{"p1", "5", "count all"}, {"p2", "4", "count all"}, {"p1", "4", "count sex(female)"}} {
		if _, err := s.Section(k[0], k[1], k[2], build(k[2])); err != nil {
			t.Fatal(err)
		}
	}
	if builds.Load() != 4 {
		t.Fatalf("built %d times, want 4", builds.Load())
	}
	// Concurrent first builds: one result is kept, and all callers get it.
	var seen sync.Map
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sec, err := s.Section("p9", "1", "count all", build("count all"))
			if err != nil {
				t.Error(err)
				return
			}
			seen.Store(sec.Rows[0][0], true)
		}()
	}
	wg.Wait()
	n := 0
	seen.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Fatalf("concurrent first builds returned %d different sections", n)
	}
	// Errors and mismatched builds are not kept.
	boom := errors.New("engine failed")
	if _, err := s.Section("p1", "6", "count all", func() (*Section, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("build error: %v", err)
	}
	if _, err := s.Section("p1", "6", "count all", build("count other")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("mismatched build: %v", err)
	}
}
