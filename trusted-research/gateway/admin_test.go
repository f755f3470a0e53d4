package gateway

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gentre/gentre/trusted-research/access"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
)

func TestAdminProjects(t *testing.T) {
	s := startServer(t, serverOpts{})
	dm := s.tokens["data-manager"]
	end := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	r := s.post("/v1/projects", dm, map[string]any{"name": "asthma-audit", "purpose": "planning", "end": end.Format(time.RFC3339)})
	if r.status != 200 || r.json["name"] != "asthma-audit" || r.json["purpose"] != "planning" || r.json["end"] != end.Format(time.RFC3339) {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	p, err := s.g.Access().Project("asthma-audit")
	if err != nil || !p.End.Equal(end) || p.Purpose != access.PurposePlanning {
		t.Fatalf("stored: %+v %v", p, err)
	}
	// Without end: the default term (a year).
	r = s.post("/v1/projects", dm, map[string]any{"name": "gwas-2", "purpose": "research"})
	created, _ := time.Parse(time.RFC3339Nano, r.json["created"].(string))
	if gotEnd, err := time.Parse(time.RFC3339Nano, r.json["end"].(string)); r.status != 200 || err != nil ||
		!gotEnd.Equal(created.Add(access.DefaultProjectTerm)) {
		t.Fatalf("default end: %d %s", r.status, r.body)
	}
	for _, tc := range []struct {
		body map[string]any
		code int
		want string
	}{
		{map[string]any{"purpose": "research"}, 400, "name: required"},
		{map[string]any{"name": "x"}, 400, "purpose: required"},
		{map[string]any{"name": "Gwas", "purpose": "research"}, 400, "name: invalid project name: upper-case letter"},
		{map[string]any{"name": "x y", "purpose": "research"}, 400, "name: invalid project name"},
		{map[string]any{"name": "x", "purpose": "marketing"}, 400, `purpose: invalid purpose "marketing": want research, planning or care`},
		{map[string]any{"name": "x", "purpose": "research", "end": "2001-01-01T00:00:00Z"}, 400, "project end: not in the future"},
		{map[string]any{"name": "asthma-audit", "purpose": "research"}, 409, `project "asthma-audit": already exists`},
		{map[string]any{"name": "x", "purpose": "research", "settings": "x"}, 400, "settings"},
	} {
		r := s.post("/v1/projects", dm, tc.body)
		if msg, _ := r.json["message"].(string); r.status != tc.code || !strings.Contains(msg, tc.want) {
			t.Errorf("%v: %d %s, want %d %q", tc.body, r.status, r.body, tc.code, tc.want)
		}
	}
	for _, role := range []string{"researcher", "industry", "auditor", "citizen", "output-checker"} {
		if r := s.post("/v1/projects", s.tokens[role], map[string]any{"name": "z", "purpose": "research"}); r.status != 403 {
			t.Errorf("%s creates a project: %d %s", role, r.status, r.body)
		}
	}
	// The audit entry records the validated request.
	before := s.g.AuditLog().Size()
	s.post("/v1/projects", dm, map[string]any{"name": "audited", "purpose": "care"})
	if e := auditEntry(t, s, before); e.Action != "projects.create" || e.Decision != "allowed" || e.Request != "POST /v1/projects name=audited purpose=care" {
		t.Fatalf("audit entry: %+v", e)
	}
}

func TestAdminTokens(t *testing.T) {
	s := startServer(t, serverOpts{})
	dm := s.tokens["data-manager"]
	r := s.post("/v1/tokens", dm, map[string]any{"user": "dave", "role": "researcher", "project": projStudy})
	if r.status != 200 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	token := r.json["token"].(string)
	info := r.json["info"].(map[string]any)
	id := info["id"].(string)
	if !access.LooksLikeToken(token) || id != access.TokenID(token) || info["user"] != "dave" || info["role"] != "researcher" ||
		info["project"] != projStudy || info["revoked"] != false {
		t.Fatalf("create: %s", r.body)
	}
	// A created token authenticates.
	if r := s.post("/v1/cohorts:count", token, map[string]any{"query": "all"}); r.status != 200 || number(t, "count", r.json["count"]) != nPeople {
		t.Fatalf("the new token: %d %s", r.status, r.body)
	}
	// Listed, without secrets.
	r = s.do("GET", "/v1/tokens", dm, "")
	if r.status != 200 || strings.Contains(string(r.body), token) || strings.Contains(string(r.body), token[4:20]) {
		t.Fatalf("list: %d", r.status)
	}
	listed := map[string]map[string]any{}
	for _, x := range r.json["tokens"].([]any) {
		m := x.(map[string]any)
		listed[m["id"].(string)] = m
	}
	if len(listed) != len(s.tokens)+1 || listed[id]["user"] != "dave" || listed[id]["revoked"] != false {
		t.Fatalf("list: %s", r.body)
	}
	// Revoked: 401 from then on; revoking again is not an error.
	before := s.g.AuditLog().Size()
	r = s.post("/v1/tokens/"+id+":revoke", dm, map[string]any{})
	if r.status != 200 || r.json["id"] != id || r.json["revoked"] != true {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if e := auditEntry(t, s, before); e.Action != "tokens.revoke" || e.Request != "POST /v1/tokens/"+id+":revoke" || e.Decision != "allowed" {
		t.Fatalf("revoke audit entry: %+v", e)
	}
	if r := s.post("/v1/cohorts:count", token, map[string]any{"query": "all"}); r.status != 401 {
		t.Fatalf("a revoked token: %d %s", r.status, r.body)
	}
	if r := s.post("/v1/tokens/"+id+":revoke", dm, map[string]any{}); r.status != 200 || r.json["revoked"] != true {
		t.Fatalf("revoke again: %d %s", r.status, r.body)
	}
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/v1/tokens/0123456789abcdef:revoke", 404, "not found"},
		{"/v1/tokens/xyz:revoke", 400, "id: want the token's id"},
		{"/v1/tokens/0123456789ABCDEF:revoke", 400, "id: want the token's id"},
	} {
		r := s.post(tc.path, dm, map[string]any{})
		if msg, _ := r.json["message"].(string); r.status != tc.code || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %s", tc.path, r.status, r.body)
		}
	}

	// Expiry.
	exp := time.Now().Add(72 * time.Hour).UTC()
	r = s.post("/v1/tokens", dm, map[string]any{"user": "erin", "role": "output-checker", "project": projStudy, "expires": exp.Format(time.RFC3339Nano)})
	if got, _ := time.Parse(time.RFC3339Nano, r.json["info"].(map[string]any)["expires"].(string)); r.status != 200 || got.Sub(exp).Abs() > time.Second {
		t.Fatalf("expires: %d %s", r.status, r.body)
	}

	// Refusals: the same rules, and messages, as gentre token create.
	for _, tc := range []struct {
		token string
		body  map[string]any
		code  int
		want  string
	}{
		{"industry", map[string]any{"user": "x", "role": "researcher", "project": projStudy}, 403, `forbidden: role "industry" may not "tokens.create"`},
		{"researcher", map[string]any{"user": "x", "role": "researcher", "project": projStudy}, 403, "forbidden"},
		{"auditor", map[string]any{"user": "x", "role": "citizen"}, 403, "forbidden"},
		{"data-manager", map[string]any{"user": "x", "role": "data-manager"}, 403, `may not issue "data-manager" tokens through the API`},
		{"data-manager", map[string]any{"user": "x", "role": "auditor"}, 403, `may not issue "auditor" tokens through the API`},
		{"data-manager", map[string]any{"role": "researcher", "project": projStudy}, 400, "user: required"},
		{"data-manager", map[string]any{"user": "x", "project": projStudy}, 400, "role: required"},
		{"data-manager", map[string]any{"user": "x", "role": "wizard"}, 400, `role: invalid role "wizard"`},
		{"data-manager", map[string]any{"user": "x", "role": "researcher"}, 400, "role researcher needs a project"},
		{"data-manager", map[string]any{"user": "x", "role": "researcher", "project": "no-such"}, 404, `project "no-such": not found`},
		{"data-manager", map[string]any{"user": "x", "role": "industry", "project": projPlan}, 400, "role industry may not work in a planning project"},
		{"data-manager", map[string]any{"user": "x", "role": "citizen"}, 400, "role citizen needs the person's NHS number"},
		{"data-manager", map[string]any{"user": "x y", "role": "researcher", "project": projStudy}, 400, "user: invalid user ID"},
		{"data-manager", map[string]any{"user": "x", "role": "researcher", "project": projStudy, "expires": "2001-01-01T00:00:00Z"}, 400, "expires: not in the future"},
		{"data-manager", map[string]any{"user": "x", "role": "researcher", "project": projStudy, "expires": "2999-01-01T00:00:00Z"}, 400, "exceeds the maximum"},
	} {
		r := s.post("/v1/tokens", s.tokens[tc.token], tc.body)
		if msg, _ := r.json["message"].(string); r.status != tc.code || !strings.Contains(msg, tc.want) || r.json["token"] != nil {
			t.Errorf("%s %v: %d %s, want %d %q", tc.token, tc.body, r.status, r.body, tc.code, tc.want)
		}
	}
	// A user ID that could be an NHS number is refused and not audited.
	before = s.g.AuditLog().Size()
	if r := s.post("/v1/tokens", dm, map[string]any{"user": "9434765919", "role": "researcher", "project": projStudy}); r.status != 400 {
		t.Fatalf("a 10-digit user: %d %s", r.status, r.body)
	}
	if e := auditEntry(t, s, before); e.Request != "POST /v1/tokens" || !strings.HasPrefix(e.Decision, "error: ") {
		t.Fatalf("audit entry of a refused user ID: %+v", e)
	}
	// gRPC: the same methods.
	c := s.client(s.addr)
	resp, err := c.CreateToken(s.ctx(dm), &gentrev1.CreateTokenRequest{User: "frank", Role: "industry", Project: projStudy,
		Expires: timestamppb.New(time.Now().Add(time.Hour))})
	if err != nil || resp.GetInfo().GetRole() != "industry" {
		t.Fatalf("gRPC create: %v %v", resp, err)
	}
	if _, err := c.RevokeToken(s.ctx(s.tokens["industry"]), &gentrev1.RevokeTokenRequest{Id: resp.GetInfo().GetId()}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("industry revokes: %v", err)
	}
	if _, err := c.ListTokens(s.ctx(s.tokens["auditor"]), &gentrev1.ListTokensRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("auditor lists tokens: %v", err)
	}
	if info, err := c.RevokeToken(s.ctx(dm), &gentrev1.RevokeTokenRequest{Id: resp.GetInfo().GetId()}); err != nil || !info.GetRevoked() {
		t.Fatalf("gRPC revoke: %v %v", info, err)
	}
}

// TestAdminCitizenToken: a citizen token is bound to the pseudonym of the
// NHS number given; the number is nowhere: not in the answer, the audit
// log, tre.db or an error.
func TestAdminCitizenToken(t *testing.T) {
	s := startServer(t, serverOpts{})
	dm := s.tokens["data-manager"]
	created := s.g.AuditLog().Size()
	nhs := nhsNumber(t, 11) // a person of the fixture
	spaced := nhs[:3] + " " + nhs[3:6] + " " + nhs[6:]
	r := s.post("/v1/tokens", dm, map[string]any{"user": "citizen-11", "role": "citizen", "nhs_number": spaced})
	if r.status != 200 || r.json["info"].(map[string]any)["role"] != "citizen" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	token := r.json["token"].(string)
	if strings.Contains(string(r.body), nhs) || strings.Contains(string(r.body), spaced) {
		t.Fatal("the answer echoes the NHS number")
	}
	p, err := s.g.Access().Authenticate(token)
	want, _ := access.CitizenPseudonym(s.key, nhs)
	if err != nil || p.Role != access.Citizen || p.Person != want {
		t.Fatalf("the token's principal: %+v %v", p, err)
	}
	// It authenticates over the API: a citizen may not list projects (403,
	// not 401).
	if r := s.do("GET", "/v1/projects", token, ""); r.status != 403 {
		t.Fatalf("the citizen token: %d %s", r.status, r.body)
	}
	// Refusals never quote the number.
	bad := nhs[:9] + string('0'+(nhs[9]-'0'+1)%10)
	for _, tc := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"user": "c2", "role": "citizen", "nhs_number": bad}, "nhs_number: "},
		{map[string]any{"user": "c2", "role": "citizen", "nhs_number": nhs + "1"}, "nhs_number: "},
		{map[string]any{"user": "c2", "role": "researcher", "project": projStudy, "nhs_number": nhs}, "only a citizen token is bound to a person"},
	} {
		r := s.post("/v1/tokens", dm, tc.body)
		if msg, _ := r.json["message"].(string); r.status != 400 || !strings.Contains(msg, tc.want) || strings.Contains(msg, nhs[:9]) {
			t.Errorf("%v: %d %s", tc.body, r.status, r.body)
		}
	}
	e := auditEntry(t, s, created)
	if e.Action != "tokens.create" || e.Request != "POST /v1/tokens user=citizen-11 role=citizen id="+access.TokenID(token) {
		t.Fatalf("audit entry: %+v", e)
	}
	// Nowhere on disk: every file of the audit log, and tre.db.
	s.stop()
	files, _ := filepath.Glob(filepath.Join(s.dir, AuditDir, "*"))
	files = append(files, filepath.Join(s.dir, TREDatabase))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, form := range []string{nhs, spaced, nhs[:9]} {
			if strings.Contains(string(b), form) {
				t.Errorf("%s holds the NHS number (%q)", filepath.Base(f), form)
			}
		}
	}
	if len(files) < 3 {
		t.Fatalf("checked only %v", files)
	}
}
