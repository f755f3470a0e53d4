package gateway

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gentre/gentre/engine/store"
	"github.com/gentre/gentre/ingest/linkage"
	"github.com/gentre/gentre/trusted-research/access"
)

// citizenToken makes a citizen token for fixture person i (any i: people
// beyond the fixture are valid NHS numbers that were never ingested).
func (s *server) citizenToken(i int) string {
	s.t.Helper()
	psn, err := access.CitizenPseudonym(s.key, nhsNumber(s.t, i))
	if err != nil {
		s.t.Fatal(err)
	}
	tok, _, err := s.g.Access().CreateToken(access.TokenSpec{User: "citizen-x", Role: access.Citizen, Person: &psn})
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

// myUses returns a citizen's uses as "project action release" strings, in
// order, checking each use's fields.
func (s *server) myUses(token string) []string {
	s.t.Helper()
	r := s.do("GET", "/v1/me/uses", token, "")
	if r.status != 200 {
		s.t.Fatalf("me/uses: %d %s", r.status, r.body)
	}
	uses, ok := r.json["uses"].([]any)
	if !ok || len(r.json) != 1 {
		s.t.Fatalf("me/uses: %s", r.body)
	}
	var out []string
	var last time.Time
	for _, u := range uses {
		m := u.(map[string]any)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if strings.Join(keys, " ") != "action project purpose release time" {
			s.t.Fatalf("a use carries %v: %s", keys, r.body)
		}
		at, err := time.Parse(time.RFC3339Nano, m["time"].(string))
		if err != nil || at.Before(last) {
			s.t.Fatalf("use time %v (after %v): %v", m["time"], last, err)
		}
		last = at
		if m["purpose"] != "research" {
			s.t.Fatalf("purpose %v", m["purpose"])
		}
		out = append(out, m["project"].(string)+" "+m["action"].(string)+" "+m["release"].(string))
	}
	return out
}

// TestCitizenSeesUsesThatIncludedThem: person 3 (diabetes, hypertension;
// not asthma) sees the industry count and the approved airlock release that
// included them, and nothing that did not: answers without them, a
// suppressed count, a pending or rejected airlock request. Another person's
// list differs; a person never ingested, and one who opted out, have none.
func TestCitizenSeesUsesThatIncludedThem(t *testing.T) {
	s := startServer(t, serverOpts{})
	s.addAirlockTokens()
	citizen := s.tokens["citizen"] // fixture person 3
	asthmatic := s.citizenToken(60)
	if got := s.myUses(citizen); len(got) != 0 {
		t.Fatalf("before any release: %v", got)
	}
	industry := func(tok, cohort string) {
		t.Helper()
		if r := s.post("/v1/cohorts:count", s.tokens[tok], map[string]any{"query": cohort}); r.status != 200 {
			t.Fatalf("industry count %s: %d %s", cohort, r.status, r.body)
		}
	}
	industry("industry", "condition(44054006)")                                         // 40 people, person 3 among them
	industry("industry", "condition(195967001)")                                        // 30 people, not person 3
	industry("industry", "condition(46635009)")                                         // 5 people: suppressed, nobody recorded
	industry("industry2", "condition(44054006)")                                        // another partner, the same cohort: a second use
	industry("industry", "condition(44054006)")                                         // the same question again: cached, no new use
	s.post("/v1/cohorts:count", s.tokens["researcher"], map[string]any{"query": "all"}) // exact, inside the TRE: not a release

	pending := s.airlockCreate(s.tokens["researcher"], "", "count condition(38341003)") // 23 people, person 3 among them
	approved := s.airlockCreate(s.tokens["researcher"], "", "count condition(38341003)", "count condition(195967001)")
	rejected := s.airlockCreate(s.tokens["researcher"], "", "count all")
	without := s.airlockCreate(s.tokens["researcher"], "", "count condition(195967001)")
	for _, r := range []reply{pending, approved, rejected, without} {
		if r.status != 200 {
			t.Fatalf("airlock create: %s", r.body)
		}
	}
	want := []string{projStudy + " cohort.count 4", projStudy + " cohort.count 4"}
	if got := s.myUses(citizen); !slices.Equal(got, want) {
		t.Fatalf("after industry answers: %v, want %v", got, want)
	}
	s.approveAirlock(approved.json["id"].(string))
	s.approveAirlock(without.json["id"].(string))
	if r := s.airlockReview(s.tokens["output-checker"], rejected.json["id"].(string), "reject"); r.status != 200 {
		t.Fatal(r.body)
	}
	want = append(want, projStudy+" airlock.release 4")
	if got := s.myUses(citizen); !slices.Equal(got, want) {
		t.Fatalf("after airlock releases: %v, want %v", got, want)
	}
	// Person 60 (asthma, no diabetes) was in the other answers.
	if got := s.myUses(asthmatic); !slices.Equal(got, []string{projStudy + " cohort.count 4", projStudy + " airlock.release 4", projStudy + " airlock.release 4"}) {
		t.Fatalf("person 60: %v", got)
	}
	// The answer says nothing of the queries or cohorts.
	r := s.do("GET", "/v1/me/uses", citizen, "")
	for _, leak := range []string{"44054006", "38341003", "condition", "alice", "pharma", "suppressed"} {
		if strings.Contains(string(r.body), leak) {
			t.Fatalf("me/uses reveals %q: %s", leak, r.body)
		}
	}
	// Audited without the pseudonym.
	e := auditEntry(t, s, s.g.AuditLog().Size()-1)
	if e.Action != "me.uses" || e.Request != routeMeUses || e.Actor != "citizen-1" || e.Result.IsZero() || e.Release != 4 {
		t.Fatalf("audit entry: %+v", e)
	}
	// Someone never ingested: an empty list, not an error.
	if got := s.myUses(s.citizenToken(500)); len(got) != 0 {
		t.Fatalf("a person not in the store: %v", got)
	}

	// Person 3 opts out: from the next data release on, they are simply absent.
	st, err := store.OpenWriter(s.dir, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = linkage.OptOut(st, s.key, []string{nhsNumber(t, 3)})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got := s.myUses(citizen); len(got) != 0 {
		t.Fatalf("after opting out: %v", got)
	}
	if got := s.myUses(asthmatic); len(got) != 3 {
		t.Fatalf("person 60 after another's opt-out: %v", got)
	}
}

// TestMyUsesOnlyForCitizens: the matrix gives me.uses to citizens alone.
func TestMyUsesOnlyForCitizens(t *testing.T) {
	s := startServer(t, serverOpts{})
	for _, role := range []string{"researcher", "industry", "output-checker", "auditor", "data-manager"} {
		wantStatus(t, role, s.do("GET", "/v1/me/uses", s.tokens[role], ""), 403, "forbidden")
	}
}
