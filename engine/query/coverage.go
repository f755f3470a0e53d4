package query

import (
	"context"
	"fmt"
	"math"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/gentre/gentre/engine/coverage"
	"github.com/gentre/gentre/engine/store"
)

// CoverageRow answers coverage REGION [in COHORT]: the region (clamped to
// the contig), the samples with coverage counted, the mean depth over the
// region's bases and those samples, and the fractions of those samples
// whose mean depth over the region is at least 10, 20 and 30.
type CoverageRow struct {
	Chrom                  string
	Start, End             int64
	Samples                int
	MeanDepth              float64 // NaN with no sample
	Frac10, Frac20, Frac30 float64
}

// coverageSamples returns the coverage of the samples in scope: every
// sample with coverage without a cohort, else those linked to the cohort's
// people.
func (e *Engine) coverageSamples(ctx context.Context, c Cohort) ([]*coverage.Sample, error) {
	if c == nil {
		return e.coverageOf(nil)
	}
	ix, err := e.care()
	if err != nil {
		return nil, err
	}
	people, err := e.eval(ctx, ix, c)
	if err != nil {
		return nil, err
	}
	return e.coverageOf(people)
}

// coverageOf returns the coverage of the samples linked to people (every
// sample with coverage when people is nil).
func (e *Engine) coverageOf(people *roaring.Bitmap) ([]*coverage.Sample, error) {
	m := e.st.Manifest()
	var in map[uint32]bool
	if people != nil {
		ix, err := e.care()
		if err != nil {
			return nil, err
		}
		in = map[uint32]bool{}
		it := people.Iterator()
		for it.HasNext() {
			for _, g := range ix.samplesOfPerson(it.Next()) {
				in[g] = true
			}
		}
	}
	var out []*coverage.Sample
	for i := range m.Coverage {
		ref := &m.Coverage[i]
		if in != nil && !in[ref.Sample] {
			continue
		}
		s, err := e.loadCoverage(ref)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (e *Engine) loadCoverage(ref *store.CoverageRef) (*coverage.Sample, error) {
	e.mu.Lock()
	s, ok := e.covCache[ref.File]
	e.mu.Unlock()
	if ok {
		return s, nil
	}
	data, err := e.st.ReadCoverage(ref)
	if err != nil {
		return nil, err
	}
	s, err = coverage.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref.File, err)
	}
	e.mu.Lock()
	if e.covCache == nil {
		e.covCache = map[string]*coverage.Sample{}
	}
	e.covCache[ref.File] = s
	e.mu.Unlock()
	return s, nil
}

// Coverage answers a coverage query.
func (e *Engine) Coverage(ctx context.Context, q *Query) (*CoverageRow, error) {
	if len(e.st.Manifest().Coverage) == 0 {
		return nil, fmt.Errorf("coverage: no sample has coverage in the store (gentre ingest bam): %w", ErrUnsupported)
	}
	samples, err := e.coverageSamples(ctx, q.Cohort)
	if err != nil {
		return nil, err
	}
	row := &CoverageRow{Chrom: q.Region.Contig, Start: q.Region.Start, End: q.Region.End, MeanDepth: math.NaN()}
	var total float64
	var bases int64
	found := false
	for _, s := range samples {
		c := s.Contig(q.Region.Contig)
		if c == nil {
			continue
		}
		if !found {
			found = true
			row.Chrom = c.Name()
			row.End = min(q.Region.End, c.Length())
			if row.Start > row.End {
				return nil, fmt.Errorf("coverage %s: the region starts beyond the contig's end (%d): %w", q.Region, c.Length(), ErrNotFound)
			}
			bases = row.End - row.Start + 1
		}
		sum, _, err := c.SumDepth(row.Start, row.End)
		if err != nil {
			return nil, err
		}
		row.Samples++
		total += float64(sum)
		mean := float64(sum) / float64(bases)
		if mean >= 10 {
			row.Frac10++
		}
		if mean >= 20 {
			row.Frac20++
		}
		if mean >= 30 {
			row.Frac30++
		}
	}
	if !found && len(samples) > 0 {
		return nil, fmt.Errorf("coverage: contig %s: %w", q.Region.Contig, ErrNotFound)
	}
	// Samples in scope without the contig count as depth 0.
	row.Samples = len(samples)
	if row.Samples > 0 && bases > 0 {
		n := float64(row.Samples)
		row.MeanDepth = total / (float64(bases) * n)
		row.Frac10, row.Frac20, row.Frac30 = row.Frac10/n, row.Frac20/n, row.Frac30/n
	}
	return row, nil
}

// coveredCounter counts, site by site in increasing position, the samples
// of a cohort whose depth at the site is at least 10 (freq's covered column).
type coveredCounter struct {
	ends, depths [][]uint32
	cursor       []int
}

// newCoveredCounter counts over the samples of people (every sample with
// coverage when nil), the cohort freq has already evaluated.
func (e *Engine) newCoveredCounter(people *roaring.Bitmap, contig string) (*coveredCounter, error) {
	samples, err := e.coverageOf(people)
	if err != nil {
		return nil, err
	}
	cc := &coveredCounter{}
	for _, s := range samples {
		ct := s.Contig(contig)
		if ct == nil {
			continue
		}
		ends, depths := ct.Runs()
		cc.ends, cc.depths = append(cc.ends, ends), append(cc.depths, depths)
	}
	cc.cursor = make([]int, len(cc.ends))
	return cc, nil
}

// at returns the number of samples with depth >= 10 at pos; positions must
// not decrease between calls.
func (cc *coveredCounter) at(pos int64) int64 {
	n := int64(0)
	for i, ends := range cc.ends {
		j := cc.cursor[i]
		for j < len(ends) && int64(ends[j]) < pos {
			j++
		}
		cc.cursor[i] = j
		if j < len(ends) && cc.depths[i][j] >= 10 {
			n++
		}
	}
	return n
}
