package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gentre/gentre/bench/sim"
)

// Tool names, as they appear in the results.
const (
	toolGentre   = "gentre"
	toolPlink2   = "plink2"
	toolBcftools = "bcftools"
)

// config is the harness's settings (from flags).
type config struct {
	Samples   []int
	Sites     int
	Repeats   int
	Seed      uint64
	Generator string
	Contig    string
	Inject    sim.Injections
	Threads   int    // plink2 --threads, bgzip -@
	Gentre    string // the gentre binary
	Tmp       string // this run's scratch directory
	SkipQuery bool
	Log       func(format string, a ...any)
}

// sizeResult is everything measured for one cohort size.
type sizeResult struct {
	Samples   int
	Sim       *sim.Result
	SimTime   time.Duration
	Records   int
	Genotypes int64

	Ingest  map[string]timing
	Query   map[string]timing
	GTOnly  timing // bcftools annotate -x INFO,^FORMAT/GT (one run, for information)
	Have    map[string]bool
	Command map[string]string // tool -> ingest command, for the report
	QCmd    map[string]string // tool -> query command

	Store             storeSize
	Pgen, Pvar, Psam  int64
	GTBCF, BCF, VCFGZ int64
	Checks            []check
	Notes             []string
	QueryRegion       string
}

func (r *sizeResult) note(format string, a ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, a...))
}

// runSize simulates one cohort and measures every tool on it.
func runSize(cfg *config, samples int) (*sizeResult, error) {
	dir := filepath.Join(cfg.Tmp, "n"+strconv.Itoa(samples))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	res := &sizeResult{
		Samples: samples, Ingest: map[string]timing{}, Query: map[string]timing{},
		Have: map[string]bool{toolGentre: true}, Command: map[string]string{}, QCmd: map[string]string{},
		QueryRegion: "freq " + cfg.Contig,
	}
	for _, t := range []string{toolPlink2, toolBcftools} {
		if _, err := exec.LookPath(t); err == nil {
			res.Have[t] = true
		} else {
			res.note("%s not installed: not measured", t)
		}
	}

	// 1. Simulate (not timed in the comparison).
	in := p("cohort.vcf.gz")
	var truth []sim.SiteStats
	cfg.Log("n=%d: simulating %d sites", samples, cfg.Sites)
	start := time.Now()
	sr, err := sim.Simulate(in, sim.Options{
		Samples: samples, Sites: cfg.Sites, Seed: cfg.Seed, Generator: cfg.Generator,
		Contig: cfg.Contig, Inject: cfg.Inject, Gzip: true, Threads: cfg.Threads,
		OnSite: func(s *sim.SiteStats) { truth = append(truth, cloneSite(s)) },
	})
	if err != nil {
		return nil, err
	}
	res.SimTime = time.Since(start)
	res.Sim, res.Records, res.Genotypes = sr, sr.Counts.Records, sr.Counts.Genotypes
	cfg.Log("n=%d: %d records (%s), %.1fs", samples, res.Records, sr.Generator, res.SimTime.Seconds())

	// 2. Ingest.
	store, pfx, bcf, gtbcf := p("store"), p("plink"), p("cohort.bcf"), p("cohort.gt.bcf")
	steps := []step{{
		Tool: toolGentre,
		// A new store for every run; making it (keys, audit log) is setup,
		// not ingest, and is not timed, as plink2's output folder is not.
		Prepare: func() error {
			if err := os.RemoveAll(store); err != nil {
				return err
			}
			return exec.Command(cfg.Gentre, "init", "--store", store).Run()
		},
		Commands: []command{
			{Args: []string{cfg.Gentre, "ingest", "vcf", "--store", store, in}},
		},
	}}
	if res.Have[toolPlink2] {
		steps = append(steps, step{
			Tool:     toolPlink2,
			Prepare:  func() error { return removeGlob(pfx + ".*") },
			Commands: []command{{Args: []string{"plink2", "--vcf", in, "--make-pgen", "--vcf-half-call", "m", "--threads", strconv.Itoa(cfg.Threads), "--out", pfx}}},
		})
	}
	if res.Have[toolBcftools] {
		steps = append(steps, step{
			Tool:     toolBcftools,
			Prepare:  func() error { return removeGlob(bcf) },
			Commands: []command{{Args: []string{"bcftools", "view", "-Ob", "-o", bcf, in}}},
		})
	}
	cfg.Log("n=%d: ingest, %d rounds of %d tools", samples, cfg.Repeats, len(steps))
	if res.Ingest, err = interleave(steps, cfg.Repeats); err != nil {
		return nil, err
	}
	for _, s := range steps {
		res.Command[s.Tool] = display(cfg, dir, joinCommands(s.Commands))
	}
	if res.Have[toolBcftools] {
		c := command{Args: []string{"bcftools", "annotate", "-x", "INFO,^FORMAT/GT", "-Ob", "-o", gtbcf, in}}
		if res.GTOnly, err = repeat(step{Tool: "bcftools annotate", Commands: []command{c}}, 1); err != nil {
			return nil, err
		}
		res.Command["gt-only"] = display(cfg, dir, c.String())
	}

	// 3. Sizes.
	if res.Store, err = measureStore(store); err != nil {
		return nil, err
	}
	if res.VCFGZ, err = fileSizes(in); err != nil {
		return nil, err
	}
	if res.Have[toolPlink2] {
		if res.Pgen, err = fileSizes(pfx + ".pgen"); err != nil {
			return nil, err
		}
		if res.Pvar, err = fileSizes(pfx + ".pvar"); err != nil {
			return nil, err
		}
		if res.Psam, err = fileSizes(pfx + ".psam"); err != nil {
			return nil, err
		}
	}
	if res.Have[toolBcftools] {
		if res.BCF, err = fileSizes(bcf); err != nil {
			return nil, err
		}
		if res.GTBCF, err = fileSizes(gtbcf); err != nil {
			return nil, err
		}
	}

	// 4. Query, and check the answers.
	if cfg.SkipQuery {
		res.note("-skip-query: query timings and answer checks not run")
		return res, nil
	}
	if err := runQueries(cfg, res, dir, truth); err != nil {
		return nil, err
	}
	return res, nil
}

func runQueries(cfg *config, res *sizeResult, dir string, truth []sim.SiteStats) error {
	p := func(name string) string { return filepath.Join(dir, name) }
	store, pfx, bcf := p("store"), p("plink"), p("cohort.bcf")
	gOut, fOut, bOut := p("gentre.freq.tsv"), p("freq"), p("bcftools.freq.tsv")
	steps := []step{{Tool: toolGentre, Commands: []command{{
		Args: []string{cfg.Gentre, "query", "--store", store, res.QueryRegion}, Stdout: gOut}}}}
	if res.Have[toolPlink2] {
		steps = append(steps, step{Tool: toolPlink2,
			Prepare:  func() error { return removeGlob(fOut + ".*") },
			Commands: []command{{Args: []string{"plink2", "--pfile", pfx, "--freq", "--out", fOut}}}})
	}
	if res.Have[toolBcftools] {
		steps = append(steps, step{Tool: toolBcftools, Commands: []command{{
			Args: []string{"bash", "-c", bcftoolsFreqPipeline(bcf)}, Stdout: bOut}}})
	}
	cfg.Log("n=%d: query, %d rounds of %d tools", res.Samples, cfg.Repeats, len(steps))
	var err error
	if res.Query, err = interleave(steps, cfg.Repeats); err != nil {
		return err
	}
	for _, s := range steps {
		res.QCmd[s.Tool] = display(cfg, dir, joinCommands(s.Commands))
	}
	if res.Have[toolBcftools] {
		pipe := strings.TrimPrefix(bcftoolsFreqPipeline("cohort.bcf"), "set -o pipefail; ")
		res.QCmd[toolBcftools] = pipe + " > bcftools.freq.tsv"
	}

	// Checks: a benchmark whose answer is wrong is worthless.
	want := truthRows(truth)
	gentre, err := parseFile(gOut, parseGentreFreq)
	if err != nil {
		res.Checks = append(res.Checks, check{Name: "gentre freq output parses", Mismatches: 1, Examples: []string{err.Error()}})
		return nil
	}
	if res.Have[toolBcftools] {
		bcfRows, err := parseFile(bOut, parseBcftoolsQuery)
		if err != nil {
			return err
		}
		res.Checks = append(res.Checks,
			compareFreq("gentre vs bcftools +fill-tags (ac, an)", gentre, bcfRows),
			compareFreq("bcftools vs simulator truth (ac, an)", bcfRows, want))
	}
	res.Checks = append(res.Checks, compareFreq("gentre vs simulator truth (ac, an, af, het, hom_alt, missing)", gentre, want))
	if res.Have[toolPlink2] {
		if res.Sim.Counts.Haploid > 0 {
			skip := "haploid samples: plink2 reads a haploid call as homozygous diploid (on an autosome, or on chrX without sexes)"
			res.Checks = append(res.Checks, check{Name: "plink2 vs simulator truth", Skipped: skip},
				check{Name: "gentre vs plink2", Skipped: skip})
			return nil
		}
		af, err := parseFile(fOut+".afreq", parseAfreq)
		if err != nil {
			return err
		}
		pvar, err := parseFile(pfx+".pvar", parsePvar)
		if err != nil {
			return err
		}
		res.Checks = append(res.Checks,
			compareAfreq("plink2 vs simulator truth (OBS_CT, ALT_FREQS; half calls as missing)", af, pvar, truth),
			compareGentrePlink(gentre, af, pvar, truth))
	}
	return nil
}

// bcftoolsFreqPipeline is DESIGN.md's AC/AN peer, with uncompressed BCF
// between the stages (-Ou), as one would run it.
func bcftoolsFreqPipeline(bcf string) string {
	return "set -o pipefail; bcftools +fill-tags " + shellJoin([]string{bcf}) +
		" -Ou -- -t AC,AN | bcftools norm -m- -Ou | bcftools query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\t%AC\\t%AN\\n'"
}

func parseFile[T any](path string, parse func(io.Reader) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	v, err := parse(f)
	if err != nil {
		return v, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return v, nil
}

// display shortens a command line for the report: paths relative to the
// size's scratch directory, and "gentre" for the binary.
func display(cfg *config, dir, s string) string {
	s = strings.ReplaceAll(s, cfg.Gentre, "gentre")
	return strings.ReplaceAll(s, dir+string(filepath.Separator), "")
}

func joinCommands(cs []command) string {
	s := ""
	for i, c := range cs {
		if i > 0 {
			s += " && "
		}
		s += c.String()
	}
	return s
}

func removeGlob(pattern string) error {
	m, err := filepath.Glob(pattern)
	if err != nil {
		return err
	}
	for _, f := range m {
		if err := os.RemoveAll(f); err != nil {
			return err
		}
	}
	return nil
}
