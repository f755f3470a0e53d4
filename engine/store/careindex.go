package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// What the care index (engine/care, written by ingest/linkage) needs from
// the store: the sample list of a release being built, and a digest of a
// sample list that a reader can compare without reading the list.

// SampleListDigest returns the SHA-256 (hex) of the sample file body the
// store writes for this list of sample pseudonyms: the digest its header
// line carries (see SampleListDigest on Store).
func SampleListDigest(names []string) string {
	h := sha256.New()
	for _, n := range names {
		io.WriteString(h, n)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// SampleListDigest returns the SHA-256 (hex) of the release's sample list
// as its sample file's header line records it, reading only that line; ""
// when the release has no sample file. The body is not read or checked.
func (s *Store) SampleListDigest() (string, error) {
	rel := s.man.SampleFile
	if rel == "" {
		return "", nil
	}
	f, err := os.Open(filepath.Join(s.dir, rel))
	if err != nil {
		return "", err
	}
	defer f.Close()
	var buf [128]byte
	n, err := io.ReadFull(f, buf[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", err
	}
	line, _, ok := bytes.Cut(buf[:n], []byte{'\n'})
	prefix := samplesMagic + " v1 sha256="
	if !ok || !strings.HasPrefix(string(line), prefix) || len(line) != len(prefix)+64 {
		return "", fmt.Errorf("%s: not a %s file: %w", rel, samplesMagic, ErrCorrupt)
	}
	return string(line[len(prefix):]), nil
}

// Samples returns the sample list of the release the transaction builds
// (the store's, or the one a RemoveSamples or AddCoverage of this
// transaction wrote).
func (tx *Tx) Samples() ([]string, error) {
	m := tx.man
	if m.SampleFile == tx.s.man.SampleFile {
		return tx.s.Samples()
	}
	body, err := tx.s.readChecked(m.SampleFile, samplesMagic)
	if err != nil {
		return nil, err
	}
	lines := []string{}
	if len(body) > 0 {
		lines = strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	}
	if len(lines) != m.NSamples {
		return nil, fmt.Errorf("%s: %d samples, manifest says %d: %w", m.SampleFile, len(lines), m.NSamples, ErrCorrupt)
	}
	return lines, nil
}

// Tx returns the transaction the batch commits, so that a caller can add
// derived files (the care index) to the same data release before Commit.
func (w *BatchWriter) Tx() *Tx { return w.tx }

// Samples returns the store's sample list as it will be once the batch is
// committed (new samples appended). Callers must not change it.
func (w *BatchWriter) Samples() []string { return w.allNames }
