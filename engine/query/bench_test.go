package query

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gentre/gentre/engine/care"
	"github.com/gentre/gentre/engine/geno"
	"github.com/gentre/gentre/engine/sites"
	"github.com/gentre/gentre/engine/store"
)

// Benchmarks of the query engine on a store built here from random rows
// (math/rand; engine may not import bench). Each benchmark first checks its
// answer against the naive counter geno.CountRow, then times the engine and
// reports genotypes/s: cohort samples × variants per second (for a
// single-variant query, samples per second).
//
//	go test ./engine/query -run '^$' -bench . -benchtime 20x

// benchVariants is the number of variants of a benchmark store.
const benchVariants = 2000

// benchSizes are the samples of the benchmark stores.
var benchSizes = []int{1000, 10_000}

// benchContig is the benchmark stores' contig.
const benchContig = "chr22"

// benchStore is a store with one batch, one person per sample (every
// other person female, at random) and the rows it was built from.
type benchStore struct {
	dir     string
	eng     *Engine
	st      *store.Store
	samples int
	rows    []geno.Row
	sites   []sites.Site
	female  *geno.Bitset // by column (= global sample index: one batch)
	carrier sites.Site   // a common biallelic variant for carrier(V)
}

var (
	benchMu     sync.Mutex
	benchStores = map[int]*benchStore{}
	benchDirs   []string
)

// TestMain removes the benchmark stores (cached across benchmarks, since a
// benchmark function is called several times).
func TestMain(m *testing.M) {
	code := m.Run()
	benchMu.Lock()
	for _, s := range benchStores {
		s.st.Close()
	}
	for _, d := range benchDirs {
		os.RemoveAll(d)
	}
	benchMu.Unlock()
	os.Exit(code)
}

// benchRow draws a site's genotypes: a derived allele frequency from the
// neutral spectrum (∝ 1/x), 3% of sites with a second ALT, 0.5% missing
// calls, a few half calls.
func benchRow(r *rand.Rand, n int, row *geno.Row) []string {
	nAlt := 1
	if r.Float64() < 0.03 {
		nAlt = 2
	}
	row.Reset(nAlt+1, n, 2)
	af := math.Exp(r.Float64()*math.Log(2*float64(n))) / (2 * float64(n)) // 1/(2n) .. 1, ∝ 1/x
	af = min(af, 0.5)
	for i := range row.GT {
		switch x := r.Float64(); {
		case x < 0.005:
			row.GT[i] = geno.Missing
		case x < 0.005+af:
			row.GT[i] = int16(1 + r.IntN(nAlt))
		default:
			row.GT[i] = 0
		}
	}
	for i := range row.Phased {
		row.Phased[i] = row.GT[2*i] >= 0 && row.GT[2*i+1] >= 0 && i%10 != 0
	}
	alts := []string{"G", "T"}[:nAlt]
	return alts
}

// getBenchStore builds (once) the store of n samples.
func getBenchStore(b *testing.B, n int) *benchStore {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if s := benchStores[n]; s != nil {
		return s
	}
	start := time.Now()
	dir, err := os.MkdirTemp("", "gentre-query-bench-")
	if err != nil {
		b.Fatal(err)
	}
	benchDirs = append(benchDirs, dir)
	s := &benchStore{dir: filepath.Join(dir, "store"), samples: n, female: geno.NewBitset(n)}
	if err := buildBenchStore(s); err != nil {
		b.Fatal(err)
	}
	if s.st, err = store.Open(s.dir, nil); err != nil {
		b.Fatal(err)
	}
	s.eng = NewEngine(s.st, 0)
	benchStores[n] = s
	b.Logf("built a store of %d samples × %d variants in %.1fs", n, benchVariants, time.Since(start).Seconds())
	return s
}

func buildBenchStore(s *benchStore) error {
	if err := store.Init(s.dir); err != nil {
		return err
	}
	st, err := store.OpenWriter(s.dir, &store.Options{NoSync: true})
	if err != nil {
		return err
	}
	defer st.Close()
	r := rand.New(rand.NewPCG(1, uint64(s.samples)))
	names := make([]string, s.samples)
	people := make([]care.Person, s.samples)
	var links strings.Builder
	for i := range names {
		names[i] = fmt.Sprintf("sample%06d", i)
		people[i] = care.Person{Pseudonym: fmt.Sprintf("person%06d", i), Sex: care.SexMale}
		if r.IntN(2) == 0 {
			people[i].Sex = care.SexFemale
			s.female.Set(i)
		}
		links.WriteString(names[i] + "\t" + people[i].Pseudonym + "\n")
	}
	bw, err := st.NewBatch(store.BatchSpec{Source: "bench.vcf", Size: 1, Samples: names})
	if err != nil {
		return err
	}
	s.rows = make([]geno.Row, benchVariants)
	var row geno.Row
	for v := range benchVariants {
		alts := benchRow(r, s.samples, &row)
		site := sites.Site{Chrom: benchContig, Pos: int64(10_000 + 1000*v), ID: ".", Ref: "A", Alts: alts,
			Qual: float32(math.NaN()), Filter: "PASS", Info: "."}
		s.rows[v].CopyFrom(&row) // Add takes the row's storage
		s.sites = append(s.sites, site)
		if err := bw.Add(&site, &row, nil, nil); err != nil {
			bw.Abort()
			return err
		}
	}
	if _, err := bw.Commit("bench"); err != nil {
		return err
	}
	// The carrier variant: the biallelic site nearest the middle with an
	// ALT frequency of 5% or more.
	for d := 0; d < benchVariants/2; d++ {
		v := benchVariants/2 + d
		if len(s.sites[v].Alts) != 1 {
			continue
		}
		var c geno.Counts
		geno.CountRow(&s.rows[v], nil, &c)
		if c.AN > 0 && float64(c.AC[0])/float64(c.AN) >= 0.05 {
			s.carrier = s.sites[v]
			break
		}
	}
	if s.carrier.Pos == 0 {
		return fmt.Errorf("no common variant in the benchmark store")
	}

	// Care side: the people and the sample links.
	tx, err := st.Begin()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := care.WritePeople(&buf, people); err != nil {
		tx.Abort()
		return err
	}
	m := tx.Manifest()
	if m.Care.People, err = tx.CreateFile(store.DirCare, ".people.parquet", buf.Bytes()); err != nil {
		tx.Abort()
		return err
	}
	m.Care.NPeople = len(people)
	if m.Care.Links, err = tx.CreateChecked(store.DirCare, ".links.txt", "gentre-links", []byte(links.String())); err != nil {
		tx.Abort()
		return err
	}
	m.Care.NLinks = len(people)
	return tx.Commit()
}

// checkFreq compares the engine's rows with geno.CountRow over in (nil:
// every sample).
func checkFreq(s *benchStore, q string, in *geno.Bitset) error {
	pq, err := Parse(q)
	if err != nil {
		return err
	}
	ctx := context.Background()
	plan, _, _, err := s.eng.FreqPlanFor(ctx, pq)
	if err != nil {
		return err
	}
	var got []FreqRow
	if err := s.eng.Freq(ctx, plan, func(r *FreqRow) error { got = append(got, *r); return nil }); err != nil {
		return err
	}
	i := 0
	var c geno.Counts
	for v := range s.rows {
		geno.CountRow(&s.rows[v], in, &c)
		for a, alt := range s.sites[v].Alts {
			if i >= len(got) {
				return fmt.Errorf("%d rows, want more", len(got))
			}
			g := got[i]
			want := AlleleCounts{AC: c.AC[a], AN: c.AN, Het: c.Het[a], HomAlt: c.HomAlt[a], Missing: c.Missing}
			if g.Pos != s.sites[v].Pos || g.Alt != alt || g.In != want {
				return fmt.Errorf("row %d: %d %s %+v, want %d %s %+v", i, g.Pos, g.Alt, g.In, s.sites[v].Pos, alt, want)
			}
			i++
		}
	}
	if i != len(got) {
		return fmt.Errorf("%d rows, want %d", len(got), i)
	}
	return nil
}

// benchFreq times `freq` queries of q (whose cohort has cohortSamples
// samples) after checking one answer.
func benchFreq(b *testing.B, q string, cohort func(*benchStore) *geno.Bitset) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("samples=%d", n), func(b *testing.B) {
			s := getBenchStore(b, n)
			in := cohort(s)
			if err := checkFreq(s, q, in); err != nil {
				b.Fatal(err)
			}
			pq, err := Parse(q)
			if err != nil {
				b.Fatal(err)
			}
			size := n
			if in != nil {
				size = in.Count()
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				plan, _, _, err := s.eng.FreqPlanFor(ctx, pq)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.eng.Freq(ctx, plan, func(*FreqRow) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size)*benchVariants*float64(b.N)/b.Elapsed().Seconds(), "genotypes/s")
		})
	}
}

// BenchmarkFreqAll is `freq chr22`: every sample.
func BenchmarkFreqAll(b *testing.B) {
	benchFreq(b, "freq "+benchContig, func(*benchStore) *geno.Bitset { return nil })
}

// BenchmarkFreqCohort is `freq chr22 in sex(female)`: half the samples,
// chosen at random, through the care index.
func BenchmarkFreqCohort(b *testing.B) {
	benchFreq(b, "freq "+benchContig+" in sex(female)", func(s *benchStore) *geno.Bitset { return s.female })
}

// BenchmarkCarrierCount is `count carrier(V)` at a common variant.
func BenchmarkCarrierCount(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("samples=%d", n), func(b *testing.B) {
			s := getBenchStore(b, n)
			v := s.carrier
			q, err := Parse(fmt.Sprintf("count carrier(%s:%d:%s:%s)", v.Chrom, v.Pos, v.Ref, v.Alts[0]))
			if err != nil {
				b.Fatal(err)
			}
			// The naive answer: samples (one per person) holding the ALT.
			row := &s.rows[(v.Pos-10_000)/1000]
			want := 0
			for i := range n {
				for _, a := range row.Sample(i) {
					if a == 1 {
						want++
						break
					}
				}
			}
			ctx := context.Background()
			got, _, err := s.eng.Count(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			if len(got) != 1 || got[0].Count != want || want == 0 {
				b.Fatalf("count carrier: %+v, want %d", got, want)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, _, err := s.eng.Count(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "genotypes/s")
		})
	}
}
