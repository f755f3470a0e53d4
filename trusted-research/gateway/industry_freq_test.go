package gateway

import (
	"fmt"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/gentre/gentre/engine/query"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
	"github.com/gentre/gentre/trusted-research/disclosure"
)

// Industry freq and case/control: every figure a controlled count, one ε
// per question split over the figures, the analysis rules on the cohorts.

// exactFreq is the engine's exact answer to a freq query text.
func exactFreq(t *testing.T, e *query.Engine, text string) []query.FreqRow {
	t.Helper()
	q, err := query.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	plan, _, _, err := e.FreqPlanFor(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	var rows []query.FreqRow
	if err := e.Freq(t.Context(), plan, func(r *query.FreqRow) error { rows = append(rows, *r); return nil }); err != nil {
		t.Fatal(err)
	}
	return rows
}

// released checks one released figure against its true value: a true 0
// is 0, a true 1..7 is absent, anything else a non-negative multiple of 5.
// It returns whether the figure differs from the truth (noise) and whether
// it was withheld.
func released(t *testing.T, what string, obj map[string]any, key string, truth int64) (noisy, withheld bool) {
	t.Helper()
	v, present := obj[key]
	switch {
	case truth == 0:
		if !present || number(t, what, v) != 0 {
			t.Errorf("%s: true 0 released as %v", what, v)
		}
	case truth <= 7:
		if present {
			t.Errorf("%s: true %d (1..7) released as %v", what, truth, v)
		}
		return false, true
	default:
		if !present {
			t.Errorf("%s: true %d withheld", what, truth)
			return false, true
		}
		n := number(t, what, v)
		if n < 0 || n%5 != 0 {
			t.Errorf("%s: %d is not a non-negative multiple of 5", what, n)
		}
		return int64(n) != truth, false
	}
	return false, false
}

// checkControlledCounts checks a cohort's five counts and af, and returns
// how many counts were noised and withheld.
func checkControlledCounts(t *testing.T, what string, obj map[string]any, c query.AlleleCounts) (noisy, withheld int) {
	t.Helper()
	for _, f := range []struct {
		key   string
		truth int64
	}{{"ac", c.AC}, {"an", c.AN}, {"het", c.Het}, {"hom_alt", c.HomAlt}, {"missing", c.Missing}} {
		n, w := released(t, what+" "+f.key, obj, f.key, f.truth)
		if n {
			noisy++
		}
		if w {
			withheld++
		}
	}
	ac, hasAC := obj["ac"].(float64)
	an, hasAN := obj["an"].(float64)
	af, hasAF := obj["af"].(float64)
	switch {
	case hasAC && hasAN && an > 0:
		if !hasAF || math.Abs(af-math.Min(ac/an, 1)) > 1e-12 {
			t.Errorf("%s: af %v from released ac %v / an %v", what, obj["af"], ac, an)
		}
	case hasAF:
		t.Errorf("%s: af %v without a released ac and an", what, af)
	}
	return noisy, withheld
}

func disclosureOf(t *testing.T, r reply) map[string]any {
	t.Helper()
	d, ok := r.json["disclosure"].(map[string]any)
	if !ok {
		t.Fatalf("no disclosure block: %d %s", r.status, r.body)
	}
	return d
}

func TestIndustryFreqIsDisclosureControlled(t *testing.T) {
	s := startServer(t, serverOpts{})
	e := engineAt(t, s.dir)
	tok := s.tokens["industry"]
	for i, tc := range []struct {
		region, cohort, vs string
	}{
		{"chr1", "", ""},
		{"chr1", "condition(44054006)", "condition(195967001)"},
	} {
		text := "freq " + tc.region
		if tc.cohort != "" {
			text += " in " + tc.cohort
		}
		if tc.vs != "" {
			text += " vs " + tc.vs
		}
		want := exactFreq(t, e, text)
		r := s.post("/v1/freq", tok, map[string]any{"region": tc.region, "cohort": tc.cohort, "vs": tc.vs})
		if r.status != 200 {
			t.Fatalf("%s: %d %s", text, r.status, r.body)
		}
		rows := r.json["rows"].([]any)
		if len(rows) != len(want) {
			t.Fatalf("%s: %d rows, engine %d", text, len(rows), len(want))
		}
		noisy, withheld := 0, 0
		for j, raw := range rows {
			row, w := raw.(map[string]any), want[j]
			what := fmt.Sprintf("%s row %d", text, j)
			if row["chrom"] != w.Chrom || number(t, "pos", row["pos"]) != int(w.Pos) || row["ref"] != w.Ref || row["alt"] != w.Alt {
				t.Fatalf("%s: %v, engine %+v", what, row, w)
			}
			n, wh := checkControlledCounts(t, what, row, w.In)
			nc, whc := released(t, what+" covered", row, "covered", w.Covered)
			if nc {
				n++
			}
			if whc {
				wh++
			}
			if row["suppressed"] != (wh > 0) {
				t.Errorf("%s: suppressed %v with %d withheld", what, row["suppressed"], wh)
			}
			noisy, withheld = noisy+n, withheld+wh
			vs, _ := row["vs"].(map[string]any)
			if tc.vs == "" {
				if vs != nil || row["odds_ratio"] != nil {
					t.Errorf("%s: vs without a comparator: %v", what, row)
				}
				continue
			}
			n, wh = checkControlledCounts(t, what+" vs", vs, w.Vs)
			noisy, withheld = noisy+n, withheld+wh
			if vs["suppressed"] != (wh > 0) {
				t.Errorf("%s vs: suppressed %v with %d withheld", what, vs["suppressed"], wh)
			}
			// The tests are of the released table, present only when its
			// four figures are.
			defined := func(m map[string]any) bool {
				ac, a := m["ac"].(float64)
				an, b := m["an"].(float64)
				return a && b && an > 0 && ac <= an
			}
			if or, has := row["odds_ratio"]; has != (defined(row) && defined(vs)) {
				t.Errorf("%s: odds_ratio %v, released %v vs %v", what, or, row, vs)
			} else if has {
				tt := query.TestAlleles(
					query.AlleleCounts{AC: int64(row["ac"].(float64)), AN: int64(row["an"].(float64))},
					query.AlleleCounts{AC: int64(vs["ac"].(float64)), AN: int64(vs["an"].(float64))})
				if math.Abs(or.(float64)-tt.OddsRatio) > 1e-9*tt.OddsRatio {
					t.Errorf("%s: odds ratio %v, from the released figures %v", what, or, tt.OddsRatio)
				}
			}
		}
		if noisy == 0 {
			t.Errorf("%s: every released figure equals the truth: no noise", text)
		}
		d := disclosureOf(t, r)
		if number(t, "suppressed_cells", d["suppressed_cells"]) != withheld || d["epsilon"] != 0.5 ||
			d["spent"] != 0.5*float64(i+1) || d["cached"] != false || d["budget"] != 2.0 {
			t.Errorf("%s: disclosure %v, %d withheld", text, d, withheld)
		}
		if r.header.Get("X-Gentre-Epsilon-Spent") != fmt.Sprint(0.5*float64(i+1)) {
			t.Errorf("%s: headers %v", text, r.header)
		}
		if r.json["query"] != text || r.json["project"] != projStudy || r.json["release"] != "4" {
			t.Errorf("%s: %s", text, r.body)
		}

		// The same question again: the identical rows, from the cache, free.
		again := s.post("/v1/freq", tok, map[string]any{"region": tc.region, "cohort": tc.cohort, "vs": tc.vs})
		d2 := disclosureOf(t, again)
		if !reflect.DeepEqual(again.json["rows"], r.json["rows"]) || d2["cached"] != true || d2["spent"] != d["spent"] {
			t.Errorf("%s: repeat %s, first %s", text, again.body, r.body)
		}
	}
	// A small count is suppressed in the all-samples answer: chr1:300 has
	// two carriers.
	r := s.post("/v1/freq", tok, map[string]any{"region": "chr1:300-300"})
	row := r.json["rows"].([]any)[0].(map[string]any)
	if _, has := row["ac"]; has || row["suppressed"] != true || row["af"] != nil || strings.Contains(string(r.body), `"ac":2`) {
		t.Fatalf("chr1:300: %s", r.body)
	}

	// gRPC gives the cached answer too, with the budget in its headers.
	var header metadata.MD
	gr, err := s.client(s.addr).Freq(s.ctx(tok), &gentrev1.FreqRequest{Region: "chr1"}, grpc.Header(&header))
	if err != nil || !gr.GetDisclosure().GetCached() || len(gr.Rows) != 4 || gr.Rows[2].Ac == nil {
		t.Fatalf("gRPC: %v %v", gr, err)
	}
	if got := header.Get("x-gentre-epsilon-spent"); len(got) != 1 || got[0] != "1.5" {
		t.Fatalf("gRPC headers %v", header)
	}

	// The audit log: released, then cached, for each.
	var decisions []string
	for seq := uint64(0); seq < s.g.AuditLog().Size(); seq++ {
		if e := auditEntry(t, s, seq); e.Actor == "pharma-co" {
			decisions = append(decisions, e.Action+" "+e.Decision)
		}
	}
	want := []string{"freq released: suppressed", "freq released: cached", "case_control released: suppressed",
		"case_control released: cached", "freq released: suppressed", "freq released: cached"}
	if !reflect.DeepEqual(decisions, want) {
		t.Fatalf("audit decisions %q, want %q", decisions, want)
	}
}

// The question's one ε is split over rows × units figures: the noise of
// one figure has the Laplace scale rows × units / ε (units: 5 a cohort, 1
// for covered), measured over many questions with the same true rows.
func TestIndustryFreqNoiseScale(t *testing.T) {
	s := startServer(t, serverOpts{mutate: func(o *Options) {
		o.Disclosure.Defaults = disclosure.Settings{Budget: 1e6}
	}})
	tok := s.tokens["industry"]
	const draws = 400
	for _, tc := range []struct {
		cohort, vs string
		units      int
		trueAN     int // the cohort's AN at chr1:100
	}{
		{"condition(44054006)", "", 5 + 1, 80},
		{"all", "condition(195967001)", 5 + 5 + 1, 120},
	} {
		var sumAbs, sum float64
		for i := range draws {
			// Regions that hold the one site at 100, each a new question.
			region := fmt.Sprintf("chr1:%d-%d", 1+i%100, 100+i/100)
			r := s.post("/v1/freq", tok, map[string]any{"region": region, "cohort": tc.cohort, "vs": tc.vs})
			if r.status != 200 {
				t.Fatalf("%s in %s: %d %s", region, tc.cohort, r.status, r.body)
			}
			rows := r.json["rows"].([]any)
			if len(rows) != 1 || disclosureOf(t, r)["cached"] != false {
				t.Fatalf("%s: %s", region, r.body)
			}
			row := rows[0].(map[string]any)
			// hom_alt and missing are a true 0: released exactly.
			if number(t, "hom_alt", row["hom_alt"]) != 0 || number(t, "missing", row["missing"]) != 0 {
				t.Fatalf("true zeros: %s", r.body)
			}
			x := float64(number(t, "an", row["an"]) - tc.trueAN)
			sum += x
			sumAbs += math.Abs(x)
		}
		scale := float64(tc.units) / 0.5
		mean, mad := sum/draws, sumAbs/draws
		t.Logf("in %s vs %q: %d draws, noise mean %.2f, mean |noise| %.2f, Laplace scale %.1f", tc.cohort, tc.vs, draws, mean, mad, scale)
		// Laplace(b): mean 0 (SE b·√2/√n), mean |x| = b (SE b/√n = 5%);
		// rounding to 5 adds little at these scales. ±15% tells 5 units a
		// cohort from 4 (AC or AN taken as one person's 1).
		if math.Abs(mean) > 5*scale*math.Sqrt2/math.Sqrt(draws) || mad < 0.85*scale || mad > 1.15*scale {
			t.Errorf("in %s vs %q: noise mean %.2f, mean |noise| %.2f; want 0 and %.1f (scale %d units / ε)", tc.cohort, tc.vs, mean, mad, scale, tc.units)
		}
	}
}

func TestIndustryFreqRules(t *testing.T) {
	diabetes := "condition(44054006)"                            // 40 people
	sameAsDiabetes := diabetes + " and not condition(195967001)" // the same 40: no diabetic has asthma
	nearDiabetes := diabetes + " and not carrier(chr1:300:G:A)"
	for _, tc := range []struct {
		name   string
		before []map[string]any // questions asked first (answered)
		ask    map[string]any
		status int
		msg    string
	}{
		{"small cohort", nil, map[string]any{"region": "chr1", "cohort": "condition(46635009)"}, 403, "smaller than the minimum"},
		{"small comparator", nil, map[string]any{"region": "chr1", "cohort": diabetes, "vs": "condition(46635009)"}, 403, "smaller than the minimum"},
		{"differencing after a count", []map[string]any{{"count": diabetes}},
			map[string]any{"region": "chr1", "cohort": nearDiabetes}, 403, "too similar"},
		{"differencing after a freq", []map[string]any{{"region": "chr1:100-100", "cohort": diabetes}},
			map[string]any{"region": "chr1:200-200", "cohort": nearDiabetes}, 403, "too similar"},
		{"in A vs A minus one or two", nil, map[string]any{"region": "chr1", "cohort": diabetes, "vs": nearDiabetes}, 403, "too similar"},
		{"the same people under another text", []map[string]any{{"count": diabetes}},
			map[string]any{"region": "chr1", "cohort": diabetes + " or condition(38341003)"}, 403, "too similar"},
		{"the same cohort after its count", []map[string]any{{"count": diabetes}},
			map[string]any{"region": "chr1", "cohort": diabetes}, 200, ""},
		{"the same cohort over another region", []map[string]any{{"region": "chr1:100-100", "cohort": diabetes, "vs": "condition(195967001)"}},
			map[string]any{"region": "chr1:200-200", "cohort": diabetes, "vs": "condition(195967001)"}, 200, ""},
		{"the comparator counted first", []map[string]any{{"count": "condition(195967001)"}},
			map[string]any{"region": "chr1", "cohort": diabetes, "vs": "condition(195967001)"}, 200, ""},
		{"everyone, after count all", []map[string]any{{"count": "all"}}, map[string]any{"region": "chr1"}, 200, ""},
		{"same cohort, canonically equal text", []map[string]any{{"region": "chr1", "cohort": sameAsDiabetes}},
			map[string]any{"region": "chr1:200-200", "cohort": "  " + sameAsDiabetes}, 200, ""},
		{"region beyond the row cap", nil, map[string]any{"region": "chr1", "cohort": diabetes}, 400, "the most an industry partner's answer holds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, serverOpts{mutate: func(o *Options) {
				o.Disclosure.Defaults = disclosure.Settings{Budget: 100}
				if tc.status == 400 {
					o.MaxIndustryFreqRows = 3
				}
			}})
			tok := s.tokens["industry"]
			for _, b := range tc.before {
				path := "/v1/freq"
				if c, ok := b["count"]; ok {
					path, b = "/v1/cohorts:count", map[string]any{"query": c}
				}
				if r := s.post(path, tok, b); r.status != 200 {
					t.Fatalf("before: %v: %d %s", b, r.status, r.body)
				}
			}
			spentBefore := spentOn(t, s, tok)
			r := s.post("/v1/freq", tok, tc.ask)
			msg, _ := r.json["message"].(string)
			if r.status != tc.status || !strings.Contains(msg, tc.msg) {
				t.Fatalf("%d %s, want %d %q", r.status, r.body, tc.status, tc.msg)
			}
			spent := spentOn(t, s, tok)
			switch tc.status {
			case 403:
				// The refusal says which rule, never a size, and costs ε.
				if strings.ContainsAny(msg, "0123456789") || r.json["rows"] != nil {
					t.Fatalf("refusal reveals a number or rows: %s", r.body)
				}
				if spent != spentBefore+0.5 {
					t.Fatalf("refusal spent %v (before %v)", spent, spentBefore)
				}
				// Asked again: the same refusal, free.
				if again := s.post("/v1/freq", tok, tc.ask); again.status != 403 || spentOn(t, s, tok) != spent {
					t.Fatalf("repeated refusal: %d %s", again.status, again.body)
				}
			case 400:
				if spent != spentBefore {
					t.Fatalf("a region refused for its size spent %v", spent-spentBefore)
				}
			case 200:
				if spent != spentBefore+0.5 {
					t.Fatalf("answer spent %v (before %v)", spent, spentBefore)
				}
			}
		})
	}
}

// spentOn is what the token's partner has spent on its project and the
// current release (GET /v1/projects).
func spentOn(t *testing.T, s *server, tok string) float64 {
	t.Helper()
	r := s.do("GET", "/v1/projects", tok, "")
	ps, _ := r.json["projects"].([]any)
	if r.status != 200 || len(ps) != 1 {
		t.Fatalf("projects: %d %s", r.status, r.body)
	}
	return ps[0].(map[string]any)["disclosure"].(map[string]any)["spent"].(float64)
}

func TestIndustryFreqBudget(t *testing.T) {
	s := startServer(t, serverOpts{})
	tok := s.tokens["industry"]
	asks := []map[string]any{
		{"region": "chr1:100-100", "cohort": "condition(44054006)"},
		{"region": "chr1:200-200", "cohort": "condition(44054006)", "vs": "condition(195967001)"},
		{"region": "chr1:300-300"},
		{"region": "chr1:100-200"},
	}
	first := map[int]reply{}
	for i, a := range asks {
		r := s.post("/v1/freq", tok, a)
		if r.status != 200 || disclosureOf(t, r)["spent"] != 0.5*float64(i+1) {
			t.Fatalf("question %d: %d %s", i, r.status, r.body)
		}
		first[i] = r
	}
	// The budget (2.0 = four questions) is spent: a new question is 429,
	// whether freq, case/control, coverage or count, and releases nothing.
	for _, a := range []struct {
		path string
		body map[string]any
	}{
		{"/v1/freq", map[string]any{"region": "chr1:200-200"}},
		{"/v1/freq", map[string]any{"region": "chr1", "cohort": "all", "vs": "condition(44054006)"}},
		{"/v1/coverage", map[string]any{"region": "chr1"}},
		{"/v1/cohorts:count", map[string]any{"query": "all"}},
	} {
		r := s.post(a.path, tok, a.body)
		msg, _ := r.json["message"].(string)
		if r.status != http.StatusTooManyRequests || !strings.Contains(msg, "privacy budget exhausted") || r.json["rows"] != nil {
			t.Fatalf("%s %v after the budget: %d %s", a.path, a.body, r.status, r.body)
		}
	}
	// Questions already answered still are, identically and free.
	for i, a := range asks {
		r := s.post("/v1/freq", tok, a)
		if r.status != 200 || disclosureOf(t, r)["cached"] != true || !reflect.DeepEqual(r.json["rows"], first[i].json["rows"]) {
			t.Fatalf("cached question %d after the budget: %d %s", i, r.status, r.body)
		}
	}
	// Another partner has a budget of their own.
	if r := s.post("/v1/freq", s.tokens["industry2"], asks[0]); r.status != 200 || disclosureOf(t, r)["spent"] != 0.5 {
		t.Fatalf("second partner: %d %s", r.status, r.body)
	}
}
