package store

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/gentre/gentre/engine/geno"
	"github.com/gentre/gentre/engine/sites"
)

// mixedPhaseRow is testRow with the phase flags of a batch merged from
// phased and unphased call sets: two samples in three phased, and a few
// flags that differ per row.
func mixedPhaseRow(n, v int) *geno.Row {
	r := testRow(n, v)
	for i := range r.Phased {
		r.Phased[i] = i%3 != 0
		if (i+v)%17 == 0 {
			r.Phased[i] = !r.Phased[i]
		}
	}
	return r
}

// TestPhaseReference: a batch of mixed phasing gets a phase reference in
// every chunk, its rows decode exactly with it (and not without it), and an
// opt-out rewrite keeps every remaining sample's phase.
func TestPhaseReference(t *testing.T) {
	dir := newTestStore(t)
	const n, nVar = 200, 60
	samples := make([]string, n)
	for i := range samples {
		samples[i] = fmt.Sprintf("p%d", i)
	}
	s, err := OpenWriter(dir, &Options{ChunkVariants: 16, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bw, err := s.NewBatch(BatchSpec{Source: "m.vcf", Size: 1, Samples: samples})
	if err != nil {
		t.Fatal(err)
	}
	for v := range nVar {
		site := sites.Site{Chrom: "chr1", Pos: int64(100 + v), ID: ".", Ref: "A", Alts: []string{"G"}, Qual: float32(math.NaN()), Filter: "PASS", Info: "."}
		if err := bw.Add(&site, mixedPhaseRow(n, v), nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bw.Commit("sha"); err != nil {
		t.Fatal(err)
	}
	check := func(cols []int) {
		t.Helper()
		m := s.Manifest()
		var view geno.View
		var row geno.Row
		v, relative := 0, 0
		for i := range m.Chunks {
			c, err := s.ReadChunk(&m.Chunks[i], PartGenotypes)
			if err != nil {
				t.Fatal(err)
			}
			if c.PhaseRef == nil {
				t.Fatalf("chunk %d has no phase reference", i)
			}
			for j := 0; j < c.Len(); j++ {
				view.SetPhaseRef(nil)
				if err := view.Reset(c.Row(j), len(c.Samples)); err != nil {
					t.Fatal(err)
				}
				if err := view.Decode(&row); errors.Is(err, geno.ErrCorrupt) {
					relative++
				} else if err != nil {
					t.Fatal(err)
				}
				view.SetPhaseRef(c.PhaseRef)
				if err := view.Decode(&row); err != nil {
					t.Fatal(err)
				}
				full := mixedPhaseRow(n, v)
				for k, col := range cols {
					if !reflect.DeepEqual(row.Sample(k), full.Sample(col)) || row.Phased[k] != full.Phased[col] {
						t.Fatalf("variant %d sample %d: %v %v, want %v %v", v, col, row.Sample(k), row.Phased[k], full.Sample(col), full.Phased[col])
					}
				}
				v++
			}
		}
		if v != nVar || relative < nVar/2 {
			t.Fatalf("%d variants read, %d with phase relative to the reference", v, relative)
		}
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	check(all)

	tx, _ := s.Begin()
	if _, err := tx.RemoveSamples([]uint32{1, 3, 50, 199}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(); err != nil {
		t.Fatal(err)
	}
	var kept []int
	for i := range n {
		if i != 1 && i != 3 && i != 50 && i != 199 {
			kept = append(kept, i)
		}
	}
	check(kept)
}

// TestChunkVersion1: files written before the phase reference existed
// (version 1) still read; a version 1 file with a phase section does not.
func TestChunkVersion1(t *testing.T) {
	build := func(ref []uint64) []byte {
		var cb chunkBuilder
		cb.reset(0, "chr1", []uint32{0, 1, 2}, nil)
		cb.addSite(100, "A", []string{"G"})
		var e geno.Encoder
		r := testRow(3, 1)
		cb.rows = e.Append(cb.rows, r)
		cb.rowLens = append(cb.rowLens, len(cb.rows))
		cb.phaseRef = ref
		cb.noSplit = true
		b, err := cb.encode(nil)
		if err != nil {
			t.Fatal(err)
		}
		b[8] = 1 // version 1
		tail := len(b) - 4
		return chunkFinish(b[:tail-len(chunkTrailer)])
	}
	if _, err := DecodeChunk("v1.gtc", build(nil), PartGenotypes); err != nil {
		t.Fatalf("version 1 chunk: %v", err)
	}
	if _, err := DecodeChunk("v1p.gtc", build([]uint64{5}), PartGenotypes); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("version 1 chunk with a phase section: %v, want ErrCorrupt", err)
	}
}
