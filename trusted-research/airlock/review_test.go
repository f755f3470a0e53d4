package airlock

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gentre/gentre/trusted-research/access"
)

// step is one review in a scenario and what it must do.
type step struct {
	c     Caller
	d     Decision
	want  error // nil, or the sentinel the error wraps (ErrNotFound exactly)
	state State // the request's state after the step
}

// TestReviewRules plays each rule of the two-person review through, step by
// step, checking the outcome of every step and the state after it.
func TestReviewRules(t *testing.T) {
	olive, otto, oscar := checker("olive", "p1"), checker("otto", "p1"), checker("oscar", "p1")
	aliceChecker := checker("alice", "p1") // the requester, also holding a checker token
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"two different checkers approve", []step{
			{olive, Approve, nil, Pending},
			{otto, Approve, nil, Approved},
		}},
		{"the requester may not review their own request", []step{
			{aliceChecker, Approve, ErrForbidden, Pending},
			{aliceChecker, Reject, ErrForbidden, Pending},
			{olive, Approve, nil, Pending},
			{aliceChecker, Approve, ErrForbidden, Pending},
			{otto, Approve, nil, Approved},
		}},
		{"the same checker twice does not approve", []step{
			{olive, Approve, nil, Pending},
			{olive, Approve, ErrForbidden, Pending},
			{olive, Reject, ErrForbidden, Pending},
			{otto, Approve, nil, Approved},
		}},
		{"one reject rejects, forever", []step{
			{olive, Approve, nil, Pending},
			{otto, Reject, nil, Rejected},
			{oscar, Approve, ErrFinal, Rejected},
			{olive, Approve, ErrFinal, Rejected},
		}},
		{"a first reject rejects", []step{
			{olive, Reject, nil, Rejected},
			{otto, Approve, ErrFinal, Rejected},
			{oscar, Approve, ErrFinal, Rejected},
		}},
		{"no review after approval", []step{
			{olive, Approve, nil, Pending},
			{otto, Approve, nil, Approved},
			{oscar, Reject, ErrFinal, Approved},
			{oscar, Approve, ErrFinal, Approved},
		}},
		{"only an output checker reviews", []step{
			{researcher("bob", "p1"), Approve, ErrForbidden, Pending},
			{researcher("alice", "p1"), Approve, ErrForbidden, Pending},
			{Caller{User: "pharma", Role: access.Industry, Project: "p1"}, Approve, ErrForbidden, Pending},
			{Caller{User: "audrey", Role: access.Auditor}, Reject, ErrForbidden, Pending},
		}},
		{"a checker of another project finds nothing", []step{
			{checker("zed", "p2"), Approve, ErrNotFound, Pending},
			{checker("zed", "p2"), Reject, ErrNotFound, Pending},
			{olive, Approve, nil, Pending},
			{checker("zed", "p2"), Approve, ErrNotFound, Pending},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			r := mustCreate(t, s, draft("p1", "alice"))
			released := 0
			onApprove := func(a *Request) error {
				released++
				if a.State != Approved || a.ID != r.ID || a.Content == nil {
					t.Errorf("onApprove with %+v", a)
				}
				return nil
			}
			var reviews []Review
			for i, st := range tc.steps {
				got, err := s.Review(r.ID, st.c, st.d, fmt.Sprintf("note %d", i), onApprove)
				switch {
				case st.want == ErrNotFound && err != ErrNotFound:
					t.Fatalf("step %d (%s %s): %v, want exactly ErrNotFound", i, st.c.User, st.d, err)
				case st.want != nil && !errors.Is(err, st.want):
					t.Fatalf("step %d (%s %s): %v, want %v", i, st.c.User, st.d, err, st.want)
				case st.want == nil && err != nil:
					t.Fatalf("step %d (%s %s): %v", i, st.c.User, st.d, err)
				}
				if err == nil {
					reviews = append(reviews, Review{Reviewer: st.c.User, Decision: st.d, Note: fmt.Sprintf("note %d", i)})
					if got.State != st.state || got.Content == nil {
						t.Fatalf("step %d: returned state %s", i, got.State)
					}
				}
				now, err := s.Get(r.ID, olive)
				if err != nil {
					t.Fatal(err)
				}
				if now.State != st.state {
					t.Fatalf("step %d (%s %s): state %s, want %s", i, st.c.User, st.d, now.State, st.state)
				}
				if len(now.Reviews) != len(reviews) {
					t.Fatalf("step %d: %d reviews stored, want %d", i, len(now.Reviews), len(reviews))
				}
				for j, rv := range now.Reviews {
					if rv.Reviewer != reviews[j].Reviewer || rv.Decision != reviews[j].Decision || rv.Note != reviews[j].Note || rv.Time.IsZero() {
						t.Fatalf("step %d: review %d is %+v", i, j, rv)
					}
				}
				if now.State.Final() != !now.Decided.IsZero() {
					t.Fatalf("step %d: state %s decided at %v", i, now.State, now.Decided)
				}
			}
			final, _ := s.Get(r.ID, olive)
			if want := map[bool]int{true: 1, false: 0}[final.State == Approved]; released != want {
				t.Fatalf("onApprove called %d times, want %d", released, want)
			}
		})
	}
}

func TestReviewArguments(t *testing.T) {
	s := openTest(t)
	r := mustCreate(t, s, draft("p1", "alice"))
	olive := checker("olive", "p1")
	for _, d := range []Decision{"", "approved", "APPROVE", "yes"} {
		if _, err := s.Review(r.ID, olive, d, "", nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("decision %q: %v", d, err)
		}
	}
	if _, err := s.Review(r.ID, olive, Approve, strings.Repeat("n", s.Options().MaxNote+1), nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("long note: %v", err)
	}
	if _, err := s.Review(r.ID, checker("", "p1"), Approve, "", nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("no reviewer: %v", err)
	}
	for _, tc := range []struct {
		in   string
		want Decision
		err  bool
	}{{"approve", Approve, false}, {"reject", Reject, false}, {"", "", true}, {"Reject", "", true}} {
		d, err := ParseDecision(tc.in)
		if d != tc.want || (err != nil) != tc.err {
			t.Errorf("ParseDecision(%q) = %q, %v", tc.in, d, err)
		}
	}
	got, _ := s.Get(r.ID, olive)
	if len(got.Reviews) != 0 || got.State != Pending {
		t.Fatalf("refused reviews were stored: %+v", got)
	}
}

// TestReleaseAuditFailureRollsBack: when onApprove fails (the gateway
// could not write the release to the audit log), the approving review is
// not stored: the request stays PENDING and the same checker may try again.
func TestReleaseAuditFailureRollsBack(t *testing.T) {
	s := openTest(t)
	r := mustCreate(t, s, draft("p1", "alice"))
	if _, err := s.Review(r.ID, checker("olive", "p1"), Approve, "", nil); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("audit log full")
	if _, err := s.Review(r.ID, checker("otto", "p1"), Approve, "", func(*Request) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("review with failing onApprove: %v", err)
	}
	got, _ := s.Get(r.ID, checker("olive", "p1"))
	if got.State != Pending || len(got.Reviews) != 1 {
		t.Fatalf("after a failed release: %s with %d reviews", got.State, len(got.Reviews))
	}
	if _, err := s.Content(r.ID, researcher("alice", "p1")); !errors.Is(err, ErrNotApproved) {
		t.Fatalf("content after a failed release: %v", err)
	}
	if uses, _ := s.UsesOf(1); len(uses) != 0 {
		t.Fatalf("a failed release is listed as a use: %v", uses)
	}
	if got, err := s.Review(r.ID, checker("otto", "p1"), Approve, "", nil); err != nil || got.State != Approved {
		t.Fatalf("retry: %v", err)
	}
}

// TestConcurrentReviews: many checkers review one request at once. Exactly
// two approvals are accepted and exactly one of them is the release; the
// rest find the request decided. Two reviews by one checker at once: one
// is accepted. Repeated to give the scheduler chances to interleave.
func TestConcurrentReviews(t *testing.T) {
	s := openTest(t)
	const checkers = 12
	for round := range 20 {
		r := mustCreate(t, s, draft("p1", "alice"))
		var ok, final, released atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range checkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := s.Review(r.ID, checker(fmt.Sprintf("c%d", i), "p1"), Approve, "", func(*Request) error {
					released.Add(1)
					return nil
				})
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, ErrFinal):
					final.Add(1)
				default:
					t.Errorf("round %d: %v", round, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if ok.Load() != Approvals || final.Load() != checkers-Approvals || released.Load() != 1 {
			t.Fatalf("round %d: %d accepted, %d final, %d releases; want %d, %d, 1",
				round, ok.Load(), final.Load(), released.Load(), Approvals, checkers-Approvals)
		}
		got, _ := s.Get(r.ID, checker("c0", "p1"))
		if got.State != Approved || len(got.Reviews) != Approvals || got.Reviews[0].Reviewer == got.Reviews[1].Reviewer {
			t.Fatalf("round %d: %s, reviews %+v", round, got.State, got.Reviews)
		}

		// One checker, two reviews at once: one counts.
		r2 := mustCreate(t, s, draft("p1", "alice"))
		var errs [2]error
		start2 := make(chan struct{})
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start2
				_, errs[i] = s.Review(r2.ID, checker("olive", "p1"), Approve, "", nil)
			}()
		}
		close(start2)
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) || !errors.Is(errors.Join(errs[0], errs[1]), ErrForbidden) {
			t.Fatalf("round %d: one checker twice at once: %v, %v", round, errs[0], errs[1])
		}
		got, _ = s.Get(r2.ID, checker("olive", "p1"))
		if got.State != Pending || len(got.Reviews) != 1 {
			t.Fatalf("round %d: one checker twice: %s with %d reviews", round, got.State, len(got.Reviews))
		}
	}
}
