package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gentre/gentre/bench/sim"
)

// runSynth writes a synthetic cohort. Today: the genomes (a BGZF VCF of
// scrm-simulated chr22 haplotypes, or the built-in generator when scrm is
// absent) with realistic multi-allelic sites, missing and half calls.
func runSynth(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("synth")
	out := fs.String("out", "", "output folder")
	patients := fs.Int("patients", 1000, "number of people (each with one genome)")
	sites := fs.Int("sites", 20000, "approximate number of variant sites")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same cohort")
	ops, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *out == "" {
		return usageError("--out DIR is required")
	}
	if len(ops) > 0 {
		return usageError("unexpected argument %q", ops[0])
	}
	if *patients < 1 || *patients > 10_000_000 || *sites < 1 {
		return usageError("--patients must be 1..10,000,000 and --sites positive")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	path := filepath.Join(*out, "genomes.chr22.vcf.gz")
	res, err := sim.Simulate(path, sim.Options{
		Samples: *patients, Sites: *sites, Seed: *seed, Contig: "chr22",
		Inject: sim.Realistic(), Gzip: true,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "synth: %s: %d samples, %d records (%s)\n", path, *patients, res.Counts.Records, res.Generator)
	return nil
}
