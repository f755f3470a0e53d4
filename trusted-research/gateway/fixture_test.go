package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/gentre/gentre/engine/coverage"
	"github.com/gentre/gentre/engine/sites"
	"github.com/gentre/gentre/engine/store"
	"github.com/gentre/gentre/ingest/linkage"
	"github.com/gentre/gentre/ingest/vcf"
	"github.com/gentre/gentre/pseudonymise"
	"github.com/gentre/gentre/trusted-research/access"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
	"github.com/gentre/gentre/trusted-research/audit"
	"github.com/gentre/gentre/trusted-research/disclosure"
)

// The fixture cohort: nPeople people (FHIR Patients with valid NHS
// numbers), the first nLinked of them with a genome, plus two unlinked
// samples. Everything is a pure function of the person's index:
//
//	sex:         even female, odd male; 77 other; 78 and 79 none (unknown)
//	birth:       1940 + i%60, month 1 + i%12 (so ages spread over every band)
//	44054006:    i < 40                      (40 people: diabetes)
//	38341003:    i < 23                      (23 people: hypertension)
//	46635009:    40 <= i < 45                (5 people: suppressed for industry)
//	195967001:   i >= 50                     (30 people: asthma)
//	chr1:100 A>G     het in every third linked sample (i%3 == 0)
//	chr1:200 C>T,A   T het for i%4 == 1, A hom for i%10 == 2
//	chr1:300 G>A     het for i in {1, 2} only
//	coverage         samples 0..9 (addCoverage)
//
// Four data releases: care records, manifest, genomes, coverage.
const (
	nPeople  = 80
	nLinked  = 60
	nCovered = 10 // samples with sequencing coverage (see addCoverage)
)

var fixtureAsOf = time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC)

func nhsNumber(t testing.TB, i int) string {
	for seed := 400000000 + 7*i; ; seed++ {
		if n, ok := pseudonymise.NHSNumberWithCheck(fmt.Sprint(seed)); ok {
			return n
		}
	}
}

func fixtureFHIR(t testing.TB, people []int) string {
	var b strings.Builder
	for _, i := range people {
		gender := `"gender":"female",`
		switch {
		case i == 77:
			gender = `"gender":"other",`
		case i >= 78:
			gender = ""
		case i%2 == 1:
			gender = `"gender":"male",`
		}
		fmt.Fprintf(&b, `{"resourceType":"Patient","id":"p%d","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"%s"}],%s"birthDate":"%d-%02d-10"}`+"\n",
			i, nhsNumber(t, i), gender, 1940+i%60, 1+i%12)
		cond := func(code string) {
			fmt.Fprintf(&b, `{"resourceType":"Condition","id":"c%d-%s","subject":{"reference":"Patient/p%d"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"%s"}]}}`+"\n", i, code, i, code)
		}
		if i < 40 {
			cond("44054006")
		}
		if i < 23 {
			cond("38341003")
		}
		if i >= 40 && i < 45 {
			cond("46635009")
		}
		if i >= 50 {
			cond("195967001")
		}
	}
	return b.String()
}

func fixtureVCF() string {
	var b strings.Builder
	b.WriteString("##fileformat=VCFv4.2\n##contig=<ID=chr1,length=1000>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n")
	b.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT")
	for i := 0; i < nLinked+2; i++ {
		fmt.Fprintf(&b, "\tLAB-%04d", i)
	}
	b.WriteString("\n")
	row := func(pos, ref, alt string, gt func(i int) string) {
		fmt.Fprintf(&b, "chr1\t%s\t.\t%s\t%s\t.\tPASS\t.\tGT", pos, ref, alt)
		for i := 0; i < nLinked+2; i++ {
			b.WriteString("\t" + gt(i))
		}
		b.WriteString("\n")
	}
	row("100", "A", "G", func(i int) string {
		if i%3 == 0 {
			return "0/1"
		}
		return "0/0"
	})
	row("200", "C", "T,A", func(i int) string {
		switch {
		case i%4 == 1:
			return "0/1"
		case i%10 == 2:
			return "2/2"
		case i == 7:
			return "./."
		}
		return "0/0"
	})
	row("300", "G", "A", func(i int) string {
		if i == 1 || i == 2 {
			return "0/1"
		}
		return "0/0"
	})
	return b.String()
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// buildStore makes the fixture store in a new folder and returns it and
// its key.
func buildStore(t testing.TB) (string, *pseudonymise.Key) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	in := t.TempDir()
	if err := store.Init(dir); err != nil {
		t.Fatal(err)
	}
	key, err := pseudonymise.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, SecretsDir), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := pseudonymise.WriteKeyFile(filepath.Join(dir, SecretsDir, "pseudonym.key"), key); err != nil {
		t.Fatal(err)
	}
	all := make([]int, nPeople)
	for i := range all {
		all[i] = i
	}
	var man strings.Builder
	man.WriteString("sample_id\tnhs_number\n")
	for i := 0; i < nLinked; i++ {
		fmt.Fprintf(&man, "LAB-%04d\t%s\n", i, nhsNumber(t, i))
	}
	st, err := store.OpenWriter(dir, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := linkage.LoadFHIR(st, key, []string{writeFile(t, in, "care.ndjson", fixtureFHIR(t, all))}, linkage.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := linkage.LoadManifest(st, key, writeFile(t, in, "manifest.tsv", man.String())); err != nil {
		t.Fatal(err)
	}
	ingestVCF(t, st, key, writeFile(t, in, "cohort.vcf", fixtureVCF()))
	addCoverage(t, st, key)
	return dir, key
}

// addCoverage gives samples LAB-0000..LAB-0009 sequencing coverage over
// chr1 (what gentre ingest bam stores): depth 5(i+1) over 1..150 and 2(i+1)
// over 151..1000, in one data release.
func addCoverage(t testing.TB, st *store.Store, key *pseudonymise.Key) {
	t.Helper()
	links, err := linkage.Load(st, key)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := st.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < nCovered; i++ {
		d := uint32(i + 1)
		c, err := coverage.NewContig("chr1", 1000, []uint32{150, 1000}, []uint32{5 * d, 2 * d}, 100)
		if err != nil {
			t.Fatal(err)
		}
		smp, err := coverage.NewSample([]*coverage.Contig{c}, coverage.Flagstat{})
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("LAB-%04d", i)
		if _, err := tx.AddCoverage(links.SamplePseudonym(name), name+".bam", coverage.Encode(smp), store.QC{MeanDepth: float64(2 * d)}); err != nil {
			tx.Abort()
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// ingestVCF is gentre ingest vcf's loop (cmd/gentre), without progress
// and resumption.
func ingestVCF(t testing.TB, st *store.Store, key *pseudonymise.Key, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := vcf.NewReader(bytes.NewReader(data), vcf.Options{Name: filepath.Base(path)})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	h := rd.Header()
	links, err := linkage.Load(st, key)
	if err != nil {
		t.Fatal(err)
	}
	spec := store.BatchSpec{Source: filepath.Base(path), Size: int64(len(data)), Header: strings.Join(h.Lines, "\n")}
	for _, s := range h.Samples {
		spec.Samples = append(spec.Samples, links.SamplePseudonym(s))
	}
	for _, c := range h.Contigs {
		spec.Contigs = append(spec.Contigs, store.ContigInfo{Name: c.Name, Length: c.Length})
	}
	bw, err := st.NewBatch(spec)
	if err != nil {
		t.Fatal(err)
	}
	for rd.Next() {
		rec := rd.Record()
		site := sites.Site{Chrom: rec.Chrom, Pos: rec.Pos, ID: rec.ID, Ref: rec.Ref, Alts: rec.Alt, Qual: rec.Qual, Filter: rec.Filter, Info: rec.Info}
		if err := bw.Add(&site, &rec.GT, nil, nil); err != nil {
			bw.Abort()
			t.Fatal(err)
		}
	}
	if err := rd.Err(); err != nil {
		bw.Abort()
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if _, err := bw.Commit(hex.EncodeToString(sum[:])); err != nil {
		t.Fatal(err)
	}
}

// server is a running gateway over the fixture store.
type server struct {
	t      testing.TB
	dir    string
	key    *pseudonymise.Key
	g      *Gateway
	base   string // http://127.0.0.1:PORT
	addr   string
	grpc   string // the separate gRPC listener, if any
	tokens map[string]string
	cancel context.CancelFunc
	done   chan error
}

// Projects and tokens of the fixture.
const (
	projStudy = "diabetes-study" // research
	projOther = "zeta-study"     // research: another project
	projPlan  = "service-plan"   // planning
)

type serverOpts struct {
	grpcAddr   bool
	serve      func(*ServeOptions) // adjusts how the server listens (TLS)
	mutate     func(*Options)
	beforeOpen func(dir string)
}

func startServer(t testing.TB, so serverOpts) *server {
	t.Helper()
	dir, key := buildStore(t)
	if so.beforeOpen != nil {
		so.beforeOpen(dir)
	}
	var logMu sync.Mutex
	opts := &Options{
		Key:             key,
		AsOf:            fixtureAsOf,
		MaxAuthFailures: -1, // TestUnauthenticated makes hundreds; TestAuthRateLimit sets its own
		Disclosure:      disclosure.Options{Rand: rand.NewPCG(1, 2)},
		Audit:           audit.Options{NoSync: true},
		Logf: func(format string, args ...any) {
			logMu.Lock()
			defer logMu.Unlock()
			t.Logf("gateway: "+format, args...)
		},
	}
	if so.mutate != nil {
		so.mutate(opts)
	}
	g, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, dir: dir, key: key, g: g, tokens: map[string]string{}, done: make(chan error, 1)}
	s.makeTokens()
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	ready := make(chan struct{})
	o := ServeOptions{Addr: "127.0.0.1:0", ShutdownTimeout: 5 * time.Second, Ready: func(rest, ga net.Addr) {
		s.addr = rest.String()
		s.base = "http://" + rest.String()
		if ga != nil {
			s.grpc = ga.String()
		}
		close(ready)
	}}
	if so.grpcAddr {
		o.GRPCAddr = "127.0.0.1:0"
	}
	if so.serve != nil {
		so.serve(&o)
		if o.TLSCert != "" {
			defer func() { s.base = "https://" + s.addr }()
		}
	}
	go func() { s.done <- g.Serve(ctx, o) }()
	select {
	case <-ready:
	case err := <-s.done:
		t.Fatalf("serve: %v", err)
	}
	t.Cleanup(func() { s.stop() })
	return s
}

// stop shuts the server down and closes the gateway, once.
func (s *server) stop() {
	if s.cancel == nil {
		return
	}
	// The client's transport may hold connections it dialed but never sent
	// a request on; the server counts those as active for 5 s and would wait
	// for them in the graceful shutdown.
	http.DefaultClient.CloseIdleConnections()
	s.cancel()
	s.cancel = nil
	if err := <-s.done; err != nil {
		s.t.Errorf("serve returned %v", err)
	}
	if err := s.g.Close(); err != nil {
		s.t.Errorf("close: %v", err)
	}
}

func (s *server) makeTokens() {
	a := s.g.Access()
	for _, p := range []struct {
		name    string
		purpose access.Purpose
	}{{projStudy, access.PurposeResearch}, {projOther, access.PurposeResearch}, {projPlan, access.PurposePlanning}} {
		if _, err := a.CreateProject(access.ProjectSpec{Name: p.name, Purpose: p.purpose}); err != nil {
			s.t.Fatal(err)
		}
	}
	citizen, err := access.CitizenPseudonym(s.key, nhsNumber(s.t, 3))
	if err != nil {
		s.t.Fatal(err)
	}
	for _, spec := range []struct {
		name string
		spec access.TokenSpec
	}{
		{"data-manager", access.TokenSpec{User: "pipeline", Role: access.DataManager}},
		{"researcher", access.TokenSpec{User: "alice", Role: access.Researcher, Project: projStudy}},
		{"industry", access.TokenSpec{User: "pharma-co", Role: access.Industry, Project: projStudy}},
		{"industry2", access.TokenSpec{User: "biotech-co", Role: access.Industry, Project: projStudy}},
		{"output-checker", access.TokenSpec{User: "olive", Role: access.OutputChecker, Project: projStudy}},
		{"auditor", access.TokenSpec{User: "audrey", Role: access.Auditor}},
		{"citizen", access.TokenSpec{User: "citizen-1", Role: access.Citizen, Person: &citizen}},
		{"researcher-other", access.TokenSpec{User: "bob", Role: access.Researcher, Project: projOther}},
		{"researcher-plan", access.TokenSpec{User: "carol", Role: access.Researcher, Project: projPlan}},
	} {
		tok, _, err := a.CreateToken(spec.spec)
		if err != nil {
			s.t.Fatalf("token %s: %v", spec.name, err)
		}
		s.tokens[spec.name] = tok
	}
}

// reply is a REST answer.
type reply struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

func (s *server) do(method, path, token, body string) reply {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, body: b}
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &r.json); err != nil {
			s.t.Fatalf("%s %s: invalid JSON %q: %v", method, path, b, err)
		}
	}
	return r
}

// post is do("POST") with a JSON body built from v.
func (s *server) post(path, token string, v any) reply {
	s.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.do("POST", path, token, string(b))
}

// client returns a gRPC client to addr (the REST listener or the gRPC one).
func (s *server) client(addr string) gentrev1.GentreClient {
	s.t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { conn.Close() })
	return gentrev1.NewGentreClient(conn)
}

// ctx returns a call context carrying token as gRPC metadata.
func (s *server) ctx(token string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	s.t.Cleanup(cancel)
	if token == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}
