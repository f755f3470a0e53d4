package disclosure

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"time"

	"go.etcd.io/bbolt"

	"github.com/gentre/gentre/trusted-research/internal/sealed"
)

// formatMagic is the value of the "format" key of the top-level bucket: the
// layout's name and version (docs/disclosure.md, "On disk").
const formatMagic = "gentre-disclosure 1"

// Bucket and key names (docs/disclosure.md, "On disk").
var (
	bucketTop      = []byte("disclosure")
	keyFormat      = []byte("format")
	bucketProjects = []byte("projects")
	keySettings    = []byte("settings")
	bucketLedger   = []byte("ledger")
	bucketAnswers  = []byte("answers")
	bucketSets     = []byte("sets")
	bucketBitmaps  = []byte("bitmaps")
)

const maxKeyLen = 1024 // partner, project and release names

// Options configure a Store. The zero value is the production setting.
type Options struct {
	// Rand is the noise source. Default CryptoSource; a seeded source only
	// in tests.
	Rand rand.Source
	// Defaults are the settings of a project that has none stored; zero
	// fields take the package defaults (DefaultSettings).
	Defaults Settings
	// OpenTimeout bounds the wait for the database file's lock in Open.
	// Default 1s.
	OpenTimeout time.Duration
}

// EnsureDefaults fills zero fields with their documented defaults.
func (o *Options) EnsureDefaults() {
	if o.Rand == nil {
		o.Rand = CryptoSource
	}
	o.Defaults.EnsureDefaults()
	if o.OpenTimeout == 0 {
		o.OpenTimeout = time.Second
	}
}

// Validate reports options out of range (after EnsureDefaults).
func (o *Options) Validate() error {
	if err := o.Defaults.Validate(); err != nil {
		return fmt.Errorf("default settings: %w", err)
	}
	if o.OpenTimeout < 0 {
		return fmt.Errorf("%w: negative open timeout", ErrInvalid)
	}
	return nil
}

// Store holds the disclosure records of the TRE: per project its settings,
// the budget ledger, the answer cache and the person sets of every released
// answer. It is safe for concurrent use: bbolt serialises the write
// transactions in which budget is spent.
type Store struct {
	db       *bbolt.DB
	own      bool
	rng      rand.Source
	defaults Settings
	// sameSetOK, set only by tests, weakens the differencing guard to
	// DESIGN.md's literal rule (refuse 1..t, let identical sets through) to
	// show the attack it opens (attack_test.go).
	sameSetOK bool
}

// Open opens (creating it if needed) a bbolt file of its own at path.
func Open(path string, o *Options) (*Store, error) {
	opts := Options{}
	if o != nil {
		opts = *o
	}
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: opts.OpenTimeout})
	if err != nil {
		return nil, fmt.Errorf("disclosure: open: %w", err)
	}
	s, err := New(db, &opts)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	s.own = true
	return s, nil
}

// New uses an already open bbolt database (e.g. the TRE's one, shared with
// the access records); everything of this package lives under its
// top-level bucket "disclosure". Close does not close db.
func New(db *bbolt.DB, o *Options) (*Store, error) {
	opts := Options{}
	if o != nil {
		opts = *o
	}
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	err := db.Update(func(tx *bbolt.Tx) error {
		_, err := sealed.Top(tx, bucketTop, keyFormat, formatMagic, ErrCorrupt, bucketProjects)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("disclosure: init: %w", err)
	}
	return &Store{db: db, rng: opts.Rand, defaults: opts.Defaults}, nil
}

// Close closes the database if Open opened it.
func (s *Store) Close() error {
	if s.own {
		return s.db.Close()
	}
	return nil
}

// Question identifies a question for the cache and the ledger.
type Question struct {
	Partner string // who asks: the holder of the budget
	Project string
	Release string // the data release (committed store state) asked about
	// Query is the canonical query text: two questions with the same text
	// on the same release, project and partner are the same question and get
	// the same cached answer.
	Query string
	// Names, for an analysis (Store.Analyse) only, names each of its cohorts,
	// in order, by a canonical text that denotes exactly that person set on
	// Release (the gateway uses the cohort's canonical count query, "count
	// COHORT"). The differencing guard then lets a cohort identical to a
	// released set through when that set was released under the same name,
	// rather than under the same whole query text: one cohort can be
	// analysed over several regions, and after being counted. Nil: every set
	// is named by Query (docs/disclosure.md, "The differencing guard").
	Names []string
}

func (q Question) validate() error {
	for _, f := range [...]struct{ name, v string }{{"partner", q.Partner}, {"project", q.Project}, {"release", q.Release}} {
		if f.v == "" || len(f.v) > maxKeyLen {
			return fmt.Errorf("%w: %s name must be 1..%d bytes", ErrInvalid, f.name, maxKeyLen)
		}
	}
	if q.Query == "" {
		return fmt.Errorf("%w: empty query", ErrInvalid)
	}
	return nil
}

func ledgerKey(partner, release string) []byte {
	return sealed.AppendLP(sealed.AppendLP(nil, partner), release)
}

// cacheKey is SHA-256 of (partner, release, query), length-prefixed; the
// project is the enclosing bucket.
func (q Question) cacheKey() []byte {
	h := sha256.Sum256(sealed.AppendLP(sealed.AppendLP(sealed.AppendLP(nil, q.Partner), q.Release), q.Query))
	return h[:]
}

// queryDigest identifies the query text alone (for the differencing guard's
// "same question, same people" case).
func (q Question) queryDigest() [32]byte { return sha256.Sum256([]byte(q.Query)) }

// setDigests identifies the name of each of n person sets a question
// releases (for the differencing guard): Names when given, else the query
// text for every set.
func (q Question) setDigests(n int) [][32]byte {
	out := make([][32]byte, n)
	for i := range out {
		if q.Names != nil {
			out[i] = sha256.Sum256([]byte(q.Names[i]))
		} else {
			out[i] = q.queryDigest()
		}
	}
	return out
}

// validateNames checks Names against the n cohorts of an analysis.
func (q Question) validateNames(n int) error {
	if q.Names == nil {
		return nil
	}
	if len(q.Names) != n {
		return fmt.Errorf("%w: %d cohort names for %d cohorts", ErrInvalid, len(q.Names), n)
	}
	for i, name := range q.Names {
		if name == "" {
			return fmt.Errorf("%w: cohort %d has an empty name", ErrInvalid, i)
		}
	}
	return nil
}

// project is a view of one project's buckets within a transaction. On a
// read-only transaction for a project never written, b is nil and every
// lookup finds nothing.
type project struct {
	b *bbolt.Bucket
}

func projectRO(tx *bbolt.Tx, name string) project {
	return project{b: tx.Bucket(bucketTop).Bucket(bucketProjects).Bucket([]byte(name))}
}

func projectRW(tx *bbolt.Tx, name string) (project, error) {
	pb, err := tx.Bucket(bucketTop).Bucket(bucketProjects).CreateBucketIfNotExists([]byte(name))
	if err != nil {
		return project{}, err
	}
	for _, n := range [][]byte{bucketLedger, bucketAnswers, bucketSets, bucketBitmaps} {
		if _, err := pb.CreateBucketIfNotExists(n); err != nil {
			return project{}, err
		}
	}
	return project{b: pb}, nil
}

func (p project) sub(name []byte) *bbolt.Bucket {
	if p.b == nil {
		return nil
	}
	return p.b.Bucket(name)
}

// settings returns the project's stored settings, or def.
func (p project) settings(def Settings) (Settings, error) {
	if p.b == nil {
		return def, nil
	}
	v := p.b.Get(keySettings)
	if v == nil {
		return def, nil
	}
	var s Settings
	if err := unsealJSON(v, &s); err != nil {
		return Settings{}, fmt.Errorf("settings: %w", err)
	}
	s.EnsureDefaults()
	if err := s.Validate(); err != nil {
		return Settings{}, fmt.Errorf("%w: settings: %v", ErrCorrupt, err)
	}
	return s, nil
}

// Settings returns a project's settings (the defaults if none are stored).
func (s *Store) Settings(projectName string) (Settings, error) {
	var set Settings
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		set, err = projectRO(tx, projectName).settings(s.defaults)
		return err
	})
	return set, err
}

// SetSettings stores a project's settings; zero fields take the store's
// defaults. They apply to questions asked from then on; the ledger keeps
// what was spent.
func (s *Store) SetSettings(projectName string, set Settings) error {
	if projectName == "" || len(projectName) > maxKeyLen {
		return fmt.Errorf("%w: project name must be 1..%d bytes", ErrInvalid, maxKeyLen)
	}
	def := s.defaults
	if set.Epsilon == 0 {
		set.Epsilon = def.Epsilon
	}
	if set.Budget == 0 {
		set.Budget = def.Budget
	}
	if set.Threshold == 0 {
		set.Threshold = def.Threshold
	}
	if set.RoundTo == 0 {
		set.RoundTo = def.RoundTo
	}
	if err := set.Validate(); err != nil {
		return err
	}
	v, err := sealJSON(set)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		p, err := projectRW(tx, projectName)
		if err != nil {
			return err
		}
		return p.b.Put(keySettings, v)
	})
}

// sealJSON encodes v as JSON behind a CRC-32C of the JSON bytes.
func sealJSON(v any) ([]byte, error) { return sealed.JSON(v) }

// unsealJSON checks and decodes what sealJSON wrote.
func unsealJSON(b []byte, v any) error { return sealed.UnJSON(b, v, ErrCorrupt) }
