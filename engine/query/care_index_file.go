package query

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/gentre/gentre/engine/care"
	"github.com/gentre/gentre/engine/concept"
	"github.com/gentre/gentre/engine/store"
)

// fileCare answers lookups from the release's care index file, reading
// each code's entry on first use and keeping it for the engine's life.
// The file stays open, so that a commit removing it (with the release it
// belongs to) does not cut off an engine still answering on that release;
// it is closed when the engine is garbage (os.File's finalizer).
type fileCare struct {
	x       *care.Index
	bitmaps map[bitmapKey]*roaring.Bitmap
	obs     map[string]*care.Obs
}

type bitmapKey struct {
	kind  care.Kind
	entry int
}

// loadCareFile opens the release's care index. It returns an error
// wrapping errStaleIndex when the index was built from other files than
// the release's, and one wrapping fs.ErrNotExist when the file is gone.
func loadCareFile(st *store.Store) (ix *careIndex, err error) {
	m := st.Manifest()
	c := &m.Care
	f, err := os.Open(filepath.Join(st.Dir(), c.Index))
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	x, err := care.OpenIndex(c.Index, f, fi.Size())
	if err != nil {
		return nil, err
	}
	src := &fileCare{x: x, bitmaps: map[bitmapKey]*roaring.Bitmap{}, obs: map[string]*care.Obs{}}

	stamp := x.Stamp()
	want := care.IndexStamp{People: c.People, Events: c.Events, Links: c.Links}
	if !stamp.SameCare(&want) || x.NPeople() != c.NPeople {
		return nil, fmt.Errorf("%s: %w", c.Index, errStaleIndex)
	}
	ix = newCareIndex(st, x.NPeople())
	ix.src, ix.from = src, "index"
	all, bySex, err := x.PeopleSets()
	if err != nil {
		return nil, err
	}
	ix.all = all
	for s, b := range bySex {
		if !b.IsEmpty() {
			ix.sex[care.Sex(s)] = b
		}
	}
	digest, err := st.SampleListDigest()
	if err != nil {
		return nil, err
	}
	if digest == stamp.Samples && x.NSamples() == m.NSamples {
		sp, err := x.SampleMap()
		if err != nil {
			return nil, err
		}
		ix.setSamples(sp)
		return ix, nil
	}
	// The sample list changed since the index was written (by a writer
	// that does not maintain it): link the samples again.
	ix.from = "index+samples"
	samples, err := st.Samples()
	if err != nil {
		return nil, err
	}
	links, err := readLinks(st)
	if err != nil {
		return nil, err
	}
	psn, err := ix.pseudonyms()
	if err != nil {
		return nil, err
	}
	ix.setSamples(care.SampleMap(psn, links, samples))
	return ix, nil
}

// bitmap returns entry i of a kind's directory.
func (s *fileCare) bitmap(d *care.CodeDir, kind care.Kind, i int) (*roaring.Bitmap, error) {
	k := bitmapKey{kind, i}
	if b, ok := s.bitmaps[k]; ok {
		return b, nil
	}
	b, err := d.Bitmap(i)
	if err != nil {
		return nil, err
	}
	s.bitmaps[k] = b
	return b, nil
}

func (s *fileCare) code(kind care.Kind, code string) (*roaring.Bitmap, error) {
	d, err := s.x.Codes(kind)
	if err != nil {
		return nil, err
	}
	i, ok := d.Find(code)
	if !ok {
		return nil, nil
	}
	return s.bitmap(d, kind, i)
}

// descendants unions the bitmaps of the kind's integer codes in set,
// walking whichever is smaller: the set's concepts (each looked up in the
// directory) or the directory's integer codes (each looked up in the set).
func (s *fileCare) descendants(kind care.Kind, h *concept.Hierarchy, set *concept.ConceptSet) (*roaring.Bitmap, error) {
	d, err := s.x.Codes(kind)
	if err != nil {
		return nil, err
	}
	var entries []int
	if set.Len() < d.NumericLen() {
		for _, i := range set.AppendIndices(nil) {
			lo, hi := d.FindNumeric(h.SCTID(i))
			for j := lo; j < hi; j++ {
				_, e := d.Numeric(j)
				entries = append(entries, e)
			}
		}
	} else {
		for j := 0; j < d.NumericLen(); j++ {
			v, e := d.Numeric(j)
			if i, ok := h.Index(v); ok && set.Contains(i) {
				entries = append(entries, e)
			}
		}
	}
	bms := make([]*roaring.Bitmap, 0, len(entries))
	for _, e := range entries {
		b, err := s.bitmap(d, kind, e)
		if err != nil {
			return nil, err
		}
		bms = append(bms, b)
	}
	return roaring.FastOr(bms...), nil
}

// observation selects, by binary search over the code's values (sorted,
// no NaN), the range whose values satisfy compare(v, op, x).
func (s *fileCare) observation(code, op string, x float64) (*roaring.Bitmap, error) {
	out := roaring.New()
	o, err := s.observations(code)
	if err != nil || o == nil || math.IsNaN(x) {
		return out, err
	}
	n := o.Len()
	ge := sort.Search(n, func(i int) bool { return o.Value(i) >= x })
	gt := sort.Search(n, func(i int) bool { return o.Value(i) > x })
	var lo, hi int
	switch op {
	case ">":
		lo, hi = gt, n
	case ">=":
		lo, hi = ge, n
	case "<":
		lo, hi = 0, ge
	case "<=":
		lo, hi = 0, gt
	default: // compare's fallback: equality
		lo, hi = ge, gt
	}
	people := make([]uint32, 0, hi-lo)
	for i := lo; i < hi; i++ {
		people = append(people, o.Person(i))
	}
	out.AddMany(people)
	return out, nil
}

func (s *fileCare) observations(code string) (*care.Obs, error) {
	if o, ok := s.obs[code]; ok {
		return o, nil
	}
	d, err := s.x.Codes(care.Observation)
	if err != nil {
		return nil, err
	}
	i, ok := d.Find(code)
	if !ok {
		return nil, nil
	}
	o, err := d.Observations(i)
	if err != nil {
		return nil, err
	}
	s.obs[code] = o
	return o, nil
}

func (s *fileCare) births() ([]int16, []int8, error) { return s.x.Births() }

func (s *fileCare) pseudonyms() ([]string, error) { return s.x.Pseudonyms() }
