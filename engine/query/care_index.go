package query

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/gentre/gentre/engine/care"
	"github.com/gentre/gentre/engine/concept"
	"github.com/gentre/gentre/engine/geno"
	"github.com/gentre/gentre/engine/store"
)

// careIndex is the care side of a release, indexed for cohort predicates.
// It comes from the release's care index file when there is a current one
// (care_index_file.go: only the sections and codes a query names are
// read), else from the Parquet tables (care_index_parquet.go, also the
// reference the index is tested against).
type careIndex struct {
	// mu guards what is loaded on demand (births, pseudonyms, hierarchy,
	// each person's samples, the source's caches): an Engine's queries
	// may run concurrently. The rest is set by the loader and read-only.
	mu      sync.Mutex
	st      *store.Store
	nPeople int
	all     *roaring.Bitmap
	sex     map[care.Sex]*roaring.Bitmap
	src     careSource
	// from says where the index came from: "index", "index+samples" (the
	// sample map rebuilt from the sample list and links), or "parquet".
	from string

	// births (loaded by loadBirths) and pseudonyms (by pseudonyms).
	birthYear  []int16
	birthMonth []int8
	psn        []string

	// hierarchy is the SNOMED CT hierarchy, read on first use.
	hierarchy  *concept.Hierarchy
	hierLoaded bool

	// samplePerson maps a global sample index to its person, or -1.
	samplePerson []int32
	// personOff and personSamp list each person's samples (global
	// indices, ascending): personSamp[personOff[p]:personOff[p+1]]; made
	// on first use by samplesOfPerson.
	personOff  []uint32
	personSamp []uint32
}

// careSource answers the code and value lookups of cohort predicates.
type careSource interface {
	// code returns the people with an event of the kind and exactly this
	// code (nil for none). The bitmap is read-only.
	code(kind care.Kind, code string) (*roaring.Bitmap, error)
	// descendants returns (a new bitmap of) the people with an event of
	// the kind whose code, read as a base-10 integer, is a concept in set.
	descendants(kind care.Kind, h *concept.Hierarchy, set *concept.ConceptSet) (*roaring.Bitmap, error)
	// observation returns (a new bitmap of) the people with an
	// observation of code whose value v satisfies compare(v, op, x).
	observation(code, op string, x float64) (*roaring.Bitmap, error)
	births() ([]int16, []int8, error)
	pseudonyms() ([]string, error)
}

// errStaleIndex reports a care index built from other files than the
// release's (a release written by a gentre that did not maintain it).
var errStaleIndex = errors.New("care index does not match the release")

// loadCare opens the care side of the release: from its care index when
// the release names a current one, else from the Parquet tables.
func loadCare(st *store.Store) (*careIndex, error) {
	if st.Manifest().Care.Index != "" {
		ix, err := loadCareFile(st)
		if err == nil {
			return ix, nil
		}
		if !errors.Is(err, errStaleIndex) && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return loadCareParquet(st)
}

func newCareIndex(st *store.Store, nPeople int) *careIndex {
	return &careIndex{st: st, nPeople: nPeople, sex: map[care.Sex]*roaring.Bitmap{}}
}

// setSamples sets the sample map.
func (ix *careIndex) setSamples(samplePerson []int32) {
	ix.samplePerson = samplePerson
	ix.personOff, ix.personSamp = nil, nil
}

// samplesOfPerson returns person p's samples (global indices, ascending).
// The first call lists every person's samples.
func (ix *careIndex) samplesOfPerson(p uint32) []uint32 {
	if int(p) >= ix.nPeople {
		return nil
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.personOff == nil {
		off := make([]uint32, ix.nPeople+1)
		for _, q := range ix.samplePerson {
			if q >= 0 {
				off[q+1]++
			}
		}
		for i := 1; i < len(off); i++ {
			off[i] += off[i-1]
		}
		samp := make([]uint32, off[ix.nPeople])
		next := append([]uint32(nil), off[:ix.nPeople]...)
		for g, q := range ix.samplePerson {
			if q >= 0 {
				samp[next[q]] = uint32(g)
				next[q]++
			}
		}
		ix.personOff, ix.personSamp = off, samp
	}
	return ix.personSamp[ix.personOff[p]:ix.personOff[p+1]]
}

// samplesOfPeople returns the samples of the people in a set: one pass
// over the sample map against the set as a dense bitmap.
func (ix *careIndex) samplesOfPeople(people *roaring.Bitmap) *geno.Bitset {
	b := geno.NewBitset(len(ix.samplePerson))
	if people.IsEmpty() {
		return b
	}
	in := people.ToDense()
	for g, p := range ix.samplePerson {
		if p >= 0 && int(p>>6) < len(in) && in[p>>6]&(1<<(uint32(p)&63)) != 0 {
			b.Set(g)
		}
	}
	return b
}

// loadBirths makes birth available.
func (ix *careIndex) loadBirths() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.birthYear != nil || ix.nPeople == 0 {
		return nil
	}
	y, m, err := ix.src.births()
	if err != nil {
		return err
	}
	ix.birthYear, ix.birthMonth = y, m
	return nil
}

// birth returns person i's year and month of birth (0: unknown), after loadBirths.
func (ix *careIndex) birth(i uint32) (int16, int8) { return ix.birthYear[i], ix.birthMonth[i] }

// pseudonyms returns the people's pseudonyms by index (care.RemovedPerson
// for a removed person).
func (ix *careIndex) pseudonyms() ([]string, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.psn == nil && ix.nPeople > 0 {
		p, err := ix.src.pseudonyms()
		if err != nil {
			return nil, err
		}
		ix.psn = p
	}
	return ix.psn, nil
}

// concepts returns the release's SNOMED CT hierarchy (nil without one).
func (ix *careIndex) concepts() (*concept.Hierarchy, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.hierLoaded {
		return ix.hierarchy, nil
	}
	rel := ix.st.Manifest().Care.Concepts
	if rel != "" {
		data, err := ix.st.ReadFile(rel)
		if err != nil {
			return nil, err
		}
		h, err := concept.ReadHierarchy(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rel, err)
		}
		ix.hierarchy = h
	}
	ix.hierLoaded = true
	return ix.hierarchy, nil
}

// code, descendants and observation are the source's, one at a time.

func (ix *careIndex) code(kind care.Kind, code string) (*roaring.Bitmap, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.src.code(kind, code)
}

func (ix *careIndex) descendants(kind care.Kind, h *concept.Hierarchy, set *concept.ConceptSet) (*roaring.Bitmap, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.src.descendants(kind, h, set)
}

func (ix *careIndex) observation(code, op string, x float64) (*roaring.Bitmap, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.src.observation(code, op, x)
}

// readLinks reads the release's links: sample pseudonym -> person pseudonym.
func readLinks(st *store.Store) (map[string]string, error) {
	links := map[string]string{}
	rel := st.Manifest().Care.Links
	if rel == "" {
		return links, nil
	}
	body, err := st.ReadChecked(rel, "gentre-links")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(body), "\n"), "\n") {
		if s, p, ok := strings.Cut(line, "\t"); ok {
			links[s] = p
		}
	}
	return links, nil
}
