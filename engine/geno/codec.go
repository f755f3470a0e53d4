package geno

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// The per-variant genotype encoding. docs/format.md ("Genotype rows") is the
// byte-level specification; this comment is the short version.
//
// An encoded row describes every sample of a batch at one site. Each sample
// falls in exactly one class:
//
//   - regular: called alleles at the row's plane ploidy K, or at the lower
//     ploidy Klo for samples in the ploidy set S (mixed rows only, e.g.
//     chrX with haploid males), followed by End padding. Their non-REF
//     alleles are stored by the body: a sparse list of carriers, or dense
//     bit planes (per present ALT, one plane per allele slot).
//   - fully missing at their regular ploidy: the sample sets M (ploidy K)
//     and Mlo (ploidy Klo).
//   - exceptions: anything else (half calls, other ploidies, odd End
//     layouts), stored verbatim in the list X.
//
// Phase flags are a row default plus the set F of samples that differ from
// it. Sample sets are written as a delta list or a bitmap, whichever is
// smaller. The header names the form of the body: sparse or dense.

// ErrCorrupt is wrapped by every error returned for encoded bytes that are
// not a valid row.
var ErrCorrupt = errors.New("geno: corrupt encoded row")

// ErrInvalidRow is wrapped by the errors of CheckRow and AppendChecked for a
// Row that breaks the Row contract.
var ErrInvalidRow = errors.New("geno: invalid row")

// FormatVersion is the version of the per-variant encoding the encoder
// writes, the high nibble of an encoded row's first byte. Version 2 gives
// every listed sample set its length in bytes, so View.Reset steps over it
// instead of walking it; the View reads versions 1 and 2.
const FormatVersion = 2

// Row tags: the first byte of every encoded row. The encoders build
// version 1 rows (tagSparse, tagDense) and convert them (toV2); a View
// holds the version 1 tag of either version, with v2 telling them apart.
const (
	tagSparse  byte = 1<<4 | 1
	tagDense   byte = 1<<4 | 2
	tagSparse2 byte = 2<<4 | 1
	tagDense2  byte = 2<<4 | 2
)

// flagPhased in the header's flag nibble: the default phase is phased.
const flagPhased = 1

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

// CheckRow reports whether r satisfies the Row contract the encoder relies
// on: 1 <= NAlleles <= MaxAlleles, 0 <= Ploidy <= MaxPloidy, one phase flag
// per sample, len(GT) == samples*Ploidy, and every code in GT is End,
// Missing or an allele index below NAlleles. (The order of End and other
// codes within a sample is not constrained: any layout round-trips.)
func CheckRow(r *Row) error {
	if err := checkShape(r); err != nil {
		return err
	}
	for _, a := range r.GT {
		if a < End || int(a) >= r.NAlleles {
			return fmt.Errorf("%w: allele code %d with %d alleles", ErrInvalidRow, a, r.NAlleles)
		}
	}
	return nil
}

func checkShape(r *Row) error {
	if r.NAlleles < 1 || r.NAlleles > MaxAlleles {
		return fmt.Errorf("%w: %d alleles", ErrInvalidRow, r.NAlleles)
	}
	if r.Ploidy < 0 || r.Ploidy > MaxPloidy {
		return fmt.Errorf("%w: ploidy %d", ErrInvalidRow, r.Ploidy)
	}
	if len(r.GT) != len(r.Phased)*r.Ploidy {
		return fmt.Errorf("%w: %d allele codes for %d samples of ploidy %d",
			ErrInvalidRow, len(r.GT), len(r.Phased), r.Ploidy)
	}
	return nil
}

// uvarint is binary.Uvarint. Hot loops decode one- and two-byte values
// in place (see countList) and call uvarintSlow for the rest.
func uvarint(b []byte) (uint64, int) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	return uvarintSlow(b)
}

//go:noinline
func uvarintSlow(b []byte) (uint64, int) { return binary.Uvarint(b) }

// uvarintLen is the length of the uvarint encoding of x.
func uvarintLen(x uint64) int {
	return (bits.Len64(x|1) + 6) / 7
}

// le64 reads the little-endian word at the start of b.
func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }

// tailMask is the mask of valid bits in the last word of an n-bit set (all
// ones when n is a multiple of 64).
func tailMask(n int) uint64 {
	if r := n & 63; r != 0 {
		return 1<<uint(r) - 1
	}
	return ^uint64(0)
}
