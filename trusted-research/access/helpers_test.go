package access

import (
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// clock is a settable clock for expiry and project ends.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// openTest opens a fresh store in a temporary directory.
func openTest(t testing.TB) (*Store, *clock, string) {
	t.Helper()
	c := newClock()
	path := filepath.Join(t.TempDir(), "tre.db")
	s, err := Open(path, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, c, path
}

func mustProject(t testing.TB, s *Store, name string, purpose Purpose) Project {
	t.Helper()
	p, err := s.CreateProject(ProjectSpec{Name: name, Purpose: purpose})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustToken(t testing.TB, s *Store, spec TokenSpec) (string, TokenInfo) {
	t.Helper()
	tok, info, err := s.CreateToken(spec)
	if err != nil {
		t.Fatalf("CreateToken(%+v): %v", spec, err)
	}
	return tok, info
}
