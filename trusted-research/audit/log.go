package audit

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Log. The zero value is the default.
type Options struct {
	// CheckpointEvery: after a commit leaves at least this many entries
	// not covered by a checkpoint, a signed checkpoint is appended before
	// the commit's Appends return. Default 1: every Append returns only once
	// its entry is covered by a durable, signed checkpoint. With N > 1 an
	// Append returns once its entry is durable, and up to N-1 acknowledged
	// entries are protected by their CRC alone until the next checkpoint.
	CheckpointEvery int
	// NoSync skips every fsync. For tests and bulk-load benchmarks only: a
	// crash may then lose acknowledged entries and checkpoints.
	NoSync bool
	// StrictOpen makes Open refuse (ErrUncovered) a log with complete
	// entries after its last checkpoint, instead of sealing them with a
	// recovery checkpoint. Torn (incomplete) records are truncated either
	// way: they were never acknowledged.
	StrictOpen bool
	// Now is the clock for entry and checkpoint times. Default time.Now.
	Now func() time.Time
}

// EnsureDefaults fills in zero fields and returns o.
func (o *Options) EnsureDefaults() *Options {
	if o.CheckpointEvery == 0 {
		o.CheckpointEvery = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Validate reports options that cannot work.
func (o *Options) Validate() error {
	if o.CheckpointEvery < 1 {
		return fmt.Errorf("%w: CheckpointEvery %d, want >= 1", ErrInvalid, o.CheckpointEvery)
	}
	return nil
}

// Recovery is what Open repaired after a crash. It says how much, never
// what: the gateway may log it.
type Recovery struct {
	// TornEntryBytes and TornCheckpointBytes were cut from the end of the
	// entries and checkpoints files: an incomplete record a crash left
	// behind, never acknowledged and never covered by a checkpoint.
	TornEntryBytes, TornCheckpointBytes int64
	// Sealed entries were complete but after the last checkpoint; Open
	// covered them with a checkpoint whose Recovered field says so.
	Sealed uint64
}

// Log is an open audit log. Append, the proofs and the accessors are safe
// for concurrent use; only one Log (across processes) may have a log open.
type Log struct {
	dir  string
	opts Options
	key  ed25519.PrivateKey
	ef   *os.File // entries, O_APPEND, holds the flock
	cf   *os.File // checkpoints, O_APPEND
	t    *tree

	mu         sync.Mutex
	cond       sync.Cond
	next       uint64 // next sequence number to hand out
	acked      uint64 // entries [0, acked) are written (and covered if CheckpointEvery is 1)
	pending    []byte // framed entries [acked+in flight, next), not yet written
	spare      []byte // the previous batch's buffer, for reuse
	committing bool   // a leader is writing a batch
	closing    bool
	err        error // sticky: ErrBroken... or ErrClosed

	// Writer state: owned by the committing leader, or by Open/Close.
	end       int64 // entries file size
	uncovered uint64
	lastHash  [32]byte
	last      atomic.Pointer[Checkpoint]

	recovery Recovery
}

// Open opens the audit log in dir with the signing key in secretsDir,
// takes the log's lock (ErrLocked if another Log holds it), rebuilds the
// tree by reading every entry once, and repairs what a crash can leave
// (see docs/audit.md): a torn final record is truncated; complete entries
// after the last checkpoint are sealed with a recovery checkpoint (or
// refused, with Options.StrictOpen). A log whose covered part does not match
// its last checkpoint is refused with ErrCorrupt, and nothing is changed.
func Open(dir, secretsDir string, opts *Options) (*Log, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	o.EnsureDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	key, err := readPrivateKey(secretsDir)
	if err != nil {
		return nil, err
	}
	pub, err := ReadPublicKey(dir)
	if err != nil {
		return nil, err
	}
	if !pub.Equal(key.Public()) {
		return nil, fmt.Errorf("%w: %s does not match %s", ErrInvalid, PrivateKeyFile, PublicKeyFile)
	}
	ef, err := os.OpenFile(filepath.Join(dir, EntriesFile), os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	// A few tries: Verify probes the lock for a moment to learn whether the
	// log is open.
	for try := 0; ; try++ {
		err := lockFile(ef, true)
		if err == nil {
			break
		}
		if errors.Is(err, errWouldBlock) && try < 5 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		ef.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("audit: lock: %w", err)
	}
	cf, err := os.OpenFile(filepath.Join(dir, CheckpointsFile), os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		ef.Close()
		return nil, fmt.Errorf("audit: %w", err)
	}
	l := &Log{dir: dir, opts: o, key: key, ef: ef, cf: cf, t: newTree(ef)}
	l.cond.L = &l.mu
	if err := l.recover(pub); err != nil {
		cf.Close()
		ef.Close() // releases the lock
		return nil, err
	}
	return l, nil
}

// Close commits what is pending, appends a checkpoint if any entry is not
// yet covered by one, and releases the lock. Appends after Close fail with
// ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.committing {
		l.cond.Wait()
	}
	if l.closing {
		return ErrClosed
	}
	l.closing = true
	if l.err == nil && len(l.pending) > 0 {
		l.commitLocked()
	}
	err := l.err
	if err == nil && l.uncovered > 0 {
		if err = l.writeCheckpoint(0); err != nil {
			err = fmt.Errorf("%w: %v", ErrBroken, err)
		}
	}
	l.err = ErrClosed
	l.cond.Broadcast()
	if cerr := l.cf.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("audit: %w", cerr)
	}
	if cerr := l.ef.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("audit: %w", cerr)
	}
	return err
}

// Checkpoint returns the latest checkpoint (written or found at Open).
func (l *Log) Checkpoint() Checkpoint { return *l.last.Load() }

// Size returns the number of entries in the tree: written, and available
// to proofs.
func (l *Log) Size() uint64 {
	l.t.mu.RLock()
	defer l.t.mu.RUnlock()
	return l.t.size()
}

// Recovery reports what Open repaired.
func (l *Log) Recovery() Recovery { return l.recovery }

// Dir returns the audit folder.
func (l *Log) Dir() string { return l.dir }
