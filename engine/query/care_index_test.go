package query

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gentre/gentre/engine/care"
	"github.com/gentre/gentre/engine/concept"
	"github.com/gentre/gentre/engine/geno"
	"github.com/gentre/gentre/engine/sites"
	"github.com/gentre/gentre/engine/store"
)

// careFixture is a store with random care records: a small SNOMED CT
// hierarchy, people (some removed), events of every kind in several
// tables, samples (some removed) and links (some to nobody), plus the
// inputs, for cohorts to be drawn from.
type careFixture struct {
	st       *store.Store
	people   []care.Person
	links    map[string]string
	codes    []string // condition and medication codes used
	concepts []int64
	obsCodes []string
	values   []float64
}

// newCareFixture builds the store; it writes the care index as the
// ingest does unless noIndex.
func newCareFixture(t testing.TB, seed uint64, nPeople, nSamples, nEvents int, noIndex bool) *careFixture {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 99))
	dir := filepath.Join(t.TempDir(), "store")
	if err := store.Init(dir); err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenWriter(dir, &store.Options{NoSync: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &careFixture{st: st, links: map[string]string{}}

	// Samples: one batch, one site.
	names := make([]string, nSamples)
	for i := range names {
		names[i] = fmt.Sprintf("sample%05d", i)
	}
	if nSamples > 0 {
		bw, err := st.NewBatch(store.BatchSpec{Source: "t.vcf", Size: 1, Samples: names})
		if err != nil {
			t.Fatal(err)
		}
		var row geno.Row
		row.Reset(2, nSamples, 2)
		site := sites.Site{Chrom: "chr1", Pos: 100, ID: ".", Ref: "A", Alts: []string{"G"}, Qual: float32(math.NaN()), Filter: "PASS", Info: "."}
		if err := bw.Add(&site, &row, nil, nil); err != nil {
			bw.Abort()
			t.Fatal(err)
		}
		if _, err := bw.Commit("t"); err != nil {
			t.Fatal(err)
		}
	}

	// A hierarchy: concept i's parents are among concepts before it.
	for i := 1; i <= 25; i++ {
		id, _ := concept.MakeSCTID(int64(1000+i*7), 0)
		f.concepts = append(f.concepts, id)
	}
	var edges []concept.Edge
	for i := 1; i < len(f.concepts); i++ {
		for k := 0; k < 1+r.IntN(2); k++ {
			edges = append(edges, concept.Edge{Child: f.concepts[i], Parent: f.concepts[r.IntN(i)]})
		}
	}
	h, err := concept.Build(edges)
	if err != nil {
		t.Fatal(err)
	}
	hier, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}

	// Codes: concepts, other spellings of the same integers, an integer
	// outside the hierarchy, and codes that are not integers.
	for _, id := range f.concepts {
		f.codes = append(f.codes, strconv.FormatInt(id, 10))
	}
	f.codes = append(f.codes, "0"+f.codes[3], "+"+f.codes[5], "123456789", "E11.9", "", "10481911000001102")
	f.obsCodes = []string{f.codes[0], f.codes[1], "1003671000000109", "x"}
	f.values = []float64{0, math.Copysign(0, -1), -2.5, 7, 40, 47.9, 48, 48, 1e6}

	f.people = make([]care.Person, nPeople)
	for i := range f.people {
		if r.IntN(12) == 0 {
			f.people[i] = care.Person{Pseudonym: care.RemovedPerson}
			continue
		}
		p := care.Person{Pseudonym: fmt.Sprintf("%08x%04d", r.Uint32(), i), Sex: care.Sex(r.IntN(4))}
		if r.IntN(10) != 0 {
			p.BirthYear, p.BirthMonth = int16(1915+r.IntN(110)), int8(r.IntN(13))
		}
		f.people[i] = p
	}
	for _, s := range names {
		switch x := r.IntN(10); {
		case x < 7 && nPeople > 0:
			f.links[s] = f.people[r.IntN(nPeople)].Pseudonym // maybe a removed one
		case x < 8:
			f.links[s] = "unknown-person"
		}
	}

	tx, err := st.Begin()
	if err != nil {
		t.Fatal(err)
	}
	m := tx.Manifest()
	fail := func(err error) {
		tx.Abort()
		t.Fatal(err)
	}
	// Remove a few samples, as an opt-out does.
	var drop []uint32
	for g := range names {
		if r.IntN(15) == 0 {
			drop = append(drop, uint32(g))
		}
	}
	if len(drop) > 0 {
		if _, err := tx.RemoveSamples(drop); err != nil {
			fail(err)
		}
	}
	var buf bytes.Buffer
	if err := care.WritePeople(&buf, f.people); err != nil {
		fail(err)
	}
	if m.Care.People, err = tx.CreateFile(store.DirCare, ".people.parquet", buf.Bytes()); err != nil {
		fail(err)
	}
	m.Care.NPeople = nPeople
	kinds := []care.Kind{care.Condition, care.Observation, care.Medication, care.Procedure, care.Encounter}
	for table := 0; table < 3 && nPeople > 0; table++ {
		ew := care.NewEventWriter()
		for range nEvents / 3 {
			e := care.Event{Person: int32(r.IntN(nPeople)), Kind: kinds[r.IntN(len(kinds))], System: "http://snomed.info/sct", Date: care.NoDate, Value: math.NaN()}
			if f.people[e.Person].Pseudonym == care.RemovedPerson {
				continue // an opt-out removes their events
			}
			e.Code = f.codes[r.IntN(len(f.codes))]
			if e.Kind == care.Observation {
				e.Code = f.obsCodes[r.IntN(len(f.obsCodes))]
				if r.IntN(5) != 0 {
					e.Value = f.values[r.IntN(len(f.values))]
				}
			}
			if r.IntN(3) == 0 { // common codes make dense bitmaps
				e.Code = f.codes[0]
			}
			ew.Add(&e)
		}
		buf.Reset()
		if err := ew.WriteParquet(&buf); err != nil {
			fail(err)
		}
		rel, err := tx.CreateFile(store.DirCare, ".events.parquet", buf.Bytes())
		if err != nil {
			fail(err)
		}
		m.Care.Events = append(m.Care.Events, rel)
	}
	var lb strings.Builder
	for _, s := range slices.Sorted(maps.Keys(f.links)) {
		lb.WriteString(s + "\t" + f.links[s] + "\n")
	}
	if m.Care.Links, err = tx.CreateChecked(store.DirCare, ".links.txt", "gentre-links", []byte(lb.String())); err != nil {
		fail(err)
	}
	if m.Care.Concepts, err = tx.CreateFile(store.DirCare, ".concepts", hier); err != nil {
		fail(err)
	}
	if !noIndex {
		if err := writeTestIndex(tx, f.people, f.links, nil); err != nil {
			fail(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return f
}

// writeTestIndex writes the care index of the release tx builds as
// ingest/linkage does; stamp, when set, changes the stamp first.
func writeTestIndex(tx *store.Tx, people []care.Person, links map[string]string, stamp func(*care.IndexStamp)) error {
	m := tx.Manifest()
	c := &m.Care
	b := care.NewIndexBuilder(people)
	for _, rel := range c.Events {
		data, err := tx.Store().ReadFile(rel)
		if err != nil {
			return err
		}
		if err := care.ReadEvents(rel, data, func(e *care.Event) error { return b.Add(e) }); err != nil {
			return err
		}
	}
	var samples []string
	digest := ""
	if m.SampleFile != "" {
		var err error
		if samples, err = tx.Samples(); err != nil {
			return err
		}
		digest = store.SampleListDigest(samples)
	}
	psn := make([]string, len(people))
	for i := range people {
		psn[i] = people[i].Pseudonym
	}
	if err := b.SetSampleMap(care.SampleMap(psn, links, samples)); err != nil {
		return err
	}
	s := care.IndexStamp{People: c.People, Events: c.Events, Links: c.Links, Samples: digest}
	if stamp != nil {
		stamp(&s)
	}
	data, err := b.Encode(s)
	if err != nil {
		return err
	}
	rel, err := tx.CreateFile(store.DirCare, ".careidx", data)
	if err != nil {
		return err
	}
	tx.Obsolete(c.Index)
	c.Index = rel
	return nil
}

// randomCohort draws a cohort of depth up to d over the fixture's codes,
// values and concepts.
func (f *careFixture) randomCohort(r *rand.Rand, d int) Cohort {
	if d > 0 && r.IntN(3) == 0 {
		switch r.IntN(3) {
		case 0:
			return And{f.randomCohort(r, d-1), f.randomCohort(r, d-1)}
		case 1:
			return Or{f.randomCohort(r, d-1), f.randomCohort(r, d-1)}
		default:
			return Not{f.randomCohort(r, d-1)}
		}
	}
	switch r.IntN(8) {
	case 0:
		return All{}
	case 1:
		return Sex{Value: []string{"female", "male"}[r.IntN(2)]}
	case 2:
		lo := r.IntN(100)
		return Age{Lo: lo, Hi: lo + r.IntN(40)}
	case 3:
		return Medication{Code: f.codes[r.IntN(len(f.codes))]}
	case 4, 5:
		ops := []string{">", ">=", "<", "<=", "="}
		v := f.values[r.IntN(len(f.values))]
		if r.IntN(3) == 0 {
			v += r.Float64() - 0.5
		}
		return Observation{Code: f.obsCodes[r.IntN(len(f.obsCodes))], Op: ops[r.IntN(len(ops))], Value: v}
	default:
		if r.IntN(3) == 0 {
			return Condition{Code: f.codes[r.IntN(len(f.codes))]}
		}
		return Condition{Code: strconv.FormatInt(f.concepts[r.IntN(len(f.concepts))], 10), Descendants: true}
	}
}

// answers is everything a battery of cohorts gets from an engine, as text.
func answers(t testing.TB, e *Engine, cohorts []Cohort) (string, error) {
	t.Helper()
	ctx := context.Background()
	var sb strings.Builder
	ix, err := e.care()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&sb, "samples %v\n", ix.samplePerson)
	psn, err := ix.pseudonyms()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&sb, "pseudonyms %q\n", psn)
	for _, c := range cohorts {
		people, err := e.People(ctx, c)
		if errors.Is(err, care.ErrCorrupt) {
			return "", err
		}
		if err != nil {
			fmt.Fprintf(&sb, "%v: error %v\n", c, err)
			continue
		}
		set := e.samplesOf(ix, people)
		var samples, perPerson []int
		for g := range set.N {
			if set.Has(g) {
				samples = append(samples, g)
			}
		}
		for _, p := range people.ToArray() {
			for _, g := range ix.samplesOfPerson(p) {
				perPerson = append(perPerson, int(g))
			}
		}
		slices.Sort(perPerson)
		if !slices.Equal(samples, perPerson) {
			t.Fatalf("%v: samples of the cohort %v, of its people %v", c, samples, perPerson)
		}
		fmt.Fprintf(&sb, "%v: %v samples %v\n", c, people.ToArray(), samples)
		for _, by := range []string{"sex", "age"} {
			rows, _, err := e.Count(ctx, &Query{Kind: Count, Cohort: c, By: by})
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&sb, "  by %s %v\n", by, rows)
		}
	}
	return sb.String(), nil
}

func cohortBattery(f *careFixture, seed uint64, n int) []Cohort {
	r := rand.New(rand.NewPCG(seed, 5))
	out := []Cohort{All{}, Condition{Code: "999999999", Descendants: true}, Condition{Code: f.codes[0]}}
	for _, id := range f.concepts {
		out = append(out, Condition{Code: strconv.FormatInt(id, 10), Descendants: true})
	}
	for _, c := range f.obsCodes {
		for _, v := range f.values {
			for _, op := range []string{">", ">=", "<", "<=", "="} {
				out = append(out, Observation{Code: c, Op: op, Value: v})
			}
		}
	}
	for range n {
		out = append(out, f.randomCohort(r, 3))
	}
	return out
}

// referenceEngine is an engine whose care side is built from Parquet.
func referenceEngine(t testing.TB, st *store.Store) *Engine {
	t.Helper()
	e := NewEngine(st, 1)
	ix, err := loadCareParquet(st)
	if err != nil {
		t.Fatal(err)
	}
	e.careIx = ix
	return e
}

var testAsOf = time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC)

// TestCareIndexMatchesParquet: on random care records, every cohort
// evaluated from the persisted index equals the one from the Parquet
// tables (the reference), with the samples they map to and the counts by
// sex and age.
func TestCareIndexMatchesParquet(t *testing.T) {
	for _, tc := range []struct {
		seed                       uint64
		people, samples, events, n int
	}{
		{1, 1, 0, 3, 20},
		{2, 5, 3, 0, 20},
		{3, 40, 30, 300, 200},
		{4, 300, 250, 3000, 200},
		{5, 1000, 1200, 6000, 100},
		{6, 70_000, 100, 60_000, 30}, // dense and run containers
	} {
		if testing.Short() && tc.people > 1000 {
			continue
		}
		f := newCareFixture(t, tc.seed, tc.people, tc.samples, tc.events, false)
		e := NewEngine(f.st, 1)
		ref := referenceEngine(t, f.st)
		e.SetAsOf(testAsOf)
		ref.SetAsOf(testAsOf)
		ix, err := e.care()
		if err != nil {
			t.Fatal(err)
		}
		if ix.from != "index" {
			t.Fatalf("seed %d: care loaded from %s, want the index", tc.seed, ix.from)
		}
		battery := cohortBattery(f, tc.seed, tc.n)
		got, err := answers(t, e, battery)
		if err != nil {
			t.Fatal(err)
		}
		want, err := answers(t, ref, battery)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("seed %d: index and Parquet differ:\n%s", tc.seed, firstDiff(got, want))
		}
		if !strings.Contains(want, "] samples") || strings.Count(want, ": []") == len(battery) {
			t.Fatalf("seed %d: the battery selects nobody", tc.seed)
		}
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("index:   %.300s\nparquet: %.300s", al[i], bl[i])
		}
	}
	return "different lengths"
}

// recommit replaces the release's index by one written with stamp changed.
func recommit(t *testing.T, f *careFixture, stamp func(*care.IndexStamp)) {
	t.Helper()
	tx, err := f.st.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := writeTestIndex(tx, f.people, f.links, stamp); err != nil {
		tx.Abort()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestCareIndexStale: an index built from other files is not used; one
// built for another sample list is used with the samples linked again;
// a missing index file falls back to Parquet; a store without an index
// (made before it existed) reads Parquet.
func TestCareIndexStale(t *testing.T) {
	f := newCareFixture(t, 8, 60, 50, 500, false)
	battery := cohortBattery(f, 8, 50)
	ref := referenceEngine(t, f.st)
	want, err := answers(t, ref, battery)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name, from string) {
		t.Helper()
		e := NewEngine(f.st, 1)
		ix, err := e.care()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ix.from != from {
			t.Fatalf("%s: loaded from %s, want %s", name, ix.from, from)
		}
		got, err := answers(t, e, battery)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%s: answers differ from Parquet:\n%s", name, firstDiff(got, want))
		}
	}
	check("current", "index")
	recommit(t, f, func(s *care.IndexStamp) { s.Samples = strings.Repeat("0", 64) })
	check("other sample list", "index+samples")
	recommit(t, f, func(s *care.IndexStamp) { s.People = "care/000099.people.parquet" })
	check("other people table", "parquet")
	recommit(t, f, func(s *care.IndexStamp) { s.Events = s.Events[:len(s.Events)-1] })
	check("other events tables", "parquet")
	recommit(t, f, func(s *care.IndexStamp) { s.Links = "" })
	check("other links", "parquet")
	recommit(t, f, nil)
	check("current again", "index")
	if err := os.Remove(filepath.Join(f.st.Dir(), f.st.Manifest().Care.Index)); err != nil {
		t.Fatal(err)
	}
	check("index file missing", "parquet")

	g := newCareFixture(t, 8, 60, 50, 500, true)
	e := NewEngine(g.st, 1)
	if ix, err := e.care(); err != nil || ix.from != "parquet" {
		t.Fatalf("store without an index: %v", err)
	}
}

// TestCareIndexCorruptionNeverAnswersWrong flips each byte of the index
// file: a query either fails with an error naming the file or answers
// exactly as the intact index does.
func TestCareIndexCorruptionNeverAnswersWrong(t *testing.T) {
	f := newCareFixture(t, 9, 25, 20, 120, false)
	battery := cohortBattery(f, 9, 20)
	e := NewEngine(f.st, 1)
	want, err := answers(t, e, battery)
	if err != nil {
		t.Fatal(err)
	}
	rel := f.st.Manifest().Care.Index
	path := filepath.Join(f.st.Dir(), rel)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := care.VerifyIndex(rel, data); err != nil {
		t.Fatal(err)
	}
	bad := make([]byte, len(data))
	detected := 0
	for i := range data {
		copy(bad, data)
		bad[i] ^= 1 << (i % 8)
		if err := os.WriteFile(path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := answers(t, NewEngine(f.st, 1), battery)
		switch {
		case err != nil:
			if !strings.Contains(err.Error(), rel) || !errors.Is(err, care.ErrCorrupt) {
				t.Fatalf("byte %d: error does not name the file or is not ErrCorrupt: %v", i, err)
			}
			detected++
		case got != want:
			t.Fatalf("byte %d: a corrupt index answered differently:\n%s", i, firstDiff(got, want))
		}
		if err := care.VerifyIndex(rel, bad); !errors.Is(err, care.ErrCorrupt) {
			t.Fatalf("byte %d: VerifyIndex: %v", i, err)
		}
	}
	if detected < len(data)/2 {
		t.Fatalf("only %d of %d flips detected by the battery", detected, len(data))
	}
}

// TestCareIndexConcurrentQueries: queries on one engine may run at once;
// what the care index loads on demand is loaded once and shared (run
// with -race).
func TestCareIndexConcurrentQueries(t *testing.T) {
	f := newCareFixture(t, 10, 200, 150, 1500, false)
	battery := cohortBattery(f, 10, 40)
	want, err := answers(t, referenceEngine(t, f.st), battery)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(f.st, 1)
	const n = 8
	got := make([]string, n)
	errs := make([]error, n)
	done := make(chan int)
	for g := range n {
		go func() {
			defer func() { done <- g }()
			ctx := context.Background()
			var sb strings.Builder
			for i := range battery {
				c := battery[(i+g*7)%len(battery)]
				people, err := e.People(ctx, c)
				if errors.Is(err, ErrNotFound) {
					continue
				}
				if err != nil {
					errs[g] = err
					return
				}
				rows, _, err := e.Count(ctx, &Query{Kind: Count, Cohort: c, By: "age"})
				if err != nil {
					errs[g] = err
					return
				}
				ix, _ := e.care()
				n := 0
				for _, p := range people.ToArray() {
					n += len(ix.samplesOfPerson(p))
				}
				fmt.Fprintf(&sb, "%v %d %v %d\n", c, people.GetCardinality(), rows, n)
			}
			lines := strings.Split(sb.String(), "\n")
			slices.Sort(lines)
			got[g] = strings.Join(lines, "\n")
		}()
	}
	for range n {
		<-done
	}
	for g := range n {
		if errs[g] != nil {
			t.Fatal(errs[g])
		}
		if g > 0 && got[g] != got[0] {
			t.Fatalf("goroutine %d answered differently", g)
		}
	}
	// And the engine, queried at once, still answers as the reference.
	if a, err := answers(t, e, battery); err != nil || a != want {
		t.Fatalf("after concurrent queries: %v\n%s", err, firstDiff(a, want))
	}
}
