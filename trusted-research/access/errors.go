package access

import "errors"

// Errors for callers. Each is returned wrapped with detail, except
// ErrUnauthenticated, which Authenticate returns as is so that every kind of
// bad token (unknown, malformed, expired, revoked, of an ended project)
// gives the same message.
var (
	// ErrUnauthenticated means no valid token: HTTP 401.
	ErrUnauthenticated = errors.New("unauthenticated: missing, invalid or expired token")
	// ErrForbidden means a valid token without the right: HTTP 403. The
	// wrapping message names the role and the action, never a secret.
	ErrForbidden = errors.New("forbidden")
	// ErrInvalid is wrapped by validation errors (bad names, roles,
	// purposes, dates, settings, token specifications).
	ErrInvalid = errors.New("invalid")
	// ErrNotFound is wrapped when a named project, user or token does not
	// exist.
	ErrNotFound = errors.New("not found")
	// ErrExists is wrapped when creating a project or user that exists.
	ErrExists = errors.New("already exists")
	// ErrCorrupt is wrapped when a stored record fails its checksum or
	// cannot be decoded.
	ErrCorrupt = errors.New("corrupt access record")
	// ErrLocked is wrapped when the database file is held by another
	// process (bbolt takes an exclusive lock while a database is open).
	ErrLocked = errors.New("database in use by another process")
)
