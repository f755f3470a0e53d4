package store

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gentre/gentre/engine/sites"
)

// TestSampleListDigest: every writer of the sample list (a batch, a
// coverage ingest, a removal) writes the header digest that
// SampleListDigest computes from the list, and a batch announces the list
// it commits; Tx.Samples reads the list a transaction wrote.
func TestSampleListDigest(t *testing.T) {
	dir := newTestStore(t)
	s, err := OpenWriter(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if d, err := s.SampleListDigest(); err != nil || d != "" {
		t.Fatalf("empty store: %q, %v", d, err)
	}
	check := func(what string) {
		t.Helper()
		names, err := s.Samples()
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.SampleListDigest()
		if err != nil {
			t.Fatal(err)
		}
		if want := SampleListDigest(names); got != want {
			t.Fatalf("%s: header digest %s, list digest %s", what, got, want)
		}
	}
	bw, err := s.NewBatch(BatchSpec{Source: "a.vcf", Size: 1, Samples: []string{"s0", "s1", "s2"}})
	if err != nil {
		t.Fatal(err)
	}
	site := sites.Site{Chrom: "chr1", Pos: 100, ID: ".", Ref: "A", Alts: []string{"G"}, Qual: float32(math.NaN()), Filter: "PASS", Info: "."}
	if err := bw.Add(&site, testRow(3, 0), nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := bw.Samples(); !slices.Equal(got, []string{"s0", "s1", "s2"}) || bw.Tx() == nil {
		t.Fatalf("batch samples %v", got)
	}
	if _, err := bw.Commit("a"); err != nil {
		t.Fatal(err)
	}
	check("batch")

	tx, err := s.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.AddCoverage("s9", "x.bam", []byte("cov"), QC{}); err != nil {
		t.Fatal(err)
	}
	if got, err := tx.Samples(); err != nil || !slices.Equal(got, []string{"s0", "s1", "s2", "s9"}) {
		t.Fatalf("tx samples %v, %v", got, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	check("coverage")

	tx, err = s.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.RemoveSamples([]uint32{1}); err != nil {
		t.Fatal(err)
	}
	if got, err := tx.Samples(); err != nil || !slices.Equal(got, []string{"s0", RemovedSample, "s2", "s9"}) {
		t.Fatalf("tx samples after removal %v, %v", got, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	check("removal")

	// A sample file whose header is not one is an error naming it.
	rel := s.Manifest().SampleFile
	if err := os.WriteFile(filepath.Join(dir, rel), []byte("nonsense\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SampleListDigest(); err == nil {
		t.Fatal("bad header accepted")
	}
}
