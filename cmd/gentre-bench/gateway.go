package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gentre/gentre/bench/synth"
)

// The gateway load test (-mode gateway): on a synthetic cohort made by
// `gentre synth` and ingested, projects and tokens are made with the
// command line, `gentre serve` runs as a real process on loopback, and the
// harness measures it over REST and gRPC:
//
//  1. single-variant requests (count carrier(V), carriers V) from one
//     client, one after the other: end-to-end latency through the server
//     with authentication and the audit log (issue #4's target);
//  2. a bounded load: -clients concurrent clients for -duration (or
//     -requests in all) with a mix of researcher and industry requests,
//     every answer checked for its expected status; industry refusals
//     that the mix provokes on purpose (a spent budget, a cached small-
//     cohort refusal) are counted apart from errors.
//
// The server's peak RSS (VmHWM) and CPU time, and `gentre audit verify`
// after it stops, go into bench/results/gateway-<date>.md and .tsv.

// gatewayFlags are the flags of -mode gateway.
type gatewayFlags struct {
	clients, requests, partners, seqRuns *int
	duration                             *time.Duration
	store                                *string
}

func addGatewayFlags(fs *flag.FlagSet) *gatewayFlags {
	return &gatewayFlags{
		clients:  fs.Int("clients", 32, "gateway mode: concurrent clients"),
		duration: fs.Duration("duration", 30*time.Second, "gateway mode: length of the load"),
		requests: fs.Int("requests", 0, "gateway mode: a fixed number of requests in all instead of -duration (0: use -duration)"),
		partners: fs.Int("partners", 8, "gateway mode: industry partners, each with a project of its own and four questions that fit its budget"),
		seqRuns:  fs.Int("seq-runs", 300, "gateway mode: one-client single-variant requests of each kind"),
		store:    fs.String("store", "", "gateway mode: serve this existing store (with chr22 and care records) instead of making one; -samples is then ignored"),
	}
}

// gatewayConfig is the gateway mode's settings.
type gatewayConfig struct {
	*config
	Clients  int
	Duration time.Duration
	Requests int
	Partners int
	SeqRuns  int
	Store    string // an existing store to reuse ("" : synth + ingest)
	Keep     bool
}

func (f *gatewayFlags) config(cfg *config, keep bool) (*gatewayConfig, error) {
	g := &gatewayConfig{config: cfg, Clients: *f.clients, Duration: *f.duration, Requests: *f.requests,
		Partners: *f.partners, SeqRuns: *f.seqRuns, Store: *f.store, Keep: keep}
	if g.Clients < 1 || g.Partners < 1 || g.SeqRuns < 1 || g.Requests < 0 || (g.Requests == 0 && g.Duration <= 0) {
		return nil, usageError{errors.New("-clients, -partners and -seq-runs must be ≥ 1, -requests ≥ 0, -duration > 0")}
	}
	if g.Store != "" {
		abs, err := filepath.Abs(g.Store)
		if err != nil {
			return nil, err
		}
		g.Store, g.Samples = abs, []int{0}
	}
	return g, nil
}

// gatewaySizeResult is everything measured on one store.
type gatewaySizeResult struct {
	People, Samples, Linked int
	Generator, SynthCmd     string
	SynthTime               time.Duration
	Reused                  string // the reused store, "" when made here
	Prep                    []prepStep
	Variants                int
	Sequential              []*typeStats
	SeqChecks               []check
	Load                    *loadResult
	ServerRSS               int64         // VmHWM of gentre serve, bytes
	ServerCPU               time.Duration // user+sys of gentre serve during the load
	ServerCmd               string
	AuditVerify             string
	AuditOK                 bool
	ServerLog               []string // lines of the server's stderr other than start and stop
	Notes                   []string
}

func (r *gatewaySizeResult) note(format string, a ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, a...))
}

// runGatewayMode runs the load test for every size (or the one -store)
// and writes NAME.md and NAME.tsv (NAME defaults to gateway-YYYY-MM-DD).
func runGatewayMode(cfg *gatewayConfig, root string, built bool, out, name, cmdline string) error {
	rep := &gatewayReport{Date: time.Now(), Machine: readMachine(), Versions: readVersions(root, cfg.Gentre, built),
		Config: cfg, Command: cmdline}
	for _, n := range cfg.Samples {
		r, err := runGatewaySize(cfg, n)
		if err != nil {
			return fmt.Errorf("%d people: %w", n, err)
		}
		rep.Sizes = append(rep.Sizes, r)
	}
	rep.LoadEnd = loadAvg()
	paths, err := writeResults(out, name, "gateway", rep.Date, resultFile{".md", rep.writeMarkdown}, resultFile{".tsv", rep.writeTSV})
	if err != nil {
		return err
	}
	md := paths[0]
	cfg.Log("wrote %s and %s", md, paths[1])
	if rep.failed() {
		return errors.New("the load test had errors, failed checks or an audit log that does not verify: see " + md)
	}
	return nil
}

// runGatewaySize makes (or reuses) a store of n people and measures the
// server on it.
func runGatewaySize(cfg *gatewayConfig, n int) (*gatewaySizeResult, error) {
	dir := filepath.Join(cfg.Tmp, "gw"+strconv.Itoa(n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if !cfg.Keep {
		defer os.RemoveAll(dir)
	}
	res := &gatewaySizeResult{People: n}
	store := cfg.Store
	if store == "" {
		store = filepath.Join(dir, "store")
		if err := makeGatewayStore(cfg, res, dir, store, n); err != nil {
			return nil, err
		}
	} else {
		res.Reused = store
		res.note("store %s reused as it was: its size is whatever it holds", store)
	}

	// Projects and tokens, with the command line, before serving (the
	// server holds tre.db). Names carry the run's time, so a reused store
	// gets fresh projects (and so fresh budgets).
	cfg.Log("n=%d: projects and tokens", n)
	creds, err := makeCredentials(cfg, store, strings.ToLower(time.Now().UTC().Format("20060102T150405")))
	if err != nil {
		return nil, err
	}

	srv, err := startServer(cfg, store)
	if err != nil {
		return nil, err
	}
	res.ServerCmd = display(cfg.config, dir, srv.cmdline)
	stopped := false
	defer func() {
		if !stopped {
			srv.kill()
		}
	}()
	cfg.Log("n=%d: gentre serve on %s (gRPC %s)", n, srv.rest, srv.grpc)

	cl, err := newLoadClients(srv, creds, cfg.Clients)
	if err != nil {
		return nil, err
	}
	defer cl.close()
	if err := cl.prepare(cfg.Partners); err != nil {
		return nil, fmt.Errorf("preparing the load: %w", err)
	}
	res.Variants = len(cl.variants)
	cfg.Log("n=%d: %d variants; one client, %d single-variant requests of each kind", n, res.Variants, cfg.SeqRuns)
	res.Sequential, res.SeqChecks = cl.sequential(cfg.SeqRuns)

	cfg.Log("n=%d: load: %d clients, %s", n, cfg.Clients, loadLength(cfg))
	cpu0, _ := procCPU(srv.cmd.Process.Pid)
	res.Load = cl.load(cfg.Clients, cfg.Duration, cfg.Requests, cfg.Seed)
	cpu1, _ := procCPU(srv.cmd.Process.Pid)
	res.ServerCPU = cpu1 - cpu0
	res.ServerRSS, _ = procHWM(srv.cmd.Process.Pid)

	stopped = true
	if err := srv.stop(); err != nil {
		res.note("gentre serve did not stop cleanly: %v", err)
	}
	res.ServerLog = srv.logLines()
	out, err := exec.Command(cfg.Gentre, "audit", "verify", "--store", store).CombinedOutput()
	res.AuditVerify, res.AuditOK = strings.TrimSpace(string(out)), err == nil
	if err != nil {
		res.AuditVerify += " (" + err.Error() + ")"
	}
	return res, nil
}

func loadLength(cfg *gatewayConfig) string {
	if cfg.Requests > 0 {
		return commas(int64(cfg.Requests)) + " requests"
	}
	return cfg.Duration.String()
}

// makeGatewayStore runs gentre synth and ingests its output (SNOMED CT,
// care records, genomes with the manifest) into store.
func makeGatewayStore(cfg *gatewayConfig, res *gatewaySizeResult, dir, store string, n int) error {
	data := filepath.Join(dir, "synth")
	sr, err := runSynth(cfg.config, dir, data, n)
	if err != nil {
		return err
	}
	res.SynthTime, res.SynthCmd = sr.Time, sr.Cmd
	res.Linked, res.Samples, res.Generator = sr.Linked, sr.Linked+sr.Unlinked, sr.Generator
	careFiles, err := filepath.Glob(filepath.Join(data, "care*.ndjson*"))
	if err != nil || len(careFiles) == 0 {
		return fmt.Errorf("no care records in %s", data)
	}
	res.Prep = []prepStep{
		{Tool: toolGentre, What: "init", Args: []string{cfg.Gentre, "init", "--store", store}},
		{Tool: toolGentre, What: "ingest snomed", Args: []string{cfg.Gentre, "ingest", "snomed", "--store", store, filepath.Join(data, synth.SNOMEDFile)}},
		{Tool: toolGentre, What: "ingest fhir", Args: append([]string{cfg.Gentre, "ingest", "fhir", "--store", store}, careFiles...)},
		{Tool: toolGentre, What: "ingest vcf", Args: []string{cfg.Gentre, "ingest", "vcf", "--store", store,
			"--manifest", filepath.Join(data, synth.ManifestFile), filepath.Join(data, synth.VCFFile)}},
	}
	cfg.Log("n=%d: gentre init and ingest", n)
	for i := range res.Prep {
		s := &res.Prep[i]
		t, err := repeat(step{Tool: s.Tool, Commands: []command{{Args: s.Args}}}, 1)
		if err != nil {
			return err
		}
		s.M, s.Cmd = t.Runs[0], display(cfg.config, dir, shellJoin(s.Args))
	}
	if !cfg.Keep {
		if err := os.RemoveAll(data); err != nil { // the store is all the server needs
			return err
		}
	}
	return nil
}

// credentials are the tokens of the run: one researcher, one industry
// partner per project, and the partner whose budget the warm-up spends.
type credentials struct {
	researcher, researchProject string
	partners                    []string // token of partner i (project i)
	exhausted                   string
}

// makeCredentials creates the run's projects and tokens with `gentre
// project create` and `gentre token create`.
func makeCredentials(cfg *gatewayConfig, store, stamp string) (*credentials, error) {
	cli := func(args ...string) (string, error) {
		c := exec.Command(cfg.Gentre, args...)
		var stderr bytes.Buffer
		c.Stderr = &stderr
		out, err := c.Output()
		if err != nil {
			return "", fmt.Errorf("gentre %s: %w: %s", args[0]+" "+args[1], err, strings.TrimSpace(stderr.String()))
		}
		return strings.TrimSpace(string(out)), nil
	}
	project := func(name, purpose string) error {
		_, err := cli("project", "create", "--store", store, "--name", name, "--purpose", purpose)
		return err
	}
	token := func(user, role, project string) (string, error) {
		return cli("token", "create", "--store", store, "--user", user, "--role", role, "--project", project)
	}
	c := &credentials{researchProject: "bench-research-" + stamp}
	if err := project(c.researchProject, "research"); err != nil {
		return nil, err
	}
	var err error
	if c.researcher, err = token("bench-researcher", "researcher", c.researchProject); err != nil {
		return nil, err
	}
	for i := range cfg.Partners + 1 {
		p := fmt.Sprintf("bench-industry-%d-%s", i, stamp)
		if err := project(p, "research"); err != nil {
			return nil, err
		}
		tok, err := token(fmt.Sprintf("bench-partner-%d", i), "industry", p)
		if err != nil {
			return nil, err
		}
		if i == cfg.Partners {
			c.exhausted = tok
		} else {
			c.partners = append(c.partners, tok)
		}
	}
	return c, nil
}

// server is a running `gentre serve` process.
type server struct {
	cmd        *exec.Cmd
	cmdline    string
	rest, grpc string // host:port
	mu         sync.Mutex
	log        []string
	done       chan error
}

var listenLine = regexp.MustCompile(`listening on https?://(\S+)`)
var grpcLine = regexp.MustCompile(`gRPC on (\S+)`)

// startServer starts gentre serve on loopback ports chosen by the kernel
// and waits until it says where it listens.
func startServer(cfg *gatewayConfig, store string) (*server, error) {
	args := []string{cfg.Gentre, "serve", "--store", store, "--addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0"}
	s := &server{cmd: exec.Command(args[0], args[1:]...), cmdline: shellJoin(args), done: make(chan error, 1)}
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			if m := listenLine.FindStringSubmatch(line); m != nil {
				s.rest = m[1]
			} else if m := grpcLine.FindStringSubmatch(line); m != nil {
				s.grpc = m[1]
				close(ready)
			} else {
				s.log = append(s.log, line)
			}
			s.mu.Unlock()
		}
		s.done <- s.cmd.Wait()
	}()
	select {
	case <-ready:
		return s, nil
	case err := <-s.done:
		return nil, fmt.Errorf("gentre serve exited before listening: %v: %s", err, strings.Join(s.logLines(), "; "))
	case <-time.After(60 * time.Second):
		s.kill()
		return nil, errors.New("gentre serve did not listen within 60 s")
	}
}

// stop sends SIGINT (a graceful shutdown) and waits up to 20 s.
func (s *server) stop() error {
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		return err
	}
	select {
	case err := <-s.done:
		return err
	case <-time.After(20 * time.Second):
		s.kill()
		return errors.New("no exit 20 s after SIGINT: killed")
	}
}

func (s *server) kill() {
	_ = s.cmd.Process.Kill()
}

func (s *server) logLines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range s.log {
		if !strings.Contains(l, "gentre serve: stopped") {
			out = append(out, l)
		}
	}
	return out
}

// procHWM is a process's peak resident set size (VmHWM), in bytes.
func procHWM(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseHWM(bytes.NewReader(b))
}

func parseHWM(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 3 && f[0] == "VmHWM:" && f[2] == "kB" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmHWM line")
}

// procCPU is a process's user+system CPU time so far (/proc/PID/stat,
// in clock ticks of 1/100 s, Linux's USER_HZ).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

func parseStatCPU(stat string) (time.Duration, error) {
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 { // fields 3.. : utime is field 14, stime 15
		return 0, errors.New("short stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}
