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
// biallelic diploid rows from its chunks' sample indexes; for random
// sample cohorts of every size, with and without a comparator, its rows
// and those of an engine without the cache (row by row) equal the naive
// count of the decoded row (geno.CountRow).
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
	// The naive answer: every row decoded and counted by geno.CountRow
	// (one batch: its columns are the global samples in order).
	naive := func(p *query.FreqPlan) string {
		var b strings.Builder
		var v geno.View
		var row geno.Row
		for i := range st.Manifest().Chunks {
			c, err := st.ReadChunk(&st.Manifest().Chunks[i], store.PartGenotypes)
			if err != nil {
				t.Fatal(err)
			}
			v.SetPhaseRef(c.PhaseRef)
			for j := 0; j < c.Len(); j++ {
				if err := v.Reset(c.Row(j), len(c.Samples)); err != nil {
					t.Fatal(err)
				}
				if err := v.Decode(&row); err != nil {
					t.Fatal(err)
				}
				var in, vs geno.Counts
				geno.CountRow(&row, p.In, &in)
				if p.HasVs {
					geno.CountRow(&row, p.Vs, &vs)
				}
				al := c.Alleles(j)
				for a := 1; a < len(al); a++ {
					fmt.Fprintf(&b, "%d %s %s %d %d %d %d %d", c.Pos[j], al[0], al[a], in.AC[a-1], in.AN, in.Het[a-1], in.HomAlt[a-1], in.Missing)
					if p.HasVs {
						fmt.Fprintf(&b, " %d %d %d %d %d", vs.AC[a-1], vs.AN, vs.Het[a-1], vs.HomAlt[a-1], vs.Missing)
					}
					b.WriteByte('\n')
				}
			}
		}
		return b.String()
	}
	rows := func(e *query.Engine, p *query.FreqPlan) string {
		var b strings.Builder
		err := e.Freq(context.Background(), p, func(r *query.FreqRow) error {
			fmt.Fprintf(&b, "%d %s %s %d %d %d %d %d", r.Pos, r.Ref, r.Alt, r.In.AC, r.In.AN, r.In.Het, r.In.HomAlt, r.In.Missing)
			if p.HasVs {
				fmt.Fprintf(&b, " %d %d %d %d %d", r.Vs.AC, r.Vs.AN, r.Vs.Het, r.Vs.HomAlt, r.Vs.Missing)
			}
			b.WriteByte('\n')
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
			want := naive(p)
			if got := rows(plain, p); got != want {
				t.Fatalf("cohort %.2f vs %.2f, no cache: counts differ from CountRow's:\n%s", frac, vsFrac, firstDiff(got, want))
			}
			for pass := range 2 {
				if got := rows(cached, p); got != want {
					t.Fatalf("cohort %.2f vs %.2f, cache pass %d: counts differ from CountRow's:\n%s", frac, vsFrac, pass, firstDiff(got, want))
				}
			}
		}
	}
}
