package query

import (
	"fmt"
	"math"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/gentre/gentre/engine/care"
	"github.com/gentre/gentre/engine/concept"
	"github.com/gentre/gentre/engine/store"
)

// careIndex is the care side of a release, indexed for cohort predicates:
// per code, the people with an event of that code.
type careIndex struct {
	people []care.Person
	all    *roaring.Bitmap
	sex    map[care.Sex]*roaring.Bitmap
	// conditions, medications and procedures: code -> people.
	byKind map[care.Kind]map[string]*roaring.Bitmap
	// observations: code -> (person, value) pairs.
	obs       map[string][]obsValue
	hierarchy *concept.Hierarchy
	// samplePerson maps a global sample index to its person, or -1.
	samplePerson []int32
	// personSamples lists each person's samples (global indices).
	personSamples map[int32][]uint32
	// linked is every sample that belongs to a person.
	linked []uint32
}

type obsValue struct {
	person int32
	value  float64
}

// loadCare reads the people, events, links and hierarchy of the release.
func loadCare(st *store.Store) (*careIndex, error) {
	m := st.Manifest()
	c := &m.Care
	ix := &careIndex{all: roaring.New(), sex: map[care.Sex]*roaring.Bitmap{},
		byKind: map[care.Kind]map[string]*roaring.Bitmap{}, obs: map[string][]obsValue{}, personSamples: map[int32][]uint32{}}
	if c.People != "" {
		data, err := st.ReadFile(c.People)
		if err != nil {
			return nil, err
		}
		if ix.people, err = care.ReadPeople(c.People, data); err != nil {
			return nil, err
		}
	}
	byPsn := make(map[string]int32, len(ix.people))
	for i, p := range ix.people {
		if p.Pseudonym == care.RemovedPerson {
			continue // opted out: in no cohort
		}
		ix.all.Add(uint32(i))
		b := ix.sex[p.Sex]
		if b == nil {
			b = roaring.New()
			ix.sex[p.Sex] = b
		}
		b.Add(uint32(i))
		byPsn[p.Pseudonym] = int32(i)
	}
	for _, rel := range c.Events {
		data, err := st.ReadFile(rel)
		if err != nil {
			return nil, err
		}
		err = care.ReadEvents(rel, data, func(e *care.Event) error {
			if e.Person < 0 || int(e.Person) >= len(ix.people) {
				return fmt.Errorf("%s: person index out of range: %w", rel, store.ErrCorrupt)
			}
			if e.Kind == care.Observation {
				if !math.IsNaN(e.Value) {
					ix.obs[e.Code] = append(ix.obs[e.Code], obsValue{e.Person, e.Value})
				}
				return nil
			}
			m := ix.byKind[e.Kind]
			if m == nil {
				m = map[string]*roaring.Bitmap{}
				ix.byKind[e.Kind] = m
			}
			b := m[e.Code]
			if b == nil {
				b = roaring.New()
				m[e.Code] = b
			}
			b.Add(uint32(e.Person))
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if c.Concepts != "" {
		data, err := st.ReadFile(c.Concepts)
		if err != nil {
			return nil, err
		}
		h, err := concept.ReadHierarchy(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Concepts, err)
		}
		ix.hierarchy = h
	}
	samples, err := st.Samples()
	if err != nil {
		return nil, err
	}
	ix.samplePerson = make([]int32, len(samples))
	links := map[string]string{}
	if c.Links != "" {
		body, err := st.ReadChecked(c.Links, "gentre-links")
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(strings.TrimSuffix(string(body), "\n"), "\n") {
			if s, p, ok := strings.Cut(line, "\t"); ok {
				links[s] = p
			}
		}
	}
	for g, s := range samples {
		ix.samplePerson[g] = -1
		if p, ok := links[s]; ok {
			if idx, ok := byPsn[p]; ok {
				ix.samplePerson[g] = idx
				ix.personSamples[idx] = append(ix.personSamples[idx], uint32(g))
				ix.linked = append(ix.linked, uint32(g))
			}
		}
	}
	return ix, nil
}
