package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gentre/gentre/engine/query"
	"github.com/gentre/gentre/engine/store"
)

// TestChunkCacheSameAnswers: an engine that keeps decoded chunks between
// queries (as the gateway's does) answers exactly as one that does not,
// with a cache large enough for everything and one that must evict.
func TestChunkCacheSameAnswers(t *testing.T) {
	tmp := t.TempDir()
	vcf := filepath.Join(tmp, "c.vcf")
	writeTestVCF(t, vcf, "chr3", 0, 64, 3000, 9)
	dir := newStore(t)
	gentre(t, "ingest", "vcf", "--store", dir, "--chunk-variants", "100", vcf)
	st, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	run := func(e *query.Engine, region string) string {
		q, err := query.Parse("freq " + region)
		if err != nil {
			t.Fatal(err)
		}
		plan, _, _, err := e.FreqPlanFor(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		err = e.Freq(context.Background(), plan, func(r *query.FreqRow) error {
			fmt.Fprintf(&b, "%d %s %s %+v\n", r.Pos, r.Ref, r.Alt, r.In)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	plain := query.NewEngine(st, 2)
	big := query.NewEngine(st, 2)
	big.SetChunkCache(1 << 30)
	small := query.NewEngine(st, 2)
	small.SetChunkCache(20 << 10) // a few chunks: evicts all the time
	// Warming (what the gateway does when a release opens) reads every
	// chunk into a cache large enough, and stops when a small one is full.
	chunks := len(st.Manifest().Chunks)
	if n, err := big.Warm(context.Background()); err != nil || n != chunks {
		t.Fatalf("warming a 1 GiB cache: %d of %d chunks, %v", n, chunks, err)
	}
	if n, err := small.Warm(context.Background()); err != nil || n == 0 || n >= chunks {
		t.Fatalf("warming a 20 KiB cache: %d of %d chunks, %v", n, chunks, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if n, err := query.NewEngine(st, 2).Warm(ctx); n != 0 || err != nil {
		t.Fatalf("warming without a cache: %d chunks, %v", n, err)
	}
	for _, region := range []string{"chr3", "chr3:1000-5000", "3:9000-30000", "chr3"} {
		want := run(plain, region)
		if want == "" {
			t.Fatalf("%s: no rows", region)
		}
		for i := 0; i < 2; i++ {
			if got := run(big, region); got != want {
				t.Fatalf("%s: cached engine differs (pass %d)", region, i)
			}
			if got := run(small, region); got != want {
				t.Fatalf("%s: evicting engine differs (pass %d)", region, i)
			}
		}
	}
}
