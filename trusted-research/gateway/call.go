package gateway

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/gentre/gentre/engine/query"
	"github.com/gentre/gentre/trusted-research/access"
	"github.com/gentre/gentre/trusted-research/audit"
	"github.com/gentre/gentre/trusted-research/beacon"
	"github.com/gentre/gentre/trusted-research/disclosure"
)

// call is one API request on its way through the gateway: who, what, and
// what the audit log will say about it.
type call struct {
	p       *access.Principal
	action  access.Action
	project string // the project the request runs in ("" for store-wide actions)
	// request is what the audit log records as the request: the route, then
	// the canonical query once parsed (never the raw text of a request that
	// did not parse, nor anything from an unauthenticated one).
	request  string
	release  uint64
	decision string // set by handlers whose success needs qualifying
}

// Decisions recorded in the audit log.
const (
	decisionAllowed    = "allowed"
	decisionReleased   = "released"         // disclosure-controlled answer, newly released
	decisionCached     = "released: cached" // the same question answered again from the cache
	decisionSuppressed = "released: suppressed"
)

// anonymous is the audit actor of a request without a valid token.
const anonymous = "anonymous"

// run is the one path every API method takes: authenticate, check the
// right, run fn, record the request in the audit log, and only then
// answer. project is the project the request names ("" for the token's
// own). fn's errors are mapped to gRPC codes (and so HTTP statuses) by
// statusOf.
func run[T proto.Message](ctx context.Context, g *Gateway, action access.Action, project, route string, fn func(c *call) (T, error)) (T, error) {
	var zero T
	c := &call{action: action, request: route}
	addr := clientAddr(ctx)
	if blocked, first := g.authLimit.blocked(addr); blocked {
		// Only the window's first refusal is audited: a client without a
		// token must not be able to make the gateway write at will.
		if first {
			if aerr := g.record(c, "denied: too many failed authentications", nil); aerr != nil {
				return zero, aerr
			}
		}
		return zero, status.Error(codes.ResourceExhausted, "too many failed authentications from this address: wait a minute")
	}
	p, err := g.authenticate(ctx)
	if err != nil {
		if errors.Is(err, access.ErrUnauthenticated) {
			g.authLimit.fail(addr)
			if aerr := g.record(c, "denied: unauthenticated", nil); aerr != nil {
				return zero, aerr
			}
			return zero, status.Error(codes.Unauthenticated, access.ErrUnauthenticated.Error())
		}
		g.opts.Logf("authentication failed on the database: %v", err)
		return zero, status.Error(codes.Internal, "internal error: the token could not be checked")
	}
	c.p = p
	if err := access.Allowed(p, action, project); err != nil {
		if aerr := g.record(c, "denied: "+err.Error(), nil); aerr != nil {
			return zero, aerr
		}
		return zero, statusOf(err, g)
	}
	if p.Role.NeedsProject() {
		c.project = p.Project // Allowed checked that project is "" or this one
	}
	resp, err := fn(c)
	st := statusOf(err, g)
	var answer []byte
	decision := c.decision
	if err != nil {
		decision = decisionOf(err)
	} else {
		if answer, err = (proto.MarshalOptions{Deterministic: true}).Marshal(resp); err != nil {
			g.opts.Logf("encoding an answer for the audit digest: %v", err)
			return zero, status.Error(codes.Internal, "internal error: the answer could not be encoded")
		}
		if decision == "" {
			decision = decisionAllowed
		}
	}
	if aerr := g.record(c, decision, answer); aerr != nil {
		return zero, aerr
	}
	if err != nil {
		return zero, st
	}
	return resp, nil
}

// authenticate reads the bearer token from the request's metadata (gRPC
// "authorization", or the HTTP Authorization header, which grpc-gateway
// passes on under the same key).
func (g *Gateway) authenticate(ctx context.Context) (*access.Principal, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) != 1 {
		return nil, access.ErrUnauthenticated
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(vals[0]), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return nil, access.ErrUnauthenticated
	}
	return g.acc.Authenticate(strings.TrimSpace(token))
}

// record appends the audit entry of a call. If it cannot, the answer is
// withheld: nothing leaves unrecorded.
func (g *Gateway) record(c *call, decision string, answer []byte) error {
	e := audit.Entry{
		Actor:    anonymous,
		Project:  c.project,
		Action:   string(c.action),
		Request:  c.request,
		Decision: decision,
		Release:  c.release,
	}
	if c.p != nil {
		e.Actor, e.Role, e.Purpose = c.p.User, string(c.p.Role), string(c.p.Purpose)
	}
	if answer != nil {
		e.Result = audit.DigestOf(answer)
	}
	if _, err := g.log.Append(e); err != nil {
		g.opts.Logf("audit log append failed (answer withheld): %v", err)
		return status.Error(codes.Internal, "internal error: the audit log could not record this request, so no answer is given")
	}
	return nil
}

// decisionOf says in the audit log why a request got no answer.
func decisionOf(err error) string {
	switch {
	case errors.Is(err, disclosure.ErrBudgetExhausted):
		return "refused: privacy budget exhausted"
	case errors.Is(err, beacon.ErrLimit):
		return "refused: beacon query limit"
	case errors.Is(err, disclosure.ErrDisclosure):
		return "refused: disclosure control"
	case errors.Is(err, access.ErrForbidden):
		return "denied: " + err.Error()
	}
	if s, ok := status.FromError(err); ok {
		if s.Code() == codes.PermissionDenied {
			return "denied: " + s.Message()
		}
		return "error: " + s.Code().String()
	}
	return "error: " + status.Code(statusOf(err, nil)).String()
}

// statusOf maps an error to a gRPC status (and so, through grpc-gateway,
// an HTTP status): 401 Unauthenticated, 403 PermissionDenied (access and
// disclosure refusals), 429 ResourceExhausted (privacy budget), 400
// InvalidArgument / FailedPrecondition / OutOfRange, 404 NotFound, 500
// Internal (logged, with a message that says nothing of the data).
func statusOf(err error, g *Gateway) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(interface{ GRPCStatus() *status.Status }); ok {
		return err
	}
	var code codes.Code
	switch {
	case errors.Is(err, access.ErrUnauthenticated):
		code = codes.Unauthenticated
	case errors.Is(err, access.ErrForbidden), errors.Is(err, disclosure.ErrDisclosure):
		code = codes.PermissionDenied
	case errors.Is(err, disclosure.ErrBudgetExhausted):
		code = codes.ResourceExhausted
	case errors.Is(err, query.ErrSyntax):
		code = codes.InvalidArgument
	case errors.Is(err, query.ErrNotFound):
		code = codes.NotFound
	case errors.Is(err, query.ErrUnsupported):
		code = codes.FailedPrecondition
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	default:
		if g != nil {
			g.opts.Logf("internal error: %v", err)
		}
		return status.Error(codes.Internal, "internal error")
	}
	return status.Error(code, err.Error())
}

// invalid is a 400 with a message for the caller.
func invalid(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}
