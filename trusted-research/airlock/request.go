package airlock

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"go.etcd.io/bbolt"

	"github.com/gentre/gentre/trusted-research/access"
)

// State is where a request stands.
type State string

// The states. PENDING is the only one that changes.
const (
	Pending  State = "PENDING"
	Approved State = "APPROVED"
	Rejected State = "REJECTED"
)

// Final reports whether no review can change the state any more.
func (s State) Final() bool { return s == Approved || s == Rejected }

// Decision is a checker's verdict.
type Decision string

// The decisions.
const (
	Approve Decision = "approve"
	Reject  Decision = "reject"
)

// ParseDecision parses "approve" or "reject" (exactly).
func ParseDecision(s string) (Decision, error) {
	switch d := Decision(s); d {
	case Approve, Reject:
		return d, nil
	}
	return "", fmt.Errorf("%w decision %q: want \"approve\" or \"reject\"", ErrInvalid, s)
}

// Approvals is how many different checkers must approve a request.
const Approvals = 2

// Review is one checker's verdict on a request.
type Review struct {
	Reviewer string    `json:"reviewer"`
	Decision Decision  `json:"decision"`
	Note     string    `json:"note,omitempty"`
	Time     time.Time `json:"time"`
}

// Request is an airlock request as stored. Content is filled in only by the
// calls that hand it out (to checkers, and to the requester once APPROVED).
type Request struct {
	V             int      `json:"v"`
	ID            string   `json:"id"`
	Project       string   `json:"project"`
	Requester     string   `json:"requester"` // user id
	Justification string   `json:"justification"`
	Queries       []string `json:"queries"` // canonical query texts
	Format        Format   `json:"format"`
	// Digest is the SHA-256 of the frozen content, hex.
	Digest  string    `json:"digest"`
	Release string    `json:"release"` // the data release the content was computed on
	Created time.Time `json:"created"`
	State   State     `json:"state"`
	// Decided is when the request became APPROVED or REJECTED.
	Decided time.Time `json:"decided"`
	Reviews []Review  `json:"reviews"`

	Content []byte `json:"-"`
}

// MediaType is the content's media type.
func (r *Request) MediaType() string { return r.Format.MediaType() }

// Caller is who asks: the user, their role and their token's project.
type Caller struct {
	User    string
	Role    access.Role
	Project string
}

// sees reports whether c may see r at all: an output checker sees their
// project's requests, a researcher their own. Anything else is "not
// found", so that ids of other projects and people reveal nothing.
func (c Caller) sees(r *Request) bool {
	if c.Project == "" || r.Project != c.Project {
		return false
	}
	switch c.Role {
	case access.OutputChecker:
		return true
	case access.Researcher:
		return r.Requester == c.User
	}
	return false
}

// ID format: "ar_" and the lower-case base32 (no padding) of 16 random
// bytes: 128 bits, unguessable.
const (
	idPrefix = "ar_"
	idBytes  = 16
	idLen    = len(idPrefix) + (idBytes*8+4)/5 // 29
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func newID() string {
	var b [idBytes]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return idPrefix + idEncoding.EncodeToString(b[:])
}

// ValidID reports whether s has the form of a request id (it says nothing
// of whether such a request exists).
func ValidID(s string) bool {
	if len(s) != idLen || !strings.HasPrefix(s, idPrefix) {
		return false
	}
	b, err := idEncoding.DecodeString(s[len(idPrefix):])
	// Canonical only: the trailing bits of the last character are zero.
	return err == nil && len(b) == idBytes && idEncoding.EncodeToString(b) == s[len(idPrefix):]
}

// Draft is a request to create: the output already rendered.
type Draft struct {
	Project       string
	Requester     string
	Justification string
	Queries       []string
	Format        Format
	Release       string
	Content       []byte
	// People are the people behind the released figures (person indices
	// of the stable numbering): a citizen among them sees the release once
	// approved.
	People *roaring.Bitmap
}

func (s *Store) validate(d *Draft) error {
	switch {
	case d.Project == "" || d.Requester == "" || d.Release == "":
		return fmt.Errorf("%w request: project, requester and release are required", ErrInvalid)
	case strings.TrimSpace(d.Justification) == "":
		return fmt.Errorf("%w request: a justification is required (what the output is and why it should leave)", ErrInvalid)
	case len(d.Justification) > s.opts.MaxJustification:
		return fmt.Errorf("%w: justification longer than %d bytes", ErrTooLarge, s.opts.MaxJustification)
	case len(d.Queries) == 0:
		return fmt.Errorf("%w request: no queries", ErrInvalid)
	case len(d.Queries) > s.opts.MaxQueries:
		return fmt.Errorf("%w: %d queries, at most %d a request", ErrTooLarge, len(d.Queries), s.opts.MaxQueries)
	case len(d.Content) == 0:
		return fmt.Errorf("%w request: empty content", ErrInvalid)
	case len(d.Content) > s.opts.MaxContentBytes:
		return fmt.Errorf("%w: the output is %d bytes, at most %d a request: ask for fewer or smaller tables", ErrTooLarge, len(d.Content), s.opts.MaxContentBytes)
	case d.People == nil:
		return fmt.Errorf("%w request: no person set", ErrInvalid)
	}
	if _, err := ParseFormat(string(d.Format)); err != nil || d.Format == "" {
		return fmt.Errorf("%w format %q", ErrInvalid, d.Format)
	}
	return nil
}

// Create freezes a draft as a new PENDING request: the content and its
// SHA-256, the people, and the request record, in one transaction.
func (s *Store) Create(d Draft) (*Request, error) {
	if err := s.validate(&d); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(d.Content)
	r := &Request{
		V: recordVersion, Project: d.Project, Requester: d.Requester, Justification: d.Justification,
		Queries: append([]string(nil), d.Queries...), Format: d.Format, Digest: hex.EncodeToString(sum[:]),
		Release: d.Release, Created: s.now(), State: Pending, Reviews: []Review{},
	}
	people, err := encodeBitmap(d.People)
	if err != nil {
		return nil, fmt.Errorf("airlock: %w", err)
	}
	err = s.db.Update(func(tx *bbolt.Tx) error {
		rb, err := sub(tx, bucketRequests)
		if err != nil {
			return err
		}
		r.ID = newID()
		if rb.Get([]byte(r.ID)) != nil { // 128 random bits: cannot happen in practice
			return fmt.Errorf("request id collision; try again")
		}
		if err := putRequest(tx, r); err != nil {
			return err
		}
		for _, kv := range []struct {
			bucket []byte
			v      []byte
		}{{bucketContents, d.Content}, {bucketPeople, people}} {
			b, err := sub(tx, kv.bucket)
			if err != nil {
				return err
			}
			if err := b.Put([]byte(r.ID), kv.v); err != nil {
				return err
			}
		}
		pb, err := sub(tx, bucketProjects)
		if err != nil {
			return err
		}
		idx, err := pb.CreateBucketIfNotExists([]byte(r.Project))
		if err != nil {
			return err
		}
		return idx.Put(timeKey(r.Created, r.ID), nil)
	})
	if err != nil {
		return nil, fmt.Errorf("airlock: create: %w", err)
	}
	return r, nil
}

func putRequest(tx *bbolt.Tx, r *Request) error {
	rb, err := sub(tx, bucketRequests)
	if err != nil {
		return err
	}
	v, err := sealJSON(r)
	if err != nil {
		return err
	}
	return rb.Put([]byte(r.ID), v)
}

// getRequest reads a request record (nil when absent).
func getRequest(tx *bbolt.Tx, id string) (*Request, error) {
	rb, err := sub(tx, bucketRequests)
	if err != nil {
		return nil, err
	}
	v := rb.Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	r := &Request{}
	if err := unsealJSON(v, r); err != nil {
		return nil, fmt.Errorf("request record: %w", err)
	}
	if r.V != recordVersion || r.ID != id {
		return nil, fmt.Errorf("%w: request record version or id", ErrCorrupt)
	}
	return r, nil
}

// loadContent fills r.Content, checking it against the recorded SHA-256:
// what leaves is what the checkers saw.
func loadContent(tx *bbolt.Tx, r *Request) error {
	cb, err := sub(tx, bucketContents)
	if err != nil {
		return err
	}
	v := cb.Get([]byte(r.ID))
	sum := sha256.Sum256(v)
	if v == nil || hex.EncodeToString(sum[:]) != r.Digest {
		return fmt.Errorf("%w: content does not match its digest", ErrCorrupt)
	}
	r.Content = append([]byte(nil), v...)
	return nil
}

// visible reads request id if c may see it, else ErrNotFound.
func visible(tx *bbolt.Tx, id string, c Caller) (*Request, error) {
	if !ValidID(id) {
		return nil, ErrNotFound
	}
	r, err := getRequest(tx, id)
	if err != nil {
		return nil, err
	}
	if r == nil || !c.sees(r) {
		return nil, ErrNotFound
	}
	return r, nil
}

// Get returns request id as c may see it: output checkers of the project
// get the content too (to check it); the researcher who made it gets the
// record alone (the content comes from Content once APPROVED). Anyone else,
// and an unknown or malformed id, get ErrNotFound.
func (s *Store) Get(id string, c Caller) (*Request, error) {
	var r *Request
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		if r, err = visible(tx, id, c); err != nil {
			return err
		}
		if c.Role == access.OutputChecker {
			return loadContent(tx, r)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("get", err)
	}
	return r, nil
}

// List returns the requests of c's project that c may see, oldest first:
// all of them for an output checker (with content), the researcher's own
// for a researcher (without).
func (s *Store) List(c Caller) ([]*Request, error) {
	var out []*Request
	err := s.db.View(func(tx *bbolt.Tx) error {
		pb, err := sub(tx, bucketProjects)
		if err != nil {
			return err
		}
		idx := pb.Bucket([]byte(c.Project))
		if idx == nil || c.Project == "" {
			return nil
		}
		return idx.ForEach(func(k, _ []byte) error {
			if len(k) <= 8 {
				return fmt.Errorf("%w: project index key", ErrCorrupt)
			}
			r, err := getRequest(tx, string(k[8:]))
			if err != nil {
				return err
			}
			if r == nil {
				return fmt.Errorf("%w: project index names a missing request", ErrCorrupt)
			}
			if !c.sees(r) {
				return nil
			}
			if c.Role == access.OutputChecker {
				if err := loadContent(tx, r); err != nil {
					return err
				}
			}
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, wrap("list", err)
	}
	return out, nil
}

// Content returns request id with its content, for the researcher who made
// it or an output checker of the project, once APPROVED. A request still
// PENDING or REJECTED is refused with ErrNotApproved; one c may not see is
// ErrNotFound.
func (s *Store) Content(id string, c Caller) (*Request, error) {
	var r *Request
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		if r, err = visible(tx, id, c); err != nil {
			return err
		}
		switch r.State {
		case Approved:
			return loadContent(tx, r)
		case Rejected:
			return fmt.Errorf("%w: it was rejected by an output checker, so its content never leaves", ErrNotApproved)
		}
		return fmt.Errorf("%w yet: its content leaves only once %d different output checkers have approved it (%d so far)",
			ErrNotApproved, Approvals, approvals(r))
	})
	if err != nil {
		return nil, wrap("content", err)
	}
	return r, nil
}

func approvals(r *Request) int {
	n := 0
	for _, rv := range r.Reviews {
		if rv.Decision == Approve {
			n++
		}
	}
	return n
}

// wrap prefixes an error with the operation, leaving the package's
// refusals (already worded for the caller) as they are.
func wrap(op string, err error) error {
	if err == ErrNotFound {
		return err
	}
	return fmt.Errorf("airlock: %s: %w", op, err)
}
