// Package bam computes one sample's coverage and read QC from a
// coordinate-sorted BAM file in a single pass: the depth at every reference
// base exactly as `samtools depth -a` (1.16) counts it, kept as runs, and
// the `samtools flagstat` counts. The reads stay in their file; only the
// engine/coverage.Sample is kept.
//
// BGZF blocks are inflated in parallel (klauspost/compress/flate, see
// bgzf.go for why not biogo/hts/bgzf); the BAM header and records are
// decoded here, in place and without allocating per record, with the
// checks htslib applies (docs/coverage.md). The tests write BAMs with
// biogo/hts and check our BGZF reader against its.
package bam

import (
	"errors"
	"runtime"
)

// ErrFormat is wrapped by every error about the input itself (truncated or
// corrupt compression, malformed header or record, unsorted records). The
// message names the input and the record number, never a read name or
// sequence.
var ErrFormat = errors.New("malformed BAM")

// Options control Read. The zero value gives samtools depth's defaults.
type Options struct {
	// Name is the file name used in error messages (default "<input>").
	Name string
	// Threads is the number of goroutines decompressing BGZF blocks
	// (default GOMAXPROCS).
	Threads int
	// MinMapQ skips alignments whose MAPQ is below it (samtools depth -Q;
	// default 0: none skipped).
	MinMapQ int
	// MinBaseQ does not count bases whose base quality is below it
	// (samtools depth -q; default 0: all counted).
	MinBaseQ int
}

// defaultName names an unnamed input in error messages.
const defaultName = "<input>"

// EnsureDefaults fills in the defaults of unset options.
func (o *Options) EnsureDefaults() {
	if o.Name == "" {
		o.Name = defaultName
	}
	if o.Threads <= 0 {
		o.Threads = runtime.GOMAXPROCS(0)
	}
}

// Validate reports options out of range.
func (o *Options) Validate() error {
	if o.MinMapQ < 0 || o.MinMapQ > 255 {
		return errors.New("bam: MinMapQ must be within 0..255")
	}
	if o.MinBaseQ < 0 || o.MinBaseQ > 255 {
		return errors.New("bam: MinBaseQ must be within 0..255")
	}
	return nil
}
