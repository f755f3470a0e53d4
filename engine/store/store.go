package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/gentre/gentre/engine/sites"
)

// Folders of a store, each holding immutable files named by number.
const (
	dirChunks     = "chunks"
	dirSites      = "sites"
	dirSamples    = "samples"
	dirSampleSets = "samplesets"
	// DirCare holds the care-record files (people, events, links, opt-outs, concepts).
	DirCare  = "care"
	lockName = "LOCK"

	samplesMagic   = "gentre-samples"
	sampleSetMagic = "gentre-sampleset"
)

var dataDirs = []string{dirChunks, dirSites, dirSamples, dirSampleSets, DirCare, dirCoverage}

// Store is an open store: one data release, read-only unless opened with
// OpenWriter.
type Store struct {
	dir     string
	opts    Options
	man     *Manifest
	lock    *os.File
	samples []string // loaded on demand
}

// Init makes a new, empty store in dir (created if missing, mode 0700). It
// fails if dir already holds a store.
func Init(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, manifestName)); err == nil {
		return fmt.Errorf("%s already holds a gentre store", dir)
	}
	for _, d := range dataDirs {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return err
		}
	}
	return writeManifest(dir, &Manifest{NextFile: 1}, false)
}

// Open opens the store in dir for reading its current data release.
func Open(dir string, opts *Options) (*Store, error) {
	s := &Store{dir: dir}
	if opts != nil {
		s.opts = *opts
	}
	if err := s.opts.EnsureDefaults().Validate(); err != nil {
		return nil, err
	}
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	s.man = m
	return s, nil
}

// OpenWriter opens the store for changing it. It takes an exclusive lock
// (failing at once if another process holds it) and removes files left by
// an operation that failed or was killed before it committed.
func OpenWriter(dir string, opts *Options) (*Store, error) {
	s, err := Open(dir, opts)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("the store is being changed by another gentre process: %w", err)
	}
	s.lock = f
	// Re-read under the lock: another writer may have committed meanwhile.
	if s.man, err = readManifest(dir); err != nil {
		s.Close()
		return nil, err
	}
	for _, d := range dataDirs {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.removeOrphans(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the store (and its lock).
func (s *Store) Close() error {
	if s.lock != nil {
		err := s.lock.Close() // closing drops the flock
		s.lock = nil
		return err
	}
	return nil
}

// Dir returns the store's folder.
func (s *Store) Dir() string { return s.dir }

// Options returns the store's options with defaults filled.
func (s *Store) Options() Options { return s.opts }

// Manifest returns the open data release's manifest. Callers must not change it.
func (s *Store) Manifest() *Manifest { return s.man }

// referenced returns the data files the manifest names.
func (s *Store) referenced() map[string]bool {
	ref := map[string]bool{}
	if s.man.SampleFile != "" {
		ref[s.man.SampleFile] = true
	}
	for _, b := range s.man.Batches {
		ref[b.SampleSet] = true
	}
	for _, c := range s.man.Chunks {
		ref[c.File] = true
		ref[c.Sites] = true
	}
	for _, c := range s.man.Coverage {
		ref[c.File] = true
	}
	care := &s.man.Care
	for _, f := range append([]string{care.People, care.Links, care.OptOut, care.Concepts, care.Index}, care.Events...) {
		if f != "" {
			ref[f] = true
		}
	}
	return ref
}

// removeOrphans deletes data files that the manifest does not name: the
// leftovers of an operation that did not commit.
func (s *Store) removeOrphans() error {
	ref := s.referenced()
	os.Remove(filepath.Join(s.dir, manifestName+".tmp"))
	for _, d := range dataDirs {
		ents, err := os.ReadDir(filepath.Join(s.dir, d))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return err
		}
		for _, e := range ents {
			rel := d + "/" + e.Name()
			if !ref[rel] {
				if err := os.Remove(filepath.Join(s.dir, rel)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// fileName returns the store-relative path of data file number n.
func fileName(dir string, n uint64, ext string) string {
	return dir + "/" + fmt.Sprintf("%06d", n) + ext
}

// Samples returns the pseudonyms of the store's samples, by global index;
// a removed sample's entry is RemovedSample.
func (s *Store) Samples() ([]string, error) {
	if s.samples != nil || s.man.SampleFile == "" {
		return s.samples, nil
	}
	body, err := s.readChecked(s.man.SampleFile, samplesMagic)
	if err != nil {
		return nil, err
	}
	lines := []string{}
	if len(body) > 0 {
		lines = strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	}
	if len(lines) != s.man.NSamples {
		return nil, fmt.Errorf("%s: %d samples, manifest says %d: %w", s.man.SampleFile, len(lines), s.man.NSamples, ErrCorrupt)
	}
	s.samples = lines
	return lines, nil
}

// RemovedSample marks a removed sample in the sample list.
const RemovedSample = "-"

// ReadFile reads a data file of the release by its store-relative name.
func (s *Store) ReadFile(rel string) ([]byte, error) {
	return os.ReadFile(filepath.Join(s.dir, rel))
}

// ReadChecked reads a checked file (see docs/format.md) and returns its body.
func (s *Store) ReadChecked(rel, magic string) ([]byte, error) { return s.readChecked(rel, magic) }

// SampleSet returns the global sample indices of batch b's columns.
func (s *Store) SampleSet(b *BatchInfo) ([]uint32, error) {
	body, err := s.readChecked(b.SampleSet, sampleSetMagic)
	if err != nil {
		return nil, err
	}
	out := make([]uint32, 0, b.NSamples)
	for _, f := range strings.Fields(string(body)) {
		v, err := strconv.ParseUint(f, 10, 32)
		if err != nil || int(v) >= s.man.NSamples {
			return nil, fmt.Errorf("%s: bad sample index: %w", b.SampleSet, ErrCorrupt)
		}
		out = append(out, uint32(v))
	}
	if len(out) != b.NSamples {
		return nil, fmt.Errorf("%s: %d samples, manifest says %d: %w", b.SampleSet, len(out), b.NSamples, ErrCorrupt)
	}
	return out, nil
}

func (s *Store) readChecked(rel, magic string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, rel))
	if err != nil {
		return nil, err
	}
	return decodeChecked(rel, magic, 1, data)
}

// ReadChunk reads, checks and decodes one chunk file.
func (s *Store) ReadChunk(ref *ChunkRef, parts ChunkParts) (*Chunk, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, ref.File))
	if err != nil {
		return nil, err
	}
	return DecodeChunk(ref.File, data, parts)
}

// ReadChunkInto is ReadChunk decoding into c, reusing c's storage from a
// previous ReadChunkInto: a reader that is done with one chunk before the
// next (a one-shot query) then allocates, and faults in, its buffers once
// instead of once per chunk. c's slices (rows, alleles) are overwritten by
// the next read.
func (s *Store) ReadChunkInto(ref *ChunkRef, parts ChunkParts, c *Chunk) error {
	if c.scratch == nil {
		c.scratch = &chunkScratch{}
	}
	scr := c.scratch
	f, err := os.Open(filepath.Join(s.dir, ref.File))
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := int(fi.Size())
	if cap(scr.file) < size {
		scr.file = make([]byte, 0, size+size/4) // room for the next chunks
	}
	scr.file = scr.file[:size]
	if _, err := io.ReadFull(f, scr.file); err != nil {
		return fmt.Errorf("%s: %w", ref.File, err)
	}
	return c.decode(ref.File, scr.file, parts, scr)
}

// ReadSites reads one chunk's site table.
func (s *Store) ReadSites(ref *ChunkRef) ([]sites.Site, error) {
	data, err := os.ReadFile(filepath.Join(s.dir, ref.Sites))
	if err != nil {
		return nil, err
	}
	return sites.ReadParquet(ref.Sites, data)
}

// DiskUsage returns the bytes of the release's data files and manifest.
func (s *Store) DiskUsage() (int64, error) {
	var total int64
	paths := []string{manifestName}
	for p := range s.referenced() {
		paths = append(paths, p)
	}
	for _, p := range paths {
		st, err := os.Stat(filepath.Join(s.dir, p))
		if err != nil {
			return 0, err
		}
		total += st.Size()
	}
	return total, nil
}
