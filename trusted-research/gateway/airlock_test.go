package gateway

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gentre/gentre/trusted-research/access"
	"github.com/gentre/gentre/trusted-research/airlock"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
	"github.com/gentre/gentre/trusted-research/audit"
)

// addAirlockTokens adds the tokens the airlock tests need besides the
// fixture's: a second checker of the study (otto), the researcher alice
// holding a checker token too, another researcher of the study, and a
// checker of the other project.
func (s *server) addAirlockTokens() {
	s.t.Helper()
	for name, spec := range map[string]access.TokenSpec{
		"checker2":        {User: "otto", Role: access.OutputChecker, Project: projStudy},
		"checker3":        {User: "oona", Role: access.OutputChecker, Project: projStudy},
		"alice-checker":   {User: "alice", Role: access.OutputChecker, Project: projStudy},
		"researcher2":     {User: "rita", Role: access.Researcher, Project: projStudy},
		"checker-other":   {User: "oscar", Role: access.OutputChecker, Project: projOther},
		"researcher-zeta": {User: "alice", Role: access.Researcher, Project: projOther},
	} {
		tok, _, err := s.g.Access().CreateToken(spec)
		if err != nil {
			s.t.Fatalf("token %s: %v", name, err)
		}
		s.tokens[name] = tok
	}
}

// airlockCreate posts an airlock request and returns the reply.
func (s *server) airlockCreate(token, format string, queries ...string) reply {
	s.t.Helper()
	return s.post("/v1/airlock/requests", token, map[string]any{
		"justification": "Table 2 of the diabetes paper", "queries": queries, "format": format,
	})
}

// airlockReview posts a review.
func (s *server) airlockReview(token, id, decision string) reply {
	s.t.Helper()
	return s.post("/v1/airlock/requests/"+id+":review", token, map[string]any{"decision": decision, "note": "checked"})
}

// approveAirlock has the two fixture checkers of the study approve id.
func (s *server) approveAirlock(id string) {
	s.t.Helper()
	for _, tok := range []string{"output-checker", "checker2"} {
		if r := s.airlockReview(s.tokens[tok], id, "approve"); r.status != 200 {
			s.t.Fatalf("approve by %s: %d %s", tok, r.status, r.body)
		}
	}
}

// contentOf decodes the base64 content field of a REST answer.
func contentOf(t *testing.T, r reply) []byte {
	t.Helper()
	s, _ := r.json["content"].(string)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("content: %v", err)
	}
	return b
}

func message(r reply) string { m, _ := r.json["message"].(string); return m }

// wantStatus checks a reply's status and that its message has want.
func wantStatus(t *testing.T, what string, r reply, code int, want string) {
	t.Helper()
	if r.status != code || !strings.Contains(message(r), want) {
		t.Fatalf("%s: %d %s, want %d with %q", what, r.status, r.body, code, want)
	}
}

// auditEntries returns the audit log's entries from seq on.
func auditEntries(t *testing.T, s *server, from uint64) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	for i := from; i < s.g.AuditLog().Size(); i++ {
		out = append(out, auditEntry(t, s, i))
	}
	return out
}

var countLine = regexp.MustCompile(`(?m)^# query\tcount all\ncount\n(\d+)\n`)

// TestAirlockTwoPersonRule walks one request through the rules over HTTP:
// frozen and disclosure-controlled at creation, hidden from its researcher
// until approved, not reviewable by its own researcher nor twice by one
// checker, invisible to other projects, approved by two different
// checkers, released with an audit entry.
func TestAirlockTwoPersonRule(t *testing.T) {
	s := startServer(t, serverOpts{})
	s.addAirlockTokens()
	alice, olive, otto := s.tokens["researcher"], s.tokens["output-checker"], s.tokens["checker2"]
	start := s.g.AuditLog().Size()

	queries := []string{
		"count all",
		"count condition(46635009)", // 5 people: suppressed
		"count   all by sex",        // canonicalised
		"freq chr1 in condition(44054006) vs not condition(44054006)",
		"coverage chr1:1-150",
	}
	cr := s.airlockCreate(alice, "", queries...)
	if cr.status != 200 {
		t.Fatalf("create: %d %s", cr.status, cr.body)
	}
	id, _ := cr.json["id"].(string)
	digest, _ := cr.json["content_digest"].(string)
	if !airlock.ValidID(id) || cr.json["state"] != "AIRLOCK_STATE_PENDING" || cr.json["requester"] != "alice" ||
		cr.json["project"] != projStudy || cr.json["format"] != "tsv" || cr.json["release"] != "4" ||
		len(digest) != 64 || cr.json["content"] != "" {
		t.Fatalf("created: %s", cr.body)
	}
	if q := cr.json["queries"].([]any); len(q) != len(queries) || q[2] != "count all by sex" {
		t.Fatalf("canonical queries: %v", q)
	}

	// The researcher sees the request, not the content.
	r := s.do("GET", "/v1/airlock/requests/"+id, alice, "")
	if r.status != 200 || r.json["content"] != "" || r.json["content_digest"] != digest {
		t.Fatalf("researcher get: %d %s", r.status, r.body)
	}
	wantStatus(t, "content before approval", s.do("GET", "/v1/airlock/requests/"+id+"/content", alice, ""), 403, "not approved")

	// The checker sees the frozen content, and it is what the digest says.
	r = s.do("GET", "/v1/airlock/requests/"+id, olive, "")
	content := contentOf(t, r)
	if sum := sha256.Sum256(content); r.status != 200 || hex.EncodeToString(sum[:]) != digest {
		t.Fatalf("checker get: %d, digest mismatch", r.status)
	}
	text := string(content)
	for _, want := range []string{
		"# project\t" + projStudy + "\n# release\t4\n",
		"# query\tcount condition(46635009)\ncount\nsuppressed\n", // 1..7 suppressed
		"# query\tcount all by sex\nsex\tcount\nfemale\t",
		"\nother\tsuppressed\nunknown\tsuppressed\n", // 1 and 2 people
		"chrom\tpos\tref\talt\tac\tan\taf\thet\thom_alt\tmissing\tac_vs\tan_vs\taf_vs\thet_vs\thom_alt_vs\tmissing_vs\todds_ratio\tfisher_p\tchisq_p\tcovered\n",
		"chrom\tstart\tend\tmean_depth_band\tsamples\nchr1\t1\t150\t<10\tsuppressed\n", // coverage: 10 samples in bands of 1..4
	} {
		if !strings.Contains(text, want) {
			t.Errorf("content lacks %q:\n%s", want, text)
		}
	}
	m := countLine.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no count all in:\n%s", text)
	}
	if n, _ := strconv.Atoi(m[1]); n%5 != 0 || n < 50 || n > 110 {
		t.Errorf("count all released as %d: want a multiple of 5 near %d", n, nPeople)
	}
	// Rows of the freq: every count is a multiple of 5, 0 or suppressed.
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "chr1\t") || strings.Contains(line, "<10") || strings.Count(line, "\t") < 10 {
			continue
		}
		f := strings.Split(line, "\t")
		for _, i := range []int{4, 5, 7, 8, 9, 10, 11, 13, 14, 15, 19} {
			if n, err := strconv.Atoi(f[i]); (err != nil && f[i] != "suppressed") || (err == nil && n%5 != 0) {
				t.Errorf("freq row %q: column %d is %q", line, i, f[i])
			}
		}
	}

	// The researcher, holding a checker token too, may not review it.
	wantStatus(t, "own review", s.airlockReview(s.tokens["alice-checker"], id, "approve"), 403, "request they made")
	// One checker approves; twice does not make two.
	r = s.airlockReview(olive, id, "approve")
	if r.status != 200 || r.json["state"] != "AIRLOCK_STATE_PENDING" || len(r.json["reviews"].([]any)) != 1 {
		t.Fatalf("first approval: %d %s", r.status, r.body)
	}
	wantStatus(t, "same checker again", s.airlockReview(olive, id, "approve"), 403, "already reviewed")
	wantStatus(t, "content after one approval", s.do("GET", "/v1/airlock/requests/"+id+"/content", alice, ""), 403, "not approved")
	// Other projects and other researchers: 404, as for an id that does not exist.
	for _, tok := range []string{"checker-other", "researcher-other", "researcher2", "researcher-zeta"} {
		for _, path := range []string{"", "/content"} {
			wantStatus(t, tok+" get"+path, s.do("GET", "/v1/airlock/requests/"+id+path, s.tokens[tok], ""), 404, "airlock request not found")
		}
		if l := s.do("GET", "/v1/airlock/requests", s.tokens[tok], ""); l.status != 200 || len(l.json["requests"].([]any)) != 0 {
			t.Fatalf("%s list: %s", tok, l.body)
		}
	}
	wantStatus(t, "other project's checker review", s.airlockReview(s.tokens["checker-other"], id, "approve"), 404, "airlock request not found")
	unknown := "ar_" + strings.Repeat("a", 26)
	wantStatus(t, "unknown id", s.do("GET", "/v1/airlock/requests/"+unknown, olive, ""), 404, "airlock request not found")

	// A second, different checker approves: released.
	before := s.g.AuditLog().Size()
	r = s.airlockReview(otto, id, "approve")
	if r.status != 200 || r.json["state"] != "AIRLOCK_STATE_APPROVED" || len(r.json["reviews"].([]any)) != 2 {
		t.Fatalf("second approval: %d %s", r.status, r.body)
	}
	entries := auditEntries(t, s, before)
	if len(entries) != 2 {
		t.Fatalf("the approving review wrote %d audit entries, want 2 (release and review)", len(entries))
	}
	rel := entries[0]
	if rel.Action != "airlock.release" || rel.Actor != "otto" || rel.Role != "output-checker" || rel.Decision != "released" ||
		rel.Project != projStudy || rel.Purpose != "research" || rel.Result.String() != digest || rel.Release != 4 ||
		!strings.Contains(rel.Request, id) {
		t.Fatalf("release entry: %+v", rel)
	}
	if rv := entries[1]; rv.Action != "airlock.review" || rv.Actor != "otto" || rv.Request != routeAirlockReview+" "+id+" approve" {
		t.Fatalf("review entry: %+v", rv)
	}

	// Now the researcher gets it, byte for byte what the checkers saw.
	r = s.do("GET", "/v1/airlock/requests/"+id+"/content", alice, "")
	if r.status != 200 || r.json["media_type"] != "text/tab-separated-values" || string(contentOf(t, r)) != text {
		t.Fatalf("content after approval: %d %.300s", r.status, r.body)
	}
	// No review after the decision, by anyone.
	wantStatus(t, "third checker", s.airlockReview(s.tokens["checker3"], id, "reject"), 400, "decided")

	// Lists: the checker sees it with content, the researcher without.
	l := s.do("GET", "/v1/airlock/requests", olive, "")
	if l.status != 200 || len(l.json["requests"].([]any)) != 1 || l.json["requests"].([]any)[0].(map[string]any)["content"] == "" {
		t.Fatalf("checker list: %s", l.body)
	}
	l = s.do("GET", "/v1/airlock/requests", alice, "")
	if l.status != 200 || len(l.json["requests"].([]any)) != 1 || l.json["requests"].([]any)[0].(map[string]any)["content"] != "" {
		t.Fatalf("researcher list: %s", l.body)
	}

	// Every step is in the audit log, by route and id, and no entry carries content.
	var creates, contents int
	for _, e := range auditEntries(t, s, start) {
		if strings.Contains(e.Request, "suppressed") || strings.Contains(e.Request, "female") {
			t.Fatalf("audit entry carries content: %+v", e)
		}
		switch e.Action {
		case "airlock.request":
			creates++
			if !strings.HasPrefix(e.Request, routeAirlockCreate+" "+id+" count all ; count condition(46635009) ; count all by sex ; freq") {
				t.Errorf("create entry: %q", e.Request)
			}
		case "airlock.content":
			contents++
		}
	}
	if creates != 1 || contents != 7 { // two refusals, four 404s, one answer
		t.Fatalf("audit: %d create and %d content entries, want 1 and 7", creates, contents)
	}
}

// TestAirlockRejectIsFinal: one rejection decides the request for good.
func TestAirlockRejectIsFinal(t *testing.T) {
	s := startServer(t, serverOpts{})
	s.addAirlockTokens()
	cr := s.airlockCreate(s.tokens["researcher"], "json", "count all")
	id, _ := cr.json["id"].(string)
	if r := s.airlockReview(s.tokens["output-checker"], id, "approve"); r.status != 200 {
		t.Fatalf("approve: %s", r.body)
	}
	r := s.airlockReview(s.tokens["checker2"], id, "reject")
	if r.status != 200 || r.json["state"] != "AIRLOCK_STATE_REJECTED" {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	wantStatus(t, "approve after reject", s.airlockReview(s.tokens["checker3"], id, "approve"), 400, "REJECTED")
	wantStatus(t, "content of a rejected request", s.do("GET", "/v1/airlock/requests/"+id+"/content", s.tokens["researcher"], ""), 403, "rejected")
	wantStatus(t, "checker's content of a rejected request", s.do("GET", "/v1/airlock/requests/"+id+"/content", s.tokens["output-checker"], ""), 403, "rejected")
	for _, e := range auditEntries(t, s, 0) {
		if e.Action == "airlock.release" {
			t.Fatalf("a rejected request was released: %+v", e)
		}
	}
}

// TestAirlockJSONAndSameNoise: JSON output; the same query on the same
// release is released with the same values in every request.
func TestAirlockJSONAndSameNoise(t *testing.T) {
	s := startServer(t, serverOpts{})
	s.addAirlockTokens()
	var counts []float64
	for range 3 {
		cr := s.airlockCreate(s.tokens["researcher"], "json", "count all", "count condition(46635009) by sex")
		id, _ := cr.json["id"].(string)
		s.approveAirlock(id)
		r := s.do("GET", "/v1/airlock/requests/"+id+"/content", s.tokens["researcher"], "")
		if r.status != 200 || r.json["media_type"] != "application/json" {
			t.Fatalf("content: %d %s", r.status, r.body)
		}
		var doc struct {
			Project, Release string
			Sections         []struct {
				Query string
				Rows  []map[string]any
			}
		}
		if err := json.Unmarshal(contentOf(t, r), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Project != projStudy || doc.Release != "4" || len(doc.Sections) != 2 || doc.Sections[0].Query != "count all" {
			t.Fatalf("JSON content: %+v", doc)
		}
		counts = append(counts, doc.Sections[0].Rows[0]["count"].(float64))
		// count ... by sex over 5 people: female 3, male 2 (40..44): suppressed, no count.
		for _, row := range doc.Sections[1].Rows[:2] {
			if _, has := row["count"]; has || row["suppressed"].([]any)[0] != "count" {
				t.Fatalf("small cell: %v", row)
			}
		}
	}
	if counts[0] != counts[1] || counts[1] != counts[2] || int(counts[0])%5 != 0 {
		t.Fatalf("count all released as %v: want one multiple of 5, the same each time", counts)
	}
}

// TestAirlockRefusals: every refusal of a request, its status and message,
// and its audit record.
func TestAirlockRefusals(t *testing.T) {
	s := startServer(t, serverOpts{mutate: func(o *Options) { o.Airlock.MaxContentBytes = 2000 }})
	s.addAirlockTokens()
	alice := s.tokens["researcher"]
	many := make([]string, airlock.DefaultMaxQueries+1)
	for i := range many {
		many[i] = "count all"
	}
	bulky := make([]string, 10) // ten freq tables: over 2000 bytes
	for i := range bulky {
		bulky[i] = "freq chr1"
	}
	for _, tc := range []struct {
		name     string
		body     map[string]any
		code     int
		want     string
		decision string
	}{
		{"carriers", map[string]any{"justification": "j", "queries": []string{"count all", "carriers chr1:100:A:G"}}, 403, "person-level output never leaves", "denied: "},
		{"carriers in a cohort", map[string]any{"justification": "j", "queries": []string{"carriers chr1:100:A:G in all"}}, 403, "queries[0]: carriers", "denied: "},
		{"small analysis cohort", map[string]any{"justification": "j", "queries": []string{"freq chr1 in condition(46635009)"}}, 403, "smaller than the minimum", "refused: disclosure control"},
		{"small comparator", map[string]any{"justification": "j", "queries": []string{"freq chr1 in all vs condition(46635009)"}}, 403, "smaller than the minimum", "refused: disclosure control"},
		{"syntax", map[string]any{"justification": "j", "queries": []string{"count all", "count sex(female"}}, 400, "queries[1]: query syntax", "error: InvalidArgument"},
		{"no queries", map[string]any{"justification": "j"}, 400, "queries: none", "error: InvalidArgument"},
		{"too many queries", map[string]any{"justification": "j", "queries": many}, 400, "at most 20", "error: OutOfRange"},
		{"no justification", map[string]any{"queries": []string{"count all"}}, 400, "justification: required", "error: InvalidArgument"},
		{"bad format", map[string]any{"justification": "j", "queries": []string{"count all"}, "format": "csv"}, 400, "format", "error: InvalidArgument"},
		{"unknown contig", map[string]any{"justification": "j", "queries": []string{"freq chr9"}}, 404, "queries[0]: contig chr9", "error: NotFound"},
		{"content too large", map[string]any{"justification": "j", "queries": bulky}, 400, "at most 2000", "error: OutOfRange"},
		{"another project", map[string]any{"justification": "j", "queries": []string{"count all"}, "project": projOther}, 403, "forbidden", "denied: "},
	} {
		before := s.g.AuditLog().Size()
		r := s.post("/v1/airlock/requests", alice, tc.body)
		wantStatus(t, tc.name, r, tc.code, tc.want)
		if tc.code == 403 && strings.ContainsAny(strings.TrimPrefix(message(r), "forbidden: queries[0]"), "5") {
			t.Errorf("%s: the refusal may reveal a size: %q", tc.name, message(r))
		}
		es := auditEntries(t, s, before)
		if len(es) != 1 || !strings.HasPrefix(es[0].Decision, tc.decision) || !es[0].Result.IsZero() || es[0].Action != "airlock.request" {
			t.Errorf("%s: audit %+v", tc.name, es)
		}
	}
	// Nothing was frozen.
	if l := s.do("GET", "/v1/airlock/requests", s.tokens["output-checker"], ""); len(l.json["requests"].([]any)) != 0 {
		t.Fatalf("refused requests were stored: %s", l.body)
	}
	// Review refusals.
	cr := s.airlockCreate(alice, "", "count all")
	id, _ := cr.json["id"].(string)
	for _, d := range []string{"", "approved", "APPROVE", "maybe"} {
		wantStatus(t, "decision "+d, s.airlockReview(s.tokens["output-checker"], id, d), 400, "decision")
	}
	long := s.post("/v1/airlock/requests/"+id+":review", s.tokens["output-checker"], map[string]any{"decision": "approve", "note": strings.Repeat("n", 3000)})
	wantStatus(t, "long note", long, 400, "note longer")
	wantStatus(t, "researcher reviews", s.airlockReview(alice, id, "approve"), 403, "forbidden")
	wantStatus(t, "malformed id", s.do("GET", "/v1/airlock/requests/not-an-id", s.tokens["output-checker"], ""), 404, "airlock request not found")
}

// TestAirlockOverGRPC: the same rules over gRPC.
func TestAirlockOverGRPC(t *testing.T) {
	s := startServer(t, serverOpts{})
	s.addAirlockTokens()
	c := s.client(s.addr)
	ar, err := c.CreateAirlockRequest(s.ctx(s.tokens["researcher"]), &gentrev1.CreateAirlockRequestRequest{
		Justification: "j", Queries: []string{"count condition(44054006)"},
	})
	if err != nil || ar.GetState() != gentrev1.AirlockState_AIRLOCK_STATE_PENDING || len(ar.GetContent()) != 0 {
		t.Fatalf("create: %v %v", ar, err)
	}
	_, err = c.GetAirlockContent(s.ctx(s.tokens["researcher"]), &gentrev1.GetAirlockContentRequest{Id: ar.GetId()})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("content before approval: %v", err)
	}
	for i, tok := range []string{"output-checker", "output-checker", "checker2"} {
		_, err := c.ReviewAirlockRequest(s.ctx(s.tokens[tok]), &gentrev1.ReviewAirlockRequestRequest{Id: ar.GetId(), Decision: "approve"})
		if want := map[int]codes.Code{0: codes.OK, 1: codes.PermissionDenied, 2: codes.OK}[i]; status.Code(err) != want {
			t.Fatalf("review %d: %v, want %v", i, err, want)
		}
	}
	got, err := c.GetAirlockContent(s.ctx(s.tokens["researcher"]), &gentrev1.GetAirlockContentRequest{Id: ar.GetId()})
	if err != nil || got.GetMediaType() != "text/tab-separated-values" || !strings.Contains(string(got.GetContent()), "# query\tcount condition(44054006)\ncount\n") {
		t.Fatalf("content: %v %v", got, err)
	}
	if sum := sha256.Sum256(got.GetContent()); hex.EncodeToString(sum[:]) != ar.GetContentDigest() {
		t.Fatal("content does not match the digest given at creation")
	}
	_, err = c.GetAirlockRequest(s.ctx(s.tokens["checker-other"]), &gentrev1.GetAirlockRequestRequest{Id: ar.GetId()})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("other project's checker: %v", err)
	}
}

// TestAirlockConcurrentReviews: three checkers approve at once. Two
// approvals are accepted, the third finds the request decided, and the
// release is written to the audit log exactly once.
func TestAirlockConcurrentReviews(t *testing.T) {
	s := startServer(t, serverOpts{})
	s.addAirlockTokens()
	for round := range 5 {
		cr := s.airlockCreate(s.tokens["researcher"], "", "count all")
		id, _ := cr.json["id"].(string)
		before := s.g.AuditLog().Size()
		statuses := make(chan int, 3)
		var wg sync.WaitGroup
		for _, tok := range []string{"output-checker", "checker2", "checker3"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses <- s.airlockReview(s.tokens[tok], id, "approve").status
			}()
		}
		wg.Wait()
		close(statuses)
		got := map[int]int{}
		for c := range statuses {
			got[c]++
		}
		releases := 0
		for _, e := range auditEntries(t, s, before) {
			if e.Action == "airlock.release" {
				releases++
			}
		}
		if got[200] != 2 || got[400] != 1 || releases != 1 {
			t.Fatalf("round %d: statuses %v, %d release entries; want two 200, one 400, one release", round, got, releases)
		}
	}
}
