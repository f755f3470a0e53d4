// Package airlock holds the trusted research environment's airlock: the
// one way a researcher's output leaves.
//
// A researcher's request names queries; the gateway answers them on the
// current data release under disclosure control (Releaser: small counts
// suppressed, others noised and rounded), renders the output (Render) and
// the Store freezes it with its SHA-256, state PENDING. Output checkers of
// the request's project review it: a checker may not review a request they
// made, nor review one twice; the request is APPROVED once two different
// checkers approve it and REJECTED as soon as one rejects it, and it never
// changes after that. Only an APPROVED request's content is handed out,
// byte for byte what the checkers saw.
//
// Every transition happens in one bbolt transaction, so two concurrent
// reviews cannot both be "the second approval". The store also keeps, per
// request, the people behind its released figures, so that a citizen can be
// told which approved releases included them (UsesOf), and, per project,
// data release and query, the released values (Store.Section), so that
// asking the same question again yields the same noise rather than a fresh
// draw to average away.
//
// Records live in the TRE's bbolt database under the top-level bucket
// "airlock" (docs/api.md, "Airlock", describes the layout). The package
// never logs, and its errors carry no request content.
package airlock

import "errors"

var (
	// ErrNotFound: no such request, or one the caller may not see (the two
	// are not told apart). The gateway maps it to 404.
	ErrNotFound = errors.New("airlock: request not found")
	// ErrForbidden is wrapped by refusals of the review rules (not a
	// checker, one's own request, a second review by the same checker). 403.
	ErrForbidden = errors.New("forbidden")
	// ErrFinal is wrapped when a request already approved or rejected is
	// reviewed again. 400 (FAILED_PRECONDITION).
	ErrFinal = errors.New("airlock: the request is already decided")
	// ErrNotApproved is wrapped when the content of a request that is not
	// APPROVED is asked for. 403.
	ErrNotApproved = errors.New("forbidden: airlock request not approved")
	// ErrInvalid is wrapped by errors about arguments (formats, decisions,
	// empty or oversized fields). 400.
	ErrInvalid = errors.New("airlock: invalid")
	// ErrTooLarge is wrapped when a request exceeds Options' limits
	// (queries, content size). 400 (OUT_OF_RANGE).
	ErrTooLarge = errors.New("airlock: too large")
	// ErrCorrupt is wrapped by errors about a stored record that cannot be
	// read; nothing is released past one.
	ErrCorrupt = errors.New("airlock: corrupt record")
)
