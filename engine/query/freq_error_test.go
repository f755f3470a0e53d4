package query

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gentre/gentre/engine/store"
)

// A corrupt chunk early in a region makes Freq return its error, with the
// workers and the chunk feeder stopped, not hang waiting for them (the
// feeder used to wait for room in its window while Freq waited for the
// workers, which waited for the feeder).
func TestFreqStopsOnACorruptChunk(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	if err := store.Init(dir); err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenWriter(dir, &store.Options{NoSync: true, ChunkVariants: 2})
	if err != nil {
		t.Fatal(err)
	}
	var rows []alleleSite
	for i := range 40 {
		rows = append(rows, alleleSite{int64(10 + i), []string{"A", "G"}, [][2]int16{{0, 1}, {0, 0}, {-1, -1}, {1, 1}}})
	}
	addAlleleBatch(t, st, "a.vcf", "fileformat=VCFv4.2", []string{"s0", "s1", "s2", "s3"}, rows)
	st.Close()
	ro, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := ro.Manifest()
	if len(m.Chunks) < 10 {
		t.Fatalf("%d chunks", len(m.Chunks))
	}
	path := filepath.Join(dir, m.Chunks[1].File)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x20
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2, 4} {
		e := NewEngine(ro, workers)
		done := make(chan error, 1)
		go func() {
			rows := 0
			done <- e.Freq(context.Background(), &FreqPlan{Contig: "chr2", Start: 1, End: 1000}, func(*FreqRow) error {
				rows++
				return nil
			})
		}()
		select {
		case err := <-done:
			if !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("%d workers: %v, want ErrCorrupt", workers, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%d workers: Freq did not return on a corrupt chunk", workers)
		}
	}
}
