package linkage

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gentre/gentre/engine/care"
	"github.com/gentre/gentre/engine/store"
	"github.com/gentre/gentre/pseudonymise"
)

// ErrOptOutFile is wrapped by errors about a malformed opt-out file.
var ErrOptOutFile = errors.New("malformed opt-out file")

// OptOutSummary says what OptOut did.
type OptOutSummary struct {
	Release       uint64
	Numbers       int // NHS numbers in the file
	New           int // not on the list before
	PeopleRemoved int
	EventsRemoved int64
	SamplesRemove int
	Total         int // people on the opt-out list now
}

// ReadNHSNumbers reads an opt-out file: one NHS number a line (spaces and
// hyphens allowed); blank lines and lines starting with '#' are skipped.
// Errors name the line, never the number.
func ReadNHSNumbers(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	name := filepath.Base(path)
	sc := bufio.NewScanner(f)
	var out []string
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		n, err := pseudonymise.NormaliseNHSNumber(t)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v: %w", name, line, err, ErrOptOutFile)
		}
		out = append(out, n)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// OptOut adds people to the opt-out list and removes them everywhere in
// one new data release: their rows in the people table (left as tombstones
// so that other people keep their indices), their events, and the
// genotypes of every sample linked to them. The list keeps only keyed
// pseudonyms, so later ingests drop them too.
func OptOut(st *store.Store, key *pseudonymise.Key, numbers []string) (*OptOutSummary, error) {
	s, err := Load(st, key)
	if err != nil {
		return nil, err
	}
	sum := &OptOutSummary{Numbers: len(numbers)}
	drop := map[string]bool{}
	for _, n := range numbers {
		p := s.PersonPseudonym(n)
		if !s.OptOut[p] {
			s.OptOut[p] = true
			sum.New++
		}
		drop[p] = true
	}
	sum.Total = len(s.OptOut)

	// People keep their indices (person sets kept by the disclosure guard
	// refer to them): a removed person's row becomes a tombstone.
	gone := map[int32]bool{}
	for i, p := range s.People {
		if drop[p.Pseudonym] {
			gone[int32(i)] = true
			sum.PeopleRemoved++
		}
	}
	// Samples linked to them.
	samples, err := st.Samples()
	if err != nil {
		return nil, err
	}
	var remove []uint32
	for i, sp := range samples {
		if p, ok := s.Links[sp]; ok && drop[p] {
			remove = append(remove, uint32(i))
		}
	}
	sum.SamplesRemove = len(remove)

	tx, err := st.Begin()
	if err != nil {
		return nil, err
	}
	abort := func(err error) (*OptOutSummary, error) {
		tx.Abort()
		return nil, err
	}
	if sum.PeopleRemoved > 0 {
		for i := range gone {
			s.People[i] = care.Person{Pseudonym: care.RemovedPerson}
		}
		c := &tx.Manifest().Care
		var events []string
		var n int64
		for _, rel := range c.Events {
			data, err := st.ReadFile(rel)
			if err != nil {
				return abort(err)
			}
			ew := care.NewEventWriter()
			err = care.ReadEvents(rel, data, func(e *care.Event) error {
				if int(e.Person) >= len(s.People) || e.Person < 0 {
					return fmt.Errorf("%s: person index out of range: %w", rel, store.ErrCorrupt)
				}
				if gone[e.Person] {
					sum.EventsRemoved++
					return nil
				}
				ew.Add(e)
				return nil
			})
			if err != nil {
				return abort(err)
			}
			tx.Obsolete(rel)
			if ew.Len() == 0 {
				continue
			}
			n += int64(ew.Len())
			var buf bytes.Buffer
			if err := ew.WriteParquet(&buf); err != nil {
				return abort(err)
			}
			nrel, err := tx.CreateFile(store.DirCare, ".events.parquet", buf.Bytes())
			if err != nil {
				return abort(err)
			}
			events = append(events, nrel)
		}
		c.Events, c.NEvents = events, n
	}
	if len(remove) > 0 {
		if _, err := tx.RemoveSamples(remove); err != nil {
			return abort(err)
		}
	}
	if err := s.save(tx, sum.PeopleRemoved > 0, false, true); err != nil {
		return abort(err)
	}
	if err := s.writeIndex(tx, nil); err != nil {
		return abort(err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	sum.Release = st.Manifest().Release
	return sum, nil
}
