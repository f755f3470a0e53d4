package disclosure

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"go.etcd.io/bbolt"
)

// setClock makes use records read a clock that advances a minute a
// reading, for the test's duration.
func setClock(t *testing.T) {
	t.Helper()
	c := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	old := now
	now = func() time.Time { c = c.Add(time.Minute); return c }
	t.Cleanup(func() { now = old })
}

func TestActionOf(t *testing.T) {
	for _, tc := range []struct{ query, want string }{
		{"count all", "cohort.count"},
		{"count (sex(female) and age(0..9)) by sex", "cohort.count"},
		{"freq chr1:1-100", "freq"},
		{"freq chr1 in condition(44054006)", "freq"},
		{"freq chr1 in condition(44054006) vs not condition(44054006)", "case_control"},
		{"coverage chr1 in all", "coverage"},
		{"beacon chr1:100:A:G", "beacon"},
		{"A", "A"},
	} {
		if got := actionOf(tc.query); got != tc.want {
			t.Errorf("actionOf(%q) = %q, want %q", tc.query, got, tc.want)
		}
	}
}

// TestUsesOf: every released answer whose released person sets include the
// person is listed once, with its project, action, release and time;
// suppressed cells, refusals and cached repeats add nothing.
func TestUsesOf(t *testing.T) {
	setClock(t)
	s := openTest(t, 1, Settings{Budget: 100})
	female, male := span(0, 100), span(100, 200)
	// 1. A table by sex: person 5 (female) and 150 (male) are in released
	// cells; the "other" cell (3 people) is suppressed and not recorded.
	other := span(200, 203)
	if _, err := s.Count(q("acme", "proj", "r1", "count all by sex"),
		[]Group{{"female", female}, {"male", male}, {"other", other}}); err != nil {
		t.Fatal(err)
	}
	// 2. The same question again, from the cache: no new use.
	if a, err := s.Count(q("acme", "proj", "r1", "count all by sex"),
		[]Group{{"female", female}, {"male", male}, {"other", other}}); err != nil || !a.Cached {
		t.Fatalf("repeat: %+v %v", a, err)
	}
	// 3. A suppressed count (2 people): nothing released, nothing recorded.
	if _, err := s.Count(q("acme", "proj", "r1", "count condition(1)"), one(span(5, 7))); err != nil {
		t.Fatal(err)
	}
	// 4. A refused count (differencing): nothing recorded.
	if _, err := s.Count(q("acme", "proj", "r1", "count sex(female) and not x"), one(without(female, 9))); !errors.Is(err, ErrDisclosure) {
		t.Fatalf("differencing: %v", err)
	}
	// 5. A case/control analysis in another project, on another release.
	build := func(Releaser) ([]byte, error) { return []byte(`{}`), nil }
	if _, err := s.Analyse(q("acme", "other", "r2", "freq chr1 in sex(male) vs sex(female)"), []*roaring.Bitmap{span(100, 200), span(0, 100)}, build); err != nil {
		t.Fatal(err)
	}
	// 6. A plain freq over everyone, in the first project.
	if _, err := s.Analyse(q("bio", "proj", "r2", "freq chr1"), []*roaring.Bitmap{span(0, 300)}, build); err != nil {
		t.Fatal(err)
	}
	type want struct{ project, action, release string }
	for _, tc := range []struct {
		person uint32
		uses   []want
	}{
		{5, []want{{"proj", "cohort.count", "r1"}, {"other", "case_control", "r2"}, {"proj", "freq", "r2"}}},
		{150, []want{{"proj", "cohort.count", "r1"}, {"other", "case_control", "r2"}, {"proj", "freq", "r2"}}},
		{201, []want{{"proj", "freq", "r2"}}}, // only in the suppressed cell of 1.
		{250, []want{{"proj", "freq", "r2"}}},
		{300, nil},
		{1 << 30, nil},
	} {
		uses, err := s.UsesOf(tc.person)
		if err != nil {
			t.Fatal(err)
		}
		if len(uses) != len(tc.uses) {
			t.Fatalf("person %d: %+v, want %v", tc.person, uses, tc.uses)
		}
		for i, u := range uses {
			w := tc.uses[i]
			if u.Project != w.project || u.Action != w.action || u.Release != w.release || u.Time.Year() != 2025 {
				t.Fatalf("person %d: use %d is %+v, want %v", tc.person, i, u, w)
			}
			if i > 0 && !u.Time.After(uses[i-1].Time) {
				t.Fatalf("person %d: uses not in time order: %+v", tc.person, uses)
			}
		}
	}
}

// TestUsesOfFailsClosed: a damaged use record or released set is an
// error, not a shorter list.
func TestUsesOfFailsClosed(t *testing.T) {
	for _, bucket := range [][]byte{bucketUses, bucketBitmaps, bucketSets} {
		s := openTest(t, 1, Settings{})
		if _, err := s.Count(q("acme", "proj", "r1", "count all"), one(span(0, 100))); err != nil {
			t.Fatal(err)
		}
		err := s.db.Update(func(tx *bbolt.Tx) error {
			b := tx.Bucket(bucketTop).Bucket(bucketProjects).Bucket([]byte("proj")).Bucket(bucket)
			k, v := b.Cursor().First()
			v = append([]byte(nil), v...)
			v[len(v)-1] ^= 0x40
			return b.Put(k, v)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UsesOf(5); !errors.Is(err, ErrCorrupt) {
			t.Errorf("damaged %s: %v", bucket, err)
		}
	}
}

func TestUseRecordRoundTrip(t *testing.T) {
	keys := [][]byte{setKey(10, 1), setKey(20, 2)}
	at := time.Date(2025, 5, 6, 7, 8, 9, 10, time.UTC)
	v := encodeUse(at, "case_control", "42", keys)
	r, err := decodeUse(v)
	if err != nil || !r.time.Equal(at) || r.action != "case_control" || r.release != "42" || len(r.keys) != 32 {
		t.Fatalf("%+v %v", r, err)
	}
	for i := 8; i < len(v); i++ { // every byte after the header is covered by the CRC
		w := append([]byte(nil), v...)
		w[i] ^= 1
		if _, err := decodeUse(w); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
	}
	if _, err := decodeUse(v[:15]); !errors.Is(err, ErrCorrupt) {
		t.Fatal("short record accepted")
	}
}

// BenchmarkUsesOf: a citizen's look-up over 5,000 released answers of
// 2,000 people each, drawn from 200,000 (each person is in about 50). It
// first checks the result against the sets it stored.
func BenchmarkUsesOf(b *testing.B) {
	s := openTest(b, 1, Settings{})
	const answers, size, universe = 5000, 2000, 200_000
	r := rand.New(rand.NewPCG(3, 4))
	want := 0
	const person = 12345
	err := s.db.Update(func(tx *bbolt.Tx) error {
		p, err := projectRW(tx, "proj")
		if err != nil {
			return err
		}
		for i := range answers {
			set := roaring.New()
			for set.GetCardinality() < size {
				set.Add(uint32(r.IntN(universe)))
			}
			if set.Contains(person) {
				want++
			}
			keys, err := storeSetKeys(p, []*roaring.Bitmap{set}, sameDigests([32]byte{byte(i)}, 1))
			if err != nil {
				return err
			}
			if err := recordUse(p, q("acme", "proj", "r1", "count x"), keys); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	uses, err := s.UsesOf(person)
	if err != nil || len(uses) != want || want == 0 {
		b.Fatalf("%d uses, want %d: %v", len(uses), want, err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := s.UsesOf(person); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(answers)*float64(b.N)/b.Elapsed().Seconds(), "answers/s")
}
