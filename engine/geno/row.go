// Package geno holds the genotype model of the engine: a Row of genotype
// calls for the samples of one batch at one variant site, the per-variant
// codecs (sparse and dense) that store it, and the counting kernels that
// read the encoded form without decoding it to calls.
package geno

// Allele codes in Row.GT. Non-negative values are allele indices: 0 is REF,
// 1..NAlleles-1 are the ALT alleles in record order.
const (
	// Missing is a missing allele ('.' in VCF).
	Missing int16 = -1
	// End pads a sample whose ploidy is lower than Row.Ploidy (BCF's
	// vector-end); it is never followed by a called allele in the same sample.
	End int16 = -2
)

// MaxAlleles is the largest number of alleles (REF plus ALTs) a site may have.
const MaxAlleles = 1 << 14

// MaxPloidy is the largest ploidy a sample may have at one site.
const MaxPloidy = 8

// Row holds the genotype calls of every sample of a batch at one site.
// Readers reuse one Row for every record: its slices are overwritten by the
// next record and must be copied by callers that keep them.
type Row struct {
	// NAlleles is the number of alleles at the site (1 + number of ALTs).
	NAlleles int
	// Ploidy is the number of allele slots per sample (the largest ploidy
	// in the row; lower-ploidy samples are padded with End).
	Ploidy int
	// GT holds NSamples*Ploidy allele codes, sample-major: sample i's
	// alleles are GT[i*Ploidy : (i+1)*Ploidy].
	GT []int16
	// Phased[i] is true when sample i's genotype is phased ('|'). A haploid
	// call carries no phase and is reported unphased.
	Phased []bool
}

// NSamples returns the number of samples in the row.
func (r *Row) NSamples() int {
	if r.Ploidy == 0 {
		return len(r.Phased)
	}
	return len(r.GT) / r.Ploidy
}

// Reset sizes the row for n samples of the given ploidy, reusing its
// storage. Every allele is set to Missing (End beyond ploidy 1 is the
// caller's to set) and every phase flag to false.
func (r *Row) Reset(nAlleles, n, ploidy int) {
	r.NAlleles = nAlleles
	r.Ploidy = ploidy
	need := n * ploidy
	if cap(r.GT) < need {
		r.GT = make([]int16, need)
	}
	r.GT = r.GT[:need]
	for i := range r.GT {
		r.GT[i] = Missing
	}
	if cap(r.Phased) < n {
		r.Phased = make([]bool, n)
	}
	r.Phased = r.Phased[:n]
	clear(r.Phased)
}

// Sample returns the allele slots of sample i (including End padding).
func (r *Row) Sample(i int) []int16 {
	return r.GT[i*r.Ploidy : (i+1)*r.Ploidy]
}

// CopyFrom makes r a deep copy of src, reusing r's storage.
func (r *Row) CopyFrom(src *Row) {
	r.NAlleles = src.NAlleles
	r.Ploidy = src.Ploidy
	r.GT = append(r.GT[:0], src.GT...)
	r.Phased = append(r.Phased[:0], src.Phased...)
}

// Counts are the per-allele tallies of a set of samples at one site, the
// numbers `freq` prints. Index j of the slices is allele j+1 (ALT j+1).
//
// Definitions (see docs/query.md):
//   - AN: called alleles (half calls count their called allele), as
//     bcftools +fill-tags -t AN.
//   - AC[j]: copies of ALT j+1 among called alleles, as +fill-tags -t AC.
//   - Het[j]: samples carrying ALT j+1 and at least one other called allele
//     that differs from it (0/1, 1/2).
//   - HomAlt[j]: samples whose alleles are all called and all ALT j+1
//     (1/1; a haploid 1 counts here).
//   - Missing: samples with at least one missing allele (./., ./1, .).
type Counts struct {
	AN      int64
	Missing int64
	AC      []int64
	Het     []int64
	HomAlt  []int64
}

// Reset zeroes c for a site with nAlt ALT alleles, reusing its storage.
func (c *Counts) Reset(nAlt int) {
	c.AN, c.Missing = 0, 0
	c.AC = resize(c.AC, nAlt)
	c.Het = resize(c.Het, nAlt)
	c.HomAlt = resize(c.HomAlt, nAlt)
}

// Add adds o's tallies to c (o must have the same number of ALT alleles).
func (c *Counts) Add(o *Counts) {
	c.AN += o.AN
	c.Missing += o.Missing
	for j := range c.AC {
		c.AC[j] += o.AC[j]
		c.Het[j] += o.Het[j]
		c.HomAlt[j] += o.HomAlt[j]
	}
}

func resize(s []int64, n int) []int64 {
	if cap(s) < n {
		return make([]int64, n)
	}
	s = s[:n]
	clear(s)
	return s
}
