package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gentre/gentre/trusted-research/access"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
)

// The administration endpoints do through the API what `gentre project
// create` and `gentre token create` do on the host, with the same
// validation and messages (those of package access), so that projects and
// tokens can be made while the gateway holds tre.db. Values from a request
// reach the audit log only once validated (a user ID cannot hold an NHS
// number; an NHS number never does).

// CreateProject creates a project (action projects.create).
func (g *Gateway) CreateProject(ctx context.Context, req *gentrev1.CreateProjectRequest) (*gentrev1.Project, error) {
	return run(ctx, g, access.ActionProjectsCreate, "", "POST /v1/projects", func(c *call) (*gentrev1.Project, error) {
		switch {
		case req.GetName() == "":
			return nil, invalid("name: required")
		case req.GetPurpose() == "":
			return nil, invalid("purpose: required (research, planning or care)")
		}
		if err := access.ValidateProjectName(req.GetName()); err != nil {
			return nil, invalid("name: %v", err)
		}
		purpose, err := access.ParsePurpose(req.GetPurpose())
		if err != nil {
			return nil, invalid("purpose: %v", err)
		}
		spec := access.ProjectSpec{Name: req.GetName(), Purpose: purpose}
		c.request += " name=" + spec.Name + " purpose=" + string(purpose)
		if req.End != nil {
			if err := req.GetEnd().CheckValid(); err != nil {
				return nil, invalid("end: not a valid time")
			}
			spec.End = req.GetEnd().AsTime()
			if spec.End.IsZero() {
				return nil, invalid("end: not a valid time")
			}
			c.request += " end=" + spec.End.UTC().Format(time.RFC3339Nano)
		}
		p, err := g.acc.CreateProject(spec)
		if err != nil {
			return nil, accessStatus(err)
		}
		return &gentrev1.Project{
			Name: p.Name, Purpose: string(p.Purpose), Created: timestamppb.New(p.Created), End: timestamppb.New(p.End),
		}, nil
	})
}

// CreateToken creates a token (action tokens.create) of a role
// access.CanIssue lets the caller issue: not data-manager or auditor
// tokens, which are made on the host. A citizen token is bound to the
// person pseudonym of nhs_number under the store key; the number itself is
// not stored, logged, audited or returned.
func (g *Gateway) CreateToken(ctx context.Context, req *gentrev1.CreateTokenRequest) (*gentrev1.CreateTokenResponse, error) {
	return run(ctx, g, access.ActionTokensCreate, "", "POST /v1/tokens", func(c *call) (*gentrev1.CreateTokenResponse, error) {
		switch {
		case req.GetUser() == "":
			return nil, invalid("user: required")
		case req.GetRole() == "":
			return nil, invalid("role: required (researcher, industry, output-checker or citizen)")
		}
		role, err := access.ParseRole(req.GetRole())
		if err != nil {
			return nil, invalid("role: %v", err)
		}
		if err := access.CanIssue(c.p, role); err != nil {
			return nil, accessStatus(err)
		}
		if err := access.ValidateUserID(req.GetUser()); err != nil {
			return nil, invalid("user: %v", err)
		}
		spec := access.TokenSpec{User: req.GetUser(), Role: role, Project: req.GetProject()}
		if spec.Project != "" {
			if err := access.ValidateProjectName(spec.Project); err != nil {
				return nil, invalid("project: %v", err)
			}
		}
		if nhs := req.GetNhsNumber(); nhs != "" {
			p, err := access.CitizenPseudonym(g.opts.Key, nhs)
			if err != nil {
				return nil, invalid("nhs_number: %v", err) // the reason, never the number
			}
			spec.Person = &p
		}
		c.request += " user=" + spec.User + " role=" + string(role)
		if spec.Project != "" {
			c.request += " project=" + spec.Project
		}
		if req.Expires != nil {
			if err := req.GetExpires().CheckValid(); err != nil {
				return nil, invalid("expires: not a valid time")
			}
			exp := req.GetExpires().AsTime()
			ttl := exp.Sub(g.accessNow())
			if ttl <= 0 {
				return nil, invalid("expires: not in the future")
			}
			spec.TTL = ttl
			c.request += " expires=" + exp.UTC().Format(time.RFC3339Nano)
		}
		token, info, err := g.acc.CreateToken(spec)
		if err != nil {
			return nil, accessStatus(err)
		}
		c.request += " id=" + info.ID // the new token's public id, for revocation records
		return &gentrev1.CreateTokenResponse{Token: token, Info: tokenInfo(info)}, nil
	})
}

// ListTokens lists every token, revoked and expired ones included, oldest
// first, without secrets (action tokens.list).
func (g *Gateway) ListTokens(ctx context.Context, req *gentrev1.ListTokensRequest) (*gentrev1.ListTokensResponse, error) {
	return run(ctx, g, access.ActionTokensList, "", "GET /v1/tokens", func(c *call) (*gentrev1.ListTokensResponse, error) {
		infos, err := g.acc.ListTokens()
		if err != nil {
			return nil, accessStatus(err)
		}
		resp := &gentrev1.ListTokensResponse{}
		for _, t := range infos {
			resp.Tokens = append(resp.Tokens, tokenInfo(t))
		}
		return resp, nil
	})
}

// RevokeToken revokes a token by its id (action tokens.revoke). Any token
// may be revoked, data-manager and auditor tokens included: revoking only
// takes access away, and each revocation is in the audit log. Revoking a
// revoked token is not an error.
func (g *Gateway) RevokeToken(ctx context.Context, req *gentrev1.RevokeTokenRequest) (*gentrev1.TokenInfo, error) {
	return run(ctx, g, access.ActionTokensRevoke, "", "POST /v1/tokens/{id}:revoke", func(c *call) (*gentrev1.TokenInfo, error) {
		id := req.GetId()
		if len(id) != 16 || strings.Trim(id, "0123456789abcdef") != "" {
			return nil, invalid("id: want the token's id, 16 lower-case hex digits (GET /v1/tokens lists them)")
		}
		c.request = "POST /v1/tokens/" + id + ":revoke"
		if err := g.acc.Revoke(id); err != nil {
			return nil, accessStatus(err)
		}
		infos, err := g.acc.ListTokens()
		if err != nil {
			return nil, accessStatus(err)
		}
		for _, t := range infos {
			if t.ID == id {
				return tokenInfo(t), nil
			}
		}
		return nil, fmt.Errorf("gateway: token revoked but not listed")
	})
}

// accessNow is the access store's clock (Options.Access.Now), which judges
// token expiry.
func (g *Gateway) accessNow() time.Time {
	if g.opts.Access.Now != nil {
		return g.opts.Access.Now()
	}
	return time.Now()
}

func tokenInfo(t access.TokenInfo) *gentrev1.TokenInfo {
	return &gentrev1.TokenInfo{
		Id: t.ID, User: t.User, Role: string(t.Role), Project: t.Project,
		Created: timestamppb.New(t.Created), Expires: timestamppb.New(t.Expires), Revoked: t.Revoked,
	}
}

// accessStatus maps package access's errors to gRPC statuses: invalid
// 400, not found 404, exists 409, forbidden 403. Their messages name
// fields and reasons, never a secret or an NHS number.
func accessStatus(err error) error {
	var code codes.Code
	switch {
	case errors.Is(err, access.ErrForbidden):
		code = codes.PermissionDenied
	case errors.Is(err, access.ErrInvalid):
		code = codes.InvalidArgument
	case errors.Is(err, access.ErrNotFound):
		code = codes.NotFound
	case errors.Is(err, access.ErrExists):
		code = codes.AlreadyExists
	default:
		return err // statusOf: 500, logged
	}
	return status.Error(code, strings.TrimPrefix(err.Error(), "access: "))
}
