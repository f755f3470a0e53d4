package disclosure

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// Attack (c), averaging: the same question 1,000 times gets the same answer
// and spends ε once.
func TestRepeatedQuestionIsCached(t *testing.T) {
	s := openTest(t, 1, Settings{})
	question := q("acme", "proj", "r1", "count sex(female)")
	first, err := s.Count(question, one(span(0, 5000)))
	if err != nil {
		t.Fatal(err)
	}
	if first.Cached || first.Spent != 0.5 || first.Budget != 2 || first.Epsilon != 0.5 {
		t.Fatalf("first answer %+v", first)
	}
	for i := range 1000 {
		a, err := s.Count(question, one(span(0, 5000)))
		if err != nil {
			t.Fatal(err)
		}
		if !a.Cached || !reflect.DeepEqual(a.Table, first.Table) {
			t.Fatalf("repeat %d: %+v, want the cached %+v", i, a.Table, first.Table)
		}
	}
	if spent, _, _ := s.Ledger("acme", "proj", "r1"); spent != 0.5 {
		t.Fatalf("spent %v after 1001 identical questions, want 0.5", spent)
	}
}

// Attack (c), rewording: an equivalent question in other words (the same
// cohort) hits the differencing guard, and each refusal costs ε, so the
// budget ends the attempt.
func TestRewordedQuestionIsRefusedThenBudget(t *testing.T) {
	s := openTest(t, 1, Settings{})
	female := span(0, 5000)
	if _, err := s.Count(q("acme", "proj", "r1", "count sex(female)"), one(female)); err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{"count not sex(male)", "count sex(female) and age(0..200)", "count sex(female) or sex(female)"} {
		_, err := s.Count(q("acme", "proj", "r1", text), one(female.Clone()))
		if !errors.Is(err, ErrDisclosure) {
			t.Fatalf("reworded %d: got %v, want ErrDisclosure", i, err)
		}
		if hasDigit(err.Error()) {
			t.Fatalf("refusal reveals a number: %q", err)
		}
	}
	_, err := s.Count(q("acme", "proj", "r1", "count (sex(female))"), one(female.Clone()))
	if !errors.Is(err, ErrBudgetExhausted) {
		t.Fatalf("fifth question: got %v, want ErrBudgetExhausted", err)
	}
	if spent, budget, _ := s.Ledger("acme", "proj", "r1"); spent != 2 || budget != 2 {
		t.Fatalf("ledger %v of %v, want 2 of 2", spent, budget)
	}
	// A refused question asked again is the same refusal, for free.
	_, err = s.Count(q("acme", "proj", "r1", "count not sex(male)"), one(female.Clone()))
	if !errors.Is(err, ErrDisclosure) {
		t.Fatalf("repeated refusal: got %v", err)
	}
}

// Attack (a), differencing: count(A) then count(A minus one person) is
// refused, as is every cohort within 7 people of A (added or removed), from
// any partner of the project; one 8 people away is answered.
func TestDifferencingAttackRefused(t *testing.T) {
	s := openTest(t, 1, Settings{Budget: 100})
	a := span(0, 1000)
	if _, err := s.Count(q("acme", "proj", "r1", "count A"), one(a)); err != nil {
		t.Fatal(err)
	}
	for i, b := range []*roaring.Bitmap{
		without(a, 17),
		without(a, 1, 2, 3, 4, 5, 6, 7),
		roaring.Or(a, roaring.BitmapOf(5000)),
		roaring.Or(without(a, 1, 2, 3), roaring.BitmapOf(5000, 5001, 5002, 5003)),
	} {
		for _, partner := range []string{"acme", "globex"} {
			_, err := s.Count(q(partner, "proj", "r1", "count A but not quite "+string(rune('a'+i))), one(b))
			if !errors.Is(err, ErrDisclosure) {
				t.Fatalf("cohort %d from %s: got %v, want ErrDisclosure", i, partner, err)
			}
			if hasDigit(err.Error()) {
				t.Fatalf("refusal reveals a number: %q", err)
			}
		}
	}
	if _, err := s.Count(q("acme", "proj", "r1", "count A minus eight"), one(without(a, 1, 2, 3, 4, 5, 6, 7, 8))); err != nil {
		t.Fatalf("8 people away: %v", err)
	}
	// Another project is another guard.
	if _, err := s.Count(q("acme", "other", "r1", "count A minus one"), one(without(a, 17))); err != nil {
		t.Fatalf("other project: %v", err)
	}
	// A table whose one cell is A minus one is refused as a whole.
	_, err := s.Count(q("acme", "proj", "r1", "count A by sex"), []Group{
		{Label: "female", People: without(a, 17)}, {Label: "male", People: span(2000, 2100)}})
	if !errors.Is(err, ErrDisclosure) {
		t.Fatalf("table with a near cell: got %v", err)
	}
}

// The same question from another partner, or on a new data release where the
// cohort is unchanged, is answered (with that partner's or release's budget);
// on a release where the cohort gained one person it is refused.
func TestSameQuestionAcrossPartnersAndReleases(t *testing.T) {
	s := openTest(t, 1, Settings{})
	a := span(0, 1000)
	text := "count condition(<<73211009)"
	if _, err := s.Count(q("acme", "proj", "r1", text), one(a)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Count(q("globex", "proj", "r1", text), one(a.Clone())); err != nil {
		t.Fatalf("other partner: %v", err)
	}
	if _, err := s.Count(q("acme", "proj", "r2", text), one(a.Clone())); err != nil {
		t.Fatalf("new release, same cohort: %v", err)
	}
	grown := roaring.Or(a, roaring.BitmapOf(1000))
	if _, err := s.Count(q("acme", "proj", "r3", text), one(grown)); !errors.Is(err, ErrDisclosure) {
		t.Fatalf("new release, one more person: got %v, want ErrDisclosure", err)
	}
	for _, l := range []struct{ partner, release string }{{"acme", "r1"}, {"globex", "r1"}, {"acme", "r2"}, {"acme", "r3"}} {
		if spent, _, _ := s.Ledger(l.partner, "proj", l.release); spent != 0.5 {
			t.Errorf("%s/%s spent %v, want 0.5", l.partner, l.release, spent)
		}
	}
}

// Budget exhaustion: four questions of ε 0.5 fill the default budget of 2;
// the fifth is ErrBudgetExhausted with a clear message and spends nothing;
// answered questions stay answered; the next data release has a fresh
// budget; Spend obeys the same ledger.
func TestBudgetExhausted(t *testing.T) {
	s := openTest(t, 1, Settings{})
	for i := range 4 {
		lo := uint32(i) * 1000
		if _, err := s.Count(q("acme", "proj", "r1", "count cohort "+string(rune('a'+i))), one(span(lo, lo+500))); err != nil {
			t.Fatalf("question %d: %v", i, err)
		}
	}
	_, err := s.Count(q("acme", "proj", "r1", "count cohort e"), one(span(9000, 9500)))
	if !errors.Is(err, ErrBudgetExhausted) {
		t.Fatalf("got %v, want ErrBudgetExhausted", err)
	}
	for _, want := range []string{"budget", "2", "0.5", "cache", "data release"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if a, err := s.Count(q("acme", "proj", "r1", "count cohort a"), one(span(0, 500))); err != nil || !a.Cached {
		t.Fatalf("cached question after exhaustion: %+v, %v", a, err)
	}
	if err := s.Spend("acme", "proj", "r1", 0.01); !errors.Is(err, ErrBudgetExhausted) {
		t.Fatalf("Spend past the budget: %v", err)
	}
	if spent, _, _ := s.Ledger("acme", "proj", "r1"); spent != 2 {
		t.Fatalf("spent %v, want 2", spent)
	}
	// Exhaustion is checked before the guard: an exhausted partner cannot
	// probe the rules for free (a reworded repeat gets 429, not 403).
	if _, err := s.Count(q("acme", "proj", "r1", "count cohort a again"), one(span(0, 500))); !errors.Is(err, ErrBudgetExhausted) {
		t.Fatalf("probe after exhaustion: %v", err)
	}
	if _, err := s.Count(q("acme", "proj", "r2", "count cohort e"), one(span(9000, 9500))); err != nil {
		t.Fatalf("fresh release: %v", err)
	}
}

func TestSpendLedgerIsExact(t *testing.T) {
	s := openTest(t, 1, Settings{})
	for i := range 20 {
		if err := s.Spend("acme", "proj", "r1", 0.1); err != nil {
			t.Fatalf("spend %d of 0.1: %v", i, err)
		}
	}
	if err := s.Spend("acme", "proj", "r1", 0.1); !errors.Is(err, ErrBudgetExhausted) {
		t.Fatalf("21st spend: %v", err)
	}
	for _, bad := range []float64{0, -1, 1e-9} {
		if err := s.Spend("acme", "proj", "r1", bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Spend(%v) = %v, want ErrInvalid", bad, err)
		}
	}
	if err := s.Spend("", "proj", "r1", 0.1); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty partner: %v", err)
	}
}

// Concurrent spenders never pass the budget: exactly budget/ε succeed.
func TestConcurrentSpend(t *testing.T) {
	s := openTest(t, 1, Settings{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if err := s.Spend("acme", "proj", "r1", 0.1); err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				} else if !errors.Is(err, ErrBudgetExhausted) {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if ok != 20 {
		t.Fatalf("%d spends of 0.1 succeeded against a budget of 2", ok)
	}
}

func TestAnalyse(t *testing.T) {
	s := openTest(t, 1, Settings{Budget: 100})
	build := func(r Releaser) ([]byte, error) {
		c := r.Release(500)
		return []byte{byte(c.Count / 5)}, nil
	}
	// Too small a cohort: refused without a size in the message, charged,
	// and cached as refused.
	_, err := s.Analyse(q("acme", "proj", "r1", "freq 22 in small"), []*roaring.Bitmap{span(0, 7)}, build)
	if !errors.Is(err, ErrDisclosure) || hasDigit(err.Error()) {
		t.Fatalf("7-person analysis: %v", err)
	}
	if spent, _, _ := s.Ledger("acme", "proj", "r1"); spent != 0.5 {
		t.Fatalf("spent %v after a refusal, want 0.5", spent)
	}
	// A builder error rolls everything back.
	_, err = s.Analyse(q("acme", "proj", "r1", "freq 22 in big"), []*roaring.Bitmap{span(0, 800)},
		func(Releaser) ([]byte, error) { return nil, errors.New("engine failed") })
	if err == nil || errors.Is(err, ErrDisclosure) {
		t.Fatalf("builder error: %v", err)
	}
	if spent, _, _ := s.Ledger("acme", "proj", "r1"); spent != 0.5 {
		t.Fatalf("spent %v after a failed build, want 0.5", spent)
	}
	a, err := s.Analyse(q("acme", "proj", "r1", "freq 22 in big"), []*roaring.Bitmap{span(0, 800)}, build)
	if err != nil || a.Cached || len(a.Payload) != 1 {
		t.Fatalf("analysis: %+v, %v", a, err)
	}
	b, err := s.Analyse(q("acme", "proj", "r1", "freq 22 in big"), []*roaring.Bitmap{span(0, 800)}, build)
	if err != nil || !b.Cached || !reflect.DeepEqual(a.Payload, b.Payload) {
		t.Fatalf("repeat: %+v, %v", b, err)
	}
	// Case/control over near-identical cohorts is differencing within one
	// question.
	_, err = s.Analyse(q("acme", "proj", "r1", "freq 22 in X vs Y"), []*roaring.Bitmap{span(5000, 6000), span(5003, 6000)}, build)
	if !errors.Is(err, ErrDisclosure) {
		t.Fatalf("in A vs A-minus-three: %v", err)
	}
	// A count after the analysis over the same cohort minus one: refused.
	if _, err := s.Count(q("acme", "proj", "r1", "count big minus one"), one(span(1, 800))); !errors.Is(err, ErrDisclosure) {
		t.Fatalf("count near an analysed cohort: %v", err)
	}
}

// Suppressed and zero cells are not recorded and not guarded: they release
// no value.
func TestSuppressedCellsNotGuarded(t *testing.T) {
	s := openTest(t, 1, Settings{Budget: 100})
	small := span(0, 5)
	a, err := s.Count(q("acme", "proj", "r1", "count tiny"), []Group{{People: small}, {People: roaring.New()}})
	if err != nil {
		t.Fatal(err)
	}
	want := Table{Cells: []Cell{{Suppressed: true}, {}}, SuppressedCells: 1}
	if !reflect.DeepEqual(*a.Table, want) {
		t.Fatalf("got %+v, want %+v", *a.Table, want)
	}
	if _, err := s.Count(q("acme", "proj", "r1", "count tiny plus"), one(span(0, 6))); err != nil {
		t.Fatalf("another small cohort: %v", err)
	}
}

func TestReleaserSplit(t *testing.T) {
	r := Releaser{Settings: DefaultSettings(), rng: nil}
	if got := r.Split(4).Settings.Epsilon; got != DefaultEpsilon/4 {
		t.Fatalf("Split(4) ε = %v", got)
	}
	if got := r.Split(0).Settings.Epsilon; got != DefaultEpsilon {
		t.Fatalf("Split(0) ε = %v", got)
	}
}

func TestOverlappingGroupsRejected(t *testing.T) {
	s := openTest(t, 1, Settings{})
	_, err := s.Count(q("acme", "proj", "r1", "count x"), []Group{{People: span(0, 100)}, {People: span(50, 150)}})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("got %v", err)
	}
	if spent, _, _ := s.Ledger("acme", "proj", "r1"); spent != 0 {
		t.Fatalf("spent %v on an invalid question", spent)
	}
}

func TestSettingsStored(t *testing.T) {
	s := openTest(t, 1, Settings{})
	if got, err := s.Settings("proj"); err != nil || got != DefaultSettings() {
		t.Fatalf("defaults: %+v, %v", got, err)
	}
	want := Settings{Epsilon: 0.25, Budget: 1, Threshold: 10, RoundTo: 10}
	if err := s.SetSettings("proj", want); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Settings("proj"); err != nil || got != want {
		t.Fatalf("stored: %+v, %v", got, err)
	}
	if err := s.SetSettings("proj", Settings{Epsilon: -1}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad settings: %v", err)
	}
	// The project's settings drive the release: threshold 10, base 10, ε 0.25.
	a, err := s.Count(q("acme", "proj", "r1", "count x"), []Group{{People: span(0, 10)}, {People: span(100, 400)}})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Table.Cells[0].Suppressed || a.Table.Cells[1].Count%10 != 0 || a.Spent != 0.25 || a.Budget != 1 {
		t.Fatalf("answer %+v %+v", a, a.Table)
	}
	// Differencing distance is the threshold too: 10 people away is refused.
	if _, err := s.Count(q("acme", "proj", "r1", "count y"), one(span(110, 400))); !errors.Is(err, ErrDisclosure) {
		t.Fatalf("10 away under threshold 10: %v", err)
	}
}

// Everything survives a reopen: settings, ledger, cache, released sets.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tre.db")
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.Count(q("acme", "proj", "r1", "count A"), one(span(0, 1000)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	again, err := s.Count(q("acme", "proj", "r1", "count A"), one(span(0, 1000)))
	if err != nil || !again.Cached || !reflect.DeepEqual(again.Table, first.Table) || again.Spent != 0.5 {
		t.Fatalf("after reopen: %+v, %v", again, err)
	}
	if _, err := s.Count(q("acme", "proj", "r1", "count A minus one"), one(span(1, 1000))); !errors.Is(err, ErrDisclosure) {
		t.Fatalf("guard after reopen: %v", err)
	}
}

func TestQuestionValidation(t *testing.T) {
	s := openTest(t, 1, Settings{})
	for _, bad := range []Question{
		q("", "p", "r", "x"), q("a", "", "r", "x"), q("a", "p", "", "x"), q("a", "p", "r", ""),
		q(strings.Repeat("a", 2000), "p", "r", "x"),
	} {
		if _, err := s.Count(bad, one(span(0, 10))); !errors.Is(err, ErrInvalid) {
			t.Errorf("Count(%q/%q/%q/%q) = %v", bad.Partner, bad.Project, bad.Release, bad.Query, err)
		}
	}
	if _, err := s.Count(q("a", "p", "r", "x"), nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("no groups: %v", err)
	}
}
