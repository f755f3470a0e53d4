package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gentre/gentre/bench/synth"
)

// The cohort-query benchmark (-mode cohort): on a synthetic cohort made by
// `gentre synth`, allele frequencies on chr22 in two care-record cohorts,
// timed as whole processes against plink2 --keep and bcftools view -S, and
// inside the harness's process against gentre's query engine; every answer
// is checked against the others and against the harness's own count.

// goGeneratorAbove is the cohort size above which `gentre synth` is given
// --generator go (scrm is too slow for many haplotypes).
const goGeneratorAbove = 10_000

// cohortConfig is the cohort mode's settings.
type cohortConfig struct {
	*config
	EngineRuns   int  // timed engine-only runs per query
	Keep         bool // keep the scratch data
	RequirePeers bool // GENTRE_REQUIRE_PEERS=1: a missing peer is an error
	Profile      bool // profile gentre's query (process and engine)
	// ChunkCache is the engine's decoded-chunk cache for the engine-only
	// timings, as the gateway sets it (1 GiB); the engine is also timed
	// without one. 0: only without.
	ChunkCache int64
}

// prepStep is one untimed preparation process (its RSS still counts for
// the memory target when it is gentre's).
type prepStep struct {
	Tool, What string
	Args       []string
	Cmd        string // for the report
	M          measure
}

// questionResult is one question at one size.
type questionResult struct {
	Q       question
	Truth   cohortTruth
	Process map[string]timing // whole processes, by tool
	Cmd     map[string]string
}

// cohortSizeResult is everything measured for one cohort size.
type cohortSizeResult struct {
	People     int // --patients
	Generator  string
	SynthCmd   string
	SynthTime  time.Duration
	VCFSamples int // VCF columns (linked + unlinked)
	Linked     int
	Records    int
	Have       map[string]bool
	Prep       []prepStep
	Questions  []*questionResult
	// Engine is the engine-only result as a server runs it (with the
	// gateway's decoded-chunk cache, cfg.ChunkCache); NoCache without a
	// chunk cache (nil when cfg.ChunkCache is 0: Engine is then without).
	Engine  *engineResult
	NoCache *engineResult
	Checks  []check
	Notes   []string
	// ProcessProfileTop is `go tool pprof -top` of one `gentre query
	// --cpuprofile` run of the first question.
	ProcessProfileTop string
	ProfileCmd        string
}

func (r *cohortSizeResult) note(format string, a ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, a...))
}

// Genotypes is VCF samples × records.
func (r *cohortSizeResult) Genotypes() int64 { return int64(r.VCFSamples) * int64(r.Records) }

// generatorFor is the --generator given to gentre synth for n people.
func generatorFor(cfg *config, n int) string {
	if cfg.Generator != "" {
		return cfg.Generator
	}
	if n > goGeneratorAbove {
		return "go"
	}
	return "" // synth's default: scrm when installed
}

// gentre synth's summary line: its genomes always, and, when it wrote a
// VCF, its records and generator.
var (
	synthGenomes = regexp.MustCompile(`(\d+) linked \+ (\d+) unlinked genomes`)
	synthSummary = regexp.MustCompile(`(\d+) linked \+ (\d+) unlinked genomes, (\d+) VCF records \((\w+), \d+ planted\)`)
)

// synthRun is one run of gentre synth.
type synthRun struct {
	Cmd              string // as shown in reports
	Time             time.Duration
	Summary          string // its summary (stderr)
	Linked, Unlinked int
	Records          string // VCF records, "" when the summary has none
	Generator        string // scrm or go, "" as Records
}

// runSynth runs gentre synth for n people into data (a folder in dir) and
// reads its summary.
func runSynth(cfg *config, dir, data string, n int) (synthRun, error) {
	args := []string{cfg.Gentre, "synth", "--out", data, "--patients", strconv.Itoa(n),
		"--seed", strconv.FormatUint(cfg.Seed, 10), "--sites", strconv.Itoa(cfg.Sites)}
	if g := generatorFor(cfg, n); g != "" {
		args = append(args, "--generator", g)
	}
	cfg.Log("n=%d: gentre synth", n)
	start := time.Now()
	var stderr bytes.Buffer
	c := exec.Command(args[0], args[1:]...)
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		return synthRun{}, fmt.Errorf("gentre synth: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	r := synthRun{Cmd: display(cfg, dir, shellJoin(args)), Time: time.Since(start), Summary: strings.TrimSpace(stderr.String())}
	m := synthGenomes.FindStringSubmatch(r.Summary)
	if m == nil {
		return synthRun{}, fmt.Errorf("gentre synth: unexpected summary %q", r.Summary)
	}
	r.Linked, _ = strconv.Atoi(m[1])
	r.Unlinked, _ = strconv.Atoi(m[2])
	if m := synthSummary.FindStringSubmatch(r.Summary); m != nil {
		r.Records, r.Generator = m[3], m[4]
	}
	return r, nil
}

// runCohortSize makes the cohort of n people and measures everything on it.
func runCohortSize(cfg *cohortConfig, n int) (*cohortSizeResult, error) {
	dir := filepath.Join(cfg.Tmp, "n"+strconv.Itoa(n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if !cfg.Keep {
		defer os.RemoveAll(dir)
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	res := &cohortSizeResult{People: n, Have: map[string]bool{toolGentre: true}}
	for _, t := range []string{toolPlink2, toolBcftools} {
		if _, err := exec.LookPath(t); err == nil {
			res.Have[t] = true
		} else if cfg.RequirePeers {
			return nil, fmt.Errorf("%s not installed and GENTRE_REQUIRE_PEERS=1", t)
		} else {
			res.note("%s not installed: not measured", t)
		}
	}

	// 1. The synthetic cohort.
	data := p("synth")
	sr, err := runSynth(cfg.config, dir, data, n)
	if err != nil {
		return nil, err
	}
	if sr.Generator == "" {
		return nil, fmt.Errorf("gentre synth: unexpected summary %q", sr.Summary)
	}
	res.SynthTime, res.SynthCmd = sr.Time, sr.Cmd
	res.Linked, res.VCFSamples, res.Generator = sr.Linked, sr.Linked+sr.Unlinked, sr.Generator
	cfg.Log("n=%d: %d samples, %s VCF records (%s), %.1fs", n, res.VCFSamples, sr.Records, res.Generator, res.SynthTime.Seconds())

	// 2. Stores (not timed in the comparison; gentre's peak RSS counts).
	vcf := filepath.Join(data, synth.VCFFile)
	store, pfx, bcf := p("store"), p("plink"), p("cohort.bcf")
	careFiles, err := filepath.Glob(filepath.Join(data, "care*.ndjson*"))
	if err != nil || len(careFiles) == 0 {
		return nil, fmt.Errorf("no care records in %s", data)
	}
	prep := []prepStep{
		{Tool: toolGentre, What: "init", Args: []string{cfg.Gentre, "init", "--store", store}},
		{Tool: toolGentre, What: "ingest snomed", Args: []string{cfg.Gentre, "ingest", "snomed", "--store", store, filepath.Join(data, synth.SNOMEDFile)}},
		{Tool: toolGentre, What: "ingest fhir", Args: append([]string{cfg.Gentre, "ingest", "fhir", "--store", store}, careFiles...)},
		{Tool: toolGentre, What: "ingest vcf", Args: []string{cfg.Gentre, "ingest", "vcf", "--store", store, "--manifest", filepath.Join(data, synth.ManifestFile), vcf}},
	}
	if res.Have[toolPlink2] {
		prep = append(prep, prepStep{Tool: toolPlink2, What: "make-pgen", Args: []string{"plink2", "--vcf", vcf, "--make-pgen",
			"--vcf-half-call", "m", "--threads", strconv.Itoa(cfg.Threads), "--out", pfx}})
	}
	if res.Have[toolBcftools] {
		prep = append(prep, prepStep{Tool: toolBcftools, What: "view -Ob", Args: []string{"bcftools", "view", "-Ob", "-o", bcf, vcf}})
	}
	cfg.Log("n=%d: gentre ingest, plink2 --make-pgen, bcftools view -Ob (not timed)", n)
	for i := range prep {
		s := &prep[i]
		t, err := repeat(step{Tool: s.Tool, Commands: []command{{Args: s.Args}}}, 1)
		if err != nil {
			return nil, err
		}
		s.M = t.Runs[0]
		s.Cmd = display(cfg.config, dir, shellJoin(s.Args))
	}
	res.Prep = prep

	// 3. The cohorts, from the files, without gentre.
	cfg.Log("n=%d: cohorts from the synthetic files", n)
	sets, linkedMap, err := computeCohorts(res, data, careFiles, dir)
	if err != nil {
		return nil, err
	}
	planted := synth.Planted()
	watch := make([]watchVariant, len(planted))
	for i, pv := range planted {
		watch[i] = watchVariant{Chrom: pv.Chrom, Pos: pv.Pos, Ref: pv.Ref, Alt: pv.Alt}
	}
	cfg.Log("n=%d: the harness's own count of the VCF", n)
	// The last set (nil) is every sample: the engine's all-samples reference.
	tally, err := tallyVCFFile(vcf, append(sets, nil), linkedMap, watch)
	if err != nil {
		return nil, err
	}
	res.Records = tally.Records
	if tally.Samples != res.VCFSamples {
		return nil, fmt.Errorf("VCF has %d samples, gentre synth said %d", tally.Samples, res.VCFSamples)
	}

	// 4. Whole processes, interleaved.
	for _, qr := range res.Questions {
		if err := timeQuestion(cfg, res, qr, dir); err != nil {
			return nil, err
		}
	}

	// 5. Where gentre's time goes: one profiled process.
	if cfg.Profile {
		if err := profileProcess(cfg, res, dir); err != nil {
			res.note("process profile failed: %v", err)
		}
	}

	// 6. Engine-only.
	cfg.Log("n=%d: engine-only, %d runs of each query, chunk cache %d bytes and none", n, cfg.EngineRuns, cfg.ChunkCache)
	cars := make([]engineCarrier, len(watch))
	for i := range watch {
		cars[i] = engineCarrier{Name: planted[i].Name, Variant: watch[i]}
	}
	profile := ""
	if cfg.Profile {
		profile = p("engine.pprof")
	}
	var qs []question
	for _, qr := range res.Questions {
		qs = append(qs, qr.Q)
	}
	if cfg.ChunkCache > 0 {
		if res.NoCache, err = runEngine(store, synth.Contig, qs, cars, cfg.EngineRuns, 0, ""); err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
	}
	if res.Engine, err = runEngine(store, synth.Contig, qs, cars, cfg.EngineRuns, cfg.ChunkCache, profile); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if profile != "" {
		if top, err := pprofTop("", profile); err == nil {
			res.Engine.ProfileTop = top
		} else {
			res.note("engine profile: %v", err)
		}
	}

	// 7. Checks.
	checkCohortAnswers(res, tally, dir)
	return res, nil
}

// computeCohorts works out each question's cohort from the files, writes
// the sample files and adds the questions to res. It returns the sample
// sets (for the VCF count) and the linked samples (sample -> person).
func computeCohorts(res *cohortSizeResult, data string, careFiles []string, dir string) ([]map[string]bool, map[string]string, error) {
	f, err := os.Open(filepath.Join(data, synth.SNOMEDFile))
	if err != nil {
		return nil, nil, err
	}
	desc, err := rf2Descendants(f, diabetesConcept)
	f.Close()
	if err != nil {
		return nil, nil, err
	}
	people, err := readCare(careFiles)
	if err != nil {
		return nil, nil, err
	}
	mf, err := os.Open(filepath.Join(data, synth.ManifestFile))
	if err != nil {
		return nil, nil, err
	}
	man, err := readManifestTSV(mf)
	mf.Close()
	if err != nil {
		return nil, nil, err
	}
	var sets []map[string]bool
	for _, q := range questions {
		t := selectCohort(q, people, desc, man)
		if err := writeSampleFile(filepath.Join(dir, "samples."+q.Key+".txt"), t.Samples); err != nil {
			return nil, nil, err
		}
		set := make(map[string]bool, len(t.Samples))
		for _, s := range t.Samples {
			set[s] = true
		}
		sets = append(sets, set)
		res.Questions = append(res.Questions, &questionResult{Q: q, Truth: t, Process: map[string]timing{}, Cmd: map[string]string{}})
	}
	return sets, linkedSamples(people, man), nil
}

// bcftoolsCohortPipeline is the bcftools peer of `freq chr22 in COHORT`.
func bcftoolsCohortPipeline(samples, bcf string) string {
	return "set -o pipefail; bcftools view -S " + shellJoin([]string{samples}) + " -Ou " + shellJoin([]string{bcf}) +
		" | bcftools +fill-tags -Ou -- -t AC,AN | bcftools norm -m- -Ou | bcftools query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\t%AC\\t%AN\\n'"
}

// timeQuestion times one question's whole processes, interleaved.
func timeQuestion(cfg *cohortConfig, res *cohortSizeResult, qr *questionResult, dir string) error {
	p := func(name string) string { return filepath.Join(dir, name) }
	k := qr.Q.Key
	samples, fOut := p("samples."+k+".txt"), p("freq."+k)
	steps := []step{{Tool: toolGentre, Commands: []command{{
		Args: []string{cfg.Gentre, "query", "--store", p("store"), qr.Q.FreqQuery(synth.Contig)}, Stdout: p("gentre." + k + ".tsv")}}}}
	if res.Have[toolPlink2] {
		steps = append(steps, step{Tool: toolPlink2,
			Prepare:  func() error { return removeGlob(fOut + ".*") },
			Commands: []command{{Args: []string{"plink2", "--pfile", p("plink"), "--keep", samples, "--freq", "--out", fOut}}}})
	}
	if res.Have[toolBcftools] {
		steps = append(steps, step{Tool: toolBcftools, Commands: []command{{
			Args: []string{"bash", "-c", bcftoolsCohortPipeline(samples, p("cohort.bcf"))}, Stdout: p("bcftools." + k + ".tsv")}}})
	}
	cfg.Log("n=%d: %s: %d rounds of %d tools", res.People, k, cfg.Repeats, len(steps))
	var err error
	if qr.Process, err = interleave(steps, cfg.Repeats); err != nil {
		return err
	}
	for _, s := range steps {
		qr.Cmd[s.Tool] = display(cfg.config, dir, joinCommands(s.Commands))
	}
	if res.Have[toolBcftools] {
		qr.Cmd[toolBcftools] = strings.TrimPrefix(bcftoolsCohortPipeline("samples."+k+".txt", "cohort.bcf"), "set -o pipefail; ") +
			" > bcftools." + k + ".tsv"
	}
	return nil
}

// profileRuns is how many `gentre query --cpuprofile` processes are run
// (untimed) and merged for the profile: one short process gives few samples.
const profileRuns = 10

// profileProcess runs `gentre query --cpuprofile` profileRuns times for the
// first question and keeps pprof's top functions of the merged profiles.
func profileProcess(cfg *cohortConfig, res *cohortSizeResult, dir string) error {
	q := res.Questions[0].Q
	var profs []string
	for i := range profileRuns {
		prof := filepath.Join(dir, fmt.Sprintf("query.%d.pprof", i))
		args := []string{cfg.Gentre, "query", "--cpuprofile", prof, "--store", filepath.Join(dir, "store"), q.FreqQuery(synth.Contig)}
		if _, err := run(command{Args: args}); err != nil {
			return err
		}
		if i == 0 {
			res.ProfileCmd = display(cfg.config, dir, shellJoin(args))
		}
		profs = append(profs, prof)
	}
	top, err := pprofTop(cfg.Gentre, profs...)
	if err != nil {
		return err
	}
	res.ProcessProfileTop = top
	return nil
}

// pprofTop is `go tool pprof -top` of profiles (merged): the top functions
// by own time, then gentre's functions by cumulative time.
func pprofTop(binary string, profiles ...string) (string, error) {
	var parts []string
	for _, opts := range [][]string{{"-nodecount=15"}, {"-cum", "-nodecount=18", "-show=github.com/gentre/gentre/"}} {
		args := append([]string{"tool", "pprof", "-top"}, opts...)
		if binary != "" {
			args = append(args, binary)
		}
		out, err := exec.Command("go", append(args, profiles...)...).Output()
		if err != nil {
			return "", fmt.Errorf("go tool pprof: %w", err)
		}
		var keep []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if strings.HasPrefix(l, "File:") || strings.HasPrefix(l, "Build ID:") || strings.HasPrefix(l, "Time:") ||
				strings.HasPrefix(l, "Type:") || strings.HasPrefix(l, "Dropped") || strings.HasPrefix(l, "Active filters") ||
				strings.HasPrefix(l, "   show=") || (len(parts) > 0 && strings.HasPrefix(l, "Duration:")) {
				continue
			}
			keep = append(keep, l)
		}
		parts = append(parts, strings.Join(keep, "\n"))
	}
	return parts[0] + "\n\ngentre's functions by cumulative time (-cum -show=github.com/gentre/gentre/; time in other packages, zstd among them, is shown as its gentre caller's flat time):\n" + parts[1], nil
}

// checkCohortAnswers compares every answer with the others and with the
// harness's count of the VCF. A failure makes the run fail.
func checkCohortAnswers(res *cohortSizeResult, tally *vcfTally, dir string) {
	p := func(name string) string { return filepath.Join(dir, name) }
	add := func(prefix string, c check) {
		c.Name = prefix + ": " + c.Name
		res.Checks = append(res.Checks, c)
	}
	one := func(name string, got, want int) check {
		c := check{Name: name, Compared: 1, Unit: "value"}
		if got != want {
			c.fail("%d, want %d", got, want)
		}
		return c
	}
	var pvar []pvarRow
	if res.Have[toolPlink2] {
		var err error
		if pvar, err = parseFile(p("plink.pvar"), parsePvar); err != nil {
			add("plink2", check{Name: ".pvar parses", Mismatches: 1, Examples: []string{err.Error()}})
		}
	}
	for i, qr := range res.Questions {
		k := qr.Q.Key
		truth := tally.Sets[i]
		want := truthRows(truth)
		for _, e := range res.engines() {
			eq := e.Questions[k]
			if eq == nil {
				continue
			}
			add(k, one("people in the cohort (engine count"+e.label()+" vs harness)", eq.People, qr.Truth.People))
			add(k, one("samples in the cohort (engine plan"+e.label()+" vs samples file)", eq.CohortSamps, len(qr.Truth.Samples)))
			add(k, compareFreq("gentre engine in process"+e.label()+" vs harness VCF count (ac, an, af, het, hom_alt, missing)", eq.Rows, want))
		}
		gentre, err := parseFile(p("gentre."+k+".tsv"), parseGentreFreq)
		if err != nil {
			add(k, check{Name: "gentre freq output parses", Mismatches: 1, Examples: []string{err.Error()}})
			continue
		}
		add(k, compareFreq("gentre vs harness VCF count (ac, an, af, het, hom_alt, missing)", gentre, want))
		if res.Have[toolBcftools] {
			bcfRows, err := parseFile(p("bcftools."+k+".tsv"), parseBcftoolsQuery)
			if err != nil {
				add(k, check{Name: "bcftools output parses", Mismatches: 1, Examples: []string{err.Error()}})
			} else {
				add(k, compareFreq("gentre vs bcftools view -S | +fill-tags (ac, an)", gentre, bcfRows))
				add(k, compareFreq("bcftools vs harness VCF count (ac, an)", bcfRows, want))
			}
		}
		if res.Have[toolPlink2] && pvar != nil {
			af, err := parseFile(p("freq."+k+".afreq"), parseAfreq)
			if err != nil {
				add(k, check{Name: "plink2 .afreq parses", Mismatches: 1, Examples: []string{err.Error()}})
				continue
			}
			add(k, compareAfreq("plink2 --keep vs harness VCF count (OBS_CT, ALT_FREQS; half calls as missing)", af, pvar, truth))
			add(k, compareGentrePlink(gentre, af, pvar, truth))
		}
	}
	for _, e := range res.engines() {
		if all := e.All; all != nil {
			add("every sample", one("samples (engine plan"+e.label()+" vs the VCF's)", all.CohortSamps, tally.Samples))
			add("every sample", compareFreq("gentre engine in process"+e.label()+", freq chr22, vs harness VCF count (ac, an, af, het, hom_alt, missing)",
				all.Rows, truthRows(tally.Sets[len(tally.Sets)-1])))
		}
		for i, c := range e.Carriers {
			want := tally.Carriers[i]
			add(c.Name, one("count carrier("+c.Variant.String()+") (engine"+e.label()+" vs harness)", c.NCount, want))
			add(c.Name, one("carriers "+c.Variant.String()+" (engine"+e.label()+", people listed vs harness)", c.NList, want))
		}
	}
}

// engines are the engine-only results of the size (the server's, then the
// one without a chunk cache).
func (r *cohortSizeResult) engines() []*engineResult {
	var out []*engineResult
	for _, e := range []*engineResult{r.Engine, r.NoCache} {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

// label names an engine configuration in check names.
func (e *engineResult) label() string {
	if e.ChunkCache > 0 {
		return ""
	}
	return ", no chunk cache"
}

// runCohortMode runs the cohort-query benchmark for every size and writes
// NAME.md, NAME.tsv and NAME.png (NAME defaults to query-YYYY-MM-DD).
func runCohortMode(cfg *cohortConfig, root string, built bool, out, name, cmdline string) error {
	rep := &cohortReport{Date: time.Now(), Machine: readMachine(), Versions: readVersions(root, cfg.Gentre, built),
		Config: cfg, Command: cmdline}
	for _, n := range cfg.Samples {
		r, err := runCohortSize(cfg, n)
		if err != nil {
			return fmt.Errorf("%d people: %w", n, err)
		}
		rep.Sizes = append(rep.Sizes, r)
	}
	rep.LoadEnd = loadAvg()
	if name == "" {
		name = "query-" + rep.Date.Format("2006-01-02")
	}
	rep.PNG = name + ".png" // the markdown links the plot, written first
	paths, err := writeResults(out, name, "query", rep.Date,
		resultFile{".png", rep.writePlot}, resultFile{".md", rep.writeMarkdown}, resultFile{".tsv", rep.writeTSV})
	if err != nil {
		return err
	}
	cfg.Log("wrote %s, %s and %s", paths[1], paths[2], paths[0])
	if rep.failed() {
		for _, s := range rep.Sizes {
			for _, c := range s.Checks {
				if !c.OK() {
					fmt.Fprintf(os.Stderr, "gentre-bench: %d people: %s: %d mismatches, e.g. %s\n",
						s.People, c.Name, c.Mismatches, strings.Join(c.Examples, "; "))
				}
			}
		}
		return errDisagree
	}
	return nil
}
