package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/gentre/gentre/engine/query"
	"github.com/gentre/gentre/engine/store"
)

// Engine-only timings: the query engine inside the harness's process, as a
// server sees it. The store is opened once, each query is run once to warm
// up (loading the care index and the sample sets, filling the page cache),
// and then k times; each run is timed alone (median and minimum reported),
// and the process's CPU time over the k runs is taken from getrusage.

// engineTiming is k timed runs of one engine call.
type engineTiming struct {
	Runs  []time.Duration
	CPU   time.Duration // user+sys of the whole process over the runs
	Procs int           // GOMAXPROCS during the runs
}

func (e engineTiming) Min() time.Duration {
	if len(e.Runs) == 0 {
		return 0
	}
	return slices.Min(e.Runs)
}

func (e engineTiming) Median() time.Duration {
	if len(e.Runs) == 0 {
		return 0
	}
	s := slices.Clone(e.Runs)
	slices.Sort(s)
	return s[len(s)/2]
}

// CPUPerRun is the process CPU time per run (all goroutines).
func (e engineTiming) CPUPerRun() time.Duration {
	if len(e.Runs) == 0 {
		return 0
	}
	return e.CPU / time.Duration(len(e.Runs))
}

// engineQuestion is the engine-only result of one question.
type engineQuestion struct {
	First       time.Duration // the warm-up run (care index and sample sets loaded then)
	Freq        engineTiming  // FreqPlanFor + Freq, rows discarded
	Count       engineTiming  // Count (count COHORT)
	Rows        []freqRow     // the warm-up run's rows, for the checks
	People      int           // count COHORT's answer
	CohortSamps int           // samples in the plan's cohort
}

// engineCarrier is the engine-only result of one single-variant query.
type engineCarrier struct {
	Name    string // the planted variant's name
	Variant watchVariant
	Count   engineTiming // count carrier(V): People(Carrier{V})
	List    engineTiming // carriers V: Carriers (store-wide pseudonyms, sorted)
	NCount  int          // answers
	NList   int
}

// engineResult is the engine-only part of one size.
type engineResult struct {
	// ChunkCache is the engine's decoded-chunk cache (SetChunkCache), in
	// bytes; 0: off, every query decompresses its chunks.
	ChunkCache int64
	Open       time.Duration // store.Open + NewEngine
	Procs      int
	Questions  map[string]*engineQuestion
	// All is `freq CONTIG` over every sample, for reference (Count unused).
	All      *engineQuestion
	Carriers []*engineCarrier
	// ProfileTop is `go tool pprof -top` of the freq runs (all questions).
	ProfileTop string
}

// timeEngine runs fn once to warm up, then k timed times.
func timeEngine(k int, fn func() error) (engineTiming, error) {
	if err := fn(); err != nil {
		return engineTiming{}, err
	}
	t := engineTiming{Procs: runtime.GOMAXPROCS(0)}
	cpu0 := processCPU()
	for range k {
		start := time.Now()
		if err := fn(); err != nil {
			return t, err
		}
		t.Runs = append(t.Runs, time.Since(start))
	}
	t.CPU = processCPU() - cpu0
	return t, nil
}

// processCPU is the user+sys time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runEngine times the questions and the carrier queries inside this
// process, with an engine keeping cache bytes of decoded chunks between
// queries (0: none). profile, when not "", receives a CPU profile of the
// freq runs.
func runEngine(storeDir, contig string, qs []question, carriers []engineCarrier, k int, cache int64, profile string) (*engineResult, error) {
	ctx := context.Background()
	res := &engineResult{Questions: map[string]*engineQuestion{}, Procs: runtime.GOMAXPROCS(0), ChunkCache: cache}
	start := time.Now()
	st, err := store.Open(storeDir, nil)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	eng := query.NewEngine(st, 0)
	eng.SetChunkCache(cache)
	res.Open = time.Since(start)

	parsed := map[string]*query.Query{}
	for _, q := range qs {
		pq, err := query.Parse(q.FreqQuery(contig))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q.Key, err)
		}
		parsed[q.Key] = pq
		eq := &engineQuestion{}
		res.Questions[q.Key] = eq
		// The warm-up run keeps its rows for the checks.
		start := time.Now()
		plan, _, _, err := eng.FreqPlanFor(ctx, pq)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q.Key, err)
		}
		eq.CohortSamps = eng.SampleCount(plan.In)
		err = eng.Freq(ctx, plan, func(r *query.FreqRow) error {
			eq.Rows = append(eq.Rows, engineRow(r))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q.Key, err)
		}
		eq.First = time.Since(start)
	}

	// For reference: every sample.
	allQ, err := query.Parse("freq " + contig)
	if err != nil {
		return nil, err
	}
	res.All = &engineQuestion{}
	start = time.Now()
	plan, _, _, err := eng.FreqPlanFor(ctx, allQ)
	if err != nil {
		return nil, err
	}
	res.All.CohortSamps = eng.SampleCount(plan.In)
	if err := eng.Freq(ctx, plan, func(r *query.FreqRow) error {
		res.All.Rows = append(res.All.Rows, engineRow(r))
		return nil
	}); err != nil {
		return nil, err
	}
	res.All.First = time.Since(start)

	freqRun := func(pq *query.Query) error {
		plan, _, _, err := eng.FreqPlanFor(ctx, pq)
		if err != nil {
			return err
		}
		return eng.Freq(ctx, plan, func(*query.FreqRow) error { return nil })
	}
	for _, q := range qs {
		pq := parsed[q.Key]
		t, err := timeEngine(k, func() error { return freqRun(pq) })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q.Key, err)
		}
		res.Questions[q.Key].Freq = t
	}
	if res.All.Freq, err = timeEngine(k, func() error { return freqRun(allQ) }); err != nil {
		return nil, err
	}
	// The profile is taken apart from the timed runs, over enough runs
	// (every question in turn, about profileSeconds) to have samples.
	if profile != "" {
		if err := profileEngine(profile, qs, parsed, freqRun); err != nil {
			return nil, err
		}
	}

	for _, q := range qs {
		cq, err := query.Parse(q.CountQuery())
		if err != nil {
			return nil, err
		}
		eq := res.Questions[q.Key]
		if eq.Count, err = timeEngine(k, func() error {
			rows, _, err := eng.Count(ctx, cq)
			if err == nil && len(rows) == 1 {
				eq.People = rows[0].Count
			}
			return err
		}); err != nil {
			return nil, fmt.Errorf("%s: count: %w", q.Key, err)
		}
	}

	for i := range carriers {
		c := carriers[i]
		v := query.Variant{Contig: c.Variant.Chrom, Pos: c.Variant.Pos, Ref: c.Variant.Ref, Alt: c.Variant.Alt}
		if c.Count, err = timeEngine(k, func() error {
			people, err := eng.People(ctx, query.Carrier{Variant: v})
			if err == nil {
				c.NCount = int(people.GetCardinality())
			}
			return err
		}); err != nil {
			return nil, fmt.Errorf("count carrier(%s): %w", c.Variant, err)
		}
		cq, err := query.Parse("carriers " + c.Variant.String())
		if err != nil {
			return nil, err
		}
		if c.List, err = timeEngine(k, func() error {
			ids, _, err := eng.Carriers(ctx, cq)
			c.NList = len(ids)
			return err
		}); err != nil {
			return nil, fmt.Errorf("carriers %s: %w", c.Variant, err)
		}
		res.Carriers = append(res.Carriers, &c)
	}
	return res, nil
}

// engineRow converts an engine row to the checks' form (as the TSV output
// would print it).
func engineRow(r *query.FreqRow) freqRow {
	af := math.NaN()
	if r.In.AN > 0 {
		af = float64(r.In.AC) / float64(r.In.AN)
	}
	return freqRow{Chrom: r.Chrom, Pos: r.Pos, Ref: r.Ref, Alt: r.Alt, AC: int(r.In.AC), AN: int(r.In.AN), AF: af,
		Het: int(r.In.Het), HomAlt: int(r.In.HomAlt), Missing: int(r.In.Missing), HasGenotypeCounts: true}
}

// genotypesPerSecPerCore is the throughput metric of the report: genotype
// equivalents (cohort samples × variants) per second of wall time, per core
// the engine may use.
func genotypesPerSecPerCore(samples, variants int, d time.Duration, procs int) float64 {
	if d <= 0 || procs <= 0 {
		return math.NaN()
	}
	return float64(samples) * float64(variants) / d.Seconds() / float64(procs)
}

// profileSeconds is how long the engine-only freq runs are profiled.
const profileSeconds = 3

func profileEngine(path string, qs []question, parsed map[string]*query.Query, freqRun func(*query.Query) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	start := time.Now()
	for n := 0; time.Since(start) < profileSeconds*time.Second && n < 10_000; n++ {
		if err := freqRun(parsed[qs[n%len(qs)].Key]); err != nil {
			return err
		}
	}
	return nil
}
