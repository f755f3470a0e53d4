package snomed

import (
	"bytes"
	"math/rand/v2"
	"sync"
	"testing"
)

// benchConcepts is the size of SNOMED CT's International Edition (about
// 350,000 active concepts).
const benchConcepts = 350_000

var bench struct {
	once sync.Once
	rf2  []byte
	h    *Hierarchy
	bin  []byte
	mid  int64 // a mid-level concept
	top  int64 // the root's child with the largest subtree (like Clinical finding)
}

func benchFixture(b *testing.B) {
	bench.once.Do(func() {
		bench.rf2 = Synthetic(benchConcepts, 1)
		h, _, err := ParseRF2(bytes.NewReader(bench.rf2), "synthetic.txt")
		if err != nil {
			b.Fatal(err)
		}
		bench.h = h
		bench.bin, _ = h.MarshalBinary()
		bench.mid = midLevel(h, 2000)
		bench.top = midLevel(h, benchConcepts)
	})
	if bench.h == nil {
		b.Fatal("fixture failed")
	}
}

// midLevel walks down from the root, each time into the child with the
// most descendants, and stops at the first concept with fewer than size.
func midLevel(h *Hierarchy, size int32) int64 {
	count := func(id int64) int {
		s, err := h.DescendantSet(id, nil)
		if err != nil {
			panic(err)
		}
		return s.Len()
	}
	v := Root
	for count(v) >= int(size) {
		best, bestN := int64(-1), -1
		kids, err := h.Children(v)
		if err != nil {
			panic(err)
		}
		for _, c := range kids {
			if n := count(c); n > bestN {
				best, bestN = c, n
			}
		}
		v = best
	}
	return v
}

// BenchmarkParseRF2 builds the hierarchy from a 350,000-concept RF2 snapshot
// (about 580,000 rows, 8% noise).
func BenchmarkParseRF2(b *testing.B) {
	benchFixture(b)
	b.SetBytes(int64(len(bench.rf2)))
	b.ReportAllocs()
	for b.Loop() {
		h, _, err := ParseRF2(bytes.NewReader(bench.rf2), "synthetic.txt")
		if err != nil || h.Len() != benchConcepts {
			b.Fatal(err)
		}
	}
	per := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(benchConcepts/per, "concepts/s")
	b.ReportMetric(per*1e3, "ms/build")
}

// BenchmarkBuild is the graph part of ParseRF2 alone (edges already parsed).
func BenchmarkBuild(b *testing.B) {
	edges := SyntheticEdges(benchConcepts, 1)
	b.ReportAllocs()
	for b.Loop() {
		h, err := Build(edges)
		if err != nil || h.Len() != benchConcepts {
			b.Fatal(err)
		}
	}
	per := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(benchConcepts/per, "concepts/s")
	b.ReportMetric(per*1e3, "ms/build")
}

// BenchmarkLoadBinary decodes, verifies and indexes the binary form.
func BenchmarkLoadBinary(b *testing.B) {
	benchFixture(b)
	b.SetBytes(int64(len(bench.bin)))
	for b.Loop() {
		h, err := ReadHierarchy(bench.bin)
		if err != nil || h.Len() != benchConcepts {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/load")
	b.ReportMetric(float64(len(bench.bin))/benchConcepts, "B/concept")
}

func benchSet(b *testing.B, of int64, want int) {
	benchFixture(b)
	s, _ := bench.h.DescendantSet(of, nil)
	if want > 0 && s.Len() != want {
		b.Fatalf("<<%d has %d concepts, want %d", of, s.Len(), want)
	}
	b.ReportAllocs()
	for b.Loop() {
		s, _ = bench.h.DescendantSet(of, s)
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(b.N), "µs/query")
	b.ReportMetric(float64(s.Len()), "concepts")
}

func BenchmarkDescendantSetRoot(b *testing.B) { benchSet(b, Root, benchConcepts) }

func BenchmarkDescendantSetTop(b *testing.B) {
	benchFixture(b)
	benchSet(b, bench.top, 0)
}

func BenchmarkDescendantSetMid(b *testing.B) {
	benchFixture(b)
	benchSet(b, bench.mid, 0)
}

func benchSorted(b *testing.B, of int64) {
	benchFixture(b)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		ids, err := bench.h.DescendantsOrSelf(of)
		if err != nil {
			b.Fatal(err)
		}
		n = len(ids)
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(b.N), "µs/query")
	b.ReportMetric(float64(n), "concepts")
}

// BenchmarkDescendantsOrSelfRoot/Mid: the sorted []int64 of SCTIDs.
func BenchmarkDescendantsOrSelfRoot(b *testing.B) { benchSorted(b, Root) }
func BenchmarkDescendantsOrSelfMid(b *testing.B) {
	benchFixture(b)
	benchSorted(b, bench.mid)
}

// BenchmarkConditionScan: the engine's hot path for condition(<<X): a column
// of condition codes already held as dense indices, each tested against the
// set (here 4M rows against a mid-level concept's set).
func BenchmarkConditionScan(b *testing.B) {
	benchFixture(b)
	const rows = 4 << 20
	rng := rand.New(rand.NewPCG(9, 9))
	codes := make([]int32, rows)
	for i := range codes {
		codes[i] = int32(rng.IntN(benchConcepts))
	}
	s, _ := bench.h.DescendantSet(bench.mid, nil)
	want := 0
	for _, c := range codes {
		if bench.h.Contains(bench.mid, bench.h.SCTID(c)) {
			want++
		}
	}
	for b.Loop() {
		hits := 0
		for _, c := range codes {
			if s.Contains(c) {
				hits++
			}
		}
		if hits != want {
			b.Fatalf("%d hits, want %d", hits, want)
		}
	}
	per := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(per*1e9/rows, "ns/row")
	b.ReportMetric(rows/per, "rows/s")
}

// BenchmarkIndex: SCTID → dense index (done once per condition row at ingest).
func BenchmarkIndex(b *testing.B) {
	benchFixture(b)
	ids := allIDs(bench.h)
	rng := rand.New(rand.NewPCG(5, 5))
	probe := make([]int64, 1<<16)
	for i := range probe {
		probe[i] = ids[rng.IntN(len(ids))]
	}
	i := 0
	for b.Loop() {
		if _, ok := bench.h.Index(probe[i&(len(probe)-1)]); !ok {
			b.Fatal("missing")
		}
		i++
	}
}

// BenchmarkIsA: random pairs, most of them unrelated (the pruned upward walk).
func BenchmarkIsA(b *testing.B) {
	benchFixture(b)
	rng := rand.New(rand.NewPCG(6, 6))
	ids := allIDs(bench.h)
	i := 0
	pairs := make([][2]int64, 1<<12)
	for k := range pairs {
		pairs[k] = [2]int64{ids[rng.IntN(len(ids))], ids[rng.IntN(len(ids))]}
	}
	for b.Loop() {
		p := pairs[i&(len(pairs)-1)]
		if _, err := bench.h.IsA(p[0], p[1]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkVerify: the deep consistency check (not part of loading).
func BenchmarkVerify(b *testing.B) {
	benchFixture(b)
	h, _ := ReadHierarchy(bench.bin)
	for b.Loop() {
		if err := h.Verify(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/verify")
}

func allIDs(h *Hierarchy) []int64 {
	ids := make([]int64, h.Len())
	for i := range ids {
		ids[i] = h.SCTID(int32(i))
	}
	return ids
}
