// Package sim simulates a genotyped cohort and writes it as a VCF 4.2 file,
// for the side-by-side benchmarks and for tests that need realistic input.
//
// Haplotypes come from the coalescent simulator scrm (one locus, nsam = 2 ×
// samples, mutation and recombination scaled to give roughly the requested
// number of segregating sites), so allele frequencies follow a neutral site
// frequency spectrum and neighbouring sites are in linkage disequilibrium,
// as in real data. When scrm is not installed a pure-Go fallback draws
// independent sites with a neutral-like spectrum (derived allele count k with
// probability ∝ 1/k): right frequencies, no linkage.
//
// On top of the haplotypes the writer injects, each at a documented rate and
// deterministically from the seed, what real files contain and what a
// reader must get right: multi-allelic sites, missing calls, half calls,
// haploid samples, unphased genotypes and symbolic (* and <DEL>) alleles.
//
// Output is streamed through a bufio.Writer (and bgzip for .vcf.gz): the
// only large structure held in memory is the bit-packed haplotype matrix of
// the scrm path (sites × haplotypes bits, 125 MB for 50,000 sites × 20,000
// haplotypes), never the VCF text.
package sim

import (
	"errors"
	"fmt"
)

// Generator names accepted in Options.Generator.
const (
	GeneratorAuto = ""     // scrm when it is on PATH, else the Go fallback
	GeneratorScrm = "scrm" // the coalescent simulator (required)
	GeneratorGo   = "go"   // the pure-Go fallback (independent sites, AF ~ 1/x)
)

// Defaults applied by EnsureDefaults.
const (
	DefaultContig       = "chr22"
	DefaultContigLength = 50_818_468 // GRCh38 chr22
	DefaultRhoPerTheta  = 1.0        // human-like: recombination ≈ mutation rate per bp
	DefaultWindow       = 100_000    // scrm -l (bp): SMC' approximation window
)

// Options describe one simulated cohort. The zero value of Inject injects
// nothing; Realistic() gives the rates the benchmark uses.
type Options struct {
	// Samples is the number of diploid samples (required, ≥ 1); named
	// S000001, S000002, ... (six digits, more when needed).
	Samples int
	// Sites is the target number of segregating sites before multi-allelic
	// merging (required, ≥ 1). scrm's count is random around it; the Go
	// fallback draws exactly Sites.
	Sites int
	// Seed makes the output deterministic: the same Options give the same
	// bytes (given the same scrm version).
	Seed uint64

	// Contig is the CHROM name (default "chr22"; "22", "chrX", "X" ... work).
	Contig string
	// ContigLength is the ##contig length and the span positions are
	// scaled to (default 50,818,468, GRCh38 chr22).
	ContigLength int64

	// Generator is GeneratorAuto (default), GeneratorScrm or GeneratorGo.
	Generator string
	// Scrm is the scrm executable (default "scrm", looked up on PATH).
	Scrm string
	// RhoPerTheta is the population recombination rate as a multiple of
	// theta (default 1.0). Larger values break up LD and slow scrm down.
	RhoPerTheta float64
	// Window is scrm's -l approximation window in bp (default 100,000).
	Window int64

	// Inject sets the rates of the injected features (zero: none).
	Inject Injections

	// Gzip writes BGZF-compressed output through the bgzip executable
	// (tabix package) instead of plain text. Simulate sets it when the
	// path ends in ".gz".
	Gzip bool
	// Bgzip is the bgzip executable (default "bgzip").
	Bgzip string
	// Threads is passed to bgzip -@ (default 1).
	Threads int
	// Index runs "tabix -p vcf" on a .vcf.gz output (Gzip must be set).
	Index bool

	// OnSite, when set, is called for every written record with its true
	// counts, computed while writing. The SiteStats and its slices are
	// reused: copy what you keep.
	OnSite func(*SiteStats)

	// SampleNames, when set, names the sample columns (len must be
	// Samples; names unique, without white space) instead of S000001...
	SampleNames []string
	// Planted are records with caller-chosen genotypes, written among the
	// simulated ones in position order. Simulated sites that would land
	// on a planted position are moved to a free one; without planted
	// sites the output is as before, byte for byte.
	Planted []PlantedSite
}

// Injections are the rates of the features injected on top of the
// simulated haplotypes. Each is a probability in [0, 1]; 0 turns it off.
// Every injection draws from its own random stream, so changing one rate
// leaves the others' choices unchanged.
type Injections struct {
	// MultiAllelic is the fraction of output records that are
	// multi-allelic: a site merged with its next one (two ALTs) or, for a
	// third of them, its next two (three ALTs). A haplotype carrying the
	// derived allele of several merged sites gets the last one's ALT.
	MultiAllelic float64
	// Missing is the per-genotype rate of missing calls ("./.", or "." for
	// a haploid sample).
	Missing float64
	// HalfCall is the per-genotype rate of half calls on diploid samples:
	// one allele becomes missing ("./1", "0/.") and the other keeps its
	// simulated value.
	HalfCall float64
	// Haploid is the fraction of samples that are haploid in the whole
	// file ("males" on chrX): they carry their first haplotype only.
	Haploid float64
	// Unphased is the fraction of samples whose genotypes are written
	// unphased ("0/1") everywhere; the others are phased ("0|1").
	// Missing and half calls are always written with "/".
	Unphased float64
	// Symbolic is the per-record rate of symbolic alleles: a biallelic
	// record's ALT becomes "<DEL>", a multi-allelic record's last ALT
	// becomes "*" (a spanning deletion).
	Symbolic float64
}

// Realistic returns the injection rates the benchmark uses: a few percent
// multi-allelic records, 0.5% missing calls, 0.05% half calls, 10%
// unphased samples, 0.1% symbolic alleles and no haploid samples (set
// Haploid for a chrX-like file).
func Realistic() Injections {
	return Injections{
		MultiAllelic: 0.03,
		Missing:      0.005,
		HalfCall:     0.0005,
		Unphased:     0.10,
		Symbolic:     0.001,
	}
}

// EnsureDefaults fills the zero fields of o with their documented defaults.
func (o *Options) EnsureDefaults() {
	if o.Contig == "" {
		o.Contig = DefaultContig
	}
	if o.ContigLength == 0 {
		o.ContigLength = DefaultContigLength
	}
	if o.Scrm == "" {
		o.Scrm = "scrm"
	}
	if o.RhoPerTheta == 0 {
		o.RhoPerTheta = DefaultRhoPerTheta
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.Bgzip == "" {
		o.Bgzip = "bgzip"
	}
	if o.Threads <= 0 {
		o.Threads = 1
	}
}

// ErrOptions is wrapped by every error about invalid Options.
var ErrOptions = errors.New("sim: invalid options")

// Validate reports the first problem with o (after EnsureDefaults).
func (o *Options) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrOptions}, a...)...)
	}
	switch {
	case o.Samples < 1:
		return bad("samples %d < 1", o.Samples)
	case o.Sites < 1:
		return bad("sites %d < 1", o.Sites)
	case o.ContigLength < int64(o.Sites):
		return bad("contig length %d < sites %d", o.ContigLength, o.Sites)
	case o.Generator != GeneratorAuto && o.Generator != GeneratorScrm && o.Generator != GeneratorGo:
		return bad("generator %q (want scrm or go)", o.Generator)
	case o.RhoPerTheta < 0:
		return bad("rho/theta %g < 0", o.RhoPerTheta)
	case o.Index && !o.Gzip:
		return bad("index needs gzip output")
	}
	for _, r := range []struct {
		name string
		v    float64
	}{
		{"multi-allelic", o.Inject.MultiAllelic}, {"missing", o.Inject.Missing},
		{"half-call", o.Inject.HalfCall}, {"haploid", o.Inject.Haploid},
		{"unphased", o.Inject.Unphased}, {"symbolic", o.Inject.Symbolic},
	} {
		if !(r.v >= 0 && r.v <= 1) {
			return bad("%s rate %g not in [0,1]", r.name, r.v)
		}
	}
	if o.Inject.Missing+o.Inject.HalfCall > 1 {
		return bad("missing + half-call rates exceed 1")
	}
	if err := o.validateNames(); err != nil {
		return err
	}
	return o.validatePlanted()
}

// SiteStats are the true counts of one written record, in the conventions
// of bcftools +fill-tags (AC, AN: called alleles, a half call counts its
// called allele) and of the engine's reference counter (Het, HomAlt,
// Missing: a sample with any missing allele is missing and is neither het
// nor hom-alt; a haploid ALT call is hom-alt).
type SiteStats struct {
	Chrom   string
	Pos     int64
	Ref     string
	Alt     []string
	AC      []int // per ALT
	AN      int
	Het     []int // per ALT: samples with two different alleles, one of them this ALT
	HomAlt  []int // per ALT
	Missing int   // samples with at least one missing allele
	// HalfCalls is the number of half calls; HalfAC[a] of them carry ALT
	// a. PLINK 2 with --vcf-half-call m sees AN-HalfCalls alleles and
	// AC[a]-HalfAC[a] copies of ALT a.
	HalfCalls int
	HalfAC    []int
}

// Counts tally what a run wrote.
type Counts struct {
	Records      int // VCF records
	RawSites     int // segregating sites simulated (before merging)
	MultiAllelic int // records with more than one ALT
	Symbolic     int // records with a * or <DEL> ALT
	Genotypes    int64
	Missing      int64 // missing calls
	HalfCalls    int64
	Haploid      int // haploid samples
	Unphased     int // unphased samples
	Planted      int // planted records (included in Records)
}

// Result describes a written cohort.
type Result struct {
	Path      string
	Samples   int
	Generator string // the generator used: "scrm" or "go"
	Command   string // the scrm command line, when scrm was used
	Counts    Counts
}

// haplotypes is a source of simulated sites: positions in [0,1) in
// increasing order, and per site the set of haplotypes carrying the derived
// allele as a bitset of nHap bits.
type haplotypes interface {
	nSites() int
	position(i int) float64
	// site returns site i's bitset; valid until the next call for the
	// fallback generator, so callers copy.
	site(i int) []uint64
}
