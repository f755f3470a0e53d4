package access

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestReopen(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "tre.db")
	s, err := Open(path, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	mustProject(t, s, "alpha", PurposePlanning)
	if err := s.SetProjectSetting("alpha", "disclosure.epsilon", "0.25"); err != nil {
		t.Fatal(err)
	}
	keep, kinfo := mustToken(t, s, TokenSpec{User: "ada", Role: Researcher, Project: "alpha"})
	gone, ginfo := mustToken(t, s, TokenSpec{User: "bob", Role: Auditor})
	if err := s.Revoke(ginfo.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("database file mode %v, %v; want 0600", st.Mode(), err)
	}

	s, err = Open(path, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.Authenticate(keep)
	if err != nil || p.TokenID != kinfo.ID || p.Purpose != PurposePlanning {
		t.Fatalf("after reopen: %+v %v", p, err)
	}
	if _, err := s.Authenticate(gone); err != ErrUnauthenticated {
		t.Fatalf("revoked token after reopen: %v", err)
	}
	proj, err := s.Project("alpha")
	if err != nil || proj.Settings["disclosure.epsilon"] != "0.25" || proj.Purpose != PurposePlanning {
		t.Fatalf("project after reopen: %+v %v", proj, err)
	}
	users, err := s.ListUsers()
	if err != nil || len(users) != 2 || users[0].ID != "ada" || users[1].ID != "bob" {
		t.Fatalf("users after reopen: %+v %v", users, err)
	}
	if _, err := s.CreateProject(ProjectSpec{Name: "alpha", Purpose: PurposeResearch}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate project after reopen: %v", err)
	}
}

func TestLocked(t *testing.T) {
	s, _, path := openTest(t)
	_ = s
	_, err := Open(path, Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
}

// TestSharedDB: OpenDB uses a database the caller opened, alongside other
// buckets, and leaves it open.
func TestSharedDB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tre.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("airlock.requests"))
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
	s, err := OpenDB(db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := mustToken(t, s, TokenSpec{User: "ada", Role: Auditor})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := OpenDB(db, Options{}) // second use of the same database
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Authenticate(tok); err != nil {
		t.Fatalf("after Close of a shared store: %v", err)
	}
	if err := db.View(func(tx *bolt.Tx) error {
		if string(tx.Bucket([]byte("airlock.requests")).Get([]byte("k"))) != "v" {
			return errors.New("other bucket changed")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tre.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := mustToken(t, s, TokenSpec{User: "ada", Role: Auditor})
	// Flip one byte of the stored token record, through bbolt.
	if err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		k, v := b.Cursor().First()
		v = append([]byte(nil), v...)
		v[10] ^= 0x40
		return b.Put(append([]byte(nil), k...), v)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(tok); !errors.Is(err, ErrCorrupt) {
		t.Errorf("corrupt record: %v, want ErrCorrupt", err)
	}
	if _, err := s.ListTokens(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("list with a corrupt record: %v, want ErrCorrupt", err)
	}
	// An unknown format marker is refused at open.
	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(metaFormatKey, []byte("gentre-access v9"))
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(path, Options{}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("unknown format: %v, want ErrCorrupt", err)
	}
}

func TestCodecRejects(t *testing.T) {
	rec := encodeUser(User{ID: "ada", Created: time.Unix(5, 0)})
	if u, err := decodeUser(rec); err != nil || u.ID != "ada" || u.Created.Unix() != 5 {
		t.Fatalf("round trip: %+v %v", u, err)
	}
	for name, r := range map[string][]byte{
		"empty":     nil,
		"short":     rec[:5],
		"kind":      append([]byte{kindToken}, rec[1:]...),
		"version":   append([]byte{kindUser, 2}, rec[2:]...),
		"truncated": append(append([]byte(nil), rec[:len(rec)-5]...), rec[len(rec)-4:]...),
	} {
		if _, err := decodeUser(r); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Bad fields under a good checksum.
	e := newEncoder(kindUser)
	e.b = append(e.b, 0xff) // a length that runs off the end
	if _, err := decodeUser(e.finish()); !errors.Is(err, ErrCorrupt) {
		t.Errorf("bad length: %v", err)
	}
	e = newEncoder(kindUser)
	e.str("ada")
	e.int(1)
	e.int(2) // a trailing field
	if _, err := decodeUser(e.finish()); !errors.Is(err, ErrCorrupt) {
		t.Errorf("trailing field: %v", err)
	}
}

func TestOptions(t *testing.T) {
	var o Options
	o.EnsureDefaults()
	if o.TokenTTL != 90*24*time.Hour || o.ProjectTerm != 365*24*time.Hour || o.LockTimeout != 2*time.Second || o.Now == nil {
		t.Fatalf("defaults %+v", o)
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Options{
		{TokenTTL: 400 * 24 * time.Hour},
		{TokenTTL: -time.Hour},
		{LockTimeout: -time.Second},
	} {
		if _, err := Open(filepath.Join(t.TempDir(), "x.db"), bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}
