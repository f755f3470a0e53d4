package gateway

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gentre/gentre/engine/query"
	"github.com/gentre/gentre/pseudonymise"
	"github.com/gentre/gentre/trusted-research/access"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
)

// errTooManyRows stops a freq whose answer would pass MaxFreqRows.
var errTooManyRows = errors.New("too many rows")

// Freq answers freq REGION [in COHORT] [vs COHORT]: exact counts for
// researchers, disclosure-controlled ones for industry partners
// (freqControlled). With a comparator the action is case_control.
func (g *Gateway) Freq(ctx context.Context, req *gentrev1.FreqRequest) (*gentrev1.FreqResponse, error) {
	action := access.ActionFreq
	if req.GetVs() != "" {
		action = access.ActionCaseControl
	}
	return run(ctx, g, action, req.GetProject(), "POST /v1/freq", func(c *call) (*gentrev1.FreqResponse, error) {
		region, err := g.parseRegion(req.GetRegion())
		if err != nil {
			return nil, err
		}
		q := &query.Query{Kind: query.Freq, Region: region}
		if q.Cohort, err = g.parseOptionalCohort("cohort", req.GetCohort()); err != nil {
			return nil, err
		}
		if q.Vs, err = g.parseOptionalCohort("vs", req.GetVs()); err != nil {
			return nil, err
		}
		canonical := q.String()
		c.request += " " + canonical
		if access.Controlled(c.p.Role, c.action) {
			return g.freqControlled(ctx, c, q, canonical)
		}
		resp := &gentrev1.FreqResponse{Query: canonical, Project: c.project}
		ok := true
		err = g.withRelease(ctx, c, func(r *release, e *query.Engine) error {
			resp.Release, resp.Rows, ok = r.name, resp.Rows[:0], true
			plan, _, _, err := e.FreqPlanFor(ctx, q)
			if err != nil {
				return err
			}
			return e.Freq(ctx, plan, func(row *query.FreqRow) error {
				if len(resp.Rows) >= g.opts.MaxFreqRows {
					return errTooManyRows
				}
				resp.Rows = append(resp.Rows, freqRow(row, plan.HasVs, plan.HasCovered(), &ok))
				return nil
			})
		})
		if errors.Is(err, errTooManyRows) {
			return nil, status.Errorf(codes.OutOfRange,
				"the region has more than %d allele rows, the most one answer holds: ask for a smaller region", g.opts.MaxFreqRows)
		}
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("gateway: a freq count does not fit the API's 32-bit counts")
		}
		return resp, nil
	})
}

func freqRow(r *query.FreqRow, vs, covered bool, ok *bool) *gentrev1.FreqRow {
	out := &gentrev1.FreqRow{
		Chrom: r.Chrom, Pos: narrow(r.Pos, ok), Ref: r.Ref, Alt: r.Alt,
		Ac: narrowP(r.In.AC, ok), An: narrowP(r.In.AN, ok), Af: finite(r.In.AF()),
		Het: narrowP(r.In.Het, ok), HomAlt: narrowP(r.In.HomAlt, ok), Missing: narrowP(r.In.Missing, ok),
	}
	if vs {
		out.Vs = &gentrev1.AlleleCounts{
			Ac: narrowP(r.Vs.AC, ok), An: narrowP(r.Vs.AN, ok), Af: finite(r.Vs.AF()),
			Het: narrowP(r.Vs.Het, ok), HomAlt: narrowP(r.Vs.HomAlt, ok), Missing: narrowP(r.Vs.Missing, ok),
		}
		t := query.TestAlleles(r.In, r.Vs)
		out.OddsRatio, out.FisherP, out.ChisqP = finite(t.OddsRatio), finite(t.FisherP), finite(t.ChisqP)
	}
	if covered {
		n := narrow(r.Covered, ok)
		out.Covered = &n
	}
	return out
}

// narrowP is narrow for an optional (present) field.
func narrowP(v int64, ok *bool) *int32 {
	n := narrow(v, ok)
	return &n
}

// finite returns a pointer to v, or nil (the field absent) when v is NaN
// or infinite: undefined statistics are left out.
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// Carriers answers carriers VARIANT [in COHORT] with the project's
// pseudonyms of the carriers: the person pseudonym re-keyed under
// key.Derive("project:"+P), so two projects' lists cannot be joined.
func (g *Gateway) Carriers(ctx context.Context, req *gentrev1.CarriersRequest) (*gentrev1.CarriersResponse, error) {
	return run(ctx, g, access.ActionCarriers, req.GetProject(), "POST /v1/carriers", func(c *call) (*gentrev1.CarriersResponse, error) {
		v, err := g.parseVariant(req.GetVariant())
		if err != nil {
			return nil, err
		}
		q := &query.Query{Kind: query.Carriers, Variant: v}
		if q.Cohort, err = g.parseOptionalCohort("cohort", req.GetCohort()); err != nil {
			return nil, err
		}
		canonical := q.String()
		c.request += " " + canonical
		if access.Controlled(c.p.Role, c.action) || c.project == "" {
			// The matrix grants carriers to researchers only (exact, inside
			// one project); never release person-level output otherwise.
			return nil, notForIndustry(string(c.action))
		}
		var people []string
		resp := &gentrev1.CarriersResponse{Query: canonical, Project: c.project}
		err = g.withRelease(ctx, c, func(r *release, e *query.Engine) error {
			resp.Release = r.name
			var err error
			people, _, err = e.Carriers(ctx, q)
			return err
		})
		if err != nil {
			return nil, err
		}
		pk := g.opts.Key.Derive("project:" + c.project)
		resp.Pseudonyms = make([]string, len(people))
		for i, p := range people {
			resp.Pseudonyms[i] = pk.Of(pseudonymise.DomainPerson, p).String()
		}
		sort.Strings(resp.Pseudonyms)
		ok := true
		resp.Count = narrow(int64(len(people)), &ok)
		if !ok {
			return nil, fmt.Errorf("gateway: a carrier count does not fit the API's 32-bit counts")
		}
		return resp, nil
	})
}

// Coverage answers coverage REGION [in COHORT]: exact depth summaries for
// researchers, a disclosure-controlled summary for industry partners
// (coverageControlled).
func (g *Gateway) Coverage(ctx context.Context, req *gentrev1.CoverageRequest) (*gentrev1.CoverageResponse, error) {
	return run(ctx, g, access.ActionCoverage, req.GetProject(), "POST /v1/coverage", func(c *call) (*gentrev1.CoverageResponse, error) {
		region, err := g.parseRegion(req.GetRegion())
		if err != nil {
			return nil, err
		}
		q := &query.Query{Kind: query.Coverage, Region: region}
		if q.Cohort, err = g.parseOptionalCohort("cohort", req.GetCohort()); err != nil {
			return nil, err
		}
		canonical := q.String()
		c.request += " " + canonical
		if access.Controlled(c.p.Role, c.action) {
			return g.coverageControlled(ctx, c, q, canonical)
		}
		var row *query.CoverageRow
		resp := &gentrev1.CoverageResponse{Query: canonical, Project: c.project}
		err = g.withRelease(ctx, c, func(r *release, e *query.Engine) error {
			resp.Release = r.name
			var err error
			row, err = e.Coverage(ctx, q)
			return err
		})
		if err != nil {
			return nil, err
		}
		ok := true
		resp.Chrom = row.Chrom
		resp.Start = narrow(row.Start, &ok)
		resp.Samples = narrow(int64(row.Samples), &ok)
		if row.End <= math.MaxInt32 {
			end := int32(row.End)
			resp.End = &end
		}
		resp.MeanDepth = finite(row.MeanDepth)
		resp.Frac_10X, resp.Frac_20X, resp.Frac_30X = row.Frac10, row.Frac20, row.Frac30
		if !ok {
			return nil, fmt.Errorf("gateway: a coverage figure does not fit the API's 32-bit numbers")
		}
		return resp, nil
	})
}
