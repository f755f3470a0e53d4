package gateway

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gentre/gentre/engine/query"
	"github.com/gentre/gentre/engine/store"
	"github.com/gentre/gentre/ingest/linkage"
	"github.com/gentre/gentre/pseudonymise"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
	"github.com/gentre/gentre/trusted-research/audit"
)

// engineAt opens the store's current release the way the CLI does.
func engineAt(t *testing.T, dir string) *query.Engine {
	t.Helper()
	st, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := query.NewEngine(st, 1)
	e.SetAsOf(fixtureAsOf)
	return e
}

func engineCount(t *testing.T, e *query.Engine, text string) []query.CountRow {
	t.Helper()
	q, err := query.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := e.Count(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// number returns a JSON value that must be a JSON number holding an
// integer.
func number(t *testing.T, what string, v any) int {
	t.Helper()
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("%s: %v (%T) is not a JSON number", what, v, v)
	}
	if f != math.Trunc(f) {
		t.Fatalf("%s: %v is not an integer", what, f)
	}
	return int(f)
}

func auditEntry(t testing.TB, s *server, seq uint64) audit.Entry {
	t.Helper()
	b, err := s.g.AuditLog().Entry(seq)
	if err != nil {
		t.Fatal(err)
	}
	e, err := audit.ParseEntry(b)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestResearcherCountsAreExact(t *testing.T) {
	s := startServer(t, serverOpts{})
	e := engineAt(t, s.dir)
	grpcClient := s.client(s.addr)
	for _, tc := range []struct{ cohort, by string }{
		{"all", ""}, {"condition(44054006)", ""}, {"condition(46635009)", ""}, {"condition(1234567)", ""},
		{"condition(44054006) and not condition(38341003)", ""}, {"sex(female) or condition(195967001)", ""},
		{"all", "sex"}, {"condition(44054006)", "age"}, {"age(30..59) and sex(male)", ""},
	} {
		text := "count " + tc.cohort
		if tc.by != "" {
			text += " by " + tc.by
		}
		want := engineCount(t, e, text)
		r := s.post("/v1/cohorts:count", s.tokens["researcher"], map[string]any{"query": tc.cohort, "by": tc.by})
		if r.status != 200 {
			t.Fatalf("%s: %d %s", text, r.status, r.body)
		}
		total := 0
		for _, row := range want {
			total += row.Count
		}
		if got := number(t, text+" count", r.json["count"]); got != total {
			t.Errorf("%s: count %d, engine %d", text, got, total)
		}
		if r.json["suppressed"] != false || r.json["disclosure"] != nil || r.json["project"] != projStudy || r.json["release"] != "4" {
			t.Errorf("%s: %s", text, r.body)
		}
		groups, _ := r.json["groups"].([]any)
		if tc.by == "" && len(groups) != 0 || tc.by != "" && len(groups) != len(want) {
			t.Fatalf("%s: groups %v, engine %v", text, groups, want)
		}
		for i, g := range groups {
			g := g.(map[string]any)
			if g["label"] != want[i].Group || number(t, text+" group", g["count"]) != want[i].Count {
				t.Errorf("%s: group %d = %v, engine %v", text, i, g, want[i])
			}
		}
		// gRPC gives the same answer.
		gr, err := grpcClient.CountCohort(s.ctx(s.tokens["researcher"]), &gentrev1.CountCohortRequest{Query: tc.cohort, By: tc.by})
		if err != nil || int(gr.GetCount()) != total || gr.Count == nil || len(gr.Groups) != len(groups) {
			t.Errorf("%s over gRPC: %v %v", text, gr, err)
		}
	}
	// A count of 5 is exact for a researcher (it would be suppressed for
	// industry), and the canonical query is what was asked.
	r := s.post("/v1/cohorts:count", s.tokens["researcher"], map[string]any{"query": "condition(46635009)  and all"})
	if number(t, "count", r.json["count"]) != 5 || r.json["query"] != "count (condition(46635009) and all)" {
		t.Fatalf("small count: %s", r.body)
	}
}

func TestIndustryCountsAreDisclosureControlled(t *testing.T) {
	s := startServer(t, serverOpts{})
	tok := s.tokens["industry"]
	count := func(cohort, by string) reply {
		t.Helper()
		return s.post("/v1/cohorts:count", tok, map[string]any{"query": cohort, "by": by})
	}
	spent := func(r reply) float64 {
		t.Helper()
		d, ok := r.json["disclosure"].(map[string]any)
		if !ok {
			t.Fatalf("no disclosure block: %s", r.body)
		}
		return d["spent"].(float64)
	}

	// 1. A true count of 5: suppressed, and no count field at all.
	r := count("condition(46635009)", "")
	if r.status != 200 || r.json["suppressed"] != true {
		t.Fatalf("small cohort: %d %s", r.status, r.body)
	}
	if _, has := r.json["count"]; has || strings.Contains(string(r.body), `"count"`) {
		t.Fatalf("suppressed answer has a count: %s", r.body)
	}
	if spent(r) != 0.5 || r.header.Get("X-Gentre-Epsilon-Spent") != "0.5" || r.header.Get("X-Gentre-Epsilon-Budget") != "2" {
		t.Fatalf("ledger after one question: %s %v", r.body, r.header)
	}

	// 2. A true 40: a multiple of 5, a JSON number.
	r = count("condition(44054006)", "")
	first := r.body
	n := number(t, "count", r.json["count"])
	if r.status != 200 || r.json["suppressed"] != false || n%5 != 0 || n < 0 {
		t.Fatalf("40 people: %d %s", r.status, r.body)
	}

	// 3. The same question again: the cached, identical answer, free.
	r = count("condition(44054006)", "")
	d := r.json["disclosure"].(map[string]any)
	if number(t, "count", r.json["count"]) != n || d["cached"] != true || spent(r) != 1.0 {
		t.Fatalf("repeat: %s (first %s)", r.body, first)
	}
	// Another partner asking the same text gets their own answer and pays.
	r2 := s.post("/v1/cohorts:count", s.tokens["industry2"], map[string]any{"query": "condition(44054006)"})
	if r2.status != 200 || spent(r2) != 0.5 {
		t.Fatalf("second partner: %d %s", r2.status, r2.body)
	}

	// 4. A true 0 is released as 0.
	r = count("condition(1234567)", "")
	if number(t, "count", r.json["count"]) != 0 || r.json["suppressed"] != false {
		t.Fatalf("zero: %s", r.body)
	}

	// 5. A table: cells rounded or suppressed, total from released cells.
	r = count("all", "sex")
	if r.status != 200 {
		t.Fatalf("by sex: %d %s", r.status, r.body)
	}
	sum, suppressed := 0, 0
	for _, g := range r.json["groups"].([]any) {
		g := g.(map[string]any)
		if g["suppressed"] == true {
			suppressed++
			if _, has := g["count"]; has {
				t.Fatalf("suppressed cell with a count: %s", r.body)
			}
			continue
		}
		c := number(t, "cell", g["count"])
		if c%5 != 0 {
			t.Fatalf("cell not a multiple of 5: %s", r.body)
		}
		sum += c
	}
	d = r.json["disclosure"].(map[string]any)
	if suppressed != 2 || number(t, "suppressed_cells", d["suppressed_cells"]) != 2 || number(t, "total", r.json["count"]) != sum {
		t.Fatalf("table (other: 1 person, unknown: 2 people, both suppressed): %s", r.body)
	}
	if spent(r) != 2.0 {
		t.Fatalf("budget after four questions: %s", r.body)
	}

	// 6. Budget exhausted: 429 with a clear message; nothing released.
	r = count("condition(38341003)", "")
	msg, _ := r.json["message"].(string)
	if r.status != http.StatusTooManyRequests || !strings.Contains(msg, "privacy budget exhausted") || !strings.Contains(msg, "next data release") {
		t.Fatalf("exhausted: %d %s", r.status, r.body)
	}
	if _, has := r.json["count"]; has {
		t.Fatal("a 429 carries a count")
	}
	// Questions already answered are still answered, from the cache.
	if r = count("condition(44054006)", ""); r.status != 200 || number(t, "count", r.json["count"]) != n {
		t.Fatalf("cached after exhaustion: %d %s", r.status, r.body)
	}
	// gRPC says ResourceExhausted.
	_, err := s.client(s.addr).CountCohort(s.ctx(tok), &gentrev1.CountCohortRequest{Query: "condition(195967001)"})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("gRPC exhausted: %v", err)
	}

	// Industry never gets carriers (person-level output).
	if r := s.post("/v1/carriers", tok, map[string]any{"variant": "chr1:100:A:G"}); r.status != 403 {
		t.Fatalf("industry carriers: %d %s", r.status, r.body)
	}

	// The audit log tells the story, and holds no true count.
	l := s.g.AuditLog()
	var decisions []string
	for seq := uint64(0); seq < l.Size(); seq++ {
		e := auditEntry(t, s, seq)
		if e.Actor == "pharma-co" {
			decisions = append(decisions, e.Decision)
		}
	}
	want := []string{"released: suppressed", "released", "released: cached", "released", "released: suppressed",
		"refused: privacy budget exhausted", "released: cached", "refused: privacy budget exhausted"}
	if len(decisions) < len(want) || !reflect.DeepEqual(decisions[:len(want)], want) {
		t.Fatalf("audit decisions %q, want prefix %q", decisions, want)
	}
}

func TestIndustryDifferencingRefused(t *testing.T) {
	s := startServer(t, serverOpts{})
	tok := s.tokens["industry"]
	if r := s.post("/v1/cohorts:count", tok, map[string]any{"query": "condition(44054006)"}); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// The same 40 people minus one (person 1 is the only male with
	// chr1:300 among the diabetics... any one-person difference will do).
	r := s.post("/v1/cohorts:count", tok, map[string]any{"query": "condition(44054006) and not carrier(chr1:300:G:A)"})
	msg, _ := r.json["message"].(string)
	if r.status != http.StatusForbidden || !strings.Contains(msg, "too similar") || strings.ContainsAny(msg, "0123456789") {
		t.Fatalf("near cohort: %d %s", r.status, r.body)
	}
}

func TestProjectSettingsApply(t *testing.T) {
	s := startServer(t, serverOpts{})
	if err := s.g.Access().SetProjectSetting(projStudy, "disclosure.budget", "1"); err != nil {
		t.Fatal(err)
	}
	tok := s.tokens["industry"]
	for i, want := range []int{200, 200, 429} {
		r := s.post("/v1/cohorts:count", tok, map[string]any{"query": []string{"all", "condition(195967001)", "condition(44054006)"}[i]})
		if r.status != want {
			t.Fatalf("question %d with budget 1: %d %s", i, r.status, r.body)
		}
	}
	r := s.do("GET", "/v1/projects", tok, "")
	ps := r.json["projects"].([]any)
	if len(ps) != 1 {
		t.Fatalf("industry sees %d projects: %s", len(ps), r.body)
	}
	d := ps[0].(map[string]any)["disclosure"].(map[string]any)
	if d["budget"] != 1.0 || d["spent"] != 1.0 || d["epsilon"] != 0.5 {
		t.Fatalf("industry's project view: %s", r.body)
	}
}

func TestFreqAndCarriersForResearchers(t *testing.T) {
	s := startServer(t, serverOpts{})
	e := engineAt(t, s.dir)
	for _, tc := range []struct{ region, cohort, vs string }{
		{"chr1", "", ""}, {"1:150-300", "condition(44054006)", ""}, {"chr1", "condition(44054006)", "not condition(44054006)"},
	} {
		text := "freq " + tc.region
		if tc.cohort != "" {
			text += " in " + tc.cohort
		}
		if tc.vs != "" {
			text += " vs " + tc.vs
		}
		q, err := query.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		plan, _, _, err := e.FreqPlanFor(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		var want []*query.FreqRow
		if err := e.Freq(context.Background(), plan, func(r *query.FreqRow) error { c := *r; want = append(want, &c); return nil }); err != nil {
			t.Fatal(err)
		}
		r := s.post("/v1/freq", s.tokens["researcher"], map[string]any{"region": tc.region, "cohort": tc.cohort, "vs": tc.vs})
		if r.status != 200 {
			t.Fatalf("%s: %d %s", text, r.status, r.body)
		}
		rows := r.json["rows"].([]any)
		if len(rows) != len(want) || len(want) == 0 {
			t.Fatalf("%s: %d rows, engine %d", text, len(rows), len(want))
		}
		for i, row := range rows {
			row := row.(map[string]any)
			w := want[i]
			got := fmt.Sprintf("%s:%d:%s:%s ac=%d an=%d het=%d hom=%d miss=%d", row["chrom"], number(t, "pos", row["pos"]), row["ref"], row["alt"],
				number(t, "ac", row["ac"]), number(t, "an", row["an"]), number(t, "het", row["het"]), number(t, "hom_alt", row["hom_alt"]), number(t, "missing", row["missing"]))
			exp := fmt.Sprintf("%s:%d:%s:%s ac=%d an=%d het=%d hom=%d miss=%d", w.Chrom, w.Pos, w.Ref, w.Alt, w.In.AC, w.In.AN, w.In.Het, w.In.HomAlt, w.In.Missing)
			if got != exp {
				t.Errorf("%s row %d: %s, engine %s", text, i, got, exp)
			}
			if number(t, "covered", row["covered"]) != int(w.Covered) {
				t.Errorf("%s row %d: covered %v, engine %d", text, i, row["covered"], w.Covered)
			}
			if af, _ := row["af"].(float64); math.Abs(af-w.In.AF()) > 1e-12 {
				t.Errorf("%s row %d: af %v, engine %v", text, i, row["af"], w.In.AF())
			}
			if tc.vs == "" {
				if row["vs"] != nil || row["odds_ratio"] != nil {
					t.Errorf("%s: comparator fields without vs: %v", text, row)
				}
				continue
			}
			vs := row["vs"].(map[string]any)
			if number(t, "ac_vs", vs["ac"]) != int(w.Vs.AC) || number(t, "an_vs", vs["an"]) != int(w.Vs.AN) {
				t.Errorf("%s row %d: vs %v, engine %+v", text, i, vs, w.Vs)
			}
			tst := query.TestAlleles(w.In, w.Vs)
			if p, _ := row["fisher_p"].(float64); math.Abs(p-tst.FisherP) > 1e-12 {
				t.Errorf("%s row %d: fisher_p %v, engine %v", text, i, row["fisher_p"], tst.FisherP)
			}
		}
	}

	// Carriers: project pseudonyms of the engine's carriers.
	q, _ := query.Parse("carriers chr1:100:A:G in condition(44054006)")
	people, _, err := e.Carriers(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	wantFor := func(project string) []string {
		pk := s.key.Derive("project:" + project)
		out := make([]string, len(people))
		for i, p := range people {
			out[i] = pk.Of(pseudonymise.DomainPerson, p).String()
		}
		sort.Strings(out)
		return out
	}
	got := func(tok string) []string {
		r := s.post("/v1/carriers", tok, map[string]any{"variant": "chr1:100:A:G", "cohort": "condition(44054006)"})
		if r.status != 200 {
			t.Fatalf("carriers: %d %s", r.status, r.body)
		}
		var out []string
		for _, p := range r.json["pseudonyms"].([]any) {
			out = append(out, p.(string))
		}
		if number(t, "count", r.json["count"]) != len(out) {
			t.Fatalf("carriers count: %s", r.body)
		}
		return out
	}
	a, b := got(s.tokens["researcher"]), got(s.tokens["researcher-other"])
	if len(people) == 0 || !reflect.DeepEqual(a, wantFor(projStudy)) || !reflect.DeepEqual(b, wantFor(projOther)) {
		t.Fatalf("carriers %v / %v, want %v / %v", a, b, wantFor(projStudy), wantFor(projOther))
	}
	for _, p := range a {
		if strings.Contains(strings.Join(b, " "), p) || strings.Contains(strings.Join(people, " "), p) {
			t.Fatal("a project pseudonym appears in another project's list or is the store pseudonym")
		}
	}
}

func TestCoverageForResearchers(t *testing.T) {
	s := startServer(t, serverOpts{})
	e := engineAt(t, s.dir)
	for _, tc := range []struct{ region, cohort string }{
		{"chr1", ""}, {"1:100-200", ""}, {"chr1:1-150", "sex(male)"}, {"chr1", "condition(195967001)"},
	} {
		text := "coverage " + tc.region
		if tc.cohort != "" {
			text += " in " + tc.cohort
		}
		q, err := query.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		want, err := e.Coverage(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		r := s.post("/v1/coverage", s.tokens["researcher"], map[string]any{"region": tc.region, "cohort": tc.cohort})
		if r.status != 200 {
			t.Fatalf("%s: %d %s", text, r.status, r.body)
		}
		got := fmt.Sprintf("%v %d", r.json["chrom"], number(t, "samples", r.json["samples"]))
		if got != fmt.Sprintf("%s %d", want.Chrom, want.Samples) || r.json["frac_10x"] != want.Frac10 || r.json["frac_30x"] != want.Frac30 {
			t.Errorf("%s: %s, engine %+v", text, r.body, want)
		}
		if math.IsNaN(want.MeanDepth) {
			if _, has := r.json["mean_depth"]; has {
				t.Errorf("%s: mean_depth for no sample: %s", text, r.body)
			}
			continue
		}
		if md, _ := r.json["mean_depth"].(float64); math.Abs(md-want.MeanDepth) > 1e-12 || number(t, "end", r.json["end"]) != int(want.End) {
			t.Errorf("%s: %s, engine %+v", text, r.body, want)
		}
	}
}

func TestFreqRowLimit(t *testing.T) {
	s := startServer(t, serverOpts{mutate: func(o *Options) { o.MaxFreqRows = 2 }})
	r := s.post("/v1/freq", s.tokens["researcher"], map[string]any{"region": "chr1"})
	if r.status != 400 || !strings.Contains(r.json["message"].(string), "smaller region") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := s.post("/v1/freq", s.tokens["researcher"], map[string]any{"region": "chr1:1-150"}); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

// TestNewReleaseIsPickedUp ingests more care records while serving: the
// next request answers from the new data release.
func TestNewReleaseIsPickedUp(t *testing.T) {
	s := startServer(t, serverOpts{})
	ask := func() reply {
		return s.post("/v1/cohorts:count", s.tokens["researcher"], map[string]any{"query": "all"})
	}
	r := ask()
	if number(t, "count", r.json["count"]) != nPeople || r.json["release"] != "4" {
		t.Fatalf("before: %s", r.body)
	}
	st, err := store.OpenWriter(s.dir, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	extra := []int{100, 101, 102}
	in := t.TempDir()
	_, err = linkage.LoadFHIR(st, s.key, []string{writeFile(t, in, "more.ndjson", fixtureFHIR(t, extra))}, linkage.Options{})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	r = ask()
	if number(t, "count", r.json["count"]) != nPeople+len(extra) || r.json["release"] != "5" {
		t.Fatalf("after a new release: %s", r.body)
	}
	// An industry partner's budget is per data release: a fresh one.
	rr := s.post("/v1/cohorts:count", s.tokens["industry"], map[string]any{"query": "all"})
	if rr.status != 200 || rr.json["release"] != "5" {
		t.Fatalf("industry on the new release: %s", rr.body)
	}
}

func TestGRPCOnItsOwnListener(t *testing.T) {
	s := startServer(t, serverOpts{grpcAddr: true})
	if s.grpc == "" || s.grpc == s.addr {
		t.Fatalf("gRPC address %q", s.grpc)
	}
	c := s.client(s.grpc)
	var header metadata.MD
	r, err := c.CountCohort(s.ctx(s.tokens["industry"]), &gentrev1.CountCohortRequest{Query: "condition(46635009)"}, grpc.Header(&header))
	if err != nil || !r.GetSuppressed() || r.Count != nil || r.GetDisclosure().GetSpent() != 0.5 {
		t.Fatalf("suppressed over gRPC: %v %v", r, err)
	}
	if got := header.Get("x-gentre-epsilon-spent"); len(got) != 1 || got[0] != "0.5" {
		t.Fatalf("budget header over gRPC: %v", header)
	}
	if _, err := c.ListProjects(s.ctx(s.tokens["citizen"]), &gentrev1.ListProjectsRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("citizen list projects: %v", err)
	}
	lp, err := c.ListProjects(s.ctx(s.tokens["data-manager"]), &gentrev1.ListProjectsRequest{})
	if err != nil || len(lp.Projects) != 3 {
		t.Fatalf("data-manager list projects: %v %v", lp, err)
	}
	if _, err = c.ListMyUses(s.ctx(s.tokens["citizen"]), &gentrev1.ListMyUsesRequest{}); err != nil {
		t.Fatalf("citizen's uses over gRPC: %v", err)
	}
}

func TestAuditRecordsAnswers(t *testing.T) {
	s := startServer(t, serverOpts{})
	l := s.g.AuditLog()
	before := l.Size()
	r := s.post("/v1/cohorts:count", s.tokens["researcher"], map[string]any{"query": "sex(female) and condition(44054006)", "by": "age"})
	if r.status != 200 {
		t.Fatal(string(r.body))
	}
	s.do("GET", "/v1/projects", s.tokens["citizen"], "")
	if got := l.Size() - before; got != 2 {
		t.Fatalf("%d audit entries for 2 requests", got)
	}
	e := auditEntry(t, s, before)
	if e.Actor != "alice" || e.Role != "researcher" || e.Project != projStudy || e.Purpose != "research" || e.Action != "cohort.count" ||
		e.Request != "POST /v1/cohorts:count count (sex(female) and condition(44054006)) by age" || e.Decision != "allowed" || e.Result.IsZero() || e.Release != 4 {
		t.Fatalf("answer entry: %+v", e)
	}
	e = auditEntry(t, s, before+1)
	if e.Actor != "citizen-1" || !strings.HasPrefix(e.Decision, "denied: forbidden") || !e.Result.IsZero() {
		t.Fatalf("denial entry: %+v", e)
	}
	// The log verifies.
	s.stop()
	pub, err := audit.ReadPublicKey(filepath.Join(s.dir, AuditDir))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Verify(filepath.Join(s.dir, AuditDir), pub); err != nil {
		t.Fatalf("audit verify: %v", err)
	}
}

// TestNoAnswerWithoutAudit: if the audit log cannot record a request, the
// answer is withheld.
func TestNoAnswerWithoutAudit(t *testing.T) {
	s := startServer(t, serverOpts{})
	if err := s.g.AuditLog().Close(); err != nil {
		t.Fatal(err)
	}
	r := s.post("/v1/cohorts:count", s.tokens["researcher"], map[string]any{"query": "all"})
	s.g.log = nil // closed above; Close must not close it again
	if r.status != 500 || strings.Contains(string(r.body), `"count"`) || !strings.Contains(r.json["message"].(string), "audit log") {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestPlaintextOnlyOnLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:8080": true, "127.0.0.2:0": true, "[::1]:0": true, "localhost:0": true, "LOCALHOST:1": true,
		"0.0.0.0:8080": false, ":8080": false, "[::]:80": false, "192.168.1.5:80": false, "example.org:443": false, "127.0.0.1": false,
	} {
		err := CheckPlaintextAddr("--addr", addr)
		if (err == nil) != ok {
			t.Errorf("%s: %v", addr, err)
		}
		if err != nil && addr != "127.0.0.1" && !strings.Contains(err.Error(), "--tls-cert") {
			t.Errorf("%s: message %q does not say how to serve there", addr, err)
		}
	}
	dir, key := buildStore(t)
	g, err := Open(dir, &Options{Key: key, Audit: auditNoSync()})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	err = g.Serve(context.Background(), ServeOptions{Addr: "0.0.0.0:0"})
	if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("non-loopback without TLS: %v", err)
	}
	err = g.Serve(context.Background(), ServeOptions{Addr: "127.0.0.1:0", GRPCAddr: "0.0.0.0:0"})
	if err == nil || !strings.Contains(err.Error(), "--grpc-addr") {
		t.Fatalf("non-loopback gRPC without TLS: %v", err)
	}
	err = g.Serve(context.Background(), ServeOptions{Addr: "0.0.0.0:0", TLSCert: "x.pem"})
	if err == nil || !strings.Contains(err.Error(), "both") {
		t.Fatalf("cert without key: %v", err)
	}
}

func auditNoSync() audit.Options { return audit.Options{NoSync: true} }

// TestSecondGatewayRefused: tre.db is held by the running gateway.
func TestSecondGatewayRefused(t *testing.T) {
	s := startServer(t, serverOpts{})
	_, err := Open(s.dir, &Options{Key: s.key, LockTimeout: 50e6})
	if err == nil || !strings.Contains(err.Error(), "in use by another gentre process") {
		t.Fatalf("second gateway: %v", err)
	}
}
