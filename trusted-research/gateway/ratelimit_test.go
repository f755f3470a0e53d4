package gateway

import (
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
)

// TestAuthRateLimit: after MaxAuthFailures failed authentications in a
// minute, an address's requests get 429 (REST and gRPC, valid token or
// not) until the minute is over; only the first refusal of the window is
// written to the audit log, so a client without a token cannot make the
// gateway write at will.
func TestAuthRateLimit(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := startServer(t, serverOpts{mutate: func(o *Options) {
		o.MaxAuthFailures = 5
		o.Now = clock
	}})
	count := func(token string) reply {
		return s.post("/v1/cohorts:count", token, map[string]any{"query": "all"})
	}
	before := s.g.AuditLog().Size()
	bad := "gtr_" + strings.Repeat("B", 43)
	for i := range 5 {
		if r := count(bad); r.status != 401 {
			t.Fatalf("failure %d: %d, want 401", i+1, r.status)
		}
	}
	if r := count(bad); r.status != 429 || !strings.Contains(string(r.body), "too many failed authentications") {
		t.Fatalf("sixth failure: %d %s, want 429", r.status, r.body)
	}
	if r := count(s.tokens["researcher"]); r.status != 429 {
		t.Fatalf("a valid token from the blocked address: %d, want 429", r.status)
	}
	_, err := s.client(s.addr).CountCohort(s.ctx(s.tokens["researcher"]), &gentrev1.CountCohortRequest{Query: "all"})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("gRPC from the blocked address: %v, want ResourceExhausted", err)
	}
	// A gRPC client cannot pass for another address with its own
	// x-forwarded-for metadata: the peer address counts.
	spoof := metadata.AppendToOutgoingContext(s.ctx(s.tokens["researcher"]), "x-forwarded-for", "203.0.113.9")
	if _, err := s.client(s.addr).CountCohort(spoof, &gentrev1.CountCohortRequest{Query: "all"}); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("gRPC with a forged x-forwarded-for: %v, want ResourceExhausted", err)
	}
	for range 20 {
		count(bad)
	}
	if grew := s.g.AuditLog().Size() - before; grew != 6 {
		t.Fatalf("audit log grew by %d entries, want 6 (five failures and the first refusal)", grew)
	}
	e := auditEntry(t, s, before+5)
	if e.Decision != "denied: too many failed authentications" || e.Actor != anonymous {
		t.Fatalf("audit entry of the refusal: %+v", e)
	}

	mu.Lock()
	now = now.Add(61 * time.Second)
	mu.Unlock()
	if r := count(s.tokens["researcher"]); r.status != 200 {
		t.Fatalf("a valid token after the minute: %d %s", r.status, r.body)
	}
	if r := count(bad); r.status != 401 {
		t.Fatalf("a bad token after the minute: %d, want 401", r.status)
	}
}

func TestClientAddrWindows(t *testing.T) {
	now := time.Unix(0, 0)
	l := newAuthLimiter(2, func() time.Time { return now })
	l.fail("a")
	l.fail("a")
	if b, first := l.blocked("a"); !b || !first {
		t.Fatalf("a after 2 failures: blocked %v first %v", b, first)
	}
	if b, first := l.blocked("a"); !b || first {
		t.Fatalf("a again: blocked %v first %v", b, first)
	}
	if b, _ := l.blocked("b"); b {
		t.Fatal("another address is blocked")
	}
	now = now.Add(authWindowLength)
	if b, _ := l.blocked("a"); b {
		t.Fatal("a is still blocked in the next window")
	}
	if b, _ := newAuthLimiter(-1, nil).blocked("a"); b {
		t.Fatal("a negative limit blocks")
	}
}
