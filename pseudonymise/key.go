// Package pseudonymise turns identifiers (NHS numbers, laboratory sample IDs)
// into keyed pseudonyms before anything reaches the engine: HMAC-SHA-256
// under a secret key, never a plain hash, so that the small space of
// identifiers cannot be enumerated by whoever holds the store but not the key.
package pseudonymise

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size in bytes of a pseudonymisation key.
const KeySize = 32

// ErrKey is wrapped by errors about missing or malformed key material.
var ErrKey = errors.New("pseudonymisation key")

// Key is a secret pseudonymisation key.
type Key struct{ k [KeySize]byte }

// NewKey returns a fresh random key from the operating system's CSPRNG.
func NewKey() (*Key, error) {
	var k Key
	if _, err := rand.Read(k.k[:]); err != nil {
		return nil, fmt.Errorf("generating key: %w", err)
	}
	return &k, nil
}

// keyFileHeader starts every key file, so a wrong file is recognised.
const keyFileHeader = "gentre-key-v1 "

// WriteKeyFile writes k to path with mode 0600, creating it exclusively (an
// existing key is never overwritten) and syncing it to disk.
func WriteKeyFile(path string, k *Key) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("writing key file %s: %w", filepath.Base(path), err)
	}
	_, werr := f.WriteString(keyFileHeader + hex.EncodeToString(k.k[:]) + "\n")
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(path)
		return fmt.Errorf("writing key file %s: %w", filepath.Base(path), err)
	}
	return nil
}

// ReadKeyFile reads a key written by WriteKeyFile. It refuses a key file
// that group or others can read.
func ReadKeyFile(path string) (*Key, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s does not exist (was the store made with gentre init?)", ErrKey, filepath.Base(path))
		}
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s is readable by group or others (mode %04o); it must be 0600", ErrKey, filepath.Base(path), st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	s, ok := strings.CutPrefix(strings.TrimSpace(string(b)), keyFileHeader)
	raw, herr := hex.DecodeString(s)
	if !ok || herr != nil || len(raw) != KeySize {
		return nil, fmt.Errorf("%w: %s is not a gentre key file", ErrKey, filepath.Base(path))
	}
	var k Key
	copy(k.k[:], raw)
	return &k, nil
}

// Pseudonym is a keyed pseudonym: HMAC-SHA-256(key, domain || 0 || id).
type Pseudonym [sha256.Size]byte

// String returns the pseudonym in lower-case hex.
func (p Pseudonym) String() string { return hex.EncodeToString(p[:]) }

// Domains separate the pseudonyms of different kinds of identifier, so
// that a sample ID equal to an NHS number does not get the same pseudonym.
const (
	DomainSample = "sample"
	DomainPerson = "person"
)

// Of returns the pseudonym of id in the given domain.
func (k *Key) Of(domain, id string) Pseudonym {
	m := hmac.New(sha256.New, k.k[:])
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(id))
	var p Pseudonym
	m.Sum(p[:0])
	return p
}

// Derive returns a sub-key for a purpose (for example one project's
// pseudonyms): HMAC-SHA-256(key, "derive" || 0 || purpose). Pseudonyms under
// two derived keys cannot be joined without the parent key.
func (k *Key) Derive(purpose string) *Key {
	p := k.Of("derive", purpose)
	var d Key
	copy(d.k[:], p[:])
	return &d
}
