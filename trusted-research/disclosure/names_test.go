package disclosure

import (
	"errors"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// Question.Names: an analysis names each cohort by the text that denotes
// it, and the differencing guard lets an identical set through only under
// the same name.
func TestAnalyseNamedCohorts(t *testing.T) {
	build := func(r Releaser) ([]byte, error) { return []byte{1}, nil }
	named := func(query string, names ...string) Question {
		qq := q("acme", "proj", "r1", query)
		qq.Names = names
		return qq
	}
	a := span(0, 100)
	b := span(1000, 1200)
	for _, tc := range []struct {
		name  string
		setup func(s *Store) error
		ask   Question
		sets  []*roaring.Bitmap
		want  error // nil: answered
	}{
		{"after a count of the same text", func(s *Store) error {
			_, err := s.Count(q("acme", "proj", "r1", "count A"), one(a))
			return err
		}, named("freq 1:1-10 in A", "count A"), []*roaring.Bitmap{a}, nil},
		{"after another region over the same cohort", func(s *Store) error {
			_, err := s.Analyse(named("freq 1:1-10 in A", "count A"), []*roaring.Bitmap{a}, build)
			return err
		}, named("freq 2:1-10 in A", "count A"), []*roaring.Bitmap{a}, nil},
		{"vs side named like a released cohort", func(s *Store) error {
			_, err := s.Analyse(named("freq 1:1-10 in B", "count B"), []*roaring.Bitmap{b}, build)
			return err
		}, named("freq 1:1-10 in A vs B", "count A", "count B"), []*roaring.Bitmap{a, b}, nil},
		// The tracker defence stands: the same people under another name
		// are refused like a one-person difference.
		{"same set, another name", func(s *Store) error {
			_, err := s.Count(q("acme", "proj", "r1", "count A"), one(a))
			return err
		}, named("freq 1:1-10 in A2", "count A2"), []*roaring.Bitmap{a}, ErrDisclosure},
		{"same set, no names (whole query text)", func(s *Store) error {
			_, err := s.Count(q("acme", "proj", "r1", "count A"), one(a))
			return err
		}, q("acme", "proj", "r1", "freq 1:1-10 in A"), []*roaring.Bitmap{a}, ErrDisclosure},
		{"the same name on a set one person away", func(s *Store) error {
			_, err := s.Count(q("acme", "proj", "r1", "count A"), one(a))
			return err
		}, named("freq 1:1-10 in A", "count A"), []*roaring.Bitmap{without(a, 3)}, ErrDisclosure},
		{"names of the wrong length", func(*Store) error { return nil },
			named("freq 1:1-10 in A vs B", "count A"), []*roaring.Bitmap{a, b}, ErrInvalid},
		{"an empty name", func(*Store) error { return nil },
			named("freq 1:1-10 in A", ""), []*roaring.Bitmap{a}, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, 7, Settings{Budget: 100})
			if err := tc.setup(s); err != nil {
				t.Fatal(err)
			}
			_, err := s.Analyse(tc.ask, tc.sets, build)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	// A count takes no names.
	s := openTest(t, 7, Settings{})
	qq := q("acme", "proj", "r1", "count A")
	qq.Names = []string{"count A"}
	if _, err := s.Count(qq, one(a)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("count with names: %v", err)
	}
}

func TestAffordable(t *testing.T) {
	s := openTest(t, 3, Settings{Budget: 1})
	ask := func(text string) error {
		_, err := s.Count(q("acme", "proj", "r1", text), one(span(0, 100+uint32(len(text))*10)))
		return err
	}
	if err := s.Affordable(q("acme", "proj", "r1", "count A")); err != nil {
		t.Fatalf("fresh budget: %v", err)
	}
	if err := ask("count A"); err != nil {
		t.Fatal(err)
	}
	if err := ask("count AB"); err != nil {
		t.Fatal(err)
	}
	// Spent: a new question would not fit, a cached one costs nothing, and
	// the error is the one Count gives.
	afford := s.Affordable(q("acme", "proj", "r1", "count ABC"))
	countErr := ask("count ABC")
	if !errors.Is(afford, ErrBudgetExhausted) || afford.Error() != countErr.Error() {
		t.Fatalf("Affordable %v, Count %v", afford, countErr)
	}
	if err := s.Affordable(q("acme", "proj", "r1", "count A")); err != nil {
		t.Fatalf("cached question: %v", err)
	}
	if err := s.Affordable(q("other", "proj", "r1", "count ABC")); err != nil {
		t.Fatalf("another partner: %v", err)
	}
	if err := s.Affordable(q("", "proj", "r1", "x")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("no partner: %v", err)
	}
}
