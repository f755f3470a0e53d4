package query

import (
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gentre/gentre/engine/coverage"
	"github.com/gentre/gentre/engine/geno"
	"github.com/gentre/gentre/engine/store"
)

// ErrUnsupported is wrapped by errors about queries this store cannot answer
// (for example a care-record predicate before any care records exist).
var ErrUnsupported = errors.New("query not supported")

// ErrNotFound is wrapped by errors about a contig or variant that is not in the store.
var ErrNotFound = errors.New("not in the store")

// Engine runs queries against one open data release. Its methods are safe
// for concurrent use once its options are set (SetChunkCache, SetAsOf,
// before the first query): what it loads on demand is guarded by mu.
type Engine struct {
	st      *store.Store
	workers int
	mu      sync.Mutex          // guards sets, covCache and the care index's loading
	sets    map[uint32][]uint32 // batch sample sets, loaded on demand
	careIx  *careIndex
	chunks  *chunkCache
	// covCache keeps decoded coverage by file for the engine's lifetime.
	covCache map[string]*coverage.Sample
	asOf     time.Time
}

// NewEngine returns an engine over st using workers goroutines (0: GOMAXPROCS).
func NewEngine(st *store.Store, workers int) *Engine {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return &Engine{st: st, workers: workers, sets: map[uint32][]uint32{}}
}

// ResolveContig returns the store's name for contig, accepting it with or
// without a "chr" prefix whichever the store holds.
func (e *Engine) ResolveContig(contig string) (string, error) {
	m := e.st.Manifest()
	if m.ContigIndex(contig) >= 0 {
		return contig, nil
	}
	alt := "chr" + contig
	if s, ok := strings.CutPrefix(contig, "chr"); ok {
		alt = s
	}
	if m.ContigIndex(alt) >= 0 {
		return alt, nil
	}
	names := make([]string, 0, len(m.Contigs))
	for i, c := range m.Contigs {
		if i == 20 {
			names = append(names, "...")
			break
		}
		names = append(names, c.Name)
	}
	if len(names) == 0 {
		return "", fmt.Errorf("contig %s: the store holds no genotypes yet: %w", contig, ErrNotFound)
	}
	return "", fmt.Errorf("contig %s: %w (contigs: %s)", contig, ErrNotFound, strings.Join(names, " "))
}

// sampleSet returns the global sample indices of a batch's columns.
func (e *Engine) sampleSet(id uint32) ([]uint32, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.sets[id]; ok {
		return s, nil
	}
	b := e.st.Manifest().Batch(id)
	if b == nil {
		return nil, fmt.Errorf("batch %d: %w", id, store.ErrCorrupt)
	}
	s, err := e.st.SampleSet(b)
	if err != nil {
		return nil, err
	}
	e.sets[id] = s
	return s, nil
}

// SampleCohort is a set of samples by global index; nil means every sample.
type SampleCohort = *geno.Bitset

// localCohort maps a global sample set onto a batch's columns. It returns
// nil for "all columns" and the number of columns in the cohort.
func localCohort(global SampleCohort, samples []uint32) (*geno.Bitset, int) {
	if global == nil {
		return nil, len(samples)
	}
	local := geno.NewBitset(len(samples))
	n := 0
	for i, g := range samples {
		if int(g) < global.N && global.Has(int(g)) {
			local.Set(i)
			n++
		}
	}
	if n == len(samples) {
		return nil, n
	}
	return local, n
}

// cohortSize returns the number of samples in c (every sample when nil).
func (e *Engine) cohortSize(c SampleCohort) int {
	if c == nil {
		return e.st.Manifest().LiveSamples()
	}
	return c.Count()
}

// chunksIn returns the chunks of contig overlapping [start, end], ordered by
// first position then batch.
func (e *Engine) chunksIn(contig string, start, end int64) []*store.ChunkRef {
	m := e.st.Manifest()
	var out []*store.ChunkRef
	for i := range m.Chunks {
		c := &m.Chunks[i]
		if c.Contig == contig && c.Last >= start && c.First <= end {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].First != out[j].First {
			return out[i].First < out[j].First
		}
		return out[i].Batch < out[j].Batch
	})
	return out
}
