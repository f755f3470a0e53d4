// Package synth writes a UK-shaped synthetic research cohort: care records
// (FHIR R4 bulk-export NDJSON), the curated SNOMED CT fragment they are
// coded with, genomes (a chr22 VCF simulated by bench/sim) and the sample
// manifest linking them, all deterministic for a seed.
//
// The people follow a coarse England population pyramid; conditions are
// drawn with prevalences by age band and sex; observations (HbA1c, BMI,
// blood pressure), prescriptions (dm+d), encounters and procedures follow
// from them. Four variants are planted in the genomes whose genotypes
// depend on the person's records (a type 2 diabetes risk allele, an allele
// raising myocardial infarction risk in men only, an allele protective for
// hypertension and a rare allele of large effect on type 1 diabetes), so
// that association queries have a known answer. docs/synthetic-cohort.md
// documents the model; Summary.Planted describes the planted variants.
//
// The Patients carry fake names, addresses, telephone numbers and exact
// birth dates so that tests can check none of them reaches the store;
// NHS numbers are valid (modulus 11) and drawn from the 999 range used for
// testing.
//
// Memory: one small record per person is kept (a few dozen bytes); the
// FHIR resources are streamed through a fixed-size shuffle window, so
// 100,000 people need no more memory than 1,000 beyond that.
package synth

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gentre/gentre/bench/sim"
)

// Defaults applied by EnsureDefaults.
const (
	DefaultPeople = 1000
	DefaultSites  = 20000
	DefaultAsOf   = "2025-03-31" // the extract date ages and record dates are relative to
	// MaxPeople is the most people one cohort can have: the NHS numbers
	// come from the 999 range (999xxxxxxC), which has about 909,000 valid
	// numbers.
	MaxPeople = 900_000
	// MaxFiles is the most NDJSON files the care records may be split into.
	MaxFiles = 99
	// DefaultUnlinkedFraction is the default number of unlinked samples as
	// a fraction of the linked ones (at least one).
	DefaultUnlinkedFraction = 0.01
)

// The output file names inside the output folder.
const (
	SNOMEDFile   = "snomed.rf2.txt"
	CareFile     = "care.ndjson" // with Files > 1: care-01.ndjson, care-02.ndjson, ...
	ManifestFile = "manifest.tsv"
	VCFFile      = "genomes.chr22.vcf.gz"
	Contig       = "chr22"
)

// Options describe one synthetic cohort. The zero value (after
// EnsureDefaults) is 1,000 people with seed 0.
type Options struct {
	// People is the number of persons (care records), 1..MaxPeople
	// (default 1,000).
	People int
	// Seed makes the cohort deterministic: the same Options give
	// byte-identical files (given the same scrm and bgzip).
	Seed uint64
	// Sites is the approximate number of simulated variant sites in the
	// VCF (default 20,000), on top of the planted variants. The VCF has
	// People × GenomeFraction + UnlinkedSamples columns: keep Sites small
	// for large cohorts (100,000 samples × 20,000 sites is 8 GB of text).
	Sites int
	// GenomeFraction is the fraction of people who have a genome (default
	// 1: everyone); exactly round(People × GenomeFraction) do.
	GenomeFraction float64
	// UnlinkedSamples is the number of genomes with no person (their
	// sample IDs are in the VCF but not in the manifest). 0 means the
	// default, 1% of the linked genomes rounded, at least 1; negative
	// means none.
	UnlinkedSamples int
	// Files splits the care records across this many NDJSON files
	// (default 1: care.ndjson), each resource going to a random file.
	Files int
	// Gzip compresses the NDJSON files (care.ndjson.gz ...).
	Gzip bool
	// Generator is the genome simulator: sim.GeneratorAuto (default: scrm
	// when installed, else the Go fallback), sim.GeneratorScrm or
	// sim.GeneratorGo.
	Generator string
	// AsOf is the extract date (YYYY-MM-DD, default 2025-03-31): ages are
	// completed years on it and no record is dated after it.
	AsOf string
}

// EnsureDefaults fills the zero fields of o with their documented defaults.
func (o *Options) EnsureDefaults() {
	if o.People == 0 {
		o.People = DefaultPeople
	}
	if o.Sites == 0 {
		o.Sites = DefaultSites
	}
	if o.GenomeFraction == 0 {
		o.GenomeFraction = 1
	}
	if o.Files == 0 {
		o.Files = 1
	}
	if o.AsOf == "" {
		o.AsOf = DefaultAsOf
	}
}

// ErrOptions is wrapped by every error about invalid Options.
var ErrOptions = errors.New("synth: invalid options")

// Validate reports the first problem with o (after EnsureDefaults).
func (o *Options) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrOptions}, a...)...)
	}
	switch {
	case o.People < 1 || o.People > MaxPeople:
		return bad("people %d not in 1..%d", o.People, MaxPeople)
	case o.Sites < 1:
		return bad("sites %d < 1", o.Sites)
	case !(o.GenomeFraction > 0 && o.GenomeFraction <= 1):
		return bad("genome fraction %g not in (0, 1]", o.GenomeFraction)
	case o.Files < 1 || o.Files > MaxFiles:
		return bad("files %d not in 1..%d", o.Files, MaxFiles)
	case o.Generator != sim.GeneratorAuto && o.Generator != sim.GeneratorScrm && o.Generator != sim.GeneratorGo:
		return bad("generator %q (want scrm or go)", o.Generator)
	}
	if linked, unlinked := o.genomes(); linked+unlinked < 1 {
		return bad("no genomes: %d people × genome fraction %g and no unlinked samples", o.People, o.GenomeFraction)
	}
	t, err := time.Parse(time.DateOnly, o.AsOf)
	if err != nil || t.Year() < 1950 || t.Year() > 2200 {
		return bad("as-of date %q is not a YYYY-MM-DD date in 1950..2200", o.AsOf)
	}
	return nil
}

// genomes returns the number of linked and unlinked samples.
func (o *Options) genomes() (linked, unlinked int) {
	linked = int(math.Round(float64(o.People) * o.GenomeFraction))
	switch {
	case o.UnlinkedSamples > 0:
		unlinked = o.UnlinkedSamples
	case o.UnlinkedSamples == 0:
		unlinked = max(1, int(math.Round(float64(linked)*DefaultUnlinkedFraction)))
	}
	return linked, unlinked
}

// Summary describes a written cohort.
type Summary struct {
	Dir      string
	SNOMED   string   // path of the SNOMED CT RF2 file
	Care     []string // paths of the NDJSON files
	Manifest string   // path of the sample manifest
	VCF      string   // path of the VCF

	People   int // Patients written
	Linked   int // samples with a person (manifest rows)
	Unlinked int // samples with no person
	// Resources counts the NDJSON lines by resource type.
	Resources map[string]int
	// Conditions counts people by condition (keys as in Prevalences:
	// "t2d", "htn", ...).
	Conditions map[string]int

	Generator  string // the genome simulator used: "scrm" or "go"
	VCFRecords int    // records written, planted ones included
	Planted    []PlantedVariant
}

// PlantedVariant documents one planted variant: its place in the VCF and
// the generative model of its genotypes.
//
// Model: each person's case status comes from the prevalence tables first;
// a person's two alleles are then drawn independently with the ALT
// frequency CaseAF if the person is a case (of the right sex, when Sex is
// set), ControlAF otherwise. CaseAF = OR·q/(1 − q + OR·q) with q =
// ControlAF, so the allelic odds ratio (ALT/REF allele counts in cases
// over those in controls) is exactly OddsRatio in expectation. Unlinked
// samples draw with ControlAF; 0.5% of calls are missing ("./.").
type PlantedVariant struct {
	Name  string // short name, e.g. "t2d-risk"; also the VCF ID "gentre_t2d_risk"
	ID    string // the VCF ID column
	Chrom string
	Pos   int64
	Ref   string
	Alt   string
	// Trait is the SNOMED CT concept whose presence makes a case (the
	// condition(<<Trait) cohort), and TraitKey its key in Prevalences.
	Trait    int64
	TraitKey string
	// Sex, when "male" or "female", restricts the effect to that sex:
	// people of the other sex draw with ControlAF whatever their status.
	Sex       string
	ControlAF float64
	CaseAF    float64
	OddsRatio float64 // per-allele (allelic) odds ratio, cases vs controls
}
