package bam

import (
	"fmt"
	"testing"

	"github.com/biogo/hts/sam"

	"github.com/gentre/gentre/engine/coverage"
)

// naiveDepth is the slow, obvious reference: a per-base array for every
// contig, incremented base by base while walking each counted read's CIGAR.
func naiveDepth(h *sam.Header, recs []*sam.Record, minMapQ, minBaseQ int) [][]uint32 {
	refs := h.Refs()
	out := make([][]uint32, len(refs))
	for i, r := range refs {
		out[i] = make([]uint32, r.Len())
	}
	for _, r := range recs {
		if r.Ref == nil || r.Flags&(sam.Unmapped|sam.Secondary|sam.QCFail|sam.Duplicate) != 0 || int(r.MapQ) < minMapQ {
			continue
		}
		d := out[r.Ref.ID()]
		ref, q := r.Pos, 0
		for _, co := range r.Cigar {
			n := co.Len()
			switch co.Type() {
			case sam.CigarMatch, sam.CigarEqual, sam.CigarMismatch:
				for k := 0; k < n; k++ {
					qual := 255
					if r.Qual != nil && q < len(r.Qual) {
						qual = int(r.Qual[q])
					}
					if ref < len(d) && (q >= r.Seq.Length || qual >= minBaseQ) {
						d[ref]++
					}
					ref++
					q++
				}
			case sam.CigarDeletion, sam.CigarSkipped:
				ref += n
			case sam.CigarInsertion, sam.CigarSoftClipped:
				q += n
			}
		}
	}
	return out
}

// expand returns the per-base depths of a contig's runs.
func expand(c *coverage.Contig) []uint32 {
	ends, depths := c.Runs()
	out := make([]uint32, 0, c.Length())
	var prev uint32
	for i, e := range ends {
		for p := prev; p < e; p++ {
			out = append(out, depths[i])
		}
		prev = e
	}
	return out
}

// diffDepth describes the first difference between got and want.
func diffDepth(name string, got, want []uint32) error {
	if len(got) != len(want) {
		return fmt.Errorf("%s: %d positions, want %d", name, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Errorf("%s:%d: depth %d, want %d", name, i+1, got[i], want[i])
		}
	}
	return nil
}

// checkRuns checks the run form itself: canonical (adjacent runs differ).
func checkRuns(t testing.TB, c *coverage.Contig) {
	t.Helper()
	ends, depths := c.Runs()
	for i := 1; i < len(ends); i++ {
		if depths[i] == depths[i-1] {
			t.Fatalf("%s: runs %d and %d both at depth %d", c.Name(), i-1, i, depths[i])
		}
	}
}
