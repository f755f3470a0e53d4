package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/gentre/gentre/bench/synth"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
)

// outcome classifies one answer.
type outcome int

const (
	outOK       outcome = iota // the answer the request should get
	outExpected                // a refusal the mix provokes on purpose (403/429 to industry)
	outError                   // anything else
)

// typeStats is what one request type did.
type typeStats struct {
	Key, Desc string
	Weight    int // share of the mix (load only)
	Lat       []time.Duration
	OK        int
	Expected  int
	Errors    int
	Examples  []string // the first few errors
}

func (s *typeStats) add(o outcome, d time.Duration, why string) {
	s.Lat = append(s.Lat, d)
	switch o {
	case outOK:
		s.OK++
	case outExpected:
		s.Expected++
	default:
		s.Errors++
		if len(s.Examples) < maxExamples {
			s.Examples = append(s.Examples, why)
		}
	}
}

func (s *typeStats) merge(o *typeStats) {
	s.Lat = append(s.Lat, o.Lat...)
	s.OK, s.Expected, s.Errors = s.OK+o.OK, s.Expected+o.Expected, s.Errors+o.Errors
	for _, e := range o.Examples {
		if len(s.Examples) < maxExamples {
			s.Examples = append(s.Examples, e)
		}
	}
}

// Requests is every answer counted.
func (s *typeStats) Requests() int { return s.OK + s.Expected + s.Errors }

// percentile is the q-quantile (0..1) of sorted durations, nearest rank.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// loadResult is the concurrent phase.
type loadResult struct {
	Clients int
	Wall    time.Duration
	Types   []*typeStats
}

// Totals sums the types.
func (l *loadResult) Totals() *typeStats {
	t := &typeStats{Key: "all"}
	for _, s := range l.Types {
		t.merge(s)
	}
	slices.Sort(t.Lat)
	return t
}

// variant is CONTIG:POS:REF:ALT.
type variant struct {
	Chrom    string
	Pos      int
	Ref, Alt string
}

func (v variant) String() string { return fmt.Sprintf("%s:%d:%s:%s", v.Chrom, v.Pos, v.Ref, v.Alt) }

// industryQuestion is an industry partner's request.
type industryQuestion struct {
	path string
	body map[string]any
}

// loadClients are the harness's clients of one server.
type loadClients struct {
	base     string
	http     *http.Client
	conn     *grpc.ClientConn
	grpc     gentrev1.GentreClient
	creds    *credentials
	variants []variant
	windows  []string             // small regions for the researcher's freq
	partner  [][]industryQuestion // each partner's four questions
	refused  industryQuestion     // the exhausted partner's refused question
	fresh    atomic.Int64         // numbers the exhausted partner's new questions
}

// The cohorts of the mix (the synthetic cohort's SNOMED CT codes).
const (
	diabetes      = "condition(<<73211009)"
	plantedRegion = "chr22:24316207-24316207" // the t2d-risk planted site
)

var researchCohorts = []struct{ cohort, by string }{
	{diabetes, ""}, {diabetes + " and sex(female)", ""}, {"age(40..60)", ""}, {"condition(44054006) and not condition(38341003)", ""},
	{"sex(male) and age(70..200)", ""}, {diabetes, "sex"}, {"all", "age"}, {"condition(<<38341003) or condition(<<22298006)", ""},
}

func newLoadClients(s *server, creds *credentials, clients int) (*loadClients, error) {
	conn, err := grpc.NewClient(s.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{MaxIdleConns: 2 * clients, MaxIdleConnsPerHost: 2 * clients, IdleConnTimeout: time.Minute}
	return &loadClients{
		base: "http://" + s.rest, http: &http.Client{Transport: tr, Timeout: 60 * time.Second},
		conn: conn, grpc: gentrev1.NewGentreClient(conn), creds: creds,
	}, nil
}

func (c *loadClients) close() {
	c.conn.Close()
	c.http.CloseIdleConnections()
}

// post sends a JSON request and returns the status and the decoded answer.
func (c *loadClients) post(path, token string, body any) (int, map[string]any, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequest("POST", c.base+path, bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("answer is not JSON: %.100q", raw)
	}
	return resp.StatusCode, m, nil
}

// expect classifies an answer: want is the status that is right, and
// expected a status that is a provoked refusal (0: none); key must be in
// a 200 answer.
func expect(status int, m map[string]any, err error, want, expected int, key string) (outcome, string) {
	switch {
	case err != nil:
		return outError, err.Error()
	case status == want && (want != 200 || m[key] != nil):
		return outOK, ""
	case status == expected:
		return outExpected, ""
	}
	msg, _ := m["message"].(string)
	return outError, fmt.Sprintf("HTTP %d (want %d): %.160s", status, want, msg)
}

// prepare checks the server, finds variants and small regions through the
// researcher's freq, gives every partner its questions, and spends the
// exhausted partner's budget (a refused small cohort, then three counts).
func (c *loadClients) prepare(partners int) error {
	resp, err := c.http.Get(c.base + "/healthz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("/healthz: HTTP %d", resp.StatusCode)
	}
	for _, p := range synth.Planted() {
		c.variants = append(c.variants, variant{p.Chrom, int(p.Pos), p.Ref, p.Alt})
	}
	const windows, span, small = 8, 100_000, 20_000
	for i := range windows {
		start := 1_000_000 + i*6_000_000
		c.windows = append(c.windows, fmt.Sprintf("chr22:%d-%d", start, start+small-1))
		st, m, err := c.post("/v1/freq", c.creds.researcher, map[string]any{"region": fmt.Sprintf("chr22:%d-%d", start, start+span-1)})
		if err != nil || st != 200 {
			return fmt.Errorf("finding variants: HTTP %d %v %v", st, err, m["message"])
		}
		rows, _ := m["rows"].([]any)
		taken := 0
		for _, r := range rows {
			row, _ := r.(map[string]any)
			ac, _ := row["ac"].(float64)
			pos, _ := row["pos"].(float64)
			chrom, _ := row["chrom"].(string)
			ref, _ := row["ref"].(string)
			alt, _ := row["alt"].(string)
			if ac > 0 && alt != "." && taken < 30 {
				c.variants = append(c.variants, variant{chrom, int(pos), ref, alt})
				taken++
			}
		}
	}
	for range partners {
		c.partner = append(c.partner, []industryQuestion{
			{"/v1/cohorts:count", map[string]any{"query": diabetes}},
			{"/v1/cohorts:count", map[string]any{"query": diabetes + " and sex(female)"}},
			{"/v1/freq", map[string]any{"region": plantedRegion, "cohort": diabetes}},
			{"/v1/freq", map[string]any{"region": plantedRegion, "cohort": diabetes, "vs": "not " + diabetes}},
		})
	}
	// The exhausted partner: an empty cohort (refused, and the refusal
	// cached), then three counts: 4 × ε 0.5 = the budget of 2.
	c.refused = industryQuestion{"/v1/freq", map[string]any{"region": plantedRegion, "cohort": diabetes + " and not " + diabetes}}
	steps := []struct {
		q    industryQuestion
		want int
	}{
		{c.refused, 403},
		{industryQuestion{"/v1/cohorts:count", map[string]any{"query": "all"}}, 200},
		{industryQuestion{"/v1/cohorts:count", map[string]any{"query": "sex(female)"}}, 200},
		{industryQuestion{"/v1/cohorts:count", map[string]any{"query": "sex(male)"}}, 200},
		{c.newQuestion(), 429},
	}
	for _, s := range steps {
		st, m, err := c.post(s.q.path, c.creds.exhausted, s.q.body)
		if err != nil || st != s.want {
			return fmt.Errorf("spending the exhausted partner's budget: %s %v: HTTP %d (want %d) %v %v", s.q.path, s.q.body, st, s.want, err, m["message"])
		}
	}
	return nil
}

// newQuestion is a question the exhausted partner has not asked.
func (c *loadClients) newQuestion() industryQuestion {
	pos := 1 + c.fresh.Add(1)
	return industryQuestion{"/v1/freq", map[string]any{"region": fmt.Sprintf("chr22:%d-%d", pos, pos)}}
}

// kind is one request type of the mix.
type kind struct {
	key, desc string
	weight    int
	do        func(c *loadClients, rng *rand.Rand) (outcome, string)
}

func (c *loadClients) variant(rng *rand.Rand) variant { return c.variants[rng.IntN(len(c.variants))] }

// countVariant is the researcher's count carrier(V) over REST.
func countVariant(c *loadClients, v variant) (outcome, string, int) {
	st, m, err := c.post("/v1/cohorts:count", c.creds.researcher, map[string]any{"query": "carrier(" + v.String() + ")"})
	o, why := expect(st, m, err, 200, 0, "count")
	n, _ := m["count"].(float64)
	return o, why, int(n)
}

// carriersOf is the researcher's carriers V over REST.
func carriersOf(c *loadClients, v variant) (outcome, string, int) {
	st, m, err := c.post("/v1/carriers", c.creds.researcher, map[string]any{"variant": v.String()})
	o, why := expect(st, m, err, 200, 0, "pseudonyms")
	ps, _ := m["pseudonyms"].([]any)
	if n, _ := m["count"].(float64); o == outOK && int(n) != len(ps) {
		return outError, fmt.Sprintf("carriers: count %v for %d pseudonyms", n, len(ps)), 0
	}
	return o, why, len(ps)
}

// grpcCountVariant is count carrier(V) over gRPC (the separate listener).
func grpcCountVariant(c *loadClients, v variant) (outcome, string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+c.creds.researcher)
	r, err := c.grpc.CountCohort(ctx, &gentrev1.CountCohortRequest{Query: "carrier(" + v.String() + ")"})
	if err != nil {
		return outError, "gRPC: " + err.Error()
	}
	if r.Count == nil {
		return outError, "gRPC: no count"
	}
	return outOK, ""
}

// mix is the load's request types and their weights.
var mix = []kind{
	{"count-variant", "researcher `count carrier(V)`, REST", 25, func(c *loadClients, rng *rand.Rand) (outcome, string) {
		o, why, _ := countVariant(c, c.variant(rng))
		return o, why
	}},
	{"carriers", "researcher `carriers V`, REST", 15, func(c *loadClients, rng *rand.Rand) (outcome, string) {
		o, why, _ := carriersOf(c, c.variant(rng))
		return o, why
	}},
	{"grpc-count-variant", "researcher `count carrier(V)`, gRPC", 10, func(c *loadClients, rng *rand.Rand) (outcome, string) {
		return grpcCountVariant(c, c.variant(rng))
	}},
	{"count-cohort", "researcher care-record cohort count (some `by sex`/`by age`), REST", 15, func(c *loadClients, rng *rand.Rand) (outcome, string) {
		q := researchCohorts[rng.IntN(len(researchCohorts))]
		st, m, err := c.post("/v1/cohorts:count", c.creds.researcher, map[string]any{"query": q.cohort, "by": q.by})
		return expect(st, m, err, 200, 0, "count")
	}},
	{"freq-region", "researcher `freq` of a 20 kb region, everyone or the diabetes cohort, REST", 10, func(c *loadClients, rng *rand.Rand) (outcome, string) {
		body := map[string]any{"region": c.windows[rng.IntN(len(c.windows))]}
		if rng.IntN(2) == 0 {
			body["cohort"] = diabetes
		}
		st, m, err := c.post("/v1/freq", c.creds.researcher, body)
		return expect(st, m, err, 200, 0, "rows")
	}},
	{"industry", "industry partner's count, freq or case/control (four questions each, cached after the first ask), REST", 20, func(c *loadClients, rng *rand.Rand) (outcome, string) {
		p := rng.IntN(len(c.partner))
		q := c.partner[p][rng.IntN(len(c.partner[p]))]
		key := "count"
		if q.path == "/v1/freq" {
			key = "rows"
		}
		st, m, err := c.post(q.path, c.creds.partners[p], q.body)
		if st == 200 && m["suppressed"] == true { // a suppressed count has no count
			key = "suppressed"
		}
		return expect(st, m, err, 200, 0, key)
	}},
	{"industry-refused", "industry partner with a spent budget: a new question (429) or its cached small-cohort refusal (403), REST", 5, func(c *loadClients, rng *rand.Rand) (outcome, string) {
		if rng.IntN(2) == 0 {
			st, m, err := c.post(c.refused.path, c.creds.exhausted, c.refused.body)
			return expect(st, m, err, 0, 403, "")
		}
		q := c.newQuestion()
		st, m, err := c.post(q.path, c.creds.exhausted, q.body)
		return expect(st, m, err, 0, 429, "")
	}},
}

// sequential times single-variant requests from one client, one at a
// time, after one untimed pass over every variant that also checks that
// count carrier(V) equals the length of carriers V.
func (c *loadClients) sequential(runs int) ([]*typeStats, []check) {
	chk := check{Name: "count carrier(V) = number of carriers V (REST, researcher)", Unit: "variants"}
	for _, v := range c.variants {
		o1, why1, n := countVariant(c, v)
		o2, why2, m := carriersOf(c, v)
		chk.Compared++
		switch {
		case o1 != outOK || o2 != outOK:
			chk.fail("%s: %s %s", v, why1, why2)
		case n != m:
			chk.fail("%s: count %d, carriers %d", v, n, m)
		}
	}
	kinds := []struct {
		key, desc string
		do        func(v variant) (outcome, string)
	}{
		{"count-variant", "researcher `count carrier(V)`, REST", func(v variant) (outcome, string) {
			o, why, _ := countVariant(c, v)
			return o, why
		}},
		{"carriers", "researcher `carriers V`, REST", func(v variant) (outcome, string) {
			o, why, _ := carriersOf(c, v)
			return o, why
		}},
		{"grpc-count-variant", "researcher `count carrier(V)`, gRPC", func(v variant) (outcome, string) { return grpcCountVariant(c, v) }},
	}
	var out []*typeStats
	for _, k := range kinds {
		s := &typeStats{Key: k.key, Desc: k.desc}
		for i := range runs {
			start := time.Now()
			o, why := k.do(c.variants[i%len(c.variants)])
			s.add(o, time.Since(start), why)
		}
		slices.Sort(s.Lat)
		out = append(out, s)
	}
	return out, []check{chk}
}

// load runs clients goroutines, each drawing request types from the mix,
// until d has passed (or, with requests > 0, until that many were sent).
func (c *loadClients) load(clients int, d time.Duration, requests int, seed uint64) *loadResult {
	total := 0
	for _, k := range mix {
		total += k.weight
	}
	var sent atomic.Int64
	deadline := time.Now().Add(d)
	per := make([][]*typeStats, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range clients {
		stats := make([]*typeStats, len(mix))
		for i, k := range mix {
			stats[i] = &typeStats{Key: k.key, Desc: k.desc, Weight: k.weight}
		}
		per[w] = stats
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for {
				if requests > 0 {
					if sent.Add(1) > int64(requests) {
						return
					}
				} else if time.Now().After(deadline) {
					return
				}
				x := rng.IntN(total)
				i := 0
				for x >= mix[i].weight {
					x -= mix[i].weight
					i++
				}
				t0 := time.Now()
				o, why := mix[i].do(c, rng)
				stats[i].add(o, time.Since(t0), why)
			}
		}()
	}
	wg.Wait()
	res := &loadResult{Clients: clients, Wall: time.Since(start)}
	for i, k := range mix {
		s := &typeStats{Key: k.key, Desc: k.desc, Weight: k.weight}
		for w := range clients {
			s.merge(per[w][i])
		}
		slices.Sort(s.Lat)
		res.Types = append(res.Types, s)
	}
	return res
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}
