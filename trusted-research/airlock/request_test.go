package airlock

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/gentre/gentre/trusted-research/access"
)

func TestCreateValidates(t *testing.T) {
	s := openTest(t)
	lim := s.Options()
	for _, tc := range []struct {
		name string
		edit func(*Draft)
		want error
	}{
		{"no project", func(d *Draft) { d.Project = "" }, ErrInvalid},
		{"no requester", func(d *Draft) { d.Requester = "" }, ErrInvalid},
		{"no release", func(d *Draft) { d.Release = "" }, ErrInvalid},
		{"blank justification", func(d *Draft) { d.Justification = " \n" }, ErrInvalid},
		{"long justification", func(d *Draft) { d.Justification = strings.Repeat("x", lim.MaxJustification+1) }, ErrTooLarge},
		{"no queries", func(d *Draft) { d.Queries = nil }, ErrInvalid},
		{"too many queries", func(d *Draft) { d.Queries = make([]string, lim.MaxQueries+1) }, ErrTooLarge},
		{"no content", func(d *Draft) { d.Content = nil }, ErrInvalid},
		{"content too large", func(d *Draft) { d.Content = make([]byte, lim.MaxContentBytes+1) }, ErrTooLarge},
		{"no format", func(d *Draft) { d.Format = "" }, ErrInvalid},
		{"bad format", func(d *Draft) { d.Format = "csv" }, ErrInvalid},
		{"no people", func(d *Draft) { d.People = nil }, ErrInvalid},
	} {
		d := draft("p1", "alice")
		tc.edit(&d)
		if _, err := s.Create(d); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// At the limits it is accepted.
	d := draft("p1", "alice")
	d.Justification = strings.Repeat("x", lim.MaxJustification)
	d.Queries = make([]string, lim.MaxQueries)
	d.Content = bytes.Repeat([]byte("x"), lim.MaxContentBytes)
	if _, err := s.Create(d); err != nil {
		t.Fatalf("at the limits: %v", err)
	}
}

func TestCreateFreezes(t *testing.T) {
	s := openTest(t)
	d := draft("p1", "alice")
	r := mustCreate(t, s, d)
	sum := sha256.Sum256(d.Content)
	if !ValidID(r.ID) || len(r.ID) != 29 || !strings.HasPrefix(r.ID, "ar_") {
		t.Fatalf("id %q", r.ID)
	}
	if r.State != Pending || r.Digest != hex.EncodeToString(sum[:]) || r.Release != "4" || r.Requester != "alice" ||
		r.Created.IsZero() || !r.Decided.IsZero() || len(r.Reviews) != 0 || r.Content != nil {
		t.Fatalf("created: %+v", r)
	}
	// The draft's content is copied: changing it afterwards changes nothing.
	d.Content[0] = 'X'
	got, err := s.Get(r.ID, checker("olive", "p1"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Content[0] != '#' || got.Digest != r.Digest {
		t.Fatalf("stored content changed with the draft")
	}
	// Ids are random: a thousand requests, a thousand ids.
	seen := map[string]bool{r.ID: true}
	for range 1000 {
		id := newID()
		if seen[id] || !ValidID(id) {
			t.Fatalf("id %q repeated or malformed", id)
		}
		seen[id] = true
	}
}

func TestValidID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{newID(), true},
		{"", false},
		{"r1", false},
		{"ar_" + strings.Repeat("a", 25), false},
		{"ar_" + strings.Repeat("a", 27), false},
		{"ar_" + strings.Repeat("A", 26), false}, // lower case only
		{"ar_" + strings.Repeat("1", 26), false}, // not base32
		{"xx_" + strings.Repeat("a", 26), false},
		{"ar_" + strings.Repeat("7", 26), false}, // non-zero trailing bits
	} {
		if got := ValidID(tc.id); got != tc.ok {
			t.Errorf("ValidID(%q) = %v, want %v", tc.id, got, tc.ok)
		}
	}
}

// TestVisibility: a researcher sees their own requests, an output checker
// their project's (with content); everyone else gets ErrNotFound, as for an
// id that does not exist.
func TestVisibility(t *testing.T) {
	s := openTest(t)
	r := mustCreate(t, s, draft("p1", "alice"))
	for _, tc := range []struct {
		name    string
		c       Caller
		visible bool
		content bool
	}{
		{"requester", researcher("alice", "p1"), true, false},
		{"checker of the project", checker("olive", "p1"), true, true},
		{"another researcher", researcher("bob", "p1"), false, false},
		{"requester's name in another project", researcher("alice", "p2"), false, false},
		{"checker of another project", checker("oscar", "p2"), false, false},
		{"industry", Caller{User: "pharma", Role: access.Industry, Project: "p1"}, false, false},
		{"no project", Caller{User: "alice", Role: access.Researcher}, false, false},
		{"auditor", Caller{User: "audrey", Role: access.Auditor}, false, false},
	} {
		got, err := s.Get(r.ID, tc.c)
		switch {
		case !tc.visible:
			if err != ErrNotFound {
				t.Errorf("%s: %v, want exactly ErrNotFound", tc.name, err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case (got.Content != nil) != tc.content:
			t.Errorf("%s: content %q", tc.name, got.Content)
		}
		list, err := s.List(tc.c)
		if err != nil || (len(list) == 1) != tc.visible {
			t.Errorf("%s: list %d requests, %v", tc.name, len(list), err)
		}
	}
	for _, id := range []string{"", "r1", newID(), r.ID + "x", strings.ToUpper(r.ID)} {
		if _, err := s.Get(id, checker("olive", "p1")); err != ErrNotFound {
			t.Errorf("Get(%q): %v, want ErrNotFound", id, err)
		}
		if _, err := s.Content(id, researcher("alice", "p1")); err != ErrNotFound {
			t.Errorf("Content(%q): %v, want ErrNotFound", id, err)
		}
	}
}

func TestListOrderAndFilter(t *testing.T) {
	s := openTest(t)
	var ids []string
	for i, user := range []string{"alice", "bob", "alice", "alice"} {
		project := "p1"
		if i == 3 {
			project = "p2"
		}
		ids = append(ids, mustCreate(t, s, draft(project, user)).ID)
	}
	check := func(c Caller, want ...string) {
		t.Helper()
		list, err := s.List(c)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range list {
			got = append(got, r.ID)
			if (r.Content != nil) != (c.Role == access.OutputChecker) {
				t.Errorf("%+v: content present %v", c, r.Content != nil)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%+v: listed %v, want %v", c, got, want)
		}
	}
	check(checker("olive", "p1"), ids[0], ids[1], ids[2]) // oldest first
	check(researcher("alice", "p1"), ids[0], ids[2])
	check(researcher("bob", "p1"), ids[1])
	check(researcher("alice", "p2"), ids[3])
	check(checker("olive", "p3"))
}

func TestContentOnlyOnceApproved(t *testing.T) {
	s := openTest(t)
	d := draft("p1", "alice")
	r := mustCreate(t, s, d)
	alice, olive, otto := researcher("alice", "p1"), checker("olive", "p1"), checker("otto", "p1")
	if _, err := s.Content(r.ID, alice); !errors.Is(err, ErrNotApproved) || !strings.Contains(err.Error(), "0 so far") {
		t.Fatalf("pending: %v", err)
	}
	if _, err := s.Review(r.ID, olive, Approve, "", nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []Caller{alice, olive} {
		if _, err := s.Content(r.ID, c); !errors.Is(err, ErrNotApproved) || !strings.Contains(err.Error(), "1 so far") {
			t.Fatalf("one approval: %v", err)
		}
	}
	if _, err := s.Review(r.ID, otto, Approve, "", nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []Caller{alice, olive, otto} {
		got, err := s.Content(r.ID, c)
		if err != nil || !bytes.Equal(got.Content, d.Content) || got.State != Approved {
			t.Fatalf("approved, %s: %v %q", c.User, err, got.Content)
		}
	}
	if _, err := s.Content(r.ID, researcher("bob", "p1")); err != ErrNotFound {
		t.Fatalf("another researcher: %v", err)
	}
	if _, err := s.Content(r.ID, checker("oscar", "p2")); err != ErrNotFound {
		t.Fatalf("another project's checker: %v", err)
	}
}

// TestContentTamperingDetected: content whose bytes no longer match the
// digest the checkers saw is never handed out.
func TestContentTamperingDetected(t *testing.T) {
	s := openTest(t)
	r := mustCreate(t, s, draft("p1", "alice"))
	for _, u := range []string{"olive", "otto"} {
		if _, err := s.Review(r.ID, checker(u, "p1"), Approve, "", nil); err != nil {
			t.Fatal(err)
		}
	}
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTop).Bucket(bucketContents)
		v := append([]byte(nil), b.Get([]byte(r.ID))...)
		v[len(v)-2] = '6' // 75 → 76
		return b.Put([]byte(r.ID), v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Content(r.ID, researcher("alice", "p1")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("tampered content: %v", err)
	}
	// A damaged request record fails closed too.
	err = s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTop).Bucket(bucketRequests)
		v := append([]byte(nil), b.Get([]byte(r.ID))...)
		v[10] ^= 1
		return b.Put([]byte(r.ID), v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(r.ID, researcher("alice", "p1")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("damaged record: %v", err)
	}
}

func TestNewChecksFormat(t *testing.T) {
	db := openDB(t)
	s, err := New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := mustCreate(t, s, draft("p1", "alice"))
	// Reopening keeps everything.
	s2, err := New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Get(r.ID, researcher("alice", "p1")); err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketTop).Put(keyFormat, []byte("gentre-airlock 9")) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(db, nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("unknown format: %v", err)
	}
	if _, err := New(openDB(t), &Options{MaxQueries: -1}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("negative limit: %v", err)
	}
}
