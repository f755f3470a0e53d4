package store

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// chunkEqual reports whether two decoded chunks hold the same content.
func chunkEqual(a, b *Chunk) bool {
	if a.Name != b.Name || a.Batch != b.Batch || a.Contig != b.Contig || a.Len() != b.Len() ||
		!reflect.DeepEqual(a.Samples, b.Samples) || !reflect.DeepEqual(a.Pos, b.Pos) || !reflect.DeepEqual(a.PhaseRef, b.PhaseRef) {
		return false
	}
	for i := 0; i < a.Len(); i++ {
		if !reflect.DeepEqual(a.Alleles(i), b.Alleles(i)) || (a.rows == nil) != (b.rows == nil) {
			return false
		}
		if a.rows != nil && string(a.Row(i)) != string(b.Row(i)) {
			return false
		}
	}
	return true
}

// ReadChunkInto reuses one Chunk across chunks of different sizes, batches
// and sample counts, and gives what ReadChunk gives, also after a failed
// read.
func TestReadChunkInto(t *testing.T) {
	dir := newTestStore(t)
	if _, err := ingest(t, dir, "a.vcf", []string{"p1", "p2", "p3", "p4", "p5", "p6", "p7"}, []string{"chr1", "chr2"}, 45, &Options{ChunkVariants: 16, NoSync: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest(t, dir, "b.vcf", []string{"q1", "q2"}, []string{"chr1"}, 7, &Options{ChunkVariants: 16, NoSync: true}); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := s.Manifest()
	var c Chunk
	split := 0
	check := func(ref *ChunkRef, parts ChunkParts) {
		t.Helper()
		want, err := s.ReadChunk(ref, parts)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ReadChunkInto(ref, parts, &c); err != nil {
			t.Fatal(err)
		}
		if want.Split != nil {
			t.Fatalf("%s: ReadChunk left split rows", ref.File)
		}
		if c.Split != nil {
			split++
			if parts&PartGenotypes == 0 {
				t.Fatalf("%s: split rows without genotypes", ref.File)
			}
			var buf []byte
			for i := 0; i < c.Len(); i++ {
				if c.Split.Slot[i] < 0 && string(c.Row(i)) != string(want.Row(i)) {
					t.Fatalf("%s: row %d, not split, differs", ref.File, i)
				}
				whole, err := c.WholeRow(i, buf[:0])
				if err != nil {
					t.Fatal(err)
				}
				if string(whole) != string(want.Row(i)) {
					t.Fatalf("%s: WholeRow(%d) differs from ReadChunk's row", ref.File, i)
				}
				if c.Split.Slot[i] >= 0 {
					buf = whole
				}
			}
			if err := c.join(c.Split); err != nil {
				t.Fatal(err)
			}
		}
		if !chunkEqual(&c, want) {
			t.Fatalf("%s (parts %d): ReadChunkInto differs from ReadChunk", ref.File, parts)
		}
	}
	// Forward, backward, and without genotypes in between.
	for i := range m.Chunks {
		check(&m.Chunks[i], PartGenotypes)
	}
	for i := len(m.Chunks) - 1; i >= 0; i-- {
		check(&m.Chunks[i], PartGenotypes)
		check(&m.Chunks[i], 0)
	}
	// A corrupt file is refused, and the next read is whole again.
	ref := m.Chunks[1]
	path := filepath.Join(dir, ref.File)
	orig, _ := os.ReadFile(path)
	bad := append([]byte(nil), orig...)
	bad[len(bad)/2] ^= 0x10
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.ReadChunkInto(&ref, PartGenotypes, &c); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupt chunk: %v", err)
	}
	if err := os.WriteFile(path, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	check(&m.Chunks[0], PartGenotypes)
	check(&ref, PartGenotypes)
	if split == 0 {
		t.Fatal("no chunk had split rows")
	}
}
