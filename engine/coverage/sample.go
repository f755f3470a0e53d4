// Package coverage holds one sample's sequencing coverage and read QC, as
// computed from an alignment file by ingest/bam: per contig, the depth at
// every reference base as runs (a new run wherever the depth changes, like
// mosdepth's per-base output), and the samtools flagstat counts.
//
// The reads themselves are never stored. A Sample is immutable once built
// and safe for concurrent queries. Encode and Decode give its versioned,
// checksummed binary form (docs/coverage.md).
package coverage

import (
	"errors"
	"fmt"
	"strings"
	"sync"
)

var (
	// ErrCorrupt reports an encoded sample that fails its checks.
	ErrCorrupt = errors.New("coverage: corrupt data")
	// ErrUnknownContig reports a query naming a contig the sample lacks.
	ErrUnknownContig = errors.New("coverage: unknown contig")
	// ErrRange reports a query position or region outside the contig.
	ErrRange = errors.New("coverage: position out of range")
	// ErrInvalid reports runs that break the Contig invariants.
	ErrInvalid = errors.New("coverage: invalid runs")
)

// MaxLength is the longest contig a Contig can hold: BAM positions are
// signed 32-bit.
const MaxLength = 1<<31 - 1

// Sample is one sample's coverage: one Contig per reference sequence of the
// alignment file's header, in header order, and the flagstat counts.
type Sample struct {
	contigs  []*Contig
	byName   map[string]int
	Flagstat Flagstat
}

// NewSample builds a Sample from its contigs (header order); names must be
// distinct and non-empty.
func NewSample(contigs []*Contig, fs Flagstat) (*Sample, error) {
	s := &Sample{contigs: contigs, byName: make(map[string]int, len(contigs)), Flagstat: fs}
	for i, c := range contigs {
		if c == nil || c.name == "" {
			return nil, fmt.Errorf("%w: contig %d has no name", ErrInvalid, i)
		}
		if _, dup := s.byName[c.name]; dup {
			return nil, fmt.Errorf("%w: contig %d: duplicate name", ErrInvalid, i)
		}
		s.byName[c.name] = i
	}
	return s, nil
}

// Contigs returns the contigs in header order. The slice must not be
// modified.
func (s *Sample) Contigs() []*Contig { return s.contigs }

// Contig returns the contig named name, or nil. As everywhere in gentre, a
// "chr" prefix is optional: an exact match wins, then the name with the
// prefix added or removed.
func (s *Sample) Contig(name string) *Contig {
	if i, ok := s.byName[name]; ok {
		return s.contigs[i]
	}
	alt := "chr" + name
	if rest, ok := strings.CutPrefix(name, "chr"); ok {
		alt = rest
	}
	if i, ok := s.byName[alt]; ok && alt != "" {
		return s.contigs[i]
	}
	return nil
}

func (s *Sample) lookup(name string) (*Contig, error) {
	c := s.Contig(name)
	if c == nil {
		return nil, ErrUnknownContig
	}
	return c, nil
}

// DepthAt returns the depth at 1-based position pos of the named contig.
func (s *Sample) DepthAt(contig string, pos int64) (uint32, error) {
	c, err := s.lookup(contig)
	if err != nil {
		return 0, err
	}
	return c.DepthAt(pos)
}

// CoveredAtLeast reports whether the depth at 1-based position pos of the
// named contig is at least min.
func (s *Sample) CoveredAtLeast(contig string, pos int64, min uint32) (bool, error) {
	d, err := s.DepthAt(contig, pos)
	return d >= min, err
}

// MeanDepth returns the mean depth over the bases start..end (1-based,
// inclusive) of the named contig; end is clamped to the contig length, so
// math.MaxInt64 means "to the end".
func (s *Sample) MeanDepth(contig string, start, end int64) (float64, error) {
	c, err := s.lookup(contig)
	if err != nil {
		return 0, err
	}
	return c.MeanDepth(start, end)
}

// Contig is the depth of one reference sequence as runs: run i covers the
// 1-based positions ends[i-1]+1 .. ends[i] (from 1 for i = 0) at depth
// depths[i]. The runs cover exactly 1..Length, and adjacent runs differ in
// depth, so the form is unique.
type Contig struct {
	name   string
	length uint32
	ends   []uint32
	depths []uint32
	reads  int64

	cumOnce sync.Once
	cum     []uint64 // prefix-sum checkpoints (query.go), built on first use
}

// NewContig checks the runs and returns the contig. reads is the number of
// alignments that contributed to the depth (kept for QC; samtools depth -a
// prints a contig only when it is non-zero). The slices are retained.
func NewContig(name string, length int64, ends, depths []uint32, reads int64) (*Contig, error) {
	if length < 0 || length > MaxLength {
		return nil, fmt.Errorf("%w: contig length %d", ErrInvalid, length)
	}
	if len(ends) != len(depths) {
		return nil, fmt.Errorf("%w: %d run ends but %d depths", ErrInvalid, len(ends), len(depths))
	}
	if reads < 0 {
		return nil, fmt.Errorf("%w: negative read count", ErrInvalid)
	}
	if length == 0 {
		if len(ends) != 0 {
			return nil, fmt.Errorf("%w: runs on an empty contig", ErrInvalid)
		}
	} else if len(ends) == 0 || int64(ends[len(ends)-1]) != length {
		return nil, fmt.Errorf("%w: runs do not end at the contig length", ErrInvalid)
	}
	var prev uint32
	for i, e := range ends {
		if e <= prev {
			return nil, fmt.Errorf("%w: run %d does not advance", ErrInvalid, i)
		}
		if i > 0 && depths[i] == depths[i-1] {
			return nil, fmt.Errorf("%w: runs %d and %d have the same depth", ErrInvalid, i-1, i)
		}
		prev = e
	}
	return &Contig{name: name, length: uint32(length), ends: ends, depths: depths, reads: reads}, nil
}

// Name returns the reference sequence name.
func (c *Contig) Name() string { return c.name }

// Length returns the reference sequence length.
func (c *Contig) Length() int64 { return int64(c.length) }

// Reads returns the number of alignments that contributed to the depth.
func (c *Contig) Reads() int64 { return c.reads }

// Runs returns the run ends (1-based, inclusive) and depths. The slices
// must not be modified.
func (c *Contig) Runs() (ends, depths []uint32) { return c.ends, c.depths }

// NumRuns returns the number of runs.
func (c *Contig) NumRuns() int { return len(c.ends) }
