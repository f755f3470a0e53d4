package coverage

import (
	"fmt"
	"io"
	"strings"
)

// Flagstat holds the counts samtools flagstat (1.13 and later) prints.
// Each is a pair: [0] QC-passed reads, [1] QC-failed reads (FLAG 0x200).
// What is counted where is defined in docs/coverage.md (ingest/bam counts).
type Flagstat struct {
	Total             [2]int64 // every record
	Primary           [2]int64 // neither secondary nor supplementary
	Secondary         [2]int64 // 0x100
	Supplementary     [2]int64 // 0x800 and not 0x100
	Duplicates        [2]int64 // 0x400
	PrimaryDuplicates [2]int64 // 0x400, primary
	Mapped            [2]int64 // not 0x4
	PrimaryMapped     [2]int64 // not 0x4, primary
	Paired            [2]int64 // 0x1, primary
	Read1             [2]int64 // 0x1 and 0x40, primary
	Read2             [2]int64 // 0x1 and 0x80, primary
	ProperlyPaired    [2]int64 // 0x1, 0x2, not 0x4, primary
	BothMapped        [2]int64 // 0x1, not 0x4, not 0x8, primary ("with itself and mate mapped")
	Singletons        [2]int64 // 0x1, not 0x4, 0x8, primary
	MateDiffChr       [2]int64 // BothMapped and mate reference ≠ reference
	MateDiffChrMapQ5  [2]int64 // MateDiffChr and MAPQ >= 5
}

// fields lists the counts in encoding (and printing) order.
func (f *Flagstat) fields() []*[2]int64 {
	return []*[2]int64{
		&f.Total, &f.Primary, &f.Secondary, &f.Supplementary, &f.Duplicates,
		&f.PrimaryDuplicates, &f.Mapped, &f.PrimaryMapped, &f.Paired, &f.Read1,
		&f.Read2, &f.ProperlyPaired, &f.BothMapped, &f.Singletons, &f.MateDiffChr,
		&f.MateDiffChrMapQ5,
	}
}

// percent renders n/total as samtools flagstat does: the ratio in single
// precision (C's (float)n / total), times 100 in double, "%.2f%%", and
// "N/A" when total is 0.
func percent(n, total int64) string {
	if total == 0 {
		return "N/A"
	}
	return fmt.Sprintf("%.2f%%", float64(float32(n)/float32(total))*100.0)
}

// Text returns the report exactly as `samtools flagstat` 1.16 prints it by
// default (16 lines).
func (f *Flagstat) Text() string {
	var b strings.Builder
	line := func(v [2]int64, what string) {
		fmt.Fprintf(&b, "%d + %d %s\n", v[0], v[1], what)
	}
	pct := func(v, of [2]int64, what string) {
		fmt.Fprintf(&b, "%d + %d %s (%s : %s)\n", v[0], v[1], what, percent(v[0], of[0]), percent(v[1], of[1]))
	}
	line(f.Total, "in total (QC-passed reads + QC-failed reads)")
	line(f.Primary, "primary")
	line(f.Secondary, "secondary")
	line(f.Supplementary, "supplementary")
	line(f.Duplicates, "duplicates")
	line(f.PrimaryDuplicates, "primary duplicates")
	pct(f.Mapped, f.Total, "mapped")
	pct(f.PrimaryMapped, f.Primary, "primary mapped")
	line(f.Paired, "paired in sequencing")
	line(f.Read1, "read1")
	line(f.Read2, "read2")
	pct(f.ProperlyPaired, f.Paired, "properly paired")
	line(f.BothMapped, "with itself and mate mapped")
	pct(f.Singletons, f.Paired, "singletons")
	line(f.MateDiffChr, "with mate mapped to a different chr")
	line(f.MateDiffChrMapQ5, "with mate mapped to a different chr (mapQ>=5)")
	return b.String()
}

// WriteText writes Text to w.
func (f *Flagstat) WriteText(w io.Writer) error {
	_, err := io.WriteString(w, f.Text())
	return err
}
