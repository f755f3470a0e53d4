package gateway

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gentre/gentre/engine/query"
	"github.com/gentre/gentre/trusted-research/access"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
	"github.com/gentre/gentre/trusted-research/disclosure"
)

// CountCohort answers count COHORT [by sex|age]: exactly for researchers,
// through disclosure control for industry partners.
func (g *Gateway) CountCohort(ctx context.Context, req *gentrev1.CountCohortRequest) (*gentrev1.CountCohortResponse, error) {
	return run(ctx, g, access.ActionCohortCount, req.GetProject(), "POST /v1/cohorts:count",
		func(c *call) (*gentrev1.CountCohortResponse, error) {
			cohort, err := g.parseCohort("query", req.GetQuery())
			if err != nil {
				return nil, err
			}
			switch req.GetBy() {
			case "", "sex", "age":
			default:
				return nil, invalid("by: %q: want \"\", \"sex\" or \"age\"", req.GetBy())
			}
			q := &query.Query{Kind: query.Count, Cohort: cohort, By: req.GetBy()}
			canonical := q.String()
			c.request += " " + canonical
			if access.Controlled(c.p.Role, c.action) {
				return g.countControlled(ctx, c, q, canonical)
			}
			var rows []query.CountRow
			var rel *release
			err = g.withRelease(ctx, c, func(r *release, e *query.Engine) error {
				rel = r
				var err error
				rows, _, err = e.Count(ctx, q)
				return err
			})
			if err != nil {
				return nil, err
			}
			resp := &gentrev1.CountCohortResponse{Query: canonical, Project: c.project, Release: rel.name}
			ok := true
			var total int64
			for _, row := range rows {
				total += int64(row.Count)
				if q.By != "" {
					n := narrow(int64(row.Count), &ok)
					resp.Groups = append(resp.Groups, &gentrev1.CountGroup{Label: row.Group, Count: &n})
				}
			}
			n := narrow(total, &ok)
			resp.Count = &n
			if !ok {
				return nil, fmt.Errorf("gateway: a count does not fit the API's 32-bit counts")
			}
			return resp, nil
		})
}

// countControlled answers an industry partner's count through disclosure
// control: the cached answer if the same question was asked on this data
// release, else a released table (suppression of 1..7, noise, rounding)
// charged to the partner's budget.
func (g *Gateway) countControlled(ctx context.Context, c *call, q *query.Query, canonical string) (*gentrev1.CountCohortResponse, error) {
	rel, err := g.current()
	if err != nil {
		return nil, err
	}
	c.release = rel.id
	if err := g.syncSettings(c.project); err != nil {
		return nil, err
	}
	question := disclosure.Question{Partner: c.p.User, Project: c.project, Release: rel.name, Query: canonical}
	ans, err := g.dis.Cached(question)
	if err != nil {
		return nil, err
	}
	if ans == nil {
		// A partner whose budget is spent gets the 429 without engine work.
		if err := g.dis.Affordable(question); err != nil {
			return nil, err
		}
		var groups []disclosure.Group
		err := g.withRelease(ctx, c, func(r *release, e *query.Engine) error {
			if r != rel { // a new release since the cache check: ask about it
				rel = r
				question.Release = r.name
			}
			var err error
			groups, err = countGroups(ctx, e, q)
			return err
		})
		if err != nil {
			return nil, err
		}
		if ans, err = g.dis.Count(question, groups); err != nil {
			return nil, err
		}
	}
	if ans.Table == nil || len(ans.Table.Cells) == 0 {
		return nil, fmt.Errorf("gateway: disclosure answer without a table")
	}
	setBudgetHeaders(ctx, ans.Spent, ans.Budget)
	t := ans.Table
	resp := &gentrev1.CountCohortResponse{
		Query: canonical, Project: c.project, Release: rel.name,
		Disclosure: &gentrev1.DisclosureInfo{
			Epsilon: ans.Epsilon, Spent: ans.Spent, Budget: ans.Budget, Cached: ans.Cached,
			SuppressedCells: int32(t.SuppressedCells),
		},
	}
	ok := true
	if q.By == "" {
		cell := t.Cells[0]
		if cell.Suppressed {
			resp.Suppressed = true
		} else {
			n := narrow(cell.Count, &ok)
			resp.Count = &n
		}
	} else {
		for _, cell := range t.Cells {
			grp := &gentrev1.CountGroup{Label: cell.Label, Suppressed: cell.Suppressed}
			if !cell.Suppressed {
				n := narrow(cell.Count, &ok)
				grp.Count = &n
			}
			resp.Groups = append(resp.Groups, grp)
		}
		n := narrow(t.Total, &ok)
		resp.Count = &n
	}
	if !ok {
		return nil, fmt.Errorf("gateway: a released count does not fit the API's 32-bit counts")
	}
	c.decision = decisionReleased
	switch {
	case ans.Cached:
		c.decision = decisionCached
	case resp.Suppressed || t.SuppressedCells > 0:
		c.decision = decisionSuppressed
	}
	return resp, nil
}

// countGroups returns the disjoint person sets of a count's cells (one
// group without by; one per sex or age band with it), checked against the
// engine's own counts so the released table and an exact one can never
// disagree on what a cell is.
func countGroups(ctx context.Context, e *query.Engine, q *query.Query) ([]disclosure.Group, error) {
	rows, people, err := e.Count(ctx, q)
	if err != nil {
		return nil, err
	}
	var groups []disclosure.Group
	switch q.By {
	case "":
		groups = []disclosure.Group{{People: people}}
	case "sex":
		for _, s := range []string{"female", "male", "other", "unknown"} {
			set, err := e.People(ctx, query.Sex{Value: s})
			if err != nil {
				return nil, err
			}
			groups = append(groups, disclosure.Group{Label: s, People: roaring.And(set, people)})
		}
	case "age":
		known, err := e.People(ctx, query.Age{Lo: 0, Hi: math.MaxInt32})
		if err != nil {
			return nil, err
		}
		for i, band := range query.AgeBands {
			lo, hi := 10*i, 10*i+9
			if i == len(query.AgeBands)-1 {
				hi = math.MaxInt32
			}
			set, err := e.People(ctx, query.Age{Lo: lo, Hi: hi})
			if err != nil {
				return nil, err
			}
			groups = append(groups, disclosure.Group{Label: band, People: roaring.And(set, people)})
		}
		groups = append(groups, disclosure.Group{Label: "unknown", People: roaring.AndNot(people, known)})
	}
	if len(groups) != len(rows) {
		return nil, fmt.Errorf("gateway: count by %q: %d groups, the engine has %d", q.By, len(groups), len(rows))
	}
	for i, grp := range groups {
		if grp.Label != rows[i].Group || grp.People.GetCardinality() != uint64(rows[i].Count) {
			return nil, fmt.Errorf("gateway: count by %q: group %d disagrees with the engine", q.By, i)
		}
	}
	return groups, nil
}

// syncSettings carries a project's disclosure settings from the access
// records (disclosure.epsilon, disclosure.budget: what `gentre project`
// sets) into the disclosure store, which applies them. It writes only when
// they differ.
func (g *Gateway) syncSettings(project string) error {
	p, err := g.acc.Project(project)
	if err != nil {
		return err
	}
	cur, err := g.dis.Settings(project)
	if err != nil {
		return err
	}
	def := g.opts.Disclosure.Defaults
	def.EnsureDefaults()
	want := cur
	want.Epsilon, want.Budget = def.Epsilon, def.Budget
	for key, dst := range map[string]*float64{"disclosure.epsilon": &want.Epsilon, "disclosure.budget": &want.Budget} {
		if v, ok := p.Settings[key]; ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("gateway: project setting %s: %w", key, err)
			}
			*dst = f
		}
	}
	if want == cur {
		return nil
	}
	return g.dis.SetSettings(project, want)
}

// setBudgetHeaders reports a partner's privacy budget in response
// metadata: gRPC headers, and HTTP headers X-Gentre-Epsilon-Spent and
// X-Gentre-Epsilon-Budget on REST.
func setBudgetHeaders(ctx context.Context, spent, budget float64) {
	_ = grpc.SetHeader(ctx, metadata.Pairs(
		"x-gentre-epsilon-spent", strconv.FormatFloat(spent, 'g', -1, 64),
		"x-gentre-epsilon-budget", strconv.FormatFloat(budget, 'g', -1, 64),
	))
}

// notForIndustry refuses an analysis that cannot yet be released under
// disclosure control.
func notForIndustry(what string) error {
	return status.Errorf(codes.PermissionDenied,
		"forbidden: %s is not available to industry partners in this version: its results cannot yet be released under disclosure control (see docs/api.md)", what)
}
