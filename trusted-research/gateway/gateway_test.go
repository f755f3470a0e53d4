package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/gentre/gentre/trusted-research/access"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
)

// route is one REST endpoint with a request the fixture can answer.
type route struct {
	rpc          string // the gRPC method behind it
	method, path string
	action       access.Action
	body         any // nil for GET
	implemented  bool
}

var routes = []route{
	{"CountCohort", "POST", "/v1/cohorts:count", access.ActionCohortCount, map[string]any{"query": "all"}, true},
	{"Freq", "POST", "/v1/freq", access.ActionFreq, map[string]any{"region": "chr1"}, true},
	{"Freq", "POST", "/v1/freq", access.ActionCaseControl, map[string]any{"region": "chr1", "cohort": "condition(44054006)", "vs": "not condition(44054006)"}, true},
	{"Carriers", "POST", "/v1/carriers", access.ActionCarriers, map[string]any{"variant": "chr1:100:A:G"}, true},
	{"ListProjects", "GET", "/v1/projects", access.ActionProjectsList, nil, true},
	{"Coverage", "POST", "/v1/coverage", access.ActionCoverage, map[string]any{"region": "chr1"}, true},
	{"Beacon", "POST", "/v1/beacon/g_variants", access.ActionBeacon, map[string]any{"referenceName": "chr1", "start": 99, "referenceBases": "A", "alternateBases": "G"}, true},
	{"CreateAirlockRequest", "POST", "/v1/airlock/requests", access.ActionAirlockRequest, map[string]any{"justification": "table 2", "queries": []string{"count all"}}, true},
	{"GetAirlockRequest", "GET", "/v1/airlock/requests/r1", access.ActionAirlockGet, nil, true}, // no request r1: 404 when allowed (also :review, /content)
	{"ListAirlockRequests", "GET", "/v1/airlock/requests", access.ActionAirlockGet, nil, true},
	{"ReviewAirlockRequest", "POST", "/v1/airlock/requests/r1:review", access.ActionAirlockReview, map[string]any{"decision": "approve"}, true},
	{"GetAirlockContent", "GET", "/v1/airlock/requests/r1/content", access.ActionAirlockContent, nil, true},
	{"ListAuditEntries", "GET", "/v1/audit/entries", access.ActionAuditRead, nil, true},
	{"GetAuditConsistency", "GET", "/v1/audit/consistency?oldSize=0", access.ActionAuditRead, nil, true},
	{"VerifyAudit", "POST", "/v1/audit:verify", access.ActionAuditVerify, map[string]any{}, true},
	{"ListMyUses", "GET", "/v1/me/uses", access.ActionMeUses, nil, true},
	{"CreateProject", "POST", "/v1/projects", access.ActionProjectsCreate, map[string]any{"name": "p2", "purpose": "research"}, true},
	{"CreateToken", "POST", "/v1/tokens", access.ActionTokensCreate, map[string]any{"user": "u9", "role": "researcher", "project": projStudy}, true},
	{"ListTokens", "GET", "/v1/tokens", access.ActionTokensList, nil, true},
	{"RevokeToken", "POST", "/v1/tokens/0000000000000000:revoke", access.ActionTokensRevoke, map[string]any{}, true}, // no such token: 404 when allowed
}

// notExposed are matrix actions the API does not offer in this version
// (they are done on the host with the command line).
var notExposed = []access.Action{
	access.ActionIngest, access.ActionOptOut,
}

func (s *server) call(r route, token string) reply {
	s.t.Helper()
	if r.body == nil {
		return s.do(r.method, r.path, token, "")
	}
	return s.post(r.path, token, r.body)
}

func TestRoutesCoverTheService(t *testing.T) {
	methods := gentrev1.File_gentre_v1_gentre_proto.Services().ByName("Gentre").Methods()
	for i := 0; i < methods.Len(); i++ {
		name := string(methods.Get(i).Name())
		if !slices.ContainsFunc(routes, func(r route) bool { return r.rpc == name }) {
			t.Errorf("method %s has no route in the tests", name)
		}
	}
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(gentrev1.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	n, bindings := 0, 0
	for _, ops := range doc.Paths {
		n += len(ops)
	}
	for i := 0; i < methods.Len(); i++ {
		rule := proto.GetExtension(methods.Get(i).Options(), annotations.E_Http).(*annotations.HttpRule)
		bindings += 1 + len(rule.GetAdditionalBindings())
	}
	if n != bindings {
		t.Errorf("OpenAPI has %d operations, the service's HTTP bindings %d", n, bindings)
	}
}

func TestHealthAndOpenAPIWithoutToken(t *testing.T) {
	s := startServer(t, serverOpts{})
	r := s.do("GET", "/healthz", "", "")
	if r.status != 200 || r.json["status"] != "ok" {
		t.Fatalf("healthz: %d %s", r.status, r.body)
	}
	r = s.do("GET", "/openapi.json", "", "")
	if r.status != 200 || r.json["swagger"] != "2.0" || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json: %d %.200s", r.status, r.body)
	}
	paths, _ := r.json["paths"].(map[string]any)
	for _, p := range []string{"/v1/cohorts:count", "/v1/freq", "/v1/carriers", "/v1/projects", "/v1/me/uses"} {
		if _, ok := paths[p]; !ok {
			t.Errorf("openapi.json lacks %s", p)
		}
	}
	if _, ok := r.json["securityDefinitions"]; !ok {
		t.Error("openapi.json declares no bearer security")
	}
	// The same over gRPC: the standard health service, no token.
	conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hr, err := healthpb.NewHealthClient(conn).Check(s.ctx(""), &healthpb.HealthCheckRequest{})
	if err != nil || hr.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("gRPC health: %v %v", hr, err)
	}
}

func TestUnauthenticated(t *testing.T) {
	s := startServer(t, serverOpts{})
	before := s.g.AuditLog().Size()
	unknown := "gtr_" + strings.Repeat("A", 43) // well-formed, never issued
	for _, r := range routes {
		for _, auth := range []string{"", "Bearer " + unknown, "Bearer not-a-token", "Basic " + s.tokens["researcher"], s.tokens["researcher"]} {
			var body io.Reader
			if r.method == "POST" {
				body = strings.NewReader(`{}`)
			}
			req, _ := http.NewRequest(r.method, s.base+r.path, body)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s with Authorization %.12q: %d (WWW-Authenticate %q), want 401", r.method, r.path, auth, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
		}
	}
	// Every gRPC method, without a token and with an unknown one.
	conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	methods := gentrev1.File_gentre_v1_gentre_proto.Services().ByName("Gentre").Methods()
	for i := 0; i < methods.Len(); i++ {
		name := "/gentre.v1.Gentre/" + string(methods.Get(i).Name())
		for _, tok := range []string{"", unknown} {
			err := conn.Invoke(s.ctx(tok), name, &emptypb.Empty{}, &emptypb.Empty{})
			if status.Code(err) != codes.Unauthenticated {
				t.Errorf("gRPC %s token %q: %v, want Unauthenticated", name, tok, err)
			}
		}
	}
	// Each refusal is in the audit log, as an anonymous denial.
	after := s.g.AuditLog().Size()
	want := uint64(len(routes)*5 + methods.Len()*2)
	if after-before != want {
		t.Fatalf("audit log grew by %d entries, want %d", after-before, want)
	}
	e := auditEntry(t, s, after-1)
	if e.Actor != anonymous || e.Decision != "denied: unauthenticated" || !e.Result.IsZero() {
		t.Fatalf("last audit entry: %+v", e)
	}
}

// TestMatrix checks every role against every endpoint, cell by cell of
// the permission matrix.
func TestMatrix(t *testing.T) {
	s := startServer(t, serverOpts{})
	cells, wantCells := 0, 0
	for _, rule := range access.Matrix() {
		var rs []route
		for _, r := range routes {
			if r.action == rule.Action {
				rs = append(rs, r)
			}
		}
		if len(rs) == 0 {
			if !slices.Contains(notExposed, rule.Action) {
				t.Errorf("matrix action %q has no endpoint and is not listed as not exposed", rule.Action)
			}
			continue
		}
		for _, r := range rs {
			wantCells += len(access.Roles())
			for _, role := range access.Roles() {
				cells++
				grant := rule.Grant(role)
				want := http.StatusForbidden
				switch {
				case !grant.Allowed():
				case !r.implemented:
					want = http.StatusNotImplemented
				case r.rpc == "RevokeToken":
					want = http.StatusNotFound // allowed, and the fixture has no token of that id (admin_test.go revokes real ones)
				case strings.HasPrefix(r.path, "/v1/airlock/requests/r1"):
					want = http.StatusNotFound // allowed, and there is no request r1 (airlock_test.go reviews real ones)
				default:
					want = http.StatusOK
				}
				got := s.call(r, s.tokens[string(role)])
				if got.status != want {
					t.Errorf("%s × %s (%s %s): %d %s, want %d", role, rule.Action, r.method, r.path, got.status, got.body, want)
					continue
				}
				if want == http.StatusForbidden {
					msg, _ := got.json["message"].(string)
					if !strings.Contains(msg, "forbidden") {
						t.Errorf("%s × %s: 403 message %q", role, rule.Action, msg)
					}
				}
			}
		}
	}
	// 14 matrix rows have endpoints (case_control through freq with vs).
	if cells != wantCells || cells < 14*len(access.Roles()) {
		t.Fatalf("checked %d cells, want %d (at least %d)", cells, wantCells, 14*len(access.Roles()))
	}
}

func TestOtherProjectForbidden(t *testing.T) {
	s := startServer(t, serverOpts{})
	tok := s.tokens["researcher-other"] // bound to projOther
	for _, r := range routes {
		if rule, _ := access.RuleOf(r.action); r.body == nil || !r.implemented || rule.Scope != access.ScopeProject {
			continue // store-wide actions name no project
		}
		if !access.GrantOf(access.Researcher, r.action).Allowed() {
			continue // airlock reviews are the output checker's (airlock_test.go covers other projects)
		}
		body := map[string]any{"project": projStudy}
		for k, v := range r.body.(map[string]any) {
			body[k] = v
		}
		got := s.post(r.path, tok, body)
		if got.status != http.StatusForbidden {
			t.Errorf("%s for another project: %d %s, want 403", r.path, got.status, got.body)
		}
		if strings.Contains(string(got.body), projStudy) || strings.Contains(string(got.body), projOther) {
			t.Errorf("%s: the refusal names a project: %s", r.path, got.body)
		}
		// Naming its own project is fine.
		body["project"] = projOther
		if got := s.post(r.path, tok, body); got.status != http.StatusOK {
			t.Errorf("%s for its own project: %d %s", r.path, got.status, got.body)
		}
	}
	// Over gRPC too.
	_, err := s.client(s.addr).CountCohort(s.ctx(tok), &gentrev1.CountCohortRequest{Query: "all", Project: projStudy})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("gRPC count for another project: %v", err)
	}
	// A planning project admits researchers but never carriers.
	if got := s.post("/v1/carriers", s.tokens["researcher-plan"], map[string]any{"variant": "chr1:100:A:G"}); got.status != http.StatusForbidden {
		t.Fatalf("carriers in a planning project: %d %s", got.status, got.body)
	}
	if got := s.post("/v1/cohorts:count", s.tokens["researcher-plan"], map[string]any{"query": "all"}); got.status != http.StatusOK {
		t.Fatalf("count in a planning project: %d %s", got.status, got.body)
	}
}

func TestBadRequests(t *testing.T) {
	s := startServer(t, serverOpts{})
	tok := s.tokens["researcher"]
	for _, tc := range []struct {
		path string
		body string
		code int
		want string
	}{
		{"/v1/cohorts:count", `{"querry": "all"}`, 400, "querry"},
		{"/v1/cohorts:count", `{"query": ""}`, 400, "empty cohort"},
		{"/v1/cohorts:count", `{"query": "sex(female"}`, 400, "query: query syntax: column 5: expected ) to close sex("},
		{"/v1/cohorts:count", `{"query": "all by sex"}`, 400, "by field"},
		{"/v1/cohorts:count", `{"query": "all", "by": "height"}`, 400, "by"},
		{"/v1/cohorts:count", `{"query": "condition(<<44054006)"}`, 400, "SNOMED"},
		{"/v1/cohorts:count", `{"query": "` + strings.Repeat("(", 9000) + `"}`, 400, "longer than"},
		{"/v1/freq", `{"region": "chr1 in all"}`, 400, "cohort"},
		{"/v1/freq", `{"region": "chr9"}`, 404, "chr9"},
		{"/v1/carriers", `{"variant": "chr1:100:A:C"}`, 404, "not in the store"},
		{"/v1/carriers", `{"variant": "chr1:100"}`, 400, "variant"},
		{"/v1/cohorts:count", `not json`, 400, ""},
	} {
		got := s.do("POST", tc.path, tok, tc.body)
		msg, _ := got.json["message"].(string)
		if got.status != tc.code || !strings.Contains(msg, tc.want) {
			t.Errorf("%s %.40s: %d %q, want %d containing %q", tc.path, tc.body, got.status, msg, tc.code, tc.want)
		}
	}
}
