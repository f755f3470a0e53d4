package query

import (
	"context"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gentre/gentre/engine/geno"
	"github.com/gentre/gentre/engine/sites"
	"github.com/gentre/gentre/engine/store"
)

// alleleSite is one site of a test batch: its alleles and each sample's
// diploid genotype (allele codes; -1 missing).
type alleleSite struct {
	pos     int64
	alleles []string
	gts     [][2]int16
}

func addAlleleBatch(t *testing.T, st *store.Store, name, header string, samples []string, rows []alleleSite) {
	t.Helper()
	bw, err := st.NewBatch(store.BatchSpec{Source: name, Size: 1, Samples: samples, Header: header})
	if err != nil {
		t.Fatal(err)
	}
	var row geno.Row
	for _, r := range rows {
		row.Reset(len(r.alleles), len(samples), 2)
		for i, gt := range r.gts {
			for k, a := range gt {
				if a >= 0 {
					row.GT[2*i+k] = a
				}
			}
		}
		site := sites.Site{Chrom: "chr2", Pos: r.pos, ID: ".", Ref: r.alleles[0], Alts: r.alleles[1:], Qual: float32(math.NaN()), Filter: "PASS", Info: "."}
		if err := bw.Add(&site, &row, nil, nil); err != nil {
			bw.Abort()
			t.Fatal(err)
		}
	}
	if _, err := bw.Commit(name); err != nil {
		t.Fatal(err)
	}
}

// TestAllelesOfRegion: every ALT allele in the region, with its AC over every
// sample of every batch, in file order; and the batches' headers.
func TestAllelesOfRegion(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	if err := store.Init(dir); err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenWriter(dir, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	addAlleleBatch(t, st, "a.vcf", "fileformat=VCFv4.2\nreference=GRCh38", []string{"a0", "a1", "a2"}, []alleleSite{
		{10, []string{"A", "G"}, [][2]int16{{0, 1}, {1, 1}, {-1, -1}}},
		{20, []string{"C", "T", "A"}, [][2]int16{{1, 2}, {2, 2}, {0, 0}}},
		{30, []string{"G", "C"}, [][2]int16{{0, 0}, {0, 0}, {0, 1}}},
	})
	addAlleleBatch(t, st, "b.vcf", "fileformat=VCFv4.2", []string{"b0", "b1"}, []alleleSite{
		{20, []string{"C", "A"}, [][2]int16{{1, 1}, {0, 1}}},
		{25, []string{"T", "TA"}, [][2]int16{{0, 1}, {0, 0}}},
	})
	ro, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(ro, 2)
	var got []Allele
	collect := func(a *Allele) error { got = append(got, *a); return nil }
	if err := e.Alleles(context.Background(), "chr2", 1, 100, collect); err != nil {
		t.Fatal(err)
	}
	want := []Allele{
		{10, "A", "G", 3},
		{20, "C", "T", 1}, {20, "C", "A", 3 + 3}, // A: 1+2 in a, 2+1 in b
		{25, "T", "TA", 1},
		{30, "G", "C", 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("alleles %v, want %v", got, want)
	}
	got = nil
	if err := e.Alleles(context.Background(), "chr2", 20, 25, collect); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want[1:4]) {
		t.Fatalf("[20, 25]: %v, want %v", got, want[1:4])
	}
	if h := e.BatchHeaders(); !reflect.DeepEqual(h, []string{"fileformat=VCFv4.2\nreference=GRCh38", "fileformat=VCFv4.2"}) {
		t.Fatalf("headers %q", h)
	}
}
