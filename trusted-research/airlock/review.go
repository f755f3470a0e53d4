package airlock

import (
	"fmt"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/gentre/gentre/trusted-research/access"
)

// Review records checker c's decision on request id and returns the
// request as it then stands (with its content, for the checker). The rules,
// checked in one write transaction with the state change, so that
// concurrent reviews are serialised:
//
//   - only an output checker reviews (ErrForbidden), and only requests of
//     their own project (others: ErrNotFound, as if absent);
//   - a checker may not review a request they made, nor review a request
//     twice (ErrForbidden);
//   - a request already APPROVED or REJECTED takes no more reviews
//     (ErrFinal);
//   - one reject makes it REJECTED; approvals by Approvals (2) different
//     checkers make it APPROVED.
//
// When this review makes the request APPROVED, onApprove (if not nil) is
// called inside the transaction with the approved request before it
// commits: the gateway writes the release to the audit log there, so a
// release is never approved without its audit entry. An error from
// onApprove rolls the review back.
func (s *Store) Review(id string, c Caller, d Decision, note string, onApprove func(*Request) error) (*Request, error) {
	if _, err := ParseDecision(string(d)); err != nil {
		return nil, err
	}
	if len(note) > s.opts.MaxNote {
		return nil, fmt.Errorf("%w: note longer than %d bytes", ErrTooLarge, s.opts.MaxNote)
	}
	if c.Role != access.OutputChecker {
		return nil, fmt.Errorf("%w: only an output checker of the project reviews airlock requests", ErrForbidden)
	}
	if strings.TrimSpace(c.User) == "" {
		return nil, fmt.Errorf("%w review: no reviewer", ErrInvalid)
	}
	var r *Request
	err := s.db.Update(func(tx *bbolt.Tx) error {
		var err error
		if r, err = visible(tx, id, c); err != nil {
			return err
		}
		if r.State.Final() {
			return fmt.Errorf("%w: it is %s, and a decided request takes no more reviews", ErrFinal, r.State)
		}
		if r.Requester == c.User {
			return fmt.Errorf("%w: a checker may not review an airlock request they made", ErrForbidden)
		}
		for _, rv := range r.Reviews {
			if rv.Reviewer == c.User {
				return fmt.Errorf("%w: this checker has already reviewed the request; a second approval must come from a different checker", ErrForbidden)
			}
		}
		t := s.now()
		r.Reviews = append(r.Reviews, Review{Reviewer: c.User, Decision: d, Note: note, Time: t})
		switch {
		case d == Reject:
			r.State, r.Decided = Rejected, t
		case approvals(r) >= Approvals:
			r.State, r.Decided = Approved, t
		}
		if err := putRequest(tx, r); err != nil {
			return err
		}
		if err := loadContent(tx, r); err != nil {
			return err
		}
		if r.State != Approved {
			return nil
		}
		rb, err := sub(tx, bucketReleased)
		if err != nil {
			return err
		}
		if err := rb.Put(timeKey(r.Decided, r.ID), nil); err != nil {
			return err
		}
		if onApprove != nil {
			return onApprove(r)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("review", err)
	}
	return r, nil
}
