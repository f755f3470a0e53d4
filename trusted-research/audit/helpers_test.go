package audit

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// testClock returns a deterministic clock: one second a call from a fixed
// start.
func testClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

func testEntry(i int) Entry {
	return Entry{
		Actor:    fmt.Sprintf("user-%d", i%7),
		Role:     "researcher",
		Project:  "p-diabetes",
		Purpose:  "research",
		Action:   "query",
		Request:  fmt.Sprintf("count condition(<<73211009) and age(%d..90) by sex", 18+i%40),
		Result:   DigestOf([]byte(fmt.Sprintf("answer %d", i))),
		Decision: "allowed",
		Release:  uint64(1 + i/10),
	}
}

type testLog struct {
	dir, secrets string
	pub          ed25519.PublicKey
}

// newTestLog initialises a log in a fresh temporary store.
func newTestLog(t testing.TB) testLog {
	t.Helper()
	store := t.TempDir()
	tl := testLog{dir: filepath.Join(store, "audit"), secrets: filepath.Join(store, "secrets")}
	if err := initAt(tl.dir, tl.secrets, testClock()); err != nil {
		t.Fatal(err)
	}
	pub, err := ReadPublicKey(tl.dir)
	if err != nil {
		t.Fatal(err)
	}
	tl.pub = pub
	return tl
}

func (tl testLog) open(t testing.TB, o *Options) *Log {
	t.Helper()
	if o == nil {
		o = &Options{}
	}
	if o.Now == nil {
		o.Now = testClock()
	}
	l, err := Open(tl.dir, tl.secrets, o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// build makes a closed log of n entries.
func (tl testLog) build(t testing.TB, n int, o *Options) {
	t.Helper()
	l := tl.open(t, o)
	for i := 0; i < n; i++ {
		if _, err := l.Append(testEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func (tl testLog) path(name string) string { return filepath.Join(tl.dir, name) }

func (tl testLog) mustVerify(t testing.TB) *Report {
	t.Helper()
	r, err := Verify(tl.dir, tl.pub)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return r
}

// mustFail checks Verify reports a problem (wrapping ErrCorrupt).
func (tl testLog) mustFail(t testing.TB, what string) *Problem {
	t.Helper()
	r, err := Verify(tl.dir, tl.pub)
	if err == nil {
		t.Fatalf("%s: Verify passed", what)
	}
	var p *Problem
	if !errors.As(err, &p) || !errors.Is(err, ErrCorrupt) || r.Problem != p {
		t.Fatalf("%s: Verify error %v is not a reported Problem", what, err)
	}
	return p
}

// copyLog copies the audit folder and the key to a fresh store.
func (tl testLog) copy(t testing.TB) testLog {
	t.Helper()
	store := t.TempDir()
	c := testLog{dir: filepath.Join(store, "audit"), secrets: filepath.Join(store, "secrets"), pub: tl.pub}
	for _, d := range [][2]string{{tl.dir, c.dir}, {tl.secrets, c.secrets}} {
		if err := os.MkdirAll(d[1], 0o700); err != nil {
			t.Fatal(err)
		}
		ents, err := os.ReadDir(d[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(d[0], e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := e.Info()
			if err := os.WriteFile(filepath.Join(d[1], e.Name()), b, fi.Mode().Perm()); err != nil {
				t.Fatal(err)
			}
		}
	}
	return c
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o640); err != nil {
		t.Fatal(err)
	}
}

// splitFrames splits a file into its header and its framed records (each
// with its frame header).
func splitFrames(t testing.TB, b []byte) (hdr []byte, recs [][]byte) {
	t.Helper()
	hdr, b = b[:headerSize], b[headerSize:]
	for len(b) > 0 {
		n := int(binary.BigEndian.Uint32(b)) + frameOverhead
		recs = append(recs, b[:n])
		b = b[n:]
	}
	return hdr, recs
}

func joinFrames(hdr []byte, recs [][]byte) []byte {
	out := append([]byte(nil), hdr...)
	for _, r := range recs {
		out = append(out, r...)
	}
	return out
}

// frameEntry frames canonical entry bytes for e.
func frameEntry(t testing.TB, e Entry) []byte {
	t.Helper()
	b, err := e.AppendCanonical(nil)
	if err != nil {
		t.Fatal(err)
	}
	return appendFrame(nil, b)
}
