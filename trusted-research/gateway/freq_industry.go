package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/gentre/gentre/engine/query"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
	"github.com/gentre/gentre/trusted-research/disclosure"
)

// DefaultMaxIndustryFreqRows is the default of Options.MaxIndustryFreqRows.
const DefaultMaxIndustryFreqRows = 10

// The ε of an industry freq is split over its figures in units of one
// person's effect (docs/disclosure.md, "Freq, case/control and coverage"):
// every figure gets ε/(rows × units) and Laplace noise of scale
// rows × units / ε, and a person (one diploid sample) changes, per row and
// cohort, AC by up to 2, AN by up to 2, and het, hom_alt and missing
// together by at most 1 (a sample is at most one of them), so the five
// counts of a cohort take 5 units; covered takes 1.
const (
	unitsPerCohort  = 5
	unitsPerCovered = 1
)

// errTooManyIndustryRows stops an industry freq whose answer would pass
// MaxIndustryFreqRows.
var errTooManyIndustryRows = errors.New("too many rows for an industry answer")

func (g *Gateway) maxIndustryFreqRows() int {
	if g.opts.MaxIndustryFreqRows > 0 {
		return g.opts.MaxIndustryFreqRows
	}
	return DefaultMaxIndustryFreqRows
}

// freqControlled answers an industry partner's freq (with vs: case/control)
// through disclosure control: the cached answer if the same question was
// asked on this data release; else the engine's exact rows, the analysis
// rules (the in and vs cohorts — everyone without in — must each be more
// than the threshold and not too close to a released set) and every figure
// released as a controlled count with the question's one ε split over
// them.
func (g *Gateway) freqControlled(ctx context.Context, c *call, q *query.Query, canonical string) (*gentrev1.FreqResponse, error) {
	var rows []query.FreqRow
	var hasVs, hasCovered bool
	maxRows := g.maxIndustryFreqRows()
	compute := func(e *query.Engine) ([]string, []*roaring.Bitmap, error) {
		plan, in, vs, err := e.FreqPlanFor(ctx, q)
		if err != nil {
			return nil, nil, err
		}
		hasVs, hasCovered, rows = plan.HasVs, plan.HasCovered(), rows[:0]
		err = e.Freq(ctx, plan, func(row *query.FreqRow) error {
			if len(rows) >= maxRows {
				return errTooManyIndustryRows
			}
			rows = append(rows, *row)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		names, cohorts, err := analysisCohort(ctx, e, q.Cohort, in, nil, nil)
		if err != nil || q.Vs == nil {
			return names, cohorts, err
		}
		return analysisCohort(ctx, e, q.Vs, vs, names, cohorts)
	}
	build := func(r disclosure.Releaser) ([]byte, error) {
		resp, err := releaseFreq(r, rows, hasVs, hasCovered)
		if err != nil {
			return nil, err
		}
		return proto.MarshalOptions{Deterministic: true}.Marshal(resp)
	}
	ans, rel, err := g.analyseControlled(ctx, c, canonical, compute, build)
	if errors.Is(err, errTooManyIndustryRows) {
		return nil, status.Errorf(codes.OutOfRange,
			"the region has more than %d allele rows, the most an industry partner's answer holds (the question's privacy budget is shared by every figure): ask for a smaller region",
			maxRows)
	}
	if err != nil {
		return nil, err
	}
	resp := &gentrev1.FreqResponse{}
	if err := proto.Unmarshal(ans.Payload, resp); err != nil || resp.Disclosure == nil {
		return nil, fmt.Errorf("gateway: a released freq answer cannot be read: %v", err)
	}
	resp.Query, resp.Project, resp.Release = canonical, c.project, rel
	d := resp.Disclosure
	d.Epsilon, d.Spent, d.Budget, d.Cached = ans.Epsilon, ans.Spent, ans.Budget, ans.Cached
	setBudgetHeaders(ctx, ans.Spent, ans.Budget)
	c.decision = decisionReleased
	switch {
	case ans.Cached:
		c.decision = decisionCached
	case d.SuppressedCells > 0:
		c.decision = decisionSuppressed
	}
	return resp, nil
}

// analysisCohort appends a cohort of an analysis to names and cohorts: its
// people (everyone in the release when the query has no cohort, people
// nil) and the name the differencing guard knows the set by, its canonical
// count query ("count all" for everyone), so that a cohort counted, or
// analysed over another region, is recognised as the same question's set.
func analysisCohort(ctx context.Context, e *query.Engine, cohort query.Cohort, people *roaring.Bitmap,
	names []string, cohorts []*roaring.Bitmap) ([]string, []*roaring.Bitmap, error) {
	if cohort == nil {
		cohort = query.All{}
	}
	if people == nil {
		var err error
		if people, err = e.People(ctx, cohort); err != nil {
			return nil, nil, err
		}
	}
	name := (&query.Query{Kind: query.Count, Cohort: cohort}).String()
	return append(names, name), append(cohorts, people), nil
}

// analyseControlled is the path of every industry analysis (freq,
// case/control, coverage): the cache first (free, and no engine work); on
// a miss, the budget (a spent partner is refused before the engine runs),
// then compute runs on the current release's engine and returns the
// analysis's cohorts and their names, and disclosure.Store.Analyse applies
// the budget and the rules and, if they pass, calls build to release the
// answer. It returns the answer and the data release it is about.
func (g *Gateway) analyseControlled(ctx context.Context, c *call, canonical string,
	compute func(e *query.Engine) ([]string, []*roaring.Bitmap, error),
	build func(disclosure.Releaser) ([]byte, error)) (*disclosure.Answer, string, error) {
	rel, err := g.current()
	if err != nil {
		return nil, "", err
	}
	c.release = rel.id
	if err := g.syncSettings(c.project); err != nil {
		return nil, "", err
	}
	question := disclosure.Question{Partner: c.p.User, Project: c.project, Release: rel.name, Query: canonical}
	if ans, err := g.dis.Cached(question); ans != nil || err != nil {
		return ans, rel.name, err
	}
	// A partner whose budget is spent gets the 429 without engine work.
	if err := g.dis.Affordable(question); err != nil {
		return nil, "", err
	}
	var cohorts []*roaring.Bitmap
	err = g.withRelease(ctx, c, func(r *release, e *query.Engine) error {
		question.Release = r.name // a new release since the cache check: ask about it
		var err error
		question.Names, cohorts, err = compute(e)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	ans, err := g.dis.Analyse(question, cohorts, build)
	return ans, question.Release, err
}

// releaseFreq releases the rows of an industry freq: every count of the
// cohort (and of the comparator, and covered) a controlled count under
// r.Split(rows × units) (see unitsPerCohort); af and the allelic tests are
// computed from the released figures only (post-processing: free, and
// consistent with the row). DisclosureInfo.SuppressedCells counts the
// figures withheld.
func releaseFreq(r disclosure.Releaser, rows []query.FreqRow, hasVs, hasCovered bool) (*gentrev1.FreqResponse, error) {
	units := unitsPerCohort
	if hasVs {
		units += unitsPerCohort
	}
	if hasCovered {
		units += unitsPerCovered
	}
	r = r.Split(len(rows) * units)
	ok := true
	suppressed := 0
	resp := &gentrev1.FreqResponse{Rows: make([]*gentrev1.FreqRow, 0, len(rows))}
	for i := range rows {
		row := &rows[i]
		in, n := releaseCounts(r, row.In, &ok)
		suppressed += n
		out := &gentrev1.FreqRow{
			Chrom: row.Chrom, Pos: narrow(row.Pos, &ok), Ref: row.Ref, Alt: row.Alt,
			Ac: in.Ac, An: in.An, Af: in.Af, Het: in.Het, HomAlt: in.HomAlt, Missing: in.Missing,
			Suppressed: in.Suppressed,
		}
		if hasCovered {
			var s bool
			out.Covered, s = releaseOne(r, row.Covered, &ok)
			if s {
				out.Suppressed = true
				suppressed++
			}
		}
		if hasVs {
			vs, n := releaseCounts(r, row.Vs, &ok)
			suppressed += n
			out.Vs = vs
			if in.Ac != nil && in.An != nil && vs.Ac != nil && vs.An != nil {
				t := query.TestAlleles(
					query.AlleleCounts{AC: int64(*in.Ac), AN: int64(*in.An)},
					query.AlleleCounts{AC: int64(*vs.Ac), AN: int64(*vs.An)})
				out.OddsRatio, out.FisherP, out.ChisqP = finite(t.OddsRatio), finite(t.FisherP), finite(t.ChisqP)
			}
		}
		resp.Rows = append(resp.Rows, out)
	}
	if !ok {
		return nil, fmt.Errorf("gateway: a released freq count does not fit the API's 32-bit counts")
	}
	resp.Disclosure = &gentrev1.DisclosureInfo{SuppressedCells: narrow(int64(suppressed), &ok)}
	return resp, nil
}

// releaseCounts releases one cohort's five counts of a row and returns them
// with how many were withheld. af is the released ac over the released an,
// absent when either is withheld or an is 0, and at most 1 (noise can put
// ac above an).
func releaseCounts(r disclosure.Releaser, c query.AlleleCounts, ok *bool) (*gentrev1.AlleleCounts, int) {
	out := &gentrev1.AlleleCounts{}
	n := 0
	for _, f := range []struct {
		dst  **int32
		true int64
	}{{&out.Ac, c.AC}, {&out.An, c.AN}, {&out.Het, c.Het}, {&out.HomAlt, c.HomAlt}, {&out.Missing, c.Missing}} {
		var s bool
		*f.dst, s = releaseOne(r, f.true, ok)
		if s {
			n++
		}
	}
	out.Suppressed = n > 0
	if out.Ac != nil && out.An != nil && *out.An > 0 {
		af := min(float64(*out.Ac)/float64(*out.An), 1)
		out.Af = &af
	}
	return out, n
}

// releaseOne releases one count: nil and true when it is withheld.
func releaseOne(r disclosure.Releaser, count int64, ok *bool) (*int32, bool) {
	cell := r.Release(count)
	if cell.Suppressed {
		return nil, true
	}
	return narrowP(cell.Count, ok), false
}
