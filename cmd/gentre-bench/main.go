// Command gentre-bench measures gentre against its peers (plink2, bcftools)
// on the same simulated cohorts, in one run: ingest time, size on disk and
// the time of an allele-frequency query, and it checks that every tool's
// answer agrees with the others' and with the simulator's truth. It writes
// the results as Markdown and TSV (see bench/README.md).
//
//	go run ./cmd/gentre-bench -samples 1000,10000 -sites 20000 -out bench/results
//
// With -mode cohort it benchmarks cohort queries instead (freq in a
// care-record cohort of a `gentre synth` cohort, against plink2 --keep and
// bcftools view -S, and the query engine inside the harness's process):
//
//	go run ./cmd/gentre-bench -mode cohort -samples 10000,50000 -out bench/results
//
// With -mode gateway it load-tests `gentre serve` on loopback (gateway.go):
//
//	go run ./cmd/gentre-bench -mode gateway -samples 10000 -clients 32 -duration 30s -out bench/results
//
// It exits 1 when an answer check fails (the results are still written,
// marked as disagreeing), 2 on a usage error.
package main

import (
	"errors"
	"flag"
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

func main() {
	if err := mainErr(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gentre-bench:", err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ error }

// errDisagree is returned after the results are written when a check failed.
var errDisagree = errors.New("ANSWERS DISAGREE: a benchmark whose answer is wrong is worthless; see the results file")

func mainErr(args []string) error {
	fs := flag.NewFlagSet("gentre-bench", flag.ContinueOnError)
	var (
		samples   = fs.String("samples", "1000", "comma-separated cohort sizes (samples), each measured on its own simulated cohort")
		sites     = fs.Int("sites", 20000, "segregating sites to simulate (roughly, with scrm)")
		repeats   = fs.Int("repeats", 3, "runs of each timed step; the best wall-clock time is reported")
		out       = fs.String("out", "bench/results", "directory for the results files")
		name      = fs.String("name", "", "results file name without extension (default ingest-YYYY-MM-DD, or query-YYYY-MM-DD with -mode cohort)")
		tmp       = fs.String("tmp", "", "scratch directory parent (default $TMPDIR)")
		keep      = fs.Bool("keep", false, "keep the scratch data (VCF, store, pgen, BCF) instead of removing it")
		skipQuery = fs.Bool("skip-query", false, "skip the query timings and answer checks")
		seed      = fs.Uint64("seed", 1, "simulation seed")
		generator = fs.String("generator", "", "haplotype generator: scrm or go (default: scrm when installed)")
		contig    = fs.String("contig", sim.DefaultContig, "contig name (chr22, 22, chrX ...)")
		inject    = fs.String("inject", "realistic", "injections: realistic or none")
		haploid   = fs.Float64("haploid", 0, "fraction of haploid samples (chrX-like; disables the plink2 answer check)")
		threads   = fs.Int("threads", 2, "plink2 --threads (and bgzip -@ for the simulated input)")
		gentreBin = fs.String("gentre", "", "use this gentre binary instead of building ./cmd/gentre")
		repo      = fs.String("repo", "", "module root to build gentre from (default: found from the working directory)")
		quiet     = fs.Bool("q", false, "no progress on stderr")
		mode      = fs.String("mode", "ingest", "ingest (ingest, size, all-samples freq), cohort (cohort queries: freq in a care-record cohort, engine-only timings; see bench/README.md) or gateway (load test of gentre serve)")
		engRuns   = fs.Int("engine-runs", 20, "cohort mode: timed engine-only runs of each query")
		chunkMem  = fs.Int64("chunk-cache", 1<<30, "cohort mode: decoded-chunk cache of the engine-only timings, bytes (the gateway's default, 1 GiB); the engine is also timed without one; 0: only without")
		profile   = fs.Bool("profile", true, "cohort mode: profile gentre's query (ten processes with --cpuprofile, and the engine-only runs)")
	)
	gw := addGatewayFlags(fs)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	sizes, err := parseSizes(*samples)
	if err != nil {
		return usageError{err}
	}
	if *repeats < 1 || *sites < 1 || *threads < 1 || *engRuns < 1 || *chunkMem < 0 {
		return usageError{fmt.Errorf("-repeats, -sites, -threads and -engine-runs must be ≥ 1, -chunk-cache ≥ 0")}
	}
	if *mode != "ingest" && *mode != "cohort" && *mode != "gateway" {
		return usageError{fmt.Errorf("-mode %q: want ingest, cohort or gateway", *mode)}
	}
	cfg := &config{
		Samples: sizes, Sites: *sites, Repeats: *repeats, Seed: *seed, Generator: *generator,
		Contig: *contig, Threads: *threads, SkipQuery: *skipQuery,
		Log: func(format string, a ...any) {
			if !*quiet {
				fmt.Fprintf(os.Stderr, "gentre-bench: "+format+"\n", a...)
			}
		},
	}
	switch *inject {
	case "realistic":
		cfg.Inject = sim.Realistic()
	case "none":
	default:
		return usageError{fmt.Errorf("-inject %q: want realistic or none", *inject)}
	}
	cfg.Inject.Haploid = *haploid
	var gc *gatewayConfig
	if *mode == "gateway" {
		if gc, err = gw.config(cfg, *keep); err != nil {
			return err
		}
	}

	root := *repo
	if root == "" {
		if root, err = moduleRoot(); err != nil && *gentreBin == "" {
			return err
		}
	}
	if cfg.Tmp, err = os.MkdirTemp(*tmp, "gentre-bench-"); err != nil {
		return err
	}
	if *keep {
		cfg.Log("keeping scratch data in %s", cfg.Tmp)
	} else {
		defer os.RemoveAll(cfg.Tmp)
	}

	built := *gentreBin == ""
	cfg.Gentre = *gentreBin
	if built {
		cfg.Gentre = filepath.Join(cfg.Tmp, "gentre")
		cfg.Log("building gentre from %s", root)
		c := exec.Command("go", "build", "-o", cfg.Gentre, "./cmd/gentre")
		c.Dir = root
		if b, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("building gentre: %w\n%s", err, b)
		}
	} else if cfg.Gentre, err = filepath.Abs(cfg.Gentre); err != nil {
		return err
	}

	if gc != nil {
		return runGatewayMode(gc, root, built, *out, *name, "gentre-bench "+shellJoin(args))
	}
	if *mode == "cohort" {
		cc := &cohortConfig{config: cfg, EngineRuns: *engRuns, Keep: *keep, Profile: *profile, ChunkCache: *chunkMem,
			RequirePeers: os.Getenv("GENTRE_REQUIRE_PEERS") == "1"}
		return runCohortMode(cc, root, built, *out, *name, "gentre-bench "+shellJoin(args))
	}
	rep := &report{
		Date: time.Now(), Machine: readMachine(), Versions: readVersions(root, cfg.Gentre, built),
		Config: cfg, Command: "gentre-bench " + shellJoin(args),
	}
	for _, n := range sizes {
		r, err := runSize(cfg, n)
		if err != nil {
			return fmt.Errorf("%d samples: %w", n, err)
		}
		rep.Sizes = append(rep.Sizes, r)
	}

	rep.LoadEnd = loadAvg()
	if *name == "" {
		*name = "ingest-" + rep.Date.Format("2006-01-02")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	md, tsv := filepath.Join(*out, *name+".md"), filepath.Join(*out, *name+".tsv")
	if err := writeFile(md, rep.writeMarkdown); err != nil {
		return err
	}
	if err := writeFile(tsv, rep.writeTSV); err != nil {
		return err
	}
	cfg.Log("wrote %s and %s", md, tsv)
	if rep.failed() {
		for _, s := range rep.Sizes {
			for _, c := range s.Checks {
				if !c.OK() {
					fmt.Fprintf(os.Stderr, "gentre-bench: %d samples: %s: %d mismatches, e.g. %s\n",
						s.Samples, c.Name, c.Mismatches, strings.Join(c.Examples, "; "))
				}
			}
		}
		return errDisagree
	}
	return nil
}

func parseSizes(s string) ([]int, error) {
	var sizes []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-samples: %q is not a positive integer", f)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// moduleRoot finds the directory of go.mod from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory: run from the repository or give -repo or -gentre")
		}
		dir = parent
	}
}

// writeFile writes through fn to a temporary file renamed into place.
// resultFile is one file of a results set: its extension and writer.
type resultFile struct {
	ext   string
	write func(io.Writer) error
}

// writeResults writes out/NAME.EXT for each file, in order, creating out;
// NAME defaults to PREFIX-YYYY-MM-DD of date. It returns the paths.
func writeResults(out, name, prefix string, date time.Time, files ...resultFile) ([]string, error) {
	if name == "" {
		name = prefix + "-" + date.Format("2006-01-02")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range files {
		p := filepath.Join(out, name+f.ext)
		if err := writeFile(p, f.write); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

func writeFile(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	err = fn(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path + ".tmp")
		return err
	}
	return os.Rename(path+".tmp", path)
}
