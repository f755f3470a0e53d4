package gateway

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gentre/gentre/engine/query"
	"github.com/gentre/gentre/trusted-research/access"
	"github.com/gentre/gentre/trusted-research/airlock"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
	"github.com/gentre/gentre/trusted-research/audit"
	"github.com/gentre/gentre/trusted-research/disclosure"
)

// Routes of the airlock, as the audit log names them.
const (
	routeAirlockCreate  = "POST /v1/airlock/requests"
	routeAirlockList    = "GET /v1/airlock/requests"
	routeAirlockGet     = "GET /v1/airlock/requests/{id}"
	routeAirlockReview  = "POST /v1/airlock/requests/{id}:review"
	routeAirlockContent = "GET /v1/airlock/requests/{id}/content"
)

// actionAirlockRelease is the audit action of an approved request's
// release (one entry, when the second approval lands).
const actionAirlockRelease = "airlock.release"

// CreateAirlockRequest answers a researcher's queries on the current data
// release under disclosure control, renders them (TSV or JSON), and freezes
// the output as a PENDING airlock request. Carriers never leave this way.
func (g *Gateway) CreateAirlockRequest(ctx context.Context, req *gentrev1.CreateAirlockRequestRequest) (*gentrev1.AirlockRequest, error) {
	return run(ctx, g, access.ActionAirlockRequest, req.GetProject(), routeAirlockCreate, func(c *call) (*gentrev1.AirlockRequest, error) {
		lim := g.air.Options()
		format, err := airlock.ParseFormat(req.GetFormat())
		if err != nil {
			return nil, invalid("format: %q: want \"tsv\" or \"json\"", req.GetFormat())
		}
		just := req.GetJustification()
		switch {
		case strings.TrimSpace(just) == "":
			return nil, invalid("justification: required: say what the output is and why it should leave")
		case len(just) > lim.MaxJustification:
			return nil, invalid("justification: longer than %d bytes", lim.MaxJustification)
		}
		texts := req.GetQueries()
		switch {
		case len(texts) == 0:
			return nil, invalid("queries: none given: list the queries (count, freq, coverage) whose answers should leave")
		case len(texts) > lim.MaxQueries:
			return nil, status.Errorf(codes.OutOfRange, "queries: %d given, at most %d a request", len(texts), lim.MaxQueries)
		}
		qs := make([]*query.Query, len(texts))
		canon := make([]string, len(texts))
		for i, text := range texts {
			field := fmt.Sprintf("queries[%d]", i)
			if err := g.checkLen(field, text); err != nil {
				return nil, err
			}
			q, err := query.Parse(text)
			if err != nil {
				return nil, invalid("%s: %v", field, err)
			}
			qs[i], canon[i] = q, q.String()
		}
		c.request += " " + strings.Join(canon, " ; ")
		for i, q := range qs {
			if q.Kind == query.Carriers {
				return nil, status.Errorf(codes.PermissionDenied,
					"forbidden: queries[%d]: carriers lists people (project pseudonyms), and person-level output never leaves through the airlock: ask for counts or frequencies instead", i)
			}
		}
		if err := g.syncSettings(c.project); err != nil {
			return nil, err
		}
		set, err := g.dis.Settings(c.project)
		if err != nil {
			return nil, err
		}
		rel := g.air.Releaser(set)
		var sections []airlock.Section
		var people *roaring.Bitmap
		var relName string
		err = g.withRelease(ctx, c, func(r *release, e *query.Engine) error {
			relName, sections, people = r.name, sections[:0], roaring.New()
			for i, q := range qs {
				sec, ppl, err := g.airlockSection(ctx, e, c.project, r.name, rel, q, canon[i])
				if err != nil {
					return queryErr(i, err)
				}
				sections = append(sections, *sec)
				people.Or(ppl)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		content, err := airlock.Render(format, airlock.Meta{Project: c.project, Release: relName, Settings: set}, sections)
		if err != nil {
			return nil, err
		}
		ar, err := g.air.Create(airlock.Draft{
			Project: c.project, Requester: c.p.User, Justification: just, Queries: canon,
			Format: format, Release: relName, Content: content, People: people,
		})
		if err != nil {
			return nil, airlockStatus(err)
		}
		c.request = routeAirlockCreate + " " + ar.ID + " " + strings.Join(canon, " ; ")
		return airlockProto(ar, false), nil
	})
}

// queryErr names the query an error is about: a status keeps its code, a
// sentinel-wrapped error stays errors.Is-able for statusOf.
func queryErr(i int, err error) error {
	if s, ok := status.FromError(err); ok && s.Code() != codes.Unknown {
		return status.Errorf(s.Code(), "queries[%d]: %s", i, s.Message())
	}
	return fmt.Errorf("queries[%d]: %w", i, err)
}

// airlockSection answers one query for the airlock: the released section
// (the one released before for the same query on this release and project,
// if any: the same noise) and the people behind its figures. Counts go
// through the releaser (1..threshold suppressed, the rest noised and
// rounded, 0 as 0); an analysis (freq, coverage) over a cohort of at most
// threshold people is refused, as for industry partners.
func (g *Gateway) airlockSection(ctx context.Context, e *query.Engine, project, relName string,
	rel airlock.Releaser, q *query.Query, canonical string) (*airlock.Section, *roaring.Bitmap, error) {
	set := rel.Settings
	switch q.Kind {
	case query.Count:
		groups, err := countGroups(ctx, e, q)
		if err != nil {
			return nil, nil, err
		}
		people := roaring.New()
		for _, grp := range groups {
			if grp.People.GetCardinality() > uint64(set.Threshold) {
				people.Or(grp.People)
			}
		}
		sec, err := g.air.Section(project, relName, canonical, func() (*airlock.Section, error) {
			return countSection(rel, q, canonical, groups)
		})
		return sec, people, err
	case query.Freq, query.Coverage:
		people, err := analysisPeople(ctx, e, set, q.Cohort)
		if err != nil {
			return nil, nil, err
		}
		if q.Vs != nil {
			vs, err := analysisPeople(ctx, e, set, q.Vs)
			if err != nil {
				return nil, nil, err
			}
			people.Or(vs)
		}
		sec, err := g.air.Section(project, relName, canonical, func() (*airlock.Section, error) {
			if q.Kind == query.Freq {
				return g.freqSection(ctx, e, rel, q, canonical)
			}
			return coverageSection(ctx, e, rel, q, canonical)
		})
		return sec, people, err
	}
	return nil, nil, fmt.Errorf("gateway: %s queries cannot leave through the airlock: %w", q.Kind, query.ErrUnsupported)
}

// analysisPeople is an analysis cohort's people (everyone without one),
// refused when at most the threshold (the message says nothing of the
// size).
func analysisPeople(ctx context.Context, e *query.Engine, set disclosure.Settings, c query.Cohort) (*roaring.Bitmap, error) {
	if c == nil {
		c = query.All{}
	}
	people, err := e.People(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := set.CheckCohort(people.GetCardinality()); err != nil {
		return nil, err
	}
	return people.Clone(), nil
}

func countSection(rel airlock.Releaser, q *query.Query, canonical string, groups []disclosure.Group) (*airlock.Section, error) {
	labels := make([]string, len(groups))
	counts := make([]int64, len(groups))
	for i, grp := range groups {
		labels[i], counts[i] = grp.Label, int64(grp.People.GetCardinality())
	}
	cells, err := rel.Table(labels, counts)
	if err != nil {
		return nil, err
	}
	sec := &airlock.Section{Query: canonical, Columns: []string{"count"}}
	if q.By != "" {
		sec.Columns = []string{q.By, "count"}
	}
	for i, v := range cells {
		if q.By != "" {
			sec.Rows = append(sec.Rows, []airlock.Value{airlock.Text(labels[i]), v})
		} else {
			sec.Rows = append(sec.Rows, []airlock.Value{v})
		}
	}
	return sec, nil
}

// The freq columns, as gentre query writes them (docs/query.md).
var (
	airlockFreqColumns   = []string{"chrom", "pos", "ref", "alt", "ac", "an", "af", "het", "hom_alt", "missing"}
	airlockFreqVsColumns = []string{"ac_vs", "an_vs", "af_vs", "het_vs", "hom_alt_vs", "missing_vs", "odds_ratio", "fisher_p", "chisq_p"}
)

// freqSection releases a freq table: every allele count (ac, an, het,
// hom_alt, missing, and covered) is a count, released on its own; af and
// the allelic tests are computed from the released counts (NA when one of
// them is suppressed), never from the true ones.
func (g *Gateway) freqSection(ctx context.Context, e *query.Engine, rel airlock.Releaser, q *query.Query, canonical string) (*airlock.Section, error) {
	plan, _, _, err := e.FreqPlanFor(ctx, q)
	if err != nil {
		return nil, err
	}
	sec := &airlock.Section{Query: canonical, Columns: airlockFreqColumns}
	if plan.HasVs {
		sec.Columns = append(append([]string(nil), airlockFreqColumns...), airlockFreqVsColumns...)
	}
	if plan.HasCovered() {
		sec.Columns = append(append([]string(nil), sec.Columns...), "covered")
	}
	err = e.Freq(ctx, plan, func(r *query.FreqRow) error {
		if len(sec.Rows) >= g.opts.MaxFreqRows {
			return errTooManyRows
		}
		row := []airlock.Value{airlock.Text(r.Chrom), airlock.Int(r.Pos), airlock.Text(r.Ref), airlock.Text(r.Alt)}
		in, inAC, inAN := releaseAlleles(rel, r.In)
		row = append(row, in...)
		if plan.HasVs {
			vs, vsAC, vsAN := releaseAlleles(rel, r.Vs)
			row = append(row, vs...)
			stats := []airlock.Value{airlock.NA(), airlock.NA(), airlock.NA()}
			if inAC >= 0 && inAN >= 0 && vsAC >= 0 && vsAN >= 0 {
				t := query.TestAlleles(query.AlleleCounts{AC: inAC, AN: inAN}, query.AlleleCounts{AC: vsAC, AN: vsAN})
				stats = []airlock.Value{airlock.Real(t.OddsRatio), airlock.Real(t.FisherP), airlock.Real(t.ChisqP)}
			}
			row = append(row, stats...)
		}
		if plan.HasCovered() {
			row = append(row, rel.Count(r.Covered))
		}
		sec.Rows = append(sec.Rows, row)
		return nil
	})
	if errors.Is(err, errTooManyRows) {
		return nil, status.Errorf(codes.OutOfRange,
			"the region has more than %d allele rows, the most one query holds: ask for a smaller region", g.opts.MaxFreqRows)
	}
	return sec, err
}

// releaseAlleles releases ac an af het hom_alt missing of one cohort at
// one allele, and returns the released ac and an (-1 when suppressed).
func releaseAlleles(rel airlock.Releaser, c query.AlleleCounts) ([]airlock.Value, int64, int64) {
	ac, an := rel.Count(c.AC), rel.Count(c.AN)
	nac, okAC := ac.Count()
	nan, okAN := an.Count()
	af := airlock.NA()
	if okAC && okAN && nan > 0 {
		af = airlock.Real(min(1, float64(nac)/float64(nan)))
	}
	if !okAC {
		nac = -1
	}
	if !okAN {
		nan = -1
	}
	return []airlock.Value{ac, an, af, rel.Count(c.Het), rel.Count(c.HomAlt), rel.Count(c.Missing)}, nac, nan
}

// coverageSection releases coverage as the samples in scope by mean depth
// band (the depth-band table of industry answers, coverage_industry.go):
// one controlled count a band. The mean depth itself is not released (one
// sample's depth is unbounded, so no count noise protects it).
func coverageSection(ctx context.Context, e *query.Engine, rel airlock.Releaser, q *query.Query, canonical string) (*airlock.Section, error) {
	row, err := e.Coverage(ctx, q)
	if err != nil {
		return nil, err
	}
	counts, err := bandCounts(row)
	if err != nil {
		return nil, err
	}
	cells, err := rel.Table(depthBands, counts)
	if err != nil {
		return nil, err
	}
	sec := &airlock.Section{Query: canonical, Columns: []string{"chrom", "start", "end", "mean_depth_band", "samples"}}
	end := airlock.NA()
	if row.End < 1<<62 { // clamped to the contig when a sample in scope has it
		end = airlock.Int(row.End)
	}
	for i, band := range depthBands {
		sec.Rows = append(sec.Rows, []airlock.Value{airlock.Text(row.Chrom), airlock.Int(row.Start), end, airlock.Text(band), cells[i]})
	}
	return sec, nil
}

// caller is the airlock's view of a call's principal.
func caller(c *call) airlock.Caller {
	return airlock.Caller{User: c.p.User, Role: c.p.Role, Project: c.project}
}

// noteID adds a well-formed request id to the audit record (a malformed
// one is not recorded: it is caller-supplied text).
func noteID(c *call, id string) {
	if airlock.ValidID(id) {
		c.request += " " + id
	}
}

// setRelease records the data release of a request in the call.
func setRelease(c *call, r *airlock.Request) {
	if n, err := strconv.ParseUint(r.Release, 10, 64); err == nil {
		c.release = n
	}
}

// GetAirlockRequest returns one request: to its researcher (without
// content), or to an output checker of its project (with content). 404 for
// anything else, whether or not it exists.
func (g *Gateway) GetAirlockRequest(ctx context.Context, req *gentrev1.GetAirlockRequestRequest) (*gentrev1.AirlockRequest, error) {
	return run(ctx, g, access.ActionAirlockGet, "", routeAirlockGet, func(c *call) (*gentrev1.AirlockRequest, error) {
		noteID(c, req.GetId())
		r, err := g.air.Get(req.GetId(), caller(c))
		if err != nil {
			return nil, airlockStatus(err)
		}
		setRelease(c, r)
		return airlockProto(r, c.p.Role == access.OutputChecker), nil
	})
}

// ListAirlockRequests lists the project's requests, oldest first: a
// researcher's own, or all of them for an output checker (with content).
func (g *Gateway) ListAirlockRequests(ctx context.Context, req *gentrev1.ListAirlockRequestsRequest) (*gentrev1.ListAirlockRequestsResponse, error) {
	return run(ctx, g, access.ActionAirlockGet, req.GetProject(), routeAirlockList, func(c *call) (*gentrev1.ListAirlockRequestsResponse, error) {
		rs, err := g.air.List(caller(c))
		if err != nil {
			return nil, airlockStatus(err)
		}
		resp := &gentrev1.ListAirlockRequestsResponse{Requests: make([]*gentrev1.AirlockRequest, len(rs))}
		for i, r := range rs {
			resp.Requests[i] = airlockProto(r, c.p.Role == access.OutputChecker)
		}
		return resp, nil
	})
}

// ReviewAirlockRequest records an output checker's approve or reject. The
// second approval (by a different checker) makes the request APPROVED and
// writes its release to the audit log in the same step.
func (g *Gateway) ReviewAirlockRequest(ctx context.Context, req *gentrev1.ReviewAirlockRequestRequest) (*gentrev1.AirlockRequest, error) {
	return run(ctx, g, access.ActionAirlockReview, "", routeAirlockReview, func(c *call) (*gentrev1.AirlockRequest, error) {
		noteID(c, req.GetId())
		d, err := airlock.ParseDecision(req.GetDecision())
		if err != nil {
			return nil, invalid("decision: %q: want \"approve\" or \"reject\"", req.GetDecision())
		}
		c.request += " " + string(d)
		r, err := g.air.Review(req.GetId(), caller(c), d, req.GetNote(), func(r *airlock.Request) error {
			return g.recordRelease(c, r)
		})
		if err != nil {
			return nil, airlockStatus(err)
		}
		setRelease(c, r)
		return airlockProto(r, true), nil
	})
}

// errReleaseUnrecorded is returned (inside the review's transaction, which
// it rolls back) when the release cannot be written to the audit log.
var errReleaseUnrecorded = errors.New("the audit log could not record the release, so the request stays pending")

// recordRelease appends the audit entry of an approved request's release:
// action airlock.release, the approving checker as actor, decision
// released, result the content's SHA-256.
func (g *Gateway) recordRelease(c *call, r *airlock.Request) error {
	var digest audit.Digest
	b, err := hex.DecodeString(r.Digest)
	if err != nil || len(b) != len(digest) {
		return fmt.Errorf("gateway: airlock request digest: %w", airlock.ErrCorrupt)
	}
	copy(digest[:], b)
	e := audit.Entry{
		Actor: c.p.User, Role: string(c.p.Role), Project: r.Project, Purpose: string(c.p.Purpose),
		Action:   actionAirlockRelease,
		Request:  actionAirlockRelease + " " + r.ID + " " + strings.Join(r.Queries, " ; "),
		Result:   digest,
		Decision: decisionReleased,
	}
	if n, err := strconv.ParseUint(r.Release, 10, 64); err == nil {
		e.Release = n
	}
	if _, err := g.log.Append(e); err != nil {
		g.opts.Logf("audit log append failed (airlock release withheld): %v", err)
		return errReleaseUnrecorded
	}
	return nil
}

// GetAirlockContent hands out the frozen content of an APPROVED request to
// its researcher or an output checker of the project.
func (g *Gateway) GetAirlockContent(ctx context.Context, req *gentrev1.GetAirlockContentRequest) (*gentrev1.AirlockContent, error) {
	return run(ctx, g, access.ActionAirlockContent, "", routeAirlockContent, func(c *call) (*gentrev1.AirlockContent, error) {
		noteID(c, req.GetId())
		r, err := g.air.Content(req.GetId(), caller(c))
		if err != nil {
			return nil, airlockStatus(err)
		}
		setRelease(c, r)
		return &gentrev1.AirlockContent{Id: r.ID, MediaType: r.MediaType(), Content: r.Content}, nil
	})
}

// airlockStatus maps the airlock's errors to statuses: 404 not found (the
// same message whether the request does not exist or belongs to someone
// the caller may not see), 403 for the review rules and content not yet
// approved, 400 for a request already decided, invalid or too large
// arguments. Anything else goes to statusOf (500).
func airlockStatus(err error) error {
	var code codes.Code
	switch {
	case errors.Is(err, airlock.ErrNotFound):
		return status.Error(codes.NotFound, "airlock request not found")
	case errors.Is(err, errReleaseUnrecorded):
		return status.Error(codes.Internal, "internal error: "+errReleaseUnrecorded.Error())
	case errors.Is(err, airlock.ErrForbidden), errors.Is(err, airlock.ErrNotApproved):
		code = codes.PermissionDenied
	case errors.Is(err, airlock.ErrFinal):
		code = codes.FailedPrecondition
	case errors.Is(err, airlock.ErrTooLarge):
		code = codes.OutOfRange
	case errors.Is(err, airlock.ErrInvalid):
		code = codes.InvalidArgument
	default:
		return err
	}
	return status.Error(code, err.Error())
}

var airlockStates = map[airlock.State]gentrev1.AirlockState{
	airlock.Pending:  gentrev1.AirlockState_AIRLOCK_STATE_PENDING,
	airlock.Approved: gentrev1.AirlockState_AIRLOCK_STATE_APPROVED,
	airlock.Rejected: gentrev1.AirlockState_AIRLOCK_STATE_REJECTED,
}

// airlockProto is the API form of a request; content only when asked
// (output checkers).
func airlockProto(r *airlock.Request, withContent bool) *gentrev1.AirlockRequest {
	out := &gentrev1.AirlockRequest{
		Id: r.ID, Project: r.Project, Requester: r.Requester, State: airlockStates[r.State],
		Justification: r.Justification, Queries: r.Queries, Created: timestamppb.New(r.Created),
		Format: string(r.Format), ContentDigest: r.Digest, Release: r.Release,
		Reviews: make([]*gentrev1.AirlockReview, len(r.Reviews)),
	}
	for i, rv := range r.Reviews {
		out.Reviews[i] = &gentrev1.AirlockReview{Reviewer: rv.Reviewer, Decision: string(rv.Decision), Note: rv.Note, Time: timestamppb.New(rv.Time)}
	}
	if withContent {
		out.Content = r.Content
	}
	return out
}
