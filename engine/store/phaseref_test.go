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

// TestOlderChunkVersions: files written before the phase reference
// (version 1) and before split rows (version 2) still read, with the same
// rows; a version 1 file with a phase section, or an older file with a
// split rows section, does not.
func TestOlderChunkVersions(t *testing.T) {
	build := func(version byte, ref []uint64, split bool) []byte {
		var cb chunkBuilder
		cb.reset(0, "chr1", []uint32{0, 1, 2}, nil)
		var e geno.Encoder
		for v := range 4 {
			cb.addSite(int64(100+v), "A", []string{"G"})
			before := len(cb.rows)
			cb.rows = e.Append(cb.rows, testRow(3, v))
			cb.rowLens = append(cb.rowLens, len(cb.rows)-before)
		}
		cb.phaseRef = ref
		cb.noSplit = !split
		b, err := cb.encode(nil)
		if err != nil {
			t.Fatal(err)
		}
		b[8] = version
		tail := len(b) - 4
		return chunkFinish(b[:tail-len(chunkTrailer)])
	}
	v3 := build(3, []uint64{5}, true)
	want, err := DecodeChunk("v3.gtc", v3, PartGenotypes)
	if err != nil {
		t.Fatal(err)
	}
	secs, _ := parseSections("v3.gtc", v3, nil)
	hasSplit := false
	for _, s := range secs {
		hasSplit = hasSplit || s.tag == secSplit
	}
	if !hasSplit {
		t.Fatal("the version 3 file has no split rows")
	}
	for _, c := range []struct {
		name    string
		version byte
		ref     []uint64
		split   bool
		ok      bool
	}{
		{"version 1", 1, nil, false, true},
		{"version 1 with a phase section", 1, []uint64{5}, false, false},
		{"version 2", 2, []uint64{5}, false, true},
		{"version 2 with split rows", 2, []uint64{5}, true, false},
		{"version 1 with split rows", 1, nil, true, false},
	} {
		got, err := DecodeChunk(c.name, build(c.version, c.ref, c.split), PartGenotypes)
		if !c.ok {
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s: %v, want ErrCorrupt", c.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for i := range want.Len() {
			if string(got.Row(i)) != string(want.Row(i)) {
				t.Fatalf("%s: row %d differs from the version 3 file's", c.name, i)
			}
		}
	}
}
