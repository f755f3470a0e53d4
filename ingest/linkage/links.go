package linkage

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gentre/gentre/engine/store"
	"github.com/gentre/gentre/ingest/manifest"
	"github.com/gentre/gentre/pseudonymise"
)

// LinkSummary says what LoadManifest did.
type LinkSummary struct {
	Release   uint64
	Links     int // rows in the file
	New       int // links not known before
	Linked    int // samples now linked to a stored person
	Pending   int // linked to a person with no care records yet
	Unstored  int // samples not ingested yet (linked when they are)
	Removed   int // stored samples removed because their person opted out
	OptedOut  int // rows whose person opted out
	Unchanged bool
}

// LoadManifest links samples to people from a sample manifest TSV
// (sample_id<TAB>nhs_number), whichever of samples and people was ingested
// first. A sample already linked to another person is an error. Samples of
// people who opted out are removed from the store (and never stored later).
func LoadManifest(st *store.Store, key *pseudonymise.Key, path string) (*LinkSummary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	name := filepath.Base(path)
	links, err := manifest.Read(f, name)
	if err != nil {
		return nil, err
	}
	s, err := Load(st, key)
	if err != nil {
		return nil, err
	}
	sum := &LinkSummary{Links: len(links)}
	stored := map[string]uint32{}
	samples, err := st.Samples()
	if err != nil {
		return nil, err
	}
	for i, p := range samples {
		stored[p] = uint32(i)
	}
	var remove []uint32
	for _, l := range links {
		sp := s.SamplePseudonym(l.SampleID)
		pp := s.PersonPseudonym(l.NHSNumber)
		if old, ok := s.Links[sp]; ok {
			if old != pp {
				return nil, fmt.Errorf("%s:%d: sample_id: the sample is already linked to another person: %w", name, l.Line, ErrLink)
			}
		} else {
			s.Links[sp] = pp
			sum.New++
		}
		g, isStored := stored[sp]
		switch {
		case s.OptOut[pp]:
			sum.OptedOut++
			if isStored {
				remove = append(remove, g)
			}
		case !isStored:
			sum.Unstored++
		default:
			if _, ok := s.byPsn[pp]; ok {
				sum.Linked++
			} else {
				sum.Pending++
			}
		}
	}
	if sum.New == 0 && len(remove) == 0 {
		sum.Unchanged = true
		return sum, nil
	}
	tx, err := st.Begin()
	if err != nil {
		return nil, err
	}
	if len(remove) > 0 {
		if _, err := tx.RemoveSamples(remove); err != nil {
			tx.Abort()
			return nil, err
		}
		sum.Removed = len(remove)
	}
	if err := s.save(tx, false, true, false); err != nil {
		tx.Abort()
		return nil, err
	}
	if err := s.writeIndex(tx, nil); err != nil {
		tx.Abort()
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	sum.Release = st.Manifest().Release
	return sum, nil
}
