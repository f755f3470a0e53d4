package airlock

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/gentre/gentre/trusted-research/disclosure"
	"github.com/gentre/gentre/trusted-research/internal/sealed"
)

// formatMagic is the value of the top bucket's "format" key: the layout's
// name and version. New refuses any other.
const formatMagic = "gentre-airlock 1"

// recordVersion is the version field of every JSON record.
const recordVersion = 1

// Bucket and key names. Everything lives under the top-level bucket
// "airlock", so the store can share the TRE's database file.
var (
	bucketTop      = []byte("airlock")
	keyFormat      = []byte("format")
	bucketRequests = []byte("requests") // id → CRC ‖ JSON request record
	bucketContents = []byte("contents") // id → content bytes (SHA-256 in the record)
	bucketPeople   = []byte("people")   // id → CRC ‖ roaring bitmap
	bucketProjects = []byte("projects") // project/ → created ‖ id → ""
	bucketReleased = []byte("released") // decided ‖ id → "" (approved requests)
	bucketSections = []byte("sections") // SHA-256(project, release, query) → CRC ‖ JSON Section
)

// Defaults and bounds of Options.
const (
	DefaultMaxQueries       = 20
	DefaultMaxContentBytes  = 1 << 20
	DefaultMaxJustification = 4 << 10
	DefaultMaxNote          = 2 << 10
)

// Options configure a Store. The zero value is the production setting.
type Options struct {
	// Now is the clock of creation and review times (default time.Now).
	Now func() time.Time
	// Rand is the noise source of released figures (default
	// disclosure.CryptoSource; a seeded source only in tests). The store
	// draws from it under a lock.
	Rand rand.Source
	// MaxQueries bounds the queries of one request (default 20).
	MaxQueries int
	// MaxContentBytes bounds the rendered output of one request (default
	// 1 MiB).
	MaxContentBytes int
	// MaxJustification and MaxNote bound the free text of a request and
	// of a review, in bytes (defaults 4 KiB and 2 KiB).
	MaxJustification int
	MaxNote          int
}

// EnsureDefaults fills zero fields with their defaults.
func (o *Options) EnsureDefaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = disclosure.CryptoSource
	}
	if o.MaxQueries == 0 {
		o.MaxQueries = DefaultMaxQueries
	}
	if o.MaxContentBytes == 0 {
		o.MaxContentBytes = DefaultMaxContentBytes
	}
	if o.MaxJustification == 0 {
		o.MaxJustification = DefaultMaxJustification
	}
	if o.MaxNote == 0 {
		o.MaxNote = DefaultMaxNote
	}
}

// Validate reports options out of range (after EnsureDefaults).
func (o *Options) Validate() error {
	if o.MaxQueries < 0 || o.MaxContentBytes < 0 || o.MaxJustification < 0 || o.MaxNote < 0 {
		return fmt.Errorf("%w options: negative limit", ErrInvalid)
	}
	return nil
}

// Store holds the airlock requests in a bbolt database. Its methods are
// safe for concurrent use.
type Store struct {
	db   *bbolt.DB
	opts Options

	randMu sync.Mutex // guards opts.Rand (a seeded source is not concurrency-safe)
}

// New uses an open bbolt database (the TRE's tre.db, shared with access and
// disclosure), creating this package's buckets if absent. The caller
// closes db.
func New(db *bbolt.DB, o *Options) (*Store, error) {
	var opts Options
	if o != nil {
		opts = *o
	}
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	err := db.Update(func(tx *bbolt.Tx) error {
		_, err := sealed.Top(tx, bucketTop, keyFormat, formatMagic, ErrCorrupt,
			bucketRequests, bucketContents, bucketPeople, bucketProjects, bucketReleased, bucketSections)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("airlock: init: %w", err)
	}
	return &Store{db: db, opts: opts}, nil
}

// Options returns the store's options (defaults filled in).
func (s *Store) Options() Options { return s.opts }

func (s *Store) now() time.Time { return s.opts.Now().UTC() }

// sub returns one of the top bucket's buckets (New made them).
func sub(tx *bbolt.Tx, name []byte) (*bbolt.Bucket, error) {
	top := tx.Bucket(bucketTop)
	if top == nil {
		return nil, fmt.Errorf("%w: bucket airlock missing", ErrCorrupt)
	}
	b := top.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("%w: bucket %s missing", ErrCorrupt, name)
	}
	return b, nil
}

// sealJSON encodes v as JSON behind a CRC-32C of the JSON bytes.
func sealJSON(v any) ([]byte, error) { return sealed.JSON(v) }

// unsealJSON checks and decodes what sealJSON wrote.
func unsealJSON(b []byte, v any) error { return sealed.UnJSON(b, v, ErrCorrupt) }

// timeKey is t as 8 big-endian bytes of Unix nanoseconds followed by id:
// keys that sort by time, then id.
func timeKey(t time.Time, id string) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())), id...)
}
