// Package linkage turns care records and sample manifests into the store's
// care tables: it pseudonymises NHS numbers and references, generalises
// quasi-identifiers, resolves references across files, links samples to
// people, and enforces the opt-out list at every step. Identifiers never
// pass beyond this package: the engine sees pseudonyms and indices only.
package linkage

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/gentre/gentre/engine/care"
	"github.com/gentre/gentre/engine/store"
	"github.com/gentre/gentre/pseudonymise"
)

const (
	linksMagic  = "gentre-links"
	optoutMagic = "gentre-optout"
	// domainRef separates pseudonyms of FHIR references (Patient/ID,
	// urn:uuid:...) from those of NHS numbers and sample IDs.
	domainRef = "fhir-ref"
)

// State is the care side of a data release, loaded for a change.
type State struct {
	st     *store.Store
	key    *pseudonymise.Key
	People []care.Person
	byPsn  map[string]int32 // person pseudonym -> index
	byRef  map[string]int32 // reference pseudonym -> index
	// Links maps sample pseudonym -> person pseudonym.
	Links map[string]string
	// OptOut holds the person pseudonyms that opted out.
	OptOut map[string]bool
}

// Load reads the care tables of st's current release.
func Load(st *store.Store, key *pseudonymise.Key) (*State, error) {
	return loadCare(st, &st.Manifest().Care, key)
}

// loadCare reads the care tables c names.
func loadCare(st *store.Store, c *store.CareInfo, key *pseudonymise.Key) (*State, error) {
	s := &State{st: st, key: key, byPsn: map[string]int32{}, byRef: map[string]int32{}, Links: map[string]string{}, OptOut: map[string]bool{}}
	if c.People != "" {
		data, err := st.ReadFile(c.People)
		if err != nil {
			return nil, err
		}
		if s.People, err = care.ReadPeople(c.People, data); err != nil {
			return nil, err
		}
	}
	for i := range s.People {
		s.index(int32(i))
	}
	if c.Links != "" {
		body, err := st.ReadChecked(c.Links, linksMagic)
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(body), "\n"), "\n") {
			sample, person, ok := strings.Cut(line, "\t")
			if !ok {
				return nil, fmt.Errorf("%s: bad line: %w", c.Links, store.ErrCorrupt)
			}
			s.Links[sample] = person
		}
	}
	if c.OptOut != "" {
		body, err := st.ReadChecked(c.OptOut, optoutMagic)
		if err != nil {
			return nil, err
		}
		for _, p := range strings.Fields(string(body)) {
			s.OptOut[p] = true
		}
	}
	return s, nil
}

func (s *State) index(i int32) {
	p := &s.People[i]
	if p.Pseudonym == care.RemovedPerson {
		return
	}
	s.byPsn[p.Pseudonym] = i
	for _, r := range p.Refs {
		s.byRef[r] = i
	}
}

// PersonPseudonym returns the pseudonym of a (valid, normalised) NHS number.
func (s *State) PersonPseudonym(nhs string) string {
	return s.key.Of(pseudonymise.DomainPerson, nhs).String()
}

// SamplePseudonym returns the pseudonym of a laboratory sample ID.
func (s *State) SamplePseudonym(id string) string {
	return s.key.Of(pseudonymise.DomainSample, id).String()
}

func (s *State) refPseudonym(kind, id string) string {
	return s.key.Of(domainRef, kind+"/"+id).String()
}

// OptedOutSample reports whether a sample is linked to a person who opted out.
func (s *State) OptedOutSample(samplePsn string) bool {
	p, ok := s.Links[samplePsn]
	return ok && s.OptOut[p]
}

// save writes the people table, links and opt-out list that changed into
// tx and points the manifest at them.
func (s *State) save(tx *store.Tx, people, links, optout bool) error {
	c := &tx.Manifest().Care
	if people {
		var buf bytes.Buffer
		if err := care.WritePeople(&buf, s.People); err != nil {
			return err
		}
		rel, err := tx.CreateFile(store.DirCare, ".people.parquet", buf.Bytes())
		if err != nil {
			return err
		}
		tx.Obsolete(c.People)
		c.People, c.NPeople = rel, len(s.People)
	}
	if links {
		keys := make([]string, 0, len(s.Links))
		for k := range s.Links {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			b.WriteString(k + "\t" + s.Links[k] + "\n")
		}
		rel, err := tx.CreateChecked(store.DirCare, ".links.txt", linksMagic, []byte(b.String()))
		if err != nil {
			return err
		}
		tx.Obsolete(c.Links)
		c.Links, c.NLinks = rel, len(keys)
	}
	if optout {
		keys := make([]string, 0, len(s.OptOut))
		for k := range s.OptOut {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		body := strings.Join(keys, "\n")
		if body != "" {
			body += "\n"
		}
		rel, err := tx.CreateChecked(store.DirCare, ".optout.txt", optoutMagic, []byte(body))
		if err != nil {
			return err
		}
		tx.Obsolete(c.OptOut)
		c.OptOut, c.NOptOut = rel, len(keys)
	}
	return nil
}
