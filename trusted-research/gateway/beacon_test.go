package gateway

import (
	"context"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gentre/gentre/engine/query"
	"github.com/gentre/gentre/engine/store"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
	"github.com/gentre/gentre/trusted-research/beacon"
)

// beaconRow is one VCF row of a beacon test batch: gt gives sample i's
// genotype ("0/0" when it returns "").
type beaconRow struct {
	pos, ref, alt string
	gt            func(i int) string
}

// hets is the genotype function of n heterozygous carriers (samples
// 0..n-1) of allele a.
func hets(n, a int) func(int) string {
	return func(i int) string {
		if i < n {
			return fmt.Sprintf("0/%d", a)
		}
		return ""
	}
}

func beaconVCF(prefix string, samples int, header string, rows []beaconRow) string {
	var b strings.Builder
	b.WriteString("##fileformat=VCFv4.2\n" + header + "##contig=<ID=22,length=100000>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n")
	b.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT")
	for i := 0; i < samples; i++ {
		fmt.Fprintf(&b, "\t%s-%04d", prefix, i)
	}
	b.WriteString("\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "22\t%s\t.\t%s\t%s\t.\tPASS\t.\tGT", r.pos, r.ref, r.alt)
		for i := 0; i < samples; i++ {
			gt := r.gt(i)
			if gt == "" {
				gt = "0/0"
			}
			b.WriteString("\t" + gt)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// The beacon batches, on contig "22" (no "chr", unlike the fixture's chr1),
// declaring GRCh38. Allele counts over all samples:
//
//	22:1000 A>G      7  hidden
//	22:1001 C>T      8  shown
//	22:1002 G>A,C    10 shown, 3 hidden (multi-allelic)
//	22:1003 T>TA     9  shown (an insertion)
//	22:1030 G>C      4 + 4 = 8 over two batches: shown
//	22:1040 A>T      4 + 3 = 7 over two batches: hidden
//	22:1050 C>G      0  absent
var (
	beaconBatchA = []beaconRow{
		{"1000", "A", "G", hets(7, 1)},
		{"1001", "C", "T", hets(8, 1)},
		{"1002", "G", "A,C", func(i int) string {
			switch {
			case i < 5:
				return "1/1"
			case i < 8:
				return "0/2"
			}
			return ""
		}},
		{"1003", "T", "TA", hets(9, 1)},
		{"1030", "G", "C", hets(4, 1)},
		{"1040", "A", "T", hets(4, 1)},
		{"1050", "C", "G", hets(0, 1)},
	}
	beaconBatchB = []beaconRow{
		{"1030", "G", "C", hets(4, 1)},
		{"1040", "A", "T", hets(3, 1)},
	}
)

// addBeaconBatch ingests a beacon batch into the running server's store:
// a new data release, which the next request picks up.
func addBeaconBatch(t *testing.T, s *server, prefix string, samples int, rows []beaconRow) {
	t.Helper()
	st, err := store.OpenWriter(s.dir, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ingestVCF(t, st, s.key, writeFile(t, t.TempDir(), prefix+".vcf", beaconVCF(prefix, samples, "##reference=GRCh38\n", rows)))
}

// beaconServer is the fixture with both beacon batches (release 6).
func beaconServer(t *testing.T, so serverOpts) *server {
	s := startServer(t, so)
	addBeaconBatch(t, s, "BCN", 20, beaconBatchA)
	addBeaconBatch(t, s, "XTR", 10, beaconBatchB)
	return s
}

func beaconGet(s *server, token string, params ...string) reply {
	s.t.Helper()
	v := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	return s.do("GET", "/v1/beacon/g_variants?"+v.Encode(), token, "")
}

// variantsOf returns a beacon answer's variants as "contig:start:ref:alt".
func variantsOf(t *testing.T, r reply) []string {
	t.Helper()
	out := []string{}
	vs, _ := r.json["variants"].([]any)
	for _, v := range vs {
		m := v.(map[string]any)
		out = append(out, fmt.Sprintf("%s:%d:%s:%s", m["referenceName"], number(t, "start", m["start"]), m["referenceBases"], m["alternateBases"]))
	}
	return out
}

func TestBeaconAnswers(t *testing.T) {
	s := beaconServer(t, serverOpts{})
	tok := s.tokens["researcher"]
	for _, tc := range []struct {
		name   string
		params []string
		exists bool
		want   []string // count granularity: the variants
	}{
		{"exact, AC 8", []string{"referenceName", "22", "start", "1000", "referenceBases", "C", "alternateBases", "T"}, true, []string{"22:1000:C:T"}},
		{"exact, AC 7 is hidden", []string{"referenceName", "22", "start", "999", "referenceBases", "A", "alternateBases", "G"}, false, []string{}},
		{"exact, absent (AC 0)", []string{"referenceName", "22", "start", "1049", "referenceBases", "C", "alternateBases", "G"}, false, []string{}},
		{"exact, not a site", []string{"referenceName", "22", "start", "5000", "referenceBases", "C", "alternateBases", "G"}, false, []string{}},
		{"exact, 1-based start is a miss", []string{"referenceName", "22", "start", "1001", "referenceBases", "C", "alternateBases", "T"}, false, []string{}},
		{"chr prefix the store lacks", []string{"referenceName", "chr22", "start", "1000", "referenceBases", "C", "alternateBases", "T"}, true, []string{"22:1000:C:T"}},
		{"no chr prefix the store has", []string{"referenceName", "1", "start", "99", "referenceBases", "A", "alternateBases", "G"}, true, []string{"chr1:99:A:G"}},
		{"fixture AC 2 is hidden", []string{"referenceName", "chr1", "start", "299", "referenceBases", "G", "alternateBases", "A"}, false, []string{}},
		{"multi-allelic, common ALT", []string{"referenceName", "22", "start", "1001", "referenceBases", "G", "alternateBases", "A"}, true, []string{"22:1001:G:A"}},
		{"multi-allelic, rare ALT hidden", []string{"referenceName", "22", "start", "1001", "referenceBases", "G", "alternateBases", "C"}, false, []string{}},
		{"insertion", []string{"referenceName", "22", "start", "1002", "referenceBases", "T", "alternateBases", "TA"}, true, []string{"22:1002:T:TA"}},
		{"N in ALT", []string{"referenceName", "22", "start", "1001", "referenceBases", "G", "alternateBases", "N"}, true, []string{"22:1001:G:A"}},
		{"AC summed over batches: 4+4 shown", []string{"referenceName", "22", "start", "1029", "referenceBases", "G", "alternateBases", "C"}, true, []string{"22:1029:G:C"}},
		{"AC summed over batches: 4+3 hidden", []string{"referenceName", "22", "start", "1039", "referenceBases", "A", "alternateBases", "T"}, false, []string{}},
		{"unknown contig", []string{"referenceName", "chr9", "start", "99", "referenceBases", "A", "alternateBases", "G"}, false, []string{}},
		{"range", []string{"referenceName", "22", "start", "999", "end", "1100"}, true,
			[]string{"22:1000:C:T", "22:1001:G:A", "22:1002:T:TA", "22:1029:G:C"}},
		{"range is [start, end)", []string{"referenceName", "22", "start", "1000", "end", "1002"}, true, []string{"22:1000:C:T", "22:1001:G:A"}},
		{"range of hidden alleles only", []string{"referenceName", "22", "start", "999", "end", "1000"}, false, []string{}},
		{"range with REF filter", []string{"referenceName", "22", "start", "0", "end", "100000", "referenceBases", "G"}, true, []string{"22:1001:G:A", "22:1029:G:C"}},
		{"range with ALT filter", []string{"referenceName", "22", "start", "0", "end", "100000", "alternateBases", "NN"}, true, []string{"22:1002:T:TA"}},
		{"range over the fixture's chr1", []string{"referenceName", "chr1", "start", "0", "end", "1000"}, true, []string{"chr1:99:A:G", "chr1:199:C:T", "chr1:199:C:A"}},
		{"assembly alias", []string{"referenceName", "22", "start", "1000", "referenceBases", "C", "alternateBases", "T", "assemblyId", "hg38"}, true, []string{"22:1000:C:T"}},
	} {
		r := beaconGet(s, tok, append(tc.params, "requestedGranularity", "count")...)
		if r.status != 200 {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
			continue
		}
		sum := r.json["responseSummary"].(map[string]any)
		got := variantsOf(t, r)
		if sum["exists"] != tc.exists || number(t, "numTotalResults", sum["numTotalResults"]) != len(tc.want) || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: exists %v, %v results, variants %v; want %v, %v", tc.name, sum["exists"], sum["numTotalResults"], got, tc.exists, tc.want)
		}
		meta := r.json["meta"].(map[string]any)
		if meta["beaconId"] != "org.gentre.store" || meta["apiVersion"] != "v2.0.0" || meta["returnedGranularity"] != "count" || meta["release"] != "6" {
			t.Errorf("%s: meta %v", tc.name, meta)
		}
		// Boolean granularity (the default): exists only.
		r = beaconGet(s, tok, tc.params...)
		sum = r.json["responseSummary"].(map[string]any)
		if r.status != 200 || sum["exists"] != tc.exists || sum["numTotalResults"] != nil || len(variantsOf(t, r)) != 0 ||
			r.json["meta"].(map[string]any)["returnedGranularity"] != "boolean" {
			t.Errorf("%s, boolean: %d %s", tc.name, r.status, r.body)
		}
	}
	if strings.Contains(string(beaconGet(s, tok, "referenceName", "22", "start", "1000", "referenceBases", "C", "alternateBases", "T").body), s.dir) {
		t.Fatal("the answer names the store's path")
	}

	// POST with a JSON body, and gRPC: the same answers.
	body := map[string]any{"referenceName": "22", "start": 999, "end": 1100, "requestedGranularity": "count"}
	r := s.post("/v1/beacon/g_variants", tok, body)
	if got := variantsOf(t, r); r.status != 200 || len(got) != 4 || got[3] != "22:1029:G:C" {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	end := int32(1100)
	g, err := s.client(s.addr).Beacon(s.ctx(tok), &gentrev1.BeaconRequest{ReferenceName: "chr22", Start: 999, End: &end, RequestedGranularity: "count"})
	if err != nil || !g.GetResponseSummary().GetExists() || g.GetResponseSummary().GetNumTotalResults() != 4 || len(g.GetVariants()) != 4 {
		t.Fatalf("gRPC: %v %v", g, err)
	}

	// The audit log records the canonical question, with the store's contig.
	before := s.g.AuditLog().Size()
	beaconGet(s, tok, "referenceName", "chr22", "start", "1000", "referenceBases", "c", "alternateBases", "t", "requestedGranularity", "count")
	e := auditEntry(t, s, before)
	if e.Action != "beacon" || e.Decision != "allowed" || e.Release != 6 || e.Result.IsZero() ||
		e.Request != "GET /v1/beacon/g_variants g_variants referenceName=22 start=1000 referenceBases=C alternateBases=T requestedGranularity=count" {
		t.Fatalf("audit entry: %+v", e)
	}
}

// TestBeaconAgreesWithTheEngine asks the beacon about every allele the
// engine holds: present exactly when its AC over all samples is above 7.
func TestBeaconAgreesWithTheEngine(t *testing.T) {
	s := beaconServer(t, serverOpts{})
	e := engineAt(t, s.dir)
	shown, hidden := 0, 0
	for _, contig := range []string{"chr1", "22"} {
		var all []query.Allele
		err := e.Alleles(context.Background(), contig, 1, 1<<31-1, func(a *query.Allele) error { all = append(all, *a); return nil })
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range all {
			if a.Alt == "." {
				continue
			}
			r := beaconGet(s, s.tokens["industry"], "referenceName", contig, "start", fmt.Sprint(a.Pos-1), "referenceBases", a.Ref, "alternateBases", a.Alt)
			if r.status != 200 {
				t.Fatalf("%s:%d %s>%s: %d %s", contig, a.Pos, a.Ref, a.Alt, r.status, r.body)
			}
			want := a.AC > beacon.HiddenMaxAC
			if r.json["responseSummary"].(map[string]any)["exists"] != want {
				t.Errorf("%s:%d %s>%s AC %d: %s", contig, a.Pos, a.Ref, a.Alt, a.AC, r.body)
			}
			if want {
				shown++
			} else {
				hidden++
			}
		}
	}
	if shown != 7 || hidden != 5 {
		t.Fatalf("%d alleles shown, %d hidden; want 7 and 5", shown, hidden)
	}
}

func TestBeaconBadRequests(t *testing.T) {
	s := beaconServer(t, serverOpts{})
	tok := s.tokens["researcher"]
	for _, tc := range []struct {
		query string // GET parameters, or a POST body when it starts with {
		code  int
		want  string
	}{
		{"start=5&referenceBases=A&alternateBases=G", 400, "referenceName: required"},
		{"referenceName=chr1:5&start=5&referenceBases=A&alternateBases=G", 400, "referenceName: character 5"},
		{"referenceName=22&start=-1&referenceBases=A&alternateBases=G", 400, "start: negative"},
		{"referenceName=22&start=five&referenceBases=A&alternateBases=G", 400, "start"},
		{"referenceName=22&start=1000&alternateBases=T", 400, "referenceBases: required without end"},
		{"referenceName=22&start=1000&referenceBases=C", 400, "alternateBases: required without end"},
		{"referenceName=22&start=1000&referenceBases=C&alternateBases=%3CDEL%3E", 400, "alternateBases: character 1"},
		{"referenceName=22&start=1000&referenceBases=Cx&alternateBases=T", 400, "referenceBases: character 2"},
		{"referenceName=22&start=1000&end=1000", 400, "end: not after start"},
		{"referenceName=22&start=1000&end=20", 400, "end: not after start"},
		{"referenceName=22&start=1000&end=1100&requestedGranularity=record", 400, "requestedGranularity: record granularity is not offered"},
		{"referenceName=22&start=1000&end=1100&requestedGranularity=many", 400, "requestedGranularity: want boolean or count"},
		{"referenceName=22&start=1000&end=1100&assemblyId=GRCh37", 400, "assemblyId: the store's genomes are GRCh38"},
		{"referenceName=22&start=1000&referenceBases=" + strings.Repeat("A", 1001) + "&alternateBases=T", 400, "referenceBases: longer than 1000"},
		{`{"referenceName": "22", "start": 1000, "end": 1100, "variantType": "SNP"}`, 400, "variantType"},
		{`{"referenceName": "22", "start": "x"}`, 400, "start"},
	} {
		var r reply
		if strings.HasPrefix(tc.query, "{") {
			r = s.do("POST", "/v1/beacon/g_variants", tok, tc.query)
		} else {
			r = s.do("GET", "/v1/beacon/g_variants?"+tc.query, tok, "")
		}
		msg, _ := r.json["message"].(string)
		if r.status != tc.code || !strings.Contains(msg, tc.want) {
			t.Errorf("%.60s: %d %q, want %d containing %q", tc.query, r.status, msg, tc.code, tc.want)
		}
	}
	// A project-bound token naming another project, and roles without the
	// right: 403.
	r := s.post("/v1/beacon/g_variants", s.tokens["researcher-other"], map[string]any{"referenceName": "22", "start": 1000, "referenceBases": "C", "alternateBases": "T", "project": projStudy})
	if r.status != 403 {
		t.Fatalf("another project: %d %s", r.status, r.body)
	}
	for _, role := range []string{"data-manager", "output-checker", "auditor", "citizen"} {
		if r := beaconGet(s, s.tokens[role], "referenceName", "22", "start", "1000", "referenceBases", "C", "alternateBases", "T"); r.status != 403 {
			t.Errorf("%s: %d %s", role, r.status, r.body)
		}
	}
}

// TestBeaconRangeLimit: a range holding more alleles than MaxFreqRows is
// refused, asking for a smaller one.
func TestBeaconRangeLimit(t *testing.T) {
	s := beaconServer(t, serverOpts{mutate: func(o *Options) { o.MaxFreqRows = 4 }})
	r := beaconGet(s, s.tokens["researcher"], "referenceName", "22", "start", "0", "end", "100000")
	if msg, _ := r.json["message"].(string); r.status != 400 || !strings.Contains(msg, "end: the range holds more than 4 alleles; ask for a smaller range") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := beaconGet(s, s.tokens["researcher"], "referenceName", "22", "start", "999", "end", "1002"); r.status != 200 {
		t.Fatalf("4 alleles: %d %s", r.status, r.body)
	}
}

// TestBeaconQueryLimit: an industry partner may ask MaxBeaconQueries
// distinct questions per project and data release; researchers are not
// limited.
func TestBeaconQueryLimit(t *testing.T) {
	s := startServer(t, serverOpts{mutate: func(o *Options) { o.MaxBeaconQueries = 3 }})
	addBeaconBatch(t, s, "BCN", 20, beaconBatchA)
	ind := s.tokens["industry"]
	ask := func(tok string, start int) reply {
		return beaconGet(s, tok, "referenceName", "22", "start", fmt.Sprint(start), "referenceBases", "C", "alternateBases", "T")
	}
	for i, start := range []int{1000, 1001, 1002} {
		r := ask(ind, start)
		if r.status != 200 || r.header.Get("X-Gentre-Beacon-Queries") != fmt.Sprint(i+1) || r.header.Get("X-Gentre-Beacon-Limit") != "3" {
			t.Fatalf("question %d: %d %s %v", i+1, r.status, r.body, r.header)
		}
	}
	before := s.g.AuditLog().Size()
	r := ask(ind, 1003)
	msg, _ := r.json["message"].(string)
	if r.status != 429 || !strings.Contains(msg, "3 of the 3 distinct beacon questions") || strings.Contains(string(r.body), "exists") {
		t.Fatalf("a fourth question: %d %s", r.status, r.body)
	}
	if e := auditEntry(t, s, before); e.Decision != "refused: beacon query limit" || !e.Result.IsZero() || !strings.Contains(e.Request, "start=1003") {
		t.Fatalf("audit entry of the refusal: %+v", e)
	}
	// A question asked before is answered without counting, whether the
	// contig is named with or without chr and the bases in either case.
	r = beaconGet(s, ind, "referenceName", "chr22", "start", "1000", "referenceBases", "c", "alternateBases", "t")
	if r.status != 200 || r.json["responseSummary"].(map[string]any)["exists"] != true || r.header.Get("X-Gentre-Beacon-Queries") != "3" {
		t.Fatalf("a question asked before: %d %s", r.status, r.body)
	}
	// Granularity makes another question.
	if r := beaconGet(s, ind, "referenceName", "22", "start", "1000", "referenceBases", "C", "alternateBases", "T", "requestedGranularity", "count"); r.status != 429 {
		t.Fatalf("the same allele at count granularity: %d %s", r.status, r.body)
	}
	// Over gRPC too.
	_, err := s.client(s.addr).Beacon(s.ctx(ind), &gentrev1.BeaconRequest{ReferenceName: "22", Start: 1004, ReferenceBases: "A", AlternateBases: "G"})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("gRPC: %v", err)
	}
	// Another partner has their own allowance; researchers have none.
	if r := ask(s.tokens["industry2"], 1003); r.status != 200 || r.header.Get("X-Gentre-Beacon-Queries") != "1" {
		t.Fatalf("another partner: %d %s", r.status, r.body)
	}
	for start := 990; start < 1000; start++ {
		if r := ask(s.tokens["researcher"], start); r.status != 200 || r.header.Get("X-Gentre-Beacon-Queries") != "" {
			t.Fatalf("researcher: %d %s %v", r.status, r.body, r.header)
		}
	}
	// A new data release has a fresh allowance.
	addBeaconBatch(t, s, "XTR", 10, beaconBatchB)
	var header metadata.MD
	_, err = s.client(s.addr).Beacon(s.ctx(ind), &gentrev1.BeaconRequest{ReferenceName: "22", Start: 1003, ReferenceBases: "C", AlternateBases: "T"}, grpc.Header(&header))
	if err != nil || len(header.Get("x-gentre-beacon-queries")) != 1 || header.Get("x-gentre-beacon-queries")[0] != "1" {
		t.Fatalf("new release: %v %v", err, header)
	}
}

// TestScrubDecodeError: a JSON decoding error names the field, never the
// value sent (an NHS number sent as a number would otherwise come back).
func TestScrubDecodeError(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`proto: (line 1:45): invalid value for string field nhs_number: 9434765919`, "request body: invalid value for string field nhs_number"},
		{`proto: (line 1:2): unknown field "approve"`, `request body: unknown field "approve"`},
		{`proto: syntax error (line 1:5): unexpected token 9434765919`, "request body: not valid JSON for this endpoint (docs/api.md)"},
	} {
		got := status.Convert(scrubDecodeError(status.Error(codes.InvalidArgument, tc.in))).Message()
		if got != tc.want || strings.Contains(got, "9434765919") {
			t.Errorf("%q → %q, want %q", tc.in, got, tc.want)
		}
	}
	other := status.Error(codes.InvalidArgument, "region: bad")
	if scrubDecodeError(other) != other {
		t.Error("a handler's own message was rewritten")
	}
}
