package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/gentre/gentre/bench/synth"
)

// runSynth writes a UK-shaped synthetic cohort (bench/synth): the curated
// SNOMED CT fragment, FHIR R4 care records, the sample manifest and a chr22
// VCF (scrm-simulated, or the built-in generator when scrm is absent) with
// planted variants associated with the care records.
func runSynth(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("synth")
	out := fs.String("out", "", "output folder")
	patients := fs.Int("patients", synth.DefaultPeople, "number of people")
	sites := fs.Int("sites", synth.DefaultSites, "approximate number of simulated variant sites")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same cohort")
	files := fs.Int("files", 1, "split the care records across this many NDJSON files")
	gz := fs.Bool("gzip", false, "gzip the NDJSON files")
	generator := fs.String("generator", "", "genome simulator: scrm or go (default: scrm when installed)")
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
	if *patients < 1 || *patients > synth.MaxPeople || *sites < 1 {
		return usageError("--patients must be 1..%d and --sites positive", synth.MaxPeople)
	}
	start := time.Now()
	sum, err := synth.Generate(*out, synth.Options{
		People: *patients, Sites: *sites, Seed: *seed, Files: *files, Gzip: *gz, Generator: *generator,
	})
	if errors.Is(err, synth.ErrOptions) {
		return usageError("%v", err)
	}
	if err != nil {
		return err
	}
	total := 0
	var types []string
	for t, n := range sum.Resources {
		total += n
		types = append(types, fmt.Sprintf("%s %d", t, n))
	}
	sort.Strings(types)
	fmt.Fprintf(stderr, "synth: %s: %d people, %d FHIR resources in %d file(s) (%s); %d linked + %d unlinked genomes, %d VCF records (%s, %d planted); %.1fs\n",
		*out, sum.People, total, len(sum.Care), strings.Join(types, ", "), sum.Linked, sum.Unlinked,
		sum.VCFRecords, sum.Generator, len(sum.Planted), time.Since(start).Seconds())
	return nil
}
