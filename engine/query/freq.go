package query

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strings"
	"sync"

	"github.com/gentre/gentre/engine/geno"
	"github.com/gentre/gentre/engine/store"
)

// AlleleCounts are one cohort's tallies for one ALT allele (see geno.Counts
// for the definitions).
type AlleleCounts struct {
	AC, AN, Het, HomAlt, Missing int64
}

// AF returns AC/AN, or NaN when AN is 0.
func (c AlleleCounts) AF() float64 {
	if c.AN == 0 {
		return math.NaN()
	}
	return float64(c.AC) / float64(c.AN)
}

// FreqRow is one row of a freq answer: one ALT allele of one site.
type FreqRow struct {
	Chrom    string
	Pos      int64
	Ref, Alt string
	In       AlleleCounts
	Vs       AlleleCounts // only when the query has a comparator
	// Covered counts the cohort's samples with depth >= 10 at the site
	// (only when the plan has coverage: FreqPlan.Covered).
	Covered int64
}

// FreqPlan is a resolved freq question: a region of one contig and the
// samples of the cohort and the optional comparator.
type FreqPlan struct {
	Contig     string
	Start, End int64
	In         SampleCohort // nil: every sample
	Vs         SampleCohort // nil with HasVs false: no comparator
	HasVs      bool
	// Covered, when set, counts the "in" samples with coverage at depth
	// >= 10 at each site (the store has BAM coverage).
	Covered *coveredCounter
}

// HasCovered reports whether rows carry the covered column.
func (p *FreqPlan) HasCovered() bool { return p.Covered != nil }

// record is one site of one batch, counted.
type record struct {
	pos    int64
	ref    string
	alts   []string
	batch  uint32
	seq    int // arrival order within the batch
	in, vs geno.Counts
	nIn    int64 // cohort samples in the batch(es) behind this record
	nVs    int64
}

type chunkResult struct {
	buf *recBuf
	err error
}

// recBuf holds one chunk's records and the storage they point into (ALT
// lists and counters). With one batch, Freq hands each back to the workers
// once its rows are emitted, so a whole-chromosome answer allocates (and
// faults in) a few of them rather than one per chunk.
type recBuf struct {
	recs   []record
	alts   []string
	counts []int64
}

// Freq answers a freq question, calling emit for each row in order:
// contig order, then position, then ALT order (batches merged by position
// and REF). Chunks are counted in parallel; emit runs on the caller's goroutine.
func (e *Engine) Freq(ctx context.Context, p *FreqPlan, emit func(*FreqRow) error) error {
	jobs := e.chunksIn(p.Contig, p.Start, p.End)
	if len(jobs) == 0 {
		return nil
	}
	multi := false
	for _, j := range jobs {
		if j.Batch != jobs[0].Batch {
			multi = true
		}
	}
	// Load sample sets up front (the map is not safe for the workers).
	sets := map[uint32][]uint32{}
	for _, j := range jobs {
		if _, ok := sets[j.Batch]; !ok {
			s, err := e.sampleSet(j.Batch)
			if err != nil {
				return err
			}
			sets[j.Batch] = s
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	results := make([]chan chunkResult, len(jobs))
	for i := range results {
		results[i] = make(chan chunkResult, 1)
	}
	window := make(chan struct{}, 2*e.workers)
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range jobs {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	// Emitted chunks' record buffers, for the workers to reuse (one
	// batch only: with several, records wait in pending across chunks).
	free := make(chan *recBuf, 3*e.workers) // the window and one per worker
	var wg sync.WaitGroup
	for w := 0; w < e.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cw := &chunkWorker{plan: p, locals: map[uint32]*localSets{}}
			for i := range next {
				var rb *recBuf
				select {
				case rb = <-free:
				default:
					rb = &recBuf{}
				}
				err := cw.count(e, jobs[i], sets[jobs[i].Batch], rb)
				results[i] <- chunkResult{buf: rb, err: err}
			}
		}()
	}
	defer func() {
		cancel() // first: the feeder stops, closes next, and the workers end
		wg.Wait()
	}()

	nIn := int64(e.cohortSize(p.In))
	nVs := int64(0)
	if p.HasVs {
		nVs = int64(e.cohortSize(p.Vs))
	}
	out := &FreqRow{Chrom: p.Contig}
	flush := func(recs []record) error {
		for i := range recs {
			r := &recs[i]
			if p.Covered != nil {
				out.Covered = p.Covered.at(r.pos)
			}
			missIn := r.in.Missing + nIn - r.nIn
			missVs := r.vs.Missing + nVs - r.nVs
			if len(r.alts) == 0 {
				// A site with no ALT allele (ALT "."): one row, as bcftools prints it.
				out.Pos, out.Ref, out.Alt = r.pos, r.ref, "."
				out.In = AlleleCounts{AN: r.in.AN, Missing: missIn}
				out.Vs = AlleleCounts{AN: r.vs.AN, Missing: missVs}
				if err := emit(out); err != nil {
					return err
				}
				continue
			}
			for j, alt := range r.alts {
				out.Pos, out.Ref, out.Alt = r.pos, r.ref, alt
				out.In = AlleleCounts{AC: r.in.AC[j], AN: r.in.AN, Het: r.in.Het[j], HomAlt: r.in.HomAlt[j], Missing: missIn}
				if p.HasVs {
					out.Vs = AlleleCounts{AC: r.vs.AC[j], AN: r.vs.AN, Het: r.vs.Het[j], HomAlt: r.vs.HomAlt[j], Missing: missVs}
				}
				if err := emit(out); err != nil {
					return err
				}
			}
		}
		return nil
	}
	var pending []record
	seq := 0
	for i := range jobs {
		var res chunkResult
		select {
		case res = <-results[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-window
		if res.err != nil {
			return res.err
		}
		recs := res.buf.recs
		if !multi {
			if err := flush(recs); err != nil {
				return err
			}
			select {
			case free <- res.buf:
			default:
			}
			continue
		}
		for k := range recs {
			recs[k].seq = seq
			seq++
		}
		pending = append(pending, recs...)
		bound := int64(math.MaxInt64)
		if i+1 < len(jobs) {
			bound = jobs[i+1].First
		}
		var ready []record
		ready, pending = mergeReady(pending, bound)
		if err := flush(ready); err != nil {
			return err
		}
	}
	return nil
}

// mergeReady sorts pending records by position (then batch and arrival),
// merges those before bound across batches, and returns them with the rest.
// Records of different batches match when they share position and REF and
// are the k-th such record in their batch; their ALT alleles are united in
// order of first appearance.
func mergeReady(pending []record, bound int64) (ready, rest []record) {
	sort.SliceStable(pending, func(i, j int) bool {
		a, b := &pending[i], &pending[j]
		if a.pos != b.pos {
			return a.pos < b.pos
		}
		if a.batch != b.batch {
			return a.batch < b.batch
		}
		return a.seq < b.seq
	})
	cut := sort.Search(len(pending), func(i int) bool { return pending[i].pos >= bound })
	for i := 0; i < cut; {
		j := i
		for j < cut && pending[j].pos == pending[i].pos {
			j++
		}
		ready = append(ready, mergeGroup(pending[i:j])...)
		i = j
	}
	rest = append([]record(nil), pending[cut:]...)
	return ready, rest
}

// mergeGroup merges the records at one position.
func mergeGroup(g []record) []record {
	type key struct {
		batch uint32
		ref   string
	}
	occ := map[key]int{}
	var out []record
	var outKey []int // occurrence index of each output record
	for _, r := range g {
		k := key{r.batch, r.ref}
		n := occ[k]
		occ[k] = n + 1
		target := -1
		for oi := range out {
			if out[oi].ref == r.ref && outKey[oi] == n && out[oi].batch != r.batch {
				target = oi
				break
			}
		}
		if target < 0 {
			out = append(out, r)
			outKey = append(outKey, n)
			continue
		}
		o := &out[target]
		o.batch = r.batch // a later record of this batch must not merge here again
		o.in.AN += r.in.AN
		o.in.Missing += r.in.Missing
		o.vs.AN += r.vs.AN
		o.vs.Missing += r.vs.Missing
		o.nIn += r.nIn
		o.nVs += r.nVs
		for j, alt := range r.alts {
			idx := -1
			for oj, oa := range o.alts {
				if oa == alt {
					idx = oj
					break
				}
			}
			if idx < 0 {
				o.alts = append(o.alts, alt)
				o.in.AC, o.in.Het, o.in.HomAlt = append(o.in.AC, 0), append(o.in.Het, 0), append(o.in.HomAlt, 0)
				o.vs.AC, o.vs.Het, o.vs.HomAlt = append(o.vs.AC, 0), append(o.vs.Het, 0), append(o.vs.HomAlt, 0)
				idx = len(o.alts) - 1
			}
			o.in.AC[idx] += r.in.AC[j]
			o.in.Het[idx] += r.in.Het[j]
			o.in.HomAlt[idx] += r.in.HomAlt[j]
			if len(r.vs.AC) > j {
				o.vs.AC[idx] += r.vs.AC[j]
				o.vs.Het[idx] += r.vs.Het[j]
				o.vs.HomAlt[idx] += r.vs.HomAlt[j]
			}
		}
	}
	return out
}

type localSets struct {
	in, vs   *geno.Bitset
	nIn, nVs int
}

// chunkWorker counts chunks for one goroutine, keeping its scratch.
type chunkWorker struct {
	plan           *FreqPlan
	locals         map[uint32]*localSets
	view           geno.View
	cntIn, cntVs   []int32      // sample-index counters
	compIn, compVs *geno.Bitset // complements of large cohorts
	tmp            geno.Counts  // a complement's counts
	chunk          store.Chunk  // reused by each chunk read without the cache
	splitIn        []int32      // split rows' counters (splitSide)
	splitVs        []int32
}

func (w *chunkWorker) count(e *Engine, ref *store.ChunkRef, samples []uint32, rb *recBuf) error {
	c, cc, err := e.readChunkReusing(ref, &w.chunk)
	if err != nil {
		return err
	}
	ls := w.locals[ref.Batch]
	if ls == nil {
		ls = &localSets{}
		ls.in, ls.nIn = localCohort(w.plan.In, samples)
		if w.plan.HasVs {
			ls.vs, ls.nVs = localCohort(w.plan.Vs, samples)
		}
		w.locals[ref.Batch] = ls
	}
	lo := sort.Search(len(c.Pos), func(i int) bool { return c.Pos[i] >= w.plan.Start })
	hi := sort.Search(len(c.Pos), func(i int) bool { return c.Pos[i] > w.plan.End })
	if cap(rb.recs) < hi-lo {
		rb.recs = make([]record, 0, hi-lo)
	}
	recs := rb.recs[:0]
	ns := len(c.Samples)

	// One allocation each for the records' allele text, ALT lists and
	// counters, instead of several per record.
	nAlt, textLen := 0, 0
	for i := lo; i < hi; i++ {
		al := c.Alleles(i)
		nAlt += len(al) - 1
		for _, a := range al {
			textLen += len(a)
		}
	}
	var tb strings.Builder
	tb.Grow(textLen)
	for i := lo; i < hi; i++ {
		for _, a := range c.Alleles(i) {
			tb.Write(a)
		}
	}
	text := tb.String()
	sides := 1
	if w.plan.HasVs {
		sides = 2
	}
	rb.alts = growTo(rb.alts, nAlt)
	rb.counts = growTo(rb.counts, 3*sides*nAlt)
	clear(rb.counts)
	alts, counts := rb.alts, rb.counts
	take := func(n int) []int64 {
		s := counts[:n:n]
		counts = counts[n:]
		return s
	}

	// A cached chunk's Simple rows are counted from its sample index
	// (chunk_cache.go): every sample from the index's totals; a cohort of
	// at most half the batch from its members' events; a larger one as
	// the totals less its complement's events. Other rows are counted row
	// by row, but for a chunk read without the cache its split rows
	// (below).
	var ix *sampleIndex
	in := side{set: ls.in, n: ls.nIn}
	vs := side{set: ls.vs, n: ls.nVs}
	if cc != nil {
		ix = e.chunks.index(cc)
		w.cntIn = in.prepare(ix, ns, w.cntIn, &w.compIn)
		if w.plan.HasVs {
			w.cntVs = vs.prepare(ix, ns, w.cntVs, &w.compVs)
		}
	}
	// A chunk read without the cache keeps its split rows sample-major
	// (store.SplitRows): the rows are stubs, and each side's split calls
	// come from its members' (or the other columns') events.
	sp := c.Split
	var spIn, spVs splitSide
	if sp != nil {
		var err error
		if spIn, w.splitIn, err = prepareSplit(sp, ls.in, ls.nIn, ns, w.splitIn, &w.compIn); err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
		if w.plan.HasVs {
			if spVs, w.splitVs, err = prepareSplit(sp, ls.vs, ls.nVs, ns, w.splitVs, &w.compVs); err != nil {
				return fmt.Errorf("%s: %w", c.Name, err)
			}
		}
	}
	for i := lo; i < hi; i++ {
		al := c.Alleles(i)
		na := len(al) - 1
		r := record{pos: c.Pos[i], ref: text[:len(al[0])], batch: ref.Batch, nIn: int64(ls.nIn), nVs: int64(ls.nVs)}
		text = text[len(al[0]):]
		r.alts, alts = alts[:na:na], alts[na:]
		for j := range r.alts {
			r.alts[j], text = text[:len(al[j+1])], text[len(al[j+1]):]
		}
		r.in.AC, r.in.Het, r.in.HomAlt = take(na), take(na), take(na)
		if w.plan.HasVs {
			r.vs.AC, r.vs.Het, r.vs.HomAlt = take(na), take(na), take(na)
		}
		if sp != nil && sp.Slot[i] >= 0 {
			// A split row: its stub is every sample hom-REF.
			s := int(sp.Slot[i])
			spIn.fill(&r.in, s, ls.nIn)
			if w.plan.HasVs {
				spVs.fill(&r.vs, s, ls.nVs)
			}
			recs = append(recs, r)
			continue
		}
		slot, dense := -1, false
		if ix != nil {
			slot, dense = int(ix.slot[i]), ix.dense[i]
		}
		doneIn := slot >= 0 && in.mode != rowWise
		doneVs := !w.plan.HasVs || (slot >= 0 && vs.mode != rowWise)
		if !doneIn || !doneVs || (dense && (in.mode.needsPlanes() || (w.plan.HasVs && vs.mode.needsPlanes()))) {
			if err := w.view.Reset(c.Row(i), ns); err != nil {
				return err
			}
		}
		if doneIn {
			in.fill(&r.in, ix, w.cntIn, slot, dense, ns, &w.view, &w.tmp)
		}
		if w.plan.HasVs && doneVs {
			vs.fill(&r.vs, ix, w.cntVs, slot, dense, ns, &w.view, &w.tmp)
		}
		switch {
		case doneIn && doneVs:
		case !doneIn && !doneVs && ls.in != nil && ls.vs != nil:
			w.view.Count2Sized(ls.in, ls.vs, ls.nIn, ls.nVs, &r.in, &r.vs)
		case !doneIn && !doneVs:
			w.view.CountSized(ls.in, ls.nIn, &r.in)
			w.view.CountSized(ls.vs, ls.nVs, &r.vs)
		case !doneIn:
			w.view.CountSized(ls.in, ls.nIn, &r.in)
		default:
			w.view.CountSized(ls.vs, ls.nVs, &r.vs)
		}
		recs = append(recs, r)
	}
	rb.recs = recs
	return nil
}

// splitSide is one side's counters of a chunk's split rows
// (store.SplitCounters per slot), of its members or, for a side of more
// than half the batch, of the other columns, taken from the totals; nil
// cnt: every column, the totals themselves.
type splitSide struct {
	cnt        []int32
	complement bool
	tot        []int32 // SplitRows.Totals, when every column or a complement
}

// prepareSplit adds the split calls of the side's columns set (nil: every
// column; n of ns columns) into cnt (returned, reused); comp is scratch for
// a complement.
func prepareSplit(sp *store.SplitRows, set *geno.Bitset, n, ns int, cnt []int32, comp **geno.Bitset) (splitSide, []int32, error) {
	if set == nil {
		tot, err := sp.Totals()
		return splitSide{tot: tot}, cnt, err
	}
	walk, complement := set, false
	if 2*n > ns {
		walk, complement = complementOf(set, ns, comp), true
	}
	cnt = growTo(cnt, store.SplitCounters*len(sp.Rows))
	clear(cnt)
	for wi, w := range walk.Words {
		for ; w != 0; w &= w - 1 {
			if err := sp.AddColumn(wi<<6|bits.TrailingZeros64(w), cnt); err != nil {
				return splitSide{}, cnt, err
			}
		}
	}
	sd := splitSide{cnt: cnt, complement: complement}
	if complement {
		var err error
		if sd.tot, err = sp.Totals(); err != nil {
			return splitSide{}, cnt, err
		}
	}
	return sd, cnt, nil
}

// fill sets c to the side's counts at the split row in slot s: n hom-REF
// calls (the stub) plus its columns' split calls.
func (sd *splitSide) fill(c *geno.Counts, s, n int) {
	const k = store.SplitCounters
	var x [k]int32
	switch {
	case sd.cnt == nil:
		copy(x[:], sd.tot[k*s:k*s+k])
	case sd.complement:
		t, m := sd.tot[k*s:k*s+k], sd.cnt[k*s:k*s+k]
		for j := range x {
			x[j] = t[j] - m[j]
		}
	default:
		copy(x[:], sd.cnt[k*s:k*s+k])
	}
	c.AN = 2*int64(n) + int64(x[store.SplitAN])
	c.Missing = int64(x[store.SplitMissing])
	c.AC[0] = int64(x[store.SplitAC])
	c.Het[0] = int64(x[store.SplitHet])
	c.HomAlt[0] = int64(x[store.SplitHomAlt])
}

// growTo returns s resized to n elements, reusing its storage when it can.
func growTo[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// How one side (the cohort or the comparator) of a chunk's Simple rows is
// counted.
type sideMode int

const (
	rowWise        sideMode = iota // no sample index
	fromTotals                     // every sample: the index's totals
	fromMembers                    // at most half the batch: its members' events
	fromComplement                 // more than half: the totals less the others' events
)

// needsPlanes reports whether a dense Simple row's planes are read.
func (m sideMode) needsPlanes() bool { return m == fromMembers || m == fromComplement }

// side is one cohort of a chunk's batch: its columns (nil: every column),
// their number, and, with a sample index, how it is counted and the
// columns whose events are walked.
type side struct {
	set  *geno.Bitset
	n    int
	mode sideMode
	walk *geno.Bitset // fromMembers: set; fromComplement: the other columns
}

// prepare chooses the side's mode over index ix and walks its events into
// cnt (returned, reused); comp is scratch for a complement.
func (sd *side) prepare(ix *sampleIndex, ns int, cnt []int32, comp **geno.Bitset) []int32 {
	switch {
	case sd.set == nil:
		sd.mode = fromTotals
		return cnt
	case 2*sd.n <= ns:
		sd.mode, sd.walk = fromMembers, sd.set
	default:
		sd.mode, sd.walk = fromComplement, complementOf(sd.set, ns, comp)
	}
	cnt = counters(cnt, ix.nSlot, true)
	ix.count(sd.walk, cnt)
	return cnt
}

// complementOf returns the columns of ns not in set, in *comp (made or
// remade when it does not fit).
func complementOf(set *geno.Bitset, ns int, comp **geno.Bitset) *geno.Bitset {
	if *comp == nil || (*comp).N != ns {
		*comp = geno.NewBitset(ns)
	}
	for i, w := range set.Words {
		(*comp).Words[i] = ^w
	}
	if r := ns % 64; r != 0 {
		(*comp).Words[len((*comp).Words)-1] &= 1<<uint(r) - 1
	}
	return *comp
}

// fill sets c to the side's counts at the Simple row in slot s (dense:
// its planes are in v, Reset on the row); tmp is scratch.
func (sd *side) fill(c *geno.Counts, ix *sampleIndex, cnt []int32, s int, dense bool, ns int, v *geno.View, tmp *geno.Counts) {
	switch sd.mode {
	case fromTotals:
		fillSimple(c, ix.tot, s, ns)
	case fromMembers:
		fillSimple(c, cnt, s, sd.n)
		if dense {
			v.CountBody(sd.walk, c)
		}
	case fromComplement:
		fillSimple(tmp, cnt, s, ns-sd.n)
		if dense {
			v.CountBody(sd.walk, tmp)
		}
		fillSimple(c, ix.tot, s, ns)
		c.AN -= tmp.AN
		c.Missing -= tmp.Missing
		c.AC[0] -= tmp.AC[0]
		c.Het[0] -= tmp.Het[0]
		c.HomAlt[0] -= tmp.HomAlt[0]
	}
}

// counters returns cnt zeroed for n slots of the sample index's sums (or
// as is when unused).
func counters(cnt []int32, n int, used bool) []int32 {
	if !used {
		return cnt
	}
	if cap(cnt) < sums*n {
		return make([]int32, sums*n)
	}
	cnt = cnt[:sums*n]
	clear(cnt)
	return cnt
}
