// Package access holds the trusted research environment's principals and
// rights: users, bearer tokens, projects with their purpose and end date,
// the six roles, and the permission matrix that says which role may do
// which action on which project, and whether the answer goes through
// disclosure control.
//
// Its records live in an embedded transactional database (bbolt), in
// buckets whose names start with "access.", so the same file (the store's
// DIR/tre.db) can hold the other TRE records too: Open opens a file, OpenDB
// shares a *bolt.DB the caller already has open.
//
// A token is "gtr_" followed by 43 base64url characters (32 bytes from
// crypto/rand). Only the SHA-256 of the token is stored; Authenticate
// looks a token up by its hash and compares the full hash with
// hmac.Equal, and says ErrUnauthenticated, with one message, for every
// kind of bad token. Allowed checks a principal against the matrix and
// says ErrForbidden, naming role and action.
//
// The package never stores an NHS number: a citizen's token is bound to the
// person pseudonym the caller computes with the store key
// (CitizenPseudonym).
package access
