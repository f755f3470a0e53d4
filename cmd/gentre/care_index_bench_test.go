package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/gentre/gentre/bench/synth"
	"github.com/gentre/gentre/engine/query"
	"github.com/gentre/gentre/engine/store"
)

// BenchmarkCareLoad times what a query process does on the care side
// before counting genotypes: open the release, load its care side, and
// evaluate one cohort to its samples (store.Open, NewEngine, FreqPlanFor
// of `freq chr22 in condition(<<73211009)`), on `gentre synth` cohorts of
// 10,000 and 100,000 people ingested as the bench harness does. "index"
// reads the release's care index; "parquet" the same release without it
// (as a store written before the index existed), which builds the sets
// from the people and events tables. Each run first checks that both
// give the same cohort.
//
//	go test ./cmd/gentre -run '^$' -bench CareLoad -benchtime 20x
func BenchmarkCareLoad(b *testing.B) {
	root, err := os.MkdirTemp("", "gentre-care-bench-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(root)
	q, err := query.Parse("freq chr22 in condition(<<73211009)")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	plan := func(dir string) (people, samples uint64, err error) {
		st, err := store.Open(dir, nil)
		if err != nil {
			return 0, 0, err
		}
		defer st.Close()
		e := query.NewEngine(st, 0)
		p, in, _, err := e.FreqPlanFor(ctx, q)
		if err != nil {
			return 0, 0, err
		}
		return in.GetCardinality(), uint64(p.In.Count()), nil
	}
	for _, n := range []int{10_000, 100_000} {
		// A benchmark with sub-benchmarks runs once: the stores are made
		// once per size, and only for the sizes -bench selects.
		b.Run(fmt.Sprintf("people=%d", n), func(b *testing.B) {
			indexed, bare := careBenchStores(b, filepath.Join(root, fmt.Sprint(n)), n)
			wantPeople, wantSamples, err := plan(bare)
			if err != nil {
				b.Fatal(err)
			}
			for _, v := range []struct{ name, dir string }{{"index", indexed}, {"parquet", bare}} {
				b.Run(v.name, func(b *testing.B) {
					people, samples, err := plan(v.dir)
					if err != nil || people != wantPeople || samples != wantSamples || people == 0 {
						b.Fatalf("cohort of %d people, %d samples (%v); want %d, %d", people, samples, err, wantPeople, wantSamples)
					}
					b.ResetTimer()
					for range b.N {
						if _, _, err := plan(v.dir); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "people/s")
				})
			}
		})
	}
}

// careBenchStores makes a synthetic cohort of n people in dir, ingests it
// (snomed, fhir, vcf with the manifest), and copies the store without its
// care index.
func careBenchStores(b *testing.B, dir string, n int) (indexed, bare string) {
	b.Helper()
	sum, err := synth.Generate(filepath.Join(dir, "synth"), synth.Options{People: n, Sites: 200, Seed: 1, Generator: "go"})
	if err != nil {
		b.Fatal(err)
	}
	indexed = filepath.Join(dir, "store")
	gentre(b, "init", "--store", indexed)
	gentre(b, "ingest", "snomed", "--store", indexed, sum.SNOMED)
	gentre(b, append([]string{"ingest", "fhir", "--store", indexed}, sum.Care...)...)
	gentre(b, "ingest", "vcf", "--store", indexed, "--manifest", sum.Manifest, sum.VCF)
	if err := os.RemoveAll(filepath.Join(dir, "synth")); err != nil {
		b.Fatal(err)
	}
	bare = filepath.Join(dir, "bare")
	if err := copyTree(indexed, bare); err != nil {
		b.Fatal(err)
	}
	st, err := store.OpenWriter(bare, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	tx, err := st.Begin()
	if err != nil {
		b.Fatal(err)
	}
	c := &tx.Manifest().Care
	if c.Index == "" {
		b.Fatal("ingest wrote no care index")
	}
	tx.Obsolete(c.Index)
	c.Index, c.IndexSHA256 = "", ""
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return indexed, bare
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o700)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, in); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
}
