package query

import (
	"fmt"
	"math"
	"strconv"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/gentre/gentre/engine/care"
	"github.com/gentre/gentre/engine/concept"
	"github.com/gentre/gentre/engine/store"
)

// parquetCare is the care side built from the people and events tables:
// per code, the people with an event of that code. It serves releases
// without a current care index and is the reference the index is tested
// against (care_index_test.go).
type parquetCare struct {
	people []care.Person
	// conditions, medications, procedures and encounters: code -> people.
	byKind map[care.Kind]map[string]*roaring.Bitmap
	// observations: code -> (person, value) pairs.
	obs map[string][]obsValue
}

type obsValue struct {
	person int32
	value  float64
}

// loadCareParquet reads the people, events and links of the release.
func loadCareParquet(st *store.Store) (*careIndex, error) {
	m := st.Manifest()
	c := &m.Care
	src := &parquetCare{byKind: map[care.Kind]map[string]*roaring.Bitmap{}, obs: map[string][]obsValue{}}
	if c.People != "" {
		data, err := st.ReadFile(c.People)
		if err != nil {
			return nil, err
		}
		if src.people, err = care.ReadPeople(c.People, data); err != nil {
			return nil, err
		}
	}
	ix := newCareIndex(st, len(src.people))
	ix.src, ix.from, ix.all = src, "parquet", roaring.New()
	byPsn := make(map[string]int32, len(src.people))
	for i, p := range src.people {
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
			if e.Person < 0 || int(e.Person) >= len(src.people) {
				return fmt.Errorf("%s: person index out of range: %w", rel, store.ErrCorrupt)
			}
			if e.Kind == care.Observation {
				if !math.IsNaN(e.Value) {
					src.obs[e.Code] = append(src.obs[e.Code], obsValue{e.Person, e.Value})
				}
				return nil
			}
			m := src.byKind[e.Kind]
			if m == nil {
				m = map[string]*roaring.Bitmap{}
				src.byKind[e.Kind] = m
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
	if len(src.people) == 0 {
		// Nobody to link to: every sample is unlinked.
		sp := make([]int32, m.NSamples)
		for g := range sp {
			sp[g] = -1
		}
		ix.setSamples(sp)
		return ix, nil
	}
	samples, err := st.Samples()
	if err != nil {
		return nil, err
	}
	links, err := readLinks(st)
	if err != nil {
		return nil, err
	}
	sp := make([]int32, len(samples))
	for g, s := range samples {
		sp[g] = -1
		if p, ok := links[s]; ok {
			if idx, ok := byPsn[p]; ok {
				sp[g] = idx
			}
		}
	}
	ix.setSamples(sp)
	return ix, nil
}

func (s *parquetCare) code(kind care.Kind, code string) (*roaring.Bitmap, error) {
	return s.byKind[kind][code], nil
}

// descendants walks the codes people have (few) rather than the
// descendants (maybe many).
func (s *parquetCare) descendants(kind care.Kind, h *concept.Hierarchy, set *concept.ConceptSet) (*roaring.Bitmap, error) {
	out := roaring.New()
	for c, b := range s.byKind[kind] {
		v, err := strconv.ParseInt(c, 10, 64)
		if err != nil {
			continue
		}
		if i, ok := h.Index(v); ok && set.Contains(i) {
			out.Or(b)
		}
	}
	return out, nil
}

func (s *parquetCare) observation(code, op string, x float64) (*roaring.Bitmap, error) {
	out := roaring.New()
	for _, o := range s.obs[code] {
		if compare(o.value, op, x) {
			out.Add(uint32(o.person))
		}
	}
	return out, nil
}

func (s *parquetCare) births() ([]int16, []int8, error) {
	y := make([]int16, len(s.people))
	m := make([]int8, len(s.people))
	for i := range s.people {
		y[i], m[i] = s.people[i].BirthYear, s.people[i].BirthMonth
	}
	return y, m, nil
}

func (s *parquetCare) pseudonyms() ([]string, error) {
	out := make([]string, len(s.people))
	for i := range s.people {
		out[i] = s.people[i].Pseudonym
	}
	return out, nil
}
