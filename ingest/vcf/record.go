// Package vcf reads VCF (plain, gzip and BGZF) and BCF 2.2 files as a stream
// of records whose genotypes are decoded, byte by byte and without per-genotype
// allocation, into a geno.Row.
package vcf

import (
	"errors"
	"math"

	"github.com/gentre/gentre/engine/geno"
)

// ErrFormat is wrapped by every error about malformed input. The error text
// names the file, the line (VCF) or record number (BCF) and the reason; it
// never quotes sample names or genotype content.
var ErrFormat = errors.New("malformed input")

// Contig is a ##contig header line.
type Contig struct {
	Name   string
	Length int64 // 0 when not given
}

// Field describes an INFO or FORMAT header definition.
type Field struct {
	ID     string
	Number string // "1", "A", "R", "G", "." ...
	Type   string // Integer, Float, Flag, Character, String
}

// Header is the parsed file header.
type Header struct {
	FileFormat string   // e.g. "VCFv4.2"
	Samples    []string // sample column names, in file order
	Contigs    []Contig // ##contig lines in order (BCF: the dictionary)
	Info       []Field
	Format     []Field
	Filters    []string // ##FILTER IDs (PASS first for BCF)
	// Lines holds the meta-information lines (without the leading "##") in
	// file order, for keeping the header with the store.
	Lines []string
}

// Record is one VCF line or BCF record. A Reader reuses one Record; its
// slices and strings are valid until the next call to Next.
type Record struct {
	Chrom  string
	Pos    int64  // 1-based
	ID     string // "." when missing; several IDs are ';'-separated
	Ref    string
	Alt    []string // empty when ALT is "."
	Qual   float32  // NaN when missing (see QualMissing)
	Filter string   // "." when missing, else ';'-separated ("PASS")
	Info   string   // INFO as VCF text ("." when empty)

	// GT holds the genotypes; NAlleles is 1+len(Alt). When the file has no
	// GT field, GT has no samples' calls: every allele is Missing.
	GT geno.Row

	// Kept holds the values of the FORMAT fields named in Options.KeepFormat,
	// in that order, for every sample: Kept[k].Values[i*Kept[k].Width+j].
	Kept []FormatValues

	// Line is the 1-based line number in a VCF, or the 1-based record
	// number in a BCF: the place error messages name.
	Line int64
}

// FormatValues are one FORMAT field's numeric values for all samples.
// Missing values are NaN; a sample with fewer values than Width is padded with NaN.
type FormatValues struct {
	Key    string
	Width  int // values per sample (the largest seen in this record)
	Values []float32
}

// QualMissing reports whether q is the missing QUAL value.
func QualMissing(q float32) bool { return math.IsNaN(float64(q)) }

// Options tune a Reader.
type Options struct {
	// Name is the file name used in error messages.
	Name string
	// Threads is the number of goroutines decompressing BGZF blocks
	// (default: GOMAXPROCS).
	Threads int
	// KeepFormat lists FORMAT fields (other than GT) whose numeric values
	// are decoded into Record.Kept. A listed field absent from a record
	// reads as all-missing.
	KeepFormat []string
}
