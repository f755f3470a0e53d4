package pseudonymise

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyFile(path, k); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %o, want 0600", st.Mode().Perm())
	}
	k2, err := ReadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if k.Of(DomainSample, "NA12878") != k2.Of(DomainSample, "NA12878") {
		t.Fatal("pseudonym changed across key file round trip")
	}
	if err := WriteKeyFile(path, k); err == nil {
		t.Fatal("overwrote an existing key file")
	}
}

func TestKeyFileRejects(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open")
	os.WriteFile(open, []byte(keyFileHeader+strings.Repeat("ab", KeySize)+"\n"), 0o644)
	os.Chmod(open, 0o644)
	if _, err := ReadKeyFile(open); !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), "0600") {
		t.Fatalf("world-readable key accepted: %v", err)
	}
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("not a key\n"), 0o600)
	if _, err := ReadKeyFile(bad); !errors.Is(err, ErrKey) {
		t.Fatalf("garbage key accepted: %v", err)
	}
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte(keyFileHeader+"abcd\n"), 0o600)
	if _, err := ReadKeyFile(short); !errors.Is(err, ErrKey) {
		t.Fatalf("short key accepted: %v", err)
	}
	if _, err := ReadKeyFile(filepath.Join(dir, "none")); !errors.Is(err, ErrKey) {
		t.Fatalf("missing key: %v", err)
	}
}

func TestPseudonymsSeparate(t *testing.T) {
	k1, _ := NewKey()
	k2, _ := NewKey()
	id := "9434765919"
	if k1.Of(DomainPerson, id) == k2.Of(DomainPerson, id) {
		t.Fatal("two keys gave the same pseudonym")
	}
	if k1.Of(DomainPerson, id) == k1.Of(DomainSample, id) {
		t.Fatal("domains not separated")
	}
	if k1.Derive("project-a").Of(DomainPerson, id) == k1.Derive("project-b").Of(DomainPerson, id) {
		t.Fatal("derived project keys gave the same pseudonym")
	}
	if first, again := k1.Of(DomainPerson, id), k1.Of(DomainPerson, id); first != again {
		t.Fatal("pseudonym not deterministic")
	}
	// HMAC, not a plain hash: the pseudonym must not be SHA-256 of the input.
	if s := k1.Of(DomainPerson, id).String(); len(s) != 64 || strings.Contains(s, id) {
		t.Fatalf("unexpected pseudonym form %q", s)
	}
}
