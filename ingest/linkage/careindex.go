package linkage

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gentre/gentre/engine/care"
	"github.com/gentre/gentre/engine/store"
)

// The care index (engine/care) is derived from the people and events
// tables, the links and the sample list. Every change to one of them
// rewrites it in the same data release: LoadFHIR, LoadManifest and OptOut
// here, and a genome or coverage ingest that adds samples through
// RefreshCareIndex.

// writeIndex builds the care index of the release tx builds from s's
// people and links, the events tables the release names and its sample
// list (samples; nil: read the release's), and names it in the manifest.
// A release without people has no index.
func (s *State) writeIndex(tx *store.Tx, samples []string) error {
	m := tx.Manifest()
	c := &m.Care
	if c.People == "" {
		return nil
	}
	digest, samples, err := sampleList(tx, samples)
	if err != nil {
		return err
	}
	if c.Index != "" && indexCurrent(s.st, c, digest) {
		return nil
	}
	b := care.NewIndexBuilder(s.People)
	for _, rel := range c.Events {
		data, err := s.st.ReadFile(rel)
		if err != nil {
			return err
		}
		err = care.ReadEvents(rel, data, func(e *care.Event) error {
			if err := b.Add(e); err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	psn := make([]string, len(s.People))
	for i := range s.People {
		psn[i] = s.People[i].Pseudonym
	}
	if err := b.SetSampleMap(care.SampleMap(psn, s.Links, samples)); err != nil {
		return fmt.Errorf("care index: %w", err)
	}
	stamp := care.IndexStamp{People: c.People, Events: append([]string(nil), c.Events...), Links: c.Links, Samples: digest}
	data, err := b.Encode(stamp)
	if err != nil {
		return err
	}
	rel, err := tx.CreateFile(store.DirCare, ".careidx", data)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	tx.Obsolete(c.Index)
	c.Index, c.IndexSHA256 = rel, hex.EncodeToString(sum[:])
	return nil
}

// sampleList returns the sample list of the release tx builds (samples,
// or when nil the release's sample file) and the digest its sample file
// carries ("" when it has none).
func sampleList(tx *store.Tx, samples []string) (string, []string, error) {
	if samples != nil {
		return store.SampleListDigest(samples), samples, nil
	}
	if tx.Manifest().SampleFile == "" {
		return "", nil, nil
	}
	samples, err := tx.Samples()
	if err != nil {
		return "", nil, err
	}
	return store.SampleListDigest(samples), samples, nil
}

// RefreshCareIndex rewrites the care index of the release tx builds when
// it no longer matches the release (people, events, links or sample list
// changed, or a release written before the index existed), for changes
// made outside this package: a genome ingest passes the sample list its
// batch commits (store.BatchWriter.Samples), a coverage ingest nil (the
// transaction's). It reads the people and events tables, so it costs
// about what a care ingest of the same records costs to commit.
func RefreshCareIndex(tx *store.Tx, samples []string) error {
	c := &tx.Manifest().Care
	if c.People == "" {
		return nil
	}
	digest, samples, err := sampleList(tx, samples)
	if err != nil {
		return err
	}
	if c.Index != "" && indexCurrent(tx.Store(), c, digest) {
		return nil
	}
	s, err := loadCare(tx.Store(), c, nil)
	if err != nil {
		return err
	}
	return s.writeIndex(tx, samples)
}

// indexCurrent reports whether the index c names was built from c's
// people, events and links and a sample list with this digest. An index
// that cannot be read is not current.
func indexCurrent(st *store.Store, c *store.CareInfo, digest string) bool {
	f, err := os.Open(filepath.Join(st.Dir(), c.Index))
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	x, err := care.OpenIndex(c.Index, f, fi.Size())
	if err != nil {
		return false
	}
	stamp := x.Stamp()
	want := care.IndexStamp{People: c.People, Events: c.Events, Links: c.Links}
	return stamp.SameCare(&want) && stamp.Samples == digest
}
