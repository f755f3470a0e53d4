package access

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Options configure a Store. The zero value is usable: EnsureDefaults fills
// in the documented defaults.
type Options struct {
	// Now returns the current time (default time.Now). Token expiry and
	// project end dates are judged against it.
	Now func() time.Time
	// LockTimeout is how long Open waits for another process holding the
	// database file (default 2s); then Open fails with ErrLocked.
	LockTimeout time.Duration
	// TokenTTL is the lifetime of a token when TokenSpec.TTL is zero
	// (default 90 days).
	TokenTTL time.Duration
	// MaxTokenTTL is the longest lifetime a token may be given (default
	// 366 days).
	MaxTokenTTL time.Duration
	// ProjectTerm is the time from creation to a project's end when
	// ProjectSpec.End is zero (default 365 days).
	ProjectTerm time.Duration
}

// Defaults.
const (
	DefaultLockTimeout = 2 * time.Second
	DefaultTokenTTL    = 90 * 24 * time.Hour
	DefaultMaxTokenTTL = 366 * 24 * time.Hour
	DefaultProjectTerm = 365 * 24 * time.Hour
)

// EnsureDefaults fills in zero fields with their defaults.
func (o *Options) EnsureDefaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.TokenTTL == 0 {
		o.TokenTTL = DefaultTokenTTL
	}
	if o.MaxTokenTTL == 0 {
		o.MaxTokenTTL = DefaultMaxTokenTTL
	}
	if o.ProjectTerm == 0 {
		o.ProjectTerm = DefaultProjectTerm
	}
}

// Validate checks options after EnsureDefaults.
func (o *Options) Validate() error {
	switch {
	case o.LockTimeout < 0:
		return fmt.Errorf("access: %w options: negative LockTimeout", ErrInvalid)
	case o.TokenTTL <= 0 || o.MaxTokenTTL <= 0 || o.ProjectTerm <= 0:
		return fmt.Errorf("access: %w options: durations must be positive", ErrInvalid)
	case o.TokenTTL > o.MaxTokenTTL:
		return fmt.Errorf("access: %w options: TokenTTL %v exceeds MaxTokenTTL %v", ErrInvalid, o.TokenTTL, o.MaxTokenTTL)
	}
	return nil
}

// Bucket names. Every bucket of this package starts with "access.", so the
// database can be shared with the other TRE records.
var (
	bucketMeta     = []byte("access.meta")
	bucketUsers    = []byte("access.users")
	bucketProjects = []byte("access.projects")
	bucketTokens   = []byte("access.tokens")    // hash[:16] → token record
	bucketTokenIDs = []byte("access.token_ids") // token ID → hash[:16]

	metaFormatKey = []byte("format")
	metaFormat    = []byte("gentre-access v1")
)

// Store holds users, projects and token hashes in a bbolt database. Its
// methods are safe for concurrent use.
type Store struct {
	db    *bolt.DB
	owned bool
	opts  Options
}

// Open opens (creating if absent, mode 0600) the database file at path,
// which is conventionally the store's DIR/tre.db. The Store owns the file
// until Close. bbolt locks the file: while one process has it open, Open in
// another waits LockTimeout and fails with ErrLocked.
func Open(path string, opts Options) (*Store, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("access: opening %s: %w (is gentre serve running?)", filepath.Base(path), ErrLocked)
		}
		return nil, fmt.Errorf("access: opening %s: %w", filepath.Base(path), err)
	}
	s, err := OpenDB(db, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// OpenDB uses a database the caller has open (and will close, after the
// Store is done with it), creating this package's buckets if absent.
func OpenDB(db *bolt.DB, opts Options) (*Store, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	s := &Store{db: db, opts: opts}
	var fresh bool
	err := db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if m == nil {
			fresh = true
			return nil
		}
		return checkFormat(m.Get(metaFormatKey))
	})
	if err != nil {
		return nil, err
	}
	if !fresh {
		return s, nil
	}
	if db.IsReadOnly() {
		return nil, fmt.Errorf("access: %w: database has no access records and is open read-only", ErrNotFound)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		m, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if f := m.Get(metaFormatKey); f != nil {
			return checkFormat(f) // made by someone else meanwhile
		}
		if err := m.Put(metaFormatKey, metaFormat); err != nil {
			return err
		}
		for _, b := range [][]byte{bucketUsers, bucketProjects, bucketTokens, bucketTokenIDs} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("access: initialising database: %w", err)
	}
	return s, nil
}

func checkFormat(f []byte) error {
	if !bytes.Equal(f, metaFormat) {
		return fmt.Errorf("%w: unknown access format %q, want %q", ErrCorrupt, f, metaFormat)
	}
	return nil
}

// Close closes the database if Open opened it.
func (s *Store) Close() error {
	if !s.owned {
		return nil
	}
	return s.db.Close()
}

// now returns the current time in UTC, to the nanosecond.
func (s *Store) now() time.Time { return s.opts.Now().UTC() }

// bucket returns a bucket that OpenDB made; its absence is corruption.
func bucket(tx *bolt.Tx, name []byte) (*bolt.Bucket, error) {
	b := tx.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("%w: bucket %s missing", ErrCorrupt, name)
	}
	return b, nil
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
