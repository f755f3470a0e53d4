package store

import (
	"fmt"
	"os"
	"path/filepath"
)

// Verify reads every file of the open release and checks it: each chunk's
// SHA-256 against the manifest, its section checksums and structure, its
// site table, and the sample files. It returns the first problem found.
func (s *Store) Verify() error {
	if _, err := s.Samples(); err != nil {
		return err
	}
	for i := range s.man.Batches {
		if _, err := s.SampleSet(&s.man.Batches[i]); err != nil {
			return err
		}
	}
	if ci := s.man.Care; ci.Index != "" {
		// The care index's own structure is engine/care's (VerifyIndex);
		// here, that it is the file this release names.
		data, err := os.ReadFile(filepath.Join(s.dir, ci.Index))
		if err != nil {
			return err
		}
		if sha256Hex(data) != ci.IndexSHA256 {
			return fmt.Errorf("%s: content differs from the manifest's digest: %w", ci.Index, ErrCorrupt)
		}
	}
	for i := range s.man.Coverage {
		if _, err := s.ReadCoverage(&s.man.Coverage[i]); err != nil {
			return err
		}
	}
	for i := range s.man.Chunks {
		ref := &s.man.Chunks[i]
		data, err := os.ReadFile(filepath.Join(s.dir, ref.File))
		if err != nil {
			return err
		}
		if sha256Hex(data) != ref.SHA256 {
			return fmt.Errorf("%s: content differs from the manifest's digest: %w", ref.File, ErrCorrupt)
		}
		c, err := DecodeChunk(ref.File, data, PartGenotypes|PartFormat)
		if err != nil {
			return err
		}
		if c.Batch != ref.Batch || c.Contig != ref.Contig || c.Len() != ref.Variants ||
			(c.Len() > 0 && (c.Pos[0] != ref.First || c.Pos[c.Len()-1] != ref.Last)) {
			return fmt.Errorf("%s: header disagrees with the manifest: %w", ref.File, ErrCorrupt)
		}
		st, err := s.ReadSites(ref)
		if err != nil {
			return err
		}
		if len(st) != c.Len() {
			return fmt.Errorf("%s: %d sites for %d variants: %w", ref.Sites, len(st), c.Len(), ErrCorrupt)
		}
	}
	return nil
}
