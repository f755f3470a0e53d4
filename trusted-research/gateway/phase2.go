package gateway

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/gentre/gentre/trusted-research/access"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
)

// The methods below are declared by the API but not built yet (phase 2 of
// the gateway: beacon, airlock, audit reading, the citizen's record). They are not silent: each authenticates, checks the right like
// a real endpoint (401, 403), records the request in the audit log, and
// then returns UNIMPLEMENTED (HTTP 501) saying so. docs/api.md lists them.

func phase2[T proto.Message](ctx context.Context, g *Gateway, action access.Action, project, route string) (T, error) {
	return run(ctx, g, action, project, route, func(c *call) (T, error) {
		var zero T
		return zero, status.Errorf(codes.Unimplemented,
			"%s is not available in this version of gentre (planned: see docs/api.md, \"Not yet\")", route)
	})
}

// Beacon is phase 2.
func (g *Gateway) Beacon(ctx context.Context, req *gentrev1.BeaconRequest) (*gentrev1.BeaconResponse, error) {
	return phase2[*gentrev1.BeaconResponse](ctx, g, access.ActionBeacon, req.GetProject(), "GET /v1/beacon/g_variants")
}

// CreateAirlockRequest is phase 2.
func (g *Gateway) CreateAirlockRequest(ctx context.Context, req *gentrev1.CreateAirlockRequestRequest) (*gentrev1.AirlockRequest, error) {
	return phase2[*gentrev1.AirlockRequest](ctx, g, access.ActionAirlockRequest, req.GetProject(), "POST /v1/airlock/requests")
}

// GetAirlockRequest is phase 2.
func (g *Gateway) GetAirlockRequest(ctx context.Context, req *gentrev1.GetAirlockRequestRequest) (*gentrev1.AirlockRequest, error) {
	return phase2[*gentrev1.AirlockRequest](ctx, g, access.ActionAirlockGet, "", "GET /v1/airlock/requests/{id}")
}

// ListAirlockRequests is phase 2.
func (g *Gateway) ListAirlockRequests(ctx context.Context, req *gentrev1.ListAirlockRequestsRequest) (*gentrev1.ListAirlockRequestsResponse, error) {
	return phase2[*gentrev1.ListAirlockRequestsResponse](ctx, g, access.ActionAirlockGet, req.GetProject(), "GET /v1/airlock/requests")
}

// ReviewAirlockRequest is phase 2.
func (g *Gateway) ReviewAirlockRequest(ctx context.Context, req *gentrev1.ReviewAirlockRequestRequest) (*gentrev1.AirlockRequest, error) {
	return phase2[*gentrev1.AirlockRequest](ctx, g, access.ActionAirlockReview, "", "POST /v1/airlock/requests/{id}:review")
}

// GetAirlockContent is phase 2.
func (g *Gateway) GetAirlockContent(ctx context.Context, req *gentrev1.GetAirlockContentRequest) (*gentrev1.AirlockContent, error) {
	return phase2[*gentrev1.AirlockContent](ctx, g, access.ActionAirlockContent, "", "GET /v1/airlock/requests/{id}/content")
}

// ListAuditEntries is phase 2.
func (g *Gateway) ListAuditEntries(ctx context.Context, req *gentrev1.ListAuditEntriesRequest) (*gentrev1.ListAuditEntriesResponse, error) {
	return phase2[*gentrev1.ListAuditEntriesResponse](ctx, g, access.ActionAuditRead, "", "GET /v1/audit/entries")
}

// VerifyAudit is phase 2 (`gentre audit verify` does it on the host).
func (g *Gateway) VerifyAudit(ctx context.Context, req *gentrev1.VerifyAuditRequest) (*gentrev1.VerifyAuditResponse, error) {
	return phase2[*gentrev1.VerifyAuditResponse](ctx, g, access.ActionAuditVerify, "", "POST /v1/audit:verify")
}

// ListMyUses is phase 2.
func (g *Gateway) ListMyUses(ctx context.Context, req *gentrev1.ListMyUsesRequest) (*gentrev1.ListMyUsesResponse, error) {
	return phase2[*gentrev1.ListMyUsesResponse](ctx, g, access.ActionMeUses, "", "GET /v1/me/uses")
}

// CreateProject is phase 2 (`gentre project create` does it on the host).
func (g *Gateway) CreateProject(ctx context.Context, req *gentrev1.CreateProjectRequest) (*gentrev1.Project, error) {
	return phase2[*gentrev1.Project](ctx, g, access.ActionProjectsCreate, "", "POST /v1/projects")
}

// CreateToken is phase 2 (`gentre token create` does it on the host).
func (g *Gateway) CreateToken(ctx context.Context, req *gentrev1.CreateTokenRequest) (*gentrev1.CreateTokenResponse, error) {
	return phase2[*gentrev1.CreateTokenResponse](ctx, g, access.ActionTokensCreate, "", "POST /v1/tokens")
}

// ListTokens is phase 2.
func (g *Gateway) ListTokens(ctx context.Context, req *gentrev1.ListTokensRequest) (*gentrev1.ListTokensResponse, error) {
	return phase2[*gentrev1.ListTokensResponse](ctx, g, access.ActionTokensList, "", "GET /v1/tokens")
}

// RevokeToken is phase 2.
func (g *Gateway) RevokeToken(ctx context.Context, req *gentrev1.RevokeTokenRequest) (*gentrev1.TokenInfo, error) {
	return phase2[*gentrev1.TokenInfo](ctx, g, access.ActionTokensRevoke, "", "POST /v1/tokens/{id}:revoke")
}
