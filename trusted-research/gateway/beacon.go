package gateway

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gentre/gentre/engine/query"
	"github.com/gentre/gentre/trusted-research/access"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
	"github.com/gentre/gentre/trusted-research/beacon"
)

// beaconRoute is the audit log's name for the endpoint (GET with query
// parameters, or POST with a JSON body: the same method).
const beaconRoute = "GET /v1/beacon/g_variants"

// beaconAPIVersion is the Beacon v2 specification version the answers
// follow.
const beaconAPIVersion = "v2.0.0"

// Beacon answers a GA4GH Beacon v2 g_variants question (package beacon):
// alleles with an allele count of 7 or less are absent for every role; an
// industry partner may ask Options.MaxBeaconQueries distinct questions per
// project and data release (429 after that).
func (g *Gateway) Beacon(ctx context.Context, req *gentrev1.BeaconRequest) (*gentrev1.BeaconResponse, error) {
	return run(ctx, g, access.ActionBeacon, req.GetProject(), beaconRoute, func(c *call) (*gentrev1.BeaconResponse, error) {
		p := beacon.Params{
			ReferenceName:  req.GetReferenceName(),
			Start:          int64(req.GetStart()),
			ReferenceBases: req.GetReferenceBases(),
			AlternateBases: req.GetAlternateBases(),
			Granularity:    req.GetRequestedGranularity(),
			AssemblyID:     req.GetAssemblyId(),
		}
		if req.End != nil {
			end := int64(req.GetEnd())
			p.End = &end
		}
		q, err := beacon.Parse(p)
		if err != nil {
			return nil, beaconStatus(err)
		}
		var resp *gentrev1.BeaconResponse
		err = g.withRelease(ctx, c, func(r *release, e *query.Engine) error {
			if err := beacon.CheckAssembly(q, beacon.StoreAssembly(e.BatchHeaders())); err != nil {
				return err
			}
			contig, err := beacon.Resolve(e, q)
			if err != nil {
				return err
			}
			name := contig
			if name == "" {
				name = q.Contig // not in the store: nothing is found
			}
			canonical := q.Canonical(name)
			c.request = beaconRoute + " " + canonical
			if access.Controlled(c.p.Role, c.action) {
				limit := g.opts.MaxBeaconQueries
				if limit <= 0 {
					limit = beacon.DefaultQueryLimit
				}
				n, err := beacon.NewLedger(g.db).Spend(c.p.User, c.project, r.name, canonical, limit)
				if err != nil {
					return err
				}
				setBeaconHeaders(ctx, n, limit)
			}
			res, err := beacon.Lookup(ctx, e, q, contig, g.opts.MaxFreqRows)
			if err != nil {
				return err
			}
			resp = beaconResponse(g.beaconID(), r.name, q, res)
			return nil
		})
		if err != nil {
			return nil, beaconStatus(err)
		}
		return resp, nil
	})
}

// beaconResponse builds the answer: exists at boolean granularity; exists,
// the number of alleles found and the alleles at count granularity.
func beaconResponse(id, rel string, q *beacon.Query, res *beacon.Result) *gentrev1.BeaconResponse {
	resp := &gentrev1.BeaconResponse{
		Meta: &gentrev1.BeaconMeta{
			BeaconId: id, ApiVersion: beaconAPIVersion, ReturnedGranularity: q.Granularity, Release: rel,
		},
		ResponseSummary: &gentrev1.BeaconResponseSummary{Exists: res.Exists()},
	}
	if q.Granularity == beacon.Count {
		n := int32(len(res.Variants)) // at most MaxFreqRows
		resp.ResponseSummary.NumTotalResults = &n
		for _, v := range res.Variants {
			resp.Variants = append(resp.Variants, &gentrev1.BeaconVariant{
				ReferenceName: v.Contig, Start: int32(v.Start), ReferenceBases: v.Ref, AlternateBases: v.Alt,
			})
		}
	}
	return resp
}

// beaconStatus maps the beacon package's errors to gRPC statuses: a bad
// field 400 (naming it), a range too large 400, the query limit 429.
func beaconStatus(err error) error {
	switch {
	case errors.Is(err, beacon.ErrInvalid):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, beacon.ErrTooMany):
		return status.Errorf(codes.InvalidArgument, "end: the range holds %s; ask for a smaller range",
			strings.TrimPrefix(err.Error(), beacon.ErrTooMany.Error()+": "))
	case errors.Is(err, beacon.ErrLimit):
		return limitError{err}
	}
	return err
}

// limitError is a 429 that still wraps beacon.ErrLimit, so that the audit
// log records the refusal as such.
type limitError struct{ err error }

func (e limitError) Error() string { return e.err.Error() }
func (e limitError) Unwrap() error { return e.err }
func (e limitError) GRPCStatus() *status.Status {
	return status.New(codes.ResourceExhausted, e.err.Error())
}

// setBeaconHeaders reports an industry partner's beacon allowance in
// response metadata: X-Gentre-Beacon-Queries (distinct questions asked on
// this project and data release) and X-Gentre-Beacon-Limit.
func setBeaconHeaders(ctx context.Context, asked, limit int) {
	_ = grpc.SetHeader(ctx, metadata.Pairs(
		"x-gentre-beacon-queries", strconv.Itoa(asked),
		"x-gentre-beacon-limit", strconv.Itoa(limit),
	))
}

// beaconID names this beacon: "org.gentre." and the store folder's base
// name, lower case, with anything but letters, digits and '-' turned into
// '-' (never a path).
func (g *Gateway) beaconID() string {
	base := strings.ToLower(filepath.Base(filepath.Clean(g.dir)))
	b := []byte(base)
	for i, ch := range b {
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-') {
			b[i] = '-'
		}
	}
	name := strings.Trim(string(b), "-")
	if name == "" {
		name = "store"
	}
	return "org.gentre." + name
}
