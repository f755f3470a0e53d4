package query

import (
	"bytes"
	"math"
	"path/filepath"
	"testing"

	"github.com/gentre/gentre/engine/care"
	"github.com/gentre/gentre/engine/geno"
	"github.com/gentre/gentre/engine/sites"
	"github.com/gentre/gentre/engine/store"
)

// lookupStore is a store of four people (the third opted out) and three
// samples: s0 linked to the first, s1 to the fourth, s2 to nobody known.
func lookupStore(t *testing.T) *Engine {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	if err := store.Init(dir); err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenWriter(dir, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bw, err := st.NewBatch(store.BatchSpec{Source: "t.vcf", Size: 1, Samples: []string{"s0", "s1", "s2"}})
	if err != nil {
		t.Fatal(err)
	}
	var row geno.Row
	row.Reset(2, 3, 2)
	site := sites.Site{Chrom: "chr1", Pos: 100, ID: ".", Ref: "A", Alts: []string{"G"}, Qual: float32(math.NaN()), Filter: "PASS", Info: "."}
	if err := bw.Add(&site, &row, nil, nil); err != nil {
		bw.Abort()
		t.Fatal(err)
	}
	if _, err := bw.Commit("t"); err != nil {
		t.Fatal(err)
	}
	people := []care.Person{{Pseudonym: "aa01"}, {Pseudonym: "bb02"}, {Pseudonym: care.RemovedPerson}, {Pseudonym: "dd04"}}
	tx, err := st.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := care.WritePeople(&buf, people); err != nil {
		tx.Abort()
		t.Fatal(err)
	}
	m := tx.Manifest()
	if m.Care.People, err = tx.CreateFile(store.DirCare, ".people.parquet", buf.Bytes()); err != nil {
		tx.Abort()
		t.Fatal(err)
	}
	m.Care.NPeople = len(people)
	links := "s0\taa01\ns1\tdd04\ns2\tzz99\n"
	if m.Care.Links, err = tx.CreateChecked(store.DirCare, ".links.txt", "gentre-links", []byte(links)); err != nil {
		tx.Abort()
		t.Fatal(err)
	}
	m.Care.NLinks = 3
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return NewEngine(st, 1)
}

func TestPersonIndex(t *testing.T) {
	e := lookupStore(t)
	for _, tc := range []struct {
		psn   string
		index uint32
		found bool
	}{
		{"aa01", 0, true},
		{"bb02", 1, true},
		{"dd04", 3, true},
		{care.RemovedPerson, 0, false}, // a tombstone is nobody
		{"", 0, false},
		{"cc03", 0, false},
		{"AA01", 0, false}, // exact match only
	} {
		i, ok, err := e.PersonIndex(tc.psn)
		if err != nil || ok != tc.found || i != tc.index {
			t.Errorf("PersonIndex(%q) = %d, %v, %v; want %d, %v", tc.psn, i, ok, err, tc.index, tc.found)
		}
	}
}
