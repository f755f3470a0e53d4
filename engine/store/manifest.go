package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

const (
	manifestName    = "MANIFEST"
	manifestMagic   = "gentre-manifest"
	manifestVersion = 1
)

// Manifest lists everything in one data release of the store. It is the
// only mutable file: every commit writes a new one and renames it over the
// old, so readers see a whole release or the previous one.
type Manifest struct {
	// Release numbers the data releases: 0 for an empty store, +1 for
	// every commit (ingest, opt-out).
	Release   uint64    `json:"release"`
	Committed time.Time `json:"committed"`
	// NextFile numbers the next data file; files numbered at or above it
	// are leftovers of a failed operation and are removed by the next writer.
	NextFile uint64 `json:"next_file"`
	// Contigs in the order they were first ingested: the output order.
	Contigs []ContigInfo `json:"contigs"`
	// SampleFile lists the store's samples (pseudonyms); a sample's global
	// index is its position there. NSamples is its length.
	SampleFile string `json:"sample_file,omitempty"`
	NSamples   int    `json:"samples"`
	// RemovedSamples counts samples removed (opted out): their lines in
	// the sample file are "-" and no chunk holds their genotypes.
	RemovedSamples int         `json:"removed_samples,omitempty"`
	Batches        []BatchInfo `json:"batches"`
	Chunks         []ChunkRef  `json:"chunks"`
	Care           CareInfo    `json:"care"`
	// Coverage holds the samples' sequencing coverage (from BAMs).
	Coverage []CoverageRef `json:"coverage,omitempty"`
}

// LiveSamples returns the number of samples not removed.
func (m *Manifest) LiveSamples() int { return m.NSamples - m.RemovedSamples }

// CareInfo names the care-record files of the release (all in care/).
type CareInfo struct {
	// People is the people table (Parquet); a person's index is its row.
	People  string `json:"people,omitempty"`
	NPeople int    `json:"n_people"`
	// Events are the events tables (Parquet), one per care ingest.
	Events  []string `json:"events,omitempty"`
	NEvents int64    `json:"n_events"`
	// Links is a checked file of "sample pseudonym<TAB>person pseudonym" lines.
	Links  string `json:"links,omitempty"`
	NLinks int    `json:"n_links"`
	// OptOut is a checked file of the person pseudonyms that opted out.
	OptOut  string `json:"optout,omitempty"`
	NOptOut int    `json:"n_optout"`
	// Concepts is the SNOMED CT is-a hierarchy in its binary form.
	Concepts string `json:"concepts,omitempty"`
	// Index is the care index (engine/care, docs/format.md) derived from
	// People, Events, Links and the sample list, and IndexSHA256 its
	// digest. A release without one (written before it existed) is read
	// from the Parquet tables.
	Index       string `json:"index,omitempty"`
	IndexSHA256 string `json:"index_sha256,omitempty"`
	// Sources lists the SHA-256 of every care file ingested (to skip repeats).
	Sources []string `json:"sources,omitempty"`
}

// ContigInfo is one contig of the store.
type ContigInfo struct {
	Name   string `json:"name"`
	Length int64  `json:"length,omitempty"`
}

// BatchInfo is one ingested file: the sample set of its columns and the
// chunks made from it.
type BatchInfo struct {
	ID uint32 `json:"id"`
	// Source is the base name of the ingested file; SHA256 its content's
	// digest, used to recognise a file ingested twice.
	Source  string `json:"source"`
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"`
	Release uint64 `json:"release"`
	// SampleSet holds the global indices of the batch's samples in column order.
	SampleSet string   `json:"sample_set"`
	NSamples  int      `json:"samples"`
	Contigs   []string `json:"contigs"`
	Variants  int64    `json:"variants"`
	// KeepFormat names the FORMAT fields kept besides GT.
	KeepFormat []string `json:"keep_format,omitempty"`
	// Header is the batch's VCF meta-information, kept for dump.
	Header string `json:"header,omitempty"`
}

// ChunkRef locates one chunk: its genotype file and its site table.
type ChunkRef struct {
	File     string `json:"file"`
	Sites    string `json:"sites"`
	Batch    uint32 `json:"batch"`
	Contig   string `json:"contig"`
	First    int64  `json:"first"`
	Last     int64  `json:"last"`
	Variants int    `json:"variants"`
	Bytes    int64  `json:"bytes"`
	SHA256   string `json:"sha256"`
}

func readManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s is not a gentre store (no %s; run gentre init): %w", dir, manifestName, fs.ErrNotExist)
		}
		return nil, err
	}
	body, err := decodeChecked(manifestName, manifestMagic, manifestVersion, data)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("%s: %v: %w", manifestName, err, ErrCorrupt)
	}
	return &m, nil
}

func writeManifest(dir string, m *Manifest, noSync bool) error {
	body, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	return replaceFileAtomic(filepath.Join(dir, manifestName), encodeChecked(manifestMagic, manifestVersion, append(body, '\n')), noSync)
}

// clone returns a deep copy of m for a transaction to change.
func (m *Manifest) clone() *Manifest {
	c := *m
	c.Contigs = append([]ContigInfo(nil), m.Contigs...)
	c.Batches = append([]BatchInfo(nil), m.Batches...)
	c.Chunks = append([]ChunkRef(nil), m.Chunks...)
	c.Care.Events = append([]string(nil), m.Care.Events...)
	c.Coverage = append([]CoverageRef(nil), m.Coverage...)
	c.Care.Sources = append([]string(nil), m.Care.Sources...)
	for i := range c.Batches {
		c.Batches[i].Contigs = append([]string(nil), c.Batches[i].Contigs...)
	}
	return &c
}

// ContigIndex returns the position of contig name in m.Contigs, or -1.
func (m *Manifest) ContigIndex(name string) int {
	for i, c := range m.Contigs {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Batch returns the batch with the given ID, or nil.
func (m *Manifest) Batch(id uint32) *BatchInfo {
	for i := range m.Batches {
		if m.Batches[i].ID == id {
			return &m.Batches[i]
		}
	}
	return nil
}
