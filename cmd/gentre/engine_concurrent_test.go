package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gentre/gentre/engine/geno"
	"github.com/gentre/gentre/engine/query"
	"github.com/gentre/gentre/engine/store"
)

// TestEngineConcurrent: one engine (as the gateway shares one per data
// release) answers many queries at once exactly as a fresh engine answers
// each alone, with and without the decoded-chunk cache, starting cold so
// that its lazy loading races. Run with -race to check the locking.
func TestEngineConcurrent(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cohort")
	gentre(t, "synth", "--out", out, "--patients", "400", "--seed", "11", "--generator", "go")
	dir := newStore(t)
	gentre(t, "ingest", "snomed", "--store", dir, filepath.Join(out, "snomed.rf2.txt"))
	gentre(t, "ingest", "fhir", "--store", dir, filepath.Join(out, "care.ndjson"))
	gentre(t, "ingest", "vcf", "--store", dir, "--chunk-variants", "200", "--manifest", filepath.Join(out, "manifest.tsv"), filepath.Join(out, "genomes.chr22.vcf.gz"))
	st, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	asOf := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	answer := func(e *query.Engine, text string) string {
		q, err := query.Parse(text)
		if err != nil {
			t.Error(err)
			return ""
		}
		var b strings.Builder
		switch q.Kind {
		case query.Count:
			rows, _, err := e.Count(ctx, q)
			if err != nil {
				return "error: " + err.Error()
			}
			fmt.Fprint(&b, rows)
		case query.Freq:
			plan, _, _, err := e.FreqPlanFor(ctx, q)
			if err != nil {
				return "error: " + err.Error()
			}
			err = e.Freq(ctx, plan, func(r *query.FreqRow) error {
				fmt.Fprintf(&b, "%d %s %s %+v %+v %d\n", r.Pos, r.Ref, r.Alt, r.In, r.Vs, r.Covered)
				return nil
			})
			if err != nil {
				return "error: " + err.Error()
			}
		case query.Carriers:
			ids, _, err := e.Carriers(ctx, q)
			if err != nil {
				return "error: " + err.Error()
			}
			fmt.Fprint(&b, ids)
		}
		return b.String()
	}
	queries := []string{
		"count all by sex",
		"count condition(<<73211009) by age",
		"count observation(1003671000000109 >= 48) or medication(325278007)",
		"freq chr22 in condition(<<73211009)",
		"freq chr22:1-30000000 in sex(female) vs sex(male)",
		"freq chr22 in condition(<<73211009) and sex(female) vs not condition(<<73211009)",
		"carriers chr22:24316207:A:G",
		"count carrier(chr22:24316207:A:G) and age(40..80)",
	}
	want := map[string]string{}
	for _, text := range queries {
		e := query.NewEngine(st, 2)
		e.SetAsOf(asOf)
		want[text] = answer(e, text)
		if want[text] == "" || strings.HasPrefix(want[text], "error") {
			t.Fatalf("%s: %q", text, want[text])
		}
	}
	for _, cache := range []int64{0, 1 << 30} {
		e := query.NewEngine(st, 2)
		e.SetAsOf(asOf)
		e.SetChunkCache(cache)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 3 * len(queries) {
					text := queries[(g+i)%len(queries)]
					if got := answer(e, text); got != want[text] {
						t.Errorf("cache %d, goroutine %d: %s: answer differs from a lone engine's", cache, g, text)
					}
				}
			})
		}
		wg.Wait()
	}
}

// TestSampleIndexSameCounts: an engine with the decoded-chunk cache counts
// small cohorts from its chunks' sample indexes; for random sample cohorts
// of every size, with and without a comparator, its rows equal those of
// an engine without the cache (which counts row by row).
func TestSampleIndexSameCounts(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cohort")
	gentre(t, "synth", "--out", out, "--patients", "300", "--seed", "3", "--generator", "go")
	dir := newStore(t)
	gentre(t, "ingest", "vcf", "--store", dir, "--chunk-variants", "150", filepath.Join(out, "genomes.chr22.vcf.gz"))
	st, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := st.Manifest().NSamples
	rng := rand.New(rand.NewPCG(5, 6))
	cohort := func(frac float64) *geno.Bitset {
		b := geno.NewBitset(n)
		for i := range n {
			if rng.Float64() < frac {
				b.Set(i)
			}
		}
		return b
	}
	rows := func(e *query.Engine, p *query.FreqPlan) string {
		var b strings.Builder
		err := e.Freq(context.Background(), p, func(r *query.FreqRow) error {
			fmt.Fprintf(&b, "%d %s %s %+v %+v\n", r.Pos, r.Ref, r.Alt, r.In, r.Vs)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	plain := query.NewEngine(st, 2)
	cached := query.NewEngine(st, 2)
	cached.SetChunkCache(1 << 30)
	for _, frac := range []float64{0, 0.01, 0.05, 0.3, 0.5, 0.7, 1} {
		for _, vsFrac := range []float64{-1, 0.02, 0.9} {
			p := &query.FreqPlan{Contig: "chr22", Start: 1, End: math.MaxInt64, In: cohort(frac)}
			if vsFrac >= 0 {
				p.Vs, p.HasVs = cohort(vsFrac), true
			}
			want := rows(plain, p)
			for pass := range 2 { // the index is built on the first pass
				if got := rows(cached, p); got != want {
					t.Fatalf("cohort %.2f vs %.2f, pass %d: counts from the sample index differ:\n%s", frac, vsFrac, pass, firstDiff(got, want))
				}
			}
		}
	}
}
