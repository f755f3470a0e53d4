package care

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// randomIndexInput draws people (some removed), events of every kind with
// codes that are integers, integers in other spellings ("+5", "007"), and
// not integers, observation values with ties, -0 and no value, and a
// sample map.
func randomIndexInput(r *rand.Rand, nPeople, nSamples, nEvents int) ([]Person, []Event, []int32) {
	people := make([]Person, nPeople)
	for i := range people {
		if r.IntN(10) == 0 {
			people[i] = Person{Pseudonym: RemovedPerson}
			continue
		}
		people[i] = Person{Pseudonym: fmt.Sprintf("p%04x", r.Uint32()), Sex: Sex(r.IntN(numSexes)),
			BirthYear: int16(1900 + r.IntN(125)), BirthMonth: int8(r.IntN(13))}
		if r.IntN(8) == 0 {
			people[i].BirthYear, people[i].BirthMonth = 0, 0
		}
	}
	codes := []string{"73211009", "44054006", "0044054006", "+46635009", "38341003", "E11.9", "", "-7", "9223372036854775808", "1003671000000109"}
	kinds := []Kind{Condition, Observation, Medication, Procedure, Encounter}
	events := make([]Event, nEvents)
	for i := range events {
		e := Event{Person: int32(r.IntN(nPeople)), Kind: kinds[r.IntN(len(kinds))], Code: codes[r.IntN(len(codes))], Date: NoDate, Value: math.NaN()}
		if e.Kind == Observation && r.IntN(6) != 0 {
			e.Value = []float64{0, math.Copysign(0, -1), 48, 48.5, -3, 1e9, float64(r.IntN(100))}[r.IntN(7)]
		}
		events[i] = e
	}
	sm := make([]int32, nSamples)
	for g := range sm {
		sm[g] = -1
		if p := r.IntN(nPeople + 3); p < nPeople && people[p].Pseudonym != RemovedPerson {
			sm[g] = int32(p)
		}
	}
	return people, events, sm
}

func buildIndex(t testing.TB, people []Person, events []Event, sm []int32, stamp IndexStamp) []byte {
	t.Helper()
	b := NewIndexBuilder(people)
	for i := range events {
		if err := b.Add(&events[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.SetSampleMap(sm); err != nil {
		t.Fatal(err)
	}
	data, err := b.Encode(stamp)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// indexSnapshot is everything an index holds, read through the lazy
// reader, as text: two indexes with the same snapshot answer every
// question the same way.
func indexSnapshot(x *Index) (string, error) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "stamp %+v people %d samples %d\n", x.Stamp(), x.NPeople(), x.NSamples())
	all, bySex, err := x.PeopleSets()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&sb, "all %v\n", all.ToArray())
	for s, b := range bySex {
		fmt.Fprintf(&sb, "sex %d %v\n", s, b.ToArray())
	}
	y, m, err := x.Births()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&sb, "births %v %v\n", y, m)
	psn, err := x.Pseudonyms()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&sb, "pseudonyms %q\n", psn)
	sm, err := x.SampleMap()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&sb, "samples %v\n", sm)
	for _, k := range IndexedKinds {
		d, err := x.Codes(k)
		if err != nil {
			return "", err
		}
		for i := 0; i < d.Len(); i++ {
			fmt.Fprintf(&sb, "%s %q:", k, d.Code(i))
			if k == Observation {
				o, err := d.Observations(i)
				if err != nil {
					return "", err
				}
				for j := 0; j < o.Len(); j++ {
					fmt.Fprintf(&sb, " %x/%d", math.Float64bits(o.Value(j)), o.Person(j))
				}
			} else {
				b, err := d.Bitmap(i)
				if err != nil {
					return "", err
				}
				fmt.Fprintf(&sb, " %v", b.ToArray())
			}
			sb.WriteByte('\n')
		}
		for j := 0; j < d.NumericLen(); j++ {
			v, e := d.Numeric(j)
			fmt.Fprintf(&sb, "%s numeric %d -> %d\n", k, v, e)
		}
	}
	return sb.String(), nil
}

func openBytes(t testing.TB, name string, data []byte) (*Index, error) {
	t.Helper()
	return OpenIndex(name, bytes.NewReader(data), int64(len(data)))
}

// TestIndexMatchesNaive checks every part of random indexes against sets
// computed here from the same records.
func TestIndexMatchesNaive(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 7))
		nPeople := 1 + r.IntN(300)
		if seed == 0 {
			nPeople = 1
		}
		nEvents := r.IntN(2000)
		if seed < 2 {
			nEvents = 0 // empty sections, the last one at the end of the file
		}
		people, events, sm := randomIndexInput(r, nPeople, r.IntN(200), nEvents)
		stamp := IndexStamp{People: "care/000002.people.parquet", Events: []string{"care/000003.events.parquet", "care/000007.events.parquet"}, Links: "care/000004.links.txt", Samples: strings.Repeat("ab", 32)}
		data := buildIndex(t, people, events, sm, stamp)
		if err := VerifyIndex("idx", data); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		x, err := openBytes(t, "idx", data)
		if err != nil {
			t.Fatal(err)
		}
		if got := x.Stamp(); !got.SameCare(&stamp) || got.Samples != stamp.Samples {
			t.Fatalf("stamp %+v", got)
		}
		all, bySex, err := x.PeopleSets()
		if err != nil {
			t.Fatal(err)
		}
		wantSex := [numSexes]*roaring.Bitmap{roaring.New(), roaring.New(), roaring.New(), roaring.New()}
		wantAll := roaring.New()
		for i, p := range people {
			if p.Pseudonym != RemovedPerson {
				wantAll.Add(uint32(i))
				wantSex[p.Sex].Add(uint32(i))
			}
		}
		if !all.Equals(wantAll) {
			t.Fatalf("seed %d: all", seed)
		}
		for s := range wantSex {
			if !bySex[s].Equals(wantSex[s]) {
				t.Fatalf("seed %d: sex %d", seed, s)
			}
		}
		y, m, _ := x.Births()
		psn, _ := x.Pseudonyms()
		for i, p := range people {
			if y[i] != p.BirthYear || m[i] != p.BirthMonth || psn[i] != p.Pseudonym {
				t.Fatalf("seed %d: person %d: %d %d %q", seed, i, y[i], m[i], psn[i])
			}
		}
		if got, _ := x.SampleMap(); !slices.Equal(got, sm) {
			t.Fatalf("seed %d: sample map", seed)
		}
		for _, k := range IndexedKinds {
			d, err := x.Codes(k)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][]string{} // code -> sorted "value/person" or person
			for _, e := range events {
				if e.Kind != k || (k == Observation && math.IsNaN(e.Value)) {
					continue
				}
				v := fmt.Sprint(e.Person)
				if k == Observation {
					v = fmt.Sprintf("%g/%d", e.Value, e.Person)
				}
				if !slices.Contains(want[e.Code], v) {
					want[e.Code] = append(want[e.Code], v)
				}
			}
			if d.Len() != len(want) {
				t.Fatalf("seed %d: %s: %d codes, want %d", seed, k, d.Len(), len(want))
			}
			for code, w := range want {
				i, ok := d.Find(code)
				if !ok {
					t.Fatalf("seed %d: %s %q not found", seed, k, code)
				}
				var got []string
				if k == Observation {
					o, err := d.Observations(i)
					if err != nil {
						t.Fatal(err)
					}
					for j := 0; j < o.Len(); j++ {
						if j > 0 && o.Value(j) < o.Value(j-1) {
							t.Fatalf("values not sorted")
						}
						v := fmt.Sprintf("%g/%d", o.Value(j), o.Person(j))
						if !slices.Contains(got, v) {
							got = append(got, v)
						}
					}
				} else {
					b, err := d.Bitmap(i)
					if err != nil {
						t.Fatal(err)
					}
					for _, p := range b.ToArray() {
						got = append(got, fmt.Sprint(p))
					}
				}
				slices.Sort(got)
				slices.Sort(w)
				if !slices.Equal(got, w) {
					t.Fatalf("seed %d: %s %q: %v, want %v", seed, k, code, got, w)
				}
			}
			if _, ok := d.Find("no such code"); ok {
				t.Fatal("found a missing code")
			}
			// The integer codes, by value.
			for code := range want {
				v, err := strconv.ParseInt(code, 10, 64)
				i, _ := d.Find(code)
				lo, hi := d.FindNumeric(v)
				found := false
				for j := lo; j < hi; j++ {
					if _, e := d.Numeric(j); e == i {
						found = true
					}
				}
				if found != (err == nil) {
					t.Fatalf("seed %d: %s %q: numeric lookup %v, parse error %v", seed, k, code, found, err)
				}
			}
		}
	}
}

// TestIndexCorruption flips each byte of an index and truncates it: the
// full check always fails, naming the file; the lazy reader either fails
// naming the file or reads exactly what the intact index holds.
func TestIndexCorruption(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	people, events, sm := randomIndexInput(r, 40, 30, 200)
	data := buildIndex(t, people, events, sm, IndexStamp{People: "p", Events: []string{"e"}, Links: "l", Samples: "s"})
	x, err := openBytes(t, "care/000009.careidx", data)
	if err != nil {
		t.Fatal(err)
	}
	want, err := indexSnapshot(x)
	if err != nil {
		t.Fatal(err)
	}
	bad := make([]byte, len(data))
	for i := range data {
		for _, flip := range []byte{0x01, 0x80} {
			copy(bad, data)
			bad[i] ^= flip
			err := VerifyIndex("care/000009.careidx", bad)
			if err == nil || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "care/000009.careidx") {
				t.Fatalf("byte %d ^%#x: VerifyIndex: %v", i, flip, err)
			}
			x, err := openBytes(t, "care/000009.careidx", bad)
			if err == nil {
				var got string
				got, err = indexSnapshot(x)
				if err == nil && got != want {
					t.Fatalf("byte %d ^%#x: a corrupt index read differently without an error", i, flip)
				}
			}
			if err != nil && !strings.Contains(err.Error(), "care/000009.careidx") {
				t.Fatalf("byte %d: error does not name the file: %v", i, err)
			}
		}
	}
	for _, n := range []int{0, 10, tableLen - 1, tableLen, len(data) / 2, len(data) - 1} {
		if err := VerifyIndex("idx", data[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d: %v", n, err)
		}
	}
	if err := VerifyIndex("idx", append(append([]byte(nil), data...), 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("trailing byte: %v", err)
	}
}

// TestIndexRefusals: the builder refuses inputs no store can hold.
func TestIndexRefusals(t *testing.T) {
	people := []Person{{Pseudonym: "a"}, {Pseudonym: RemovedPerson}}
	b := NewIndexBuilder(people)
	for _, p := range []int32{-1, 2} {
		if err := b.Add(&Event{Person: p, Kind: Condition, Code: "1"}); !errors.Is(err, ErrCorrupt) {
			t.Errorf("person %d: %v", p, err)
		}
	}
	for _, sm := range [][]int32{{2}, {-2}, {1}} {
		if err := b.SetSampleMap(sm); err == nil {
			t.Errorf("sample map %v accepted", sm)
		}
	}
	if _, err := NewIndexBuilder([]Person{{Pseudonym: "a", Sex: 9}}).Encode(IndexStamp{}); err == nil {
		t.Error("sex 9 accepted")
	}
	// A version this gentre does not read.
	data := buildIndex(t, people, nil, nil, IndexStamp{})
	data[8] = 2
	if _, err := openBytes(t, "idx", data); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "version 2") {
		t.Errorf("version 2: %v", err)
	}
}

// TestSampleMap: removed people and unknown pseudonyms link no sample.
func TestSampleMap(t *testing.T) {
	psn := []string{"a", RemovedPerson, "c"}
	links := map[string]string{"s0": "c", "s1": RemovedPerson, "s2": "zz", "s4": "a"}
	got := SampleMap(psn, links, []string{"s0", "s1", "s2", "s3", "s4", "-"})
	if want := []int32{2, -1, -1, -1, 0, -1}; !slices.Equal(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
}

func FuzzOpenIndex(f *testing.F) {
	r := rand.New(rand.NewPCG(1, 1))
	people, events, sm := randomIndexInput(r, 12, 5, 40)
	b := NewIndexBuilder(people)
	for i := range events {
		b.Add(&events[i])
	}
	b.SetSampleMap(sm)
	data, _ := b.Encode(IndexStamp{People: "p"})
	f.Add(data)
	f.Add(data[:tableLen])
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := OpenIndex("f", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		indexSnapshot(x) // must not panic
		VerifyIndex("f", data)
	})
}
