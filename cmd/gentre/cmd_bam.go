package main

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/gentre/gentre/engine/coverage"
	"github.com/gentre/gentre/engine/store"
	"github.com/gentre/gentre/ingest/bam"
	"github.com/gentre/gentre/ingest/linkage"
)

// runIngestBAM reads a coordinate-sorted BAM once and keeps the sample's
// per-base coverage (as runs) and QC; the reads stay in their file.
func runIngestBAM(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ingest bam")
	dir := fs.String("store", "", "store folder")
	sample := fs.String("sample", "", "the sample's ID (as in the sample manifest)")
	threads := fs.Int("threads", 0, "threads for decompression (default: all cores)")
	prof := addProfileFlags(fs)
	ops, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := requireStore(*dir); err != nil {
		return err
	}
	if *sample == "" {
		return usageError("--sample ID is required")
	}
	if len(ops) != 1 {
		return usageError("expected one FILE.bam")
	}
	stopProfile, err := prof.start()
	if err != nil {
		return err
	}
	defer stopProfile()
	ch, err := beginChange(*dir, nil)
	if err != nil {
		return err
	}
	defer ch.Close()
	st := ch.st
	links, err := linkage.Load(st, ch.key)
	if err != nil {
		return err
	}
	psn := links.SamplePseudonym(*sample)
	name := filepath.Base(ops[0])
	if links.OptedOutSample(psn) {
		fmt.Fprintf(stderr, "%s: the sample belongs to a person who opted out: not stored\n", name)
		return nil
	}
	start := time.Now()
	cov, err := bam.ReadFile(ops[0], bam.Options{Name: name, Threads: *threads})
	if err != nil {
		return err
	}
	qc := summariseQC(cov)
	tx, err := st.Begin()
	if err != nil {
		return err
	}
	data := coverage.Encode(cov)
	if _, err := tx.AddCoverage(psn, name, data, qc); err != nil {
		tx.Abort()
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := linkage.RefreshCareIndex(tx, nil); err != nil {
		tx.Abort()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if err := ch.audit("ingest.bam", name); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%s: %s reads, mean depth %.2f over the contigs with reads (%.1f%% of bases >= 10x, %.1f%% >= 30x), %s on disk, %.2fs; release %d\n",
		name, groupDigits(qc.TotalReads), qc.MeanDepth, 100*qc.Frac10x, 100*qc.Frac30x, humanBytes(int64(len(data))), time.Since(start).Seconds(), st.Manifest().Release)
	return stopProfile()
}

// summariseQC computes the sample-level QC kept in the manifest: depth
// figures over the contigs with at least one counted read (as samtools
// depth -a reports them), and flagstat proportions of QC-passed reads.
func summariseQC(s *coverage.Sample) store.QC {
	var q store.QC
	var bases, sum, b10, b20, b30 float64
	for _, c := range s.Stats() {
		if c.Reads == 0 {
			continue
		}
		n := float64(c.Length)
		bases += n
		sum += c.MeanDepth * n
		b10 += c.AtLeast10 * n
		b20 += c.AtLeast20 * n
		b30 += c.AtLeast30 * n
	}
	if bases > 0 {
		q.MeanDepth, q.Frac10x, q.Frac20x, q.Frac30x = sum/bases, b10/bases, b20/bases, b30/bases
	}
	f := &s.Flagstat
	q.TotalReads = f.Total[0]
	if total := float64(f.Total[0]); total > 0 {
		q.MappedFrac = float64(f.Mapped[0]) / total
		q.DuplicateFrac = float64(f.Duplicates[0]) / total
	}
	if paired := float64(f.Paired[0]); paired > 0 {
		q.ProperlyPairedFrac = float64(f.ProperlyPaired[0]) / paired
	}
	return q
}
