// Package gateway is the trusted research environment's front door: the
// gentre.v1 gRPC service and its REST form (grpc-gateway, JSON), on one
// listener or two, with the OpenAPI document and a health check.
//
// Every API call is authenticated (access.Authenticate: a bearer token,
// 401 without a valid one), checked against the permission matrix
// (access.Allowed: 403 without the right), answered from the current data
// release of the store (exactly for researchers, through disclosure control
// and the privacy budget for industry partners), and recorded in the audit
// log before the answer leaves. docs/api.md is the guide.
//
// The package never logs request content (query text can name codes that
// narrow a cohort) and its error messages carry no identifiers.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"google.golang.org/grpc"

	"github.com/gentre/gentre/pseudonymise"
	"github.com/gentre/gentre/trusted-research/access"
	"github.com/gentre/gentre/trusted-research/airlock"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
	"github.com/gentre/gentre/trusted-research/audit"
	"github.com/gentre/gentre/trusted-research/disclosure"
)

// File and folder names inside the store folder.
const (
	// TREDatabase is the TRE's own records (access and disclosure share it).
	TREDatabase = "tre.db"
	// AuditDir holds the audit log.
	AuditDir = "audit"
	// SecretsDir holds key material (the audit signing key).
	SecretsDir = "secrets"
	// manifestFile is the store's one mutable file: a new data release
	// replaces it (engine/store).
	manifestFile = "MANIFEST"
)

// Defaults of Options.
const (
	DefaultMaxFreqRows   = 100_000
	DefaultMaxQueryBytes = 8 << 10
	DefaultLockTimeout   = 2 * time.Second
)

// Options configure a Gateway. Key is required; the zero value of every
// other field is the production default.
type Options struct {
	// Key is the store's pseudonymisation key (DIR/secrets/pseudonym.key):
	// carriers are re-keyed under key.Derive("project:"+P).
	Key *pseudonymise.Key
	// SecretsDir holds the audit signing key; default DIR/secrets.
	SecretsDir string
	// Workers is each query's parallelism (0: GOMAXPROCS).
	Workers int
	// ChunkCache is the memory kept for decoded genotype chunks between
	// queries, per data release (default 1 GiB; negative turns it off).
	ChunkCache int64
	// MaxFreqRows bounds the rows of one freq answer (default 100,000): a
	// larger region is refused with a message asking for a smaller one.
	MaxFreqRows int
	// MaxIndustryFreqRows bounds the rows of an industry partner's freq
	// answer (default DefaultMaxIndustryFreqRows, 10): the question's one ε
	// is split over every figure released, so each row added makes every
	// figure noisier (docs/disclosure.md, "Freq, case/control and coverage").
	MaxIndustryFreqRows int
	// MaxQueryBytes bounds each query text field (default 8 KiB).
	MaxQueryBytes int
	// MaxBeaconQueries is how many distinct beacon questions an industry
	// partner may ask per project and data release (default 1000,
	// beacon.DefaultQueryLimit); then 429. Researchers are not limited.
	MaxBeaconQueries int
	// AsOf is the date age() is computed on; zero means today (UTC). For
	// tests.
	AsOf time.Time
	// Logf receives operational messages: start-up notes and internal
	// errors, never request content. Default: discard.
	Logf func(format string, args ...any)
	// Access, Disclosure and Audit are passed to those packages (tests set
	// clocks, noise sources and NoSync there).
	Access     access.Options
	Disclosure disclosure.Options
	Audit      audit.Options
	// Airlock is passed to airlock.New: its limits (queries and content
	// bytes a request), clock and noise source.
	Airlock airlock.Options
	// LockTimeout is how long Open waits for tre.db while another process
	// holds it (default 2 s).
	LockTimeout time.Duration
	// NoWarm turns off filling a newly opened release's chunk cache in the
	// background (tests that count reads).
	NoWarm bool
	// MaxAuthFailures is how many failed authentications one client
	// address may make a minute; beyond, its requests get 429 until the
	// minute is over (default DefaultMaxAuthFailures; negative: no limit).
	MaxAuthFailures int
	// Now is the clock of the authentication limit (tests); default
	// time.Now.
	Now func() time.Time
}

// Gateway serves one store. Its methods are safe for concurrent use.
type Gateway struct {
	gentrev1.UnimplementedGentreServer

	dir  string
	opts Options
	db   *bbolt.DB
	acc  *access.Store
	dis  *disclosure.Store
	air  *airlock.Store
	log  *audit.Log

	relMu sync.Mutex
	rel   *release

	grpcHTTP *grpc.Server // gRPC on the REST listener (ServeHTTP)

	authLimit *authLimiter

	warmCtx    context.Context // canceled by Close: stops warming
	warmCancel context.CancelFunc
	warmStop   context.CancelFunc // stops the current release's warming (relMu)
	warmWG     sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// Open opens the store in dir for serving: its current data release
// (read-only; a new release is picked up by the next request after it is
// committed), the TRE database DIR/tre.db (which this process then holds
// locked: while it serves, projects and tokens are made through its API,
// POST /v1/projects and POST /v1/tokens), and the audit log in
// DIR/audit, created with its signing key in DIR/secrets when the store
// has none yet.
func Open(dir string, o *Options) (*Gateway, error) {
	var opts Options
	if o != nil {
		opts = *o
	}
	if opts.Key == nil {
		return nil, errors.New("gateway: no pseudonymisation key (Options.Key)")
	}
	if opts.SecretsDir == "" {
		opts.SecretsDir = filepath.Join(dir, SecretsDir)
	}
	if opts.MaxFreqRows <= 0 {
		opts.MaxFreqRows = DefaultMaxFreqRows
	}
	if opts.MaxQueryBytes <= 0 {
		opts.MaxQueryBytes = DefaultMaxQueryBytes
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.MaxAuthFailures == 0 {
		opts.MaxAuthFailures = DefaultMaxAuthFailures
	}
	g := &Gateway{dir: dir, opts: opts, authLimit: newAuthLimiter(opts.MaxAuthFailures, opts.Now)}
	g.warmCtx, g.warmCancel = context.WithCancel(context.Background())
	if _, err := g.current(); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			g.Close()
		}
	}()
	db, err := bbolt.Open(filepath.Join(dir, TREDatabase), 0o600, &bbolt.Options{Timeout: opts.LockTimeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("gateway: %s is in use by another gentre process (is gentre serve already running, or a token being created?)", TREDatabase)
		}
		return nil, fmt.Errorf("gateway: opening %s: %w", TREDatabase, err)
	}
	g.db = db
	if g.acc, err = access.OpenDB(db, opts.Access); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	if g.dis, err = disclosure.New(db, &opts.Disclosure); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	if g.air, err = airlock.New(db, &opts.Airlock); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	if err := g.openAudit(); err != nil {
		return nil, err
	}
	g.grpcHTTP = g.newGRPCServer()
	ok = true
	return g, nil
}

// openAudit opens the audit log, creating it if the store has none.
func (g *Gateway) openAudit() error {
	adir := filepath.Join(g.dir, AuditDir)
	if _, err := os.Stat(filepath.Join(adir, audit.PublicKeyFile)); errors.Is(err, os.ErrNotExist) {
		if err := audit.Init(adir, g.opts.SecretsDir); err != nil {
			return fmt.Errorf("gateway: creating the audit log: %w", err)
		}
		g.opts.Logf("no audit log in the store: created %s", adir)
	}
	l, err := audit.Open(adir, g.opts.SecretsDir, &g.opts.Audit)
	if err != nil {
		return fmt.Errorf("gateway: opening the audit log: %w", err)
	}
	if r := l.Recovery(); r.TornEntryBytes > 0 || r.TornCheckpointBytes > 0 || r.Sealed > 0 {
		g.opts.Logf("audit log recovered after a crash: %d torn entry bytes, %d torn checkpoint bytes cut; %d entries sealed",
			r.TornEntryBytes, r.TornCheckpointBytes, r.Sealed)
	}
	g.log = l
	return nil
}

// Close closes the audit log (appending a final checkpoint) and the TRE
// database. Stop serving first (Serve returns after a graceful shutdown).
func (g *Gateway) Close() error {
	g.closeOnce.Do(func() {
		g.warmCancel()
		g.warmWG.Wait()
		var errs []error
		if g.grpcHTTP != nil {
			g.grpcHTTP.Stop()
		}
		if g.log != nil {
			errs = append(errs, g.log.Close())
		}
		if g.db != nil {
			errs = append(errs, g.db.Close())
		}
		g.closeErr = errors.Join(errs...)
	})
	return g.closeErr
}

// Access returns the gateway's access store (it holds tre.db: creating
// projects and tokens while serving goes through it).
func (g *Gateway) Access() *access.Store { return g.acc }

// AuditLog returns the open audit log.
func (g *Gateway) AuditLog() *audit.Log { return g.log }

// narrow converts a count to int32 for the API (JSON numbers), failing
// rather than wrapping.
func narrow(v int64, ok *bool) int32 {
	if v < 0 || v > math.MaxInt32 {
		*ok = false
		return math.MaxInt32
	}
	return int32(v)
}
