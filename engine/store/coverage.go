package store

import (
	"fmt"
	"strings"
)

const dirCoverage = "coverage"

// CoverageRef is one sample's coverage file (engine/coverage binary form)
// with its QC summary, kept in the manifest so cohort predicates on QC need
// not open the files.
type CoverageRef struct {
	Sample uint32 `json:"sample"` // global sample index
	File   string `json:"file"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
	QC     QC     `json:"qc"`
	Source string `json:"source"` // the BAM's base name
}

// QC is a sample's sequencing QC: depth over the contigs that have reads
// and flagstat proportions (QC-passed reads).
type QC struct {
	MeanDepth          float64 `json:"mean_depth"`
	Frac10x            float64 `json:"frac_10x"`
	Frac20x            float64 `json:"frac_20x"`
	Frac30x            float64 `json:"frac_30x"`
	TotalReads         int64   `json:"total_reads"`
	MappedFrac         float64 `json:"mapped_frac"`
	DuplicateFrac      float64 `json:"duplicate_frac"`
	ProperlyPairedFrac float64 `json:"properly_paired_frac"`
}

// QCFields names the QC fields usable in qc(FIELD OP NUMBER).
var QCFields = []string{"mean_depth", "frac_10x", "frac_20x", "frac_30x", "total_reads", "mapped_frac", "duplicate_frac", "properly_paired_frac"}

// Field returns a QC field by name.
func (q *QC) Field(name string) (float64, bool) {
	switch name {
	case "mean_depth":
		return q.MeanDepth, true
	case "frac_10x":
		return q.Frac10x, true
	case "frac_20x":
		return q.Frac20x, true
	case "frac_30x":
		return q.Frac30x, true
	case "total_reads":
		return float64(q.TotalReads), true
	case "mapped_frac":
		return q.MappedFrac, true
	case "duplicate_frac":
		return q.DuplicateFrac, true
	case "properly_paired_frac":
		return q.ProperlyPairedFrac, true
	}
	return 0, false
}

// Sample returns the global index of a sample pseudonym, or false.
func (tx *Tx) sampleIndex(names []string, psn string) (uint32, bool) {
	for i, n := range names {
		if n == psn {
			return uint32(i), true
		}
	}
	return 0, false
}

// AddCoverage stores a sample's coverage (encoded by engine/coverage) and
// QC. A sample not yet in the store is added to the sample list (it is an
// unlinked sample until a manifest links it). A sample that has coverage
// already is refused.
func (tx *Tx) AddCoverage(samplePsn, source string, data []byte, qc QC) (uint32, error) {
	names, err := tx.s.Samples()
	if err != nil {
		return 0, err
	}
	m := tx.man
	g, ok := tx.sampleIndex(names, samplePsn)
	if !ok {
		names = append(append([]string(nil), names...), samplePsn)
		g = uint32(len(names) - 1)
		rel, err := tx.CreateChecked(dirSamples, ".txt", samplesMagic, []byte(strings.Join(names, "\n")+"\n"))
		if err != nil {
			return 0, err
		}
		tx.Obsolete(m.SampleFile)
		m.SampleFile, m.NSamples = rel, len(names)
	}
	for _, c := range m.Coverage {
		if c.Sample == g {
			return 0, fmt.Errorf("the sample has coverage already (from %s): %w", c.Source, ErrConflict)
		}
	}
	rel, err := tx.CreateFile(dirCoverage, ".gcv", data)
	if err != nil {
		return 0, err
	}
	m.Coverage = append(m.Coverage, CoverageRef{Sample: g, File: rel, Bytes: int64(len(data)), SHA256: sha256Hex(data), QC: qc, Source: source})
	return g, nil
}

// ReadCoverage reads a coverage file's bytes, checking its digest.
func (s *Store) ReadCoverage(ref *CoverageRef) ([]byte, error) {
	data, err := s.ReadFile(ref.File)
	if err != nil {
		return nil, err
	}
	if sha256Hex(data) != ref.SHA256 {
		return nil, fmt.Errorf("%s: content differs from the manifest's digest: %w", ref.File, ErrCorrupt)
	}
	return data, nil
}
