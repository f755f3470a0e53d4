package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/gentre/gentre/engine/query"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
	"github.com/gentre/gentre/trusted-research/disclosure"
)

// depthBands are the cells of an industry partner's coverage answer: the
// samples in scope by their mean depth over the region. Each sample is in
// exactly one, so the table costs one ε by parallel composition and every
// cell gets the whole ε.
var depthBands = []string{"<10", "10-19", "20-29", ">=30"}

// coveragePayload is what the disclosure store caches for an industry
// coverage answer: the region as the engine clamped it and the released
// depth-band table (released values only).
type coveragePayload struct {
	Chrom string           `json:"chrom"`
	Start int64            `json:"start"`
	End   int64            `json:"end"`
	Table disclosure.Table `json:"table"`
}

// coverageControlled answers an industry partner's coverage through
// disclosure control: the cohort (everyone without one) must pass the
// analysis rules, the samples are released as a table of depth bands
// (controlled counts; 1..7 withheld), samples is the total of the released
// bands and the fractions are computed from them. The mean depth is not
// released: one sample's depth is unbounded, so no noise calibrated to a
// count protects a mean of depths (docs/disclosure.md).
func (g *Gateway) coverageControlled(ctx context.Context, c *call, q *query.Query, canonical string) (*gentrev1.CoverageResponse, error) {
	var row *query.CoverageRow
	compute := func(e *query.Engine) ([]string, []*roaring.Bitmap, error) {
		var err error
		if row, err = e.Coverage(ctx, q); err != nil {
			return nil, nil, err
		}
		return analysisCohort(ctx, e, q.Cohort, nil, nil, nil)
	}
	build := func(r disclosure.Releaser) ([]byte, error) {
		counts, err := bandCounts(row)
		if err != nil {
			return nil, err
		}
		t, err := r.Table(depthBands, counts)
		if err != nil {
			return nil, err
		}
		return json.Marshal(coveragePayload{Chrom: row.Chrom, Start: row.Start, End: row.End, Table: t})
	}
	ans, rel, err := g.analyseControlled(ctx, c, canonical, compute, build)
	if err != nil {
		return nil, err
	}
	var p coveragePayload
	if err := json.Unmarshal(ans.Payload, &p); err != nil || len(p.Table.Cells) != len(depthBands) {
		return nil, fmt.Errorf("gateway: a released coverage answer cannot be read: %v", err)
	}
	ok := true
	resp := &gentrev1.CoverageResponse{
		Chrom: p.Chrom, Start: narrow(p.Start, &ok), Samples: narrow(p.Table.Total, &ok),
		Query: canonical, Project: c.project, Release: rel,
	}
	if p.End <= math.MaxInt32 { // as for researchers: clamped when a sample in scope has the contig
		end := int32(p.End)
		resp.End = &end
	}
	if p.Table.Total > 0 {
		at := func(from int) float64 {
			var n int64
			for _, cell := range p.Table.Cells[from:] {
				n += cell.Count // a withheld cell's Count is 0
			}
			return float64(n) / float64(p.Table.Total)
		}
		resp.Frac_10X, resp.Frac_20X, resp.Frac_30X = at(1), at(2), at(3)
	}
	if !ok {
		return nil, fmt.Errorf("gateway: a released coverage figure does not fit the API's 32-bit numbers")
	}
	setBudgetHeaders(ctx, ans.Spent, ans.Budget)
	_ = grpc.SetHeader(ctx, metadata.Pairs(
		"x-gentre-suppressed-cells", strconv.Itoa(p.Table.SuppressedCells),
		"x-gentre-cached", strconv.FormatBool(ans.Cached),
	))
	c.decision = decisionReleased
	switch {
	case ans.Cached:
		c.decision = decisionCached
	case p.Table.SuppressedCells > 0:
		c.decision = decisionSuppressed
	}
	return resp, nil
}

// bandCounts are the true sample counts of the depth bands, from the
// engine's fractions (each is a count over Samples, so count/n × n rounds
// back to the count exactly).
func bandCounts(row *query.CoverageRow) ([]int64, error) {
	n := int64(row.Samples)
	if n == 0 {
		return make([]int64, len(depthBands)), nil
	}
	at := func(f float64) int64 { return int64(math.Round(f * float64(n))) }
	n10, n20, n30 := at(row.Frac10), at(row.Frac20), at(row.Frac30)
	if !(0 <= n30 && n30 <= n20 && n20 <= n10 && n10 <= n) {
		return nil, fmt.Errorf("gateway: coverage fractions out of order")
	}
	return []int64{n - n10, n10 - n20, n20 - n30, n30}, nil
}
