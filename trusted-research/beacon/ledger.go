package beacon

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// DefaultQueryLimit is the default number of distinct beacon questions an
// industry partner may ask per project and data release.
const DefaultQueryLimit = 1000

// ErrLimit is wrapped when a partner has asked as many distinct questions
// as allowed on a project and data release. The gateway maps it to 429.
var ErrLimit = errors.New("beacon: query limit reached")

// ErrCorrupt is wrapped when a ledger record cannot be read: the ledger
// fails closed (nothing is answered past a corrupt record).
var ErrCorrupt = errors.New("beacon: corrupt ledger record")

// bucketLedger holds, per partner, project and data release (the scope),
// the number of distinct questions asked and a marker per question:
//
//	'n' scope          → 8-byte big-endian count
//	'q' scope sha256(q) → empty
//
// where scope is three length-prefixed strings (partner, project,
// release). Questions are kept as hashes: the ledger never holds query
// text.
var bucketLedger = []byte("beacon.ledger")

const maxKeyPart = 1024

// Ledger counts industry partners' beacon questions in the TRE database.
// It is safe for concurrent use (bbolt serialises its write transactions).
type Ledger struct {
	db *bbolt.DB
}

// NewLedger uses db (the caller's open tre.db). It does no I/O: the
// bucket is made by the first Spend.
func NewLedger(db *bbolt.DB) *Ledger { return &Ledger{db: db} }

// Spend records that partner asked question (canonical text) on project
// and data release, and returns how many distinct questions the partner
// has now asked there. A question already asked there is not counted
// again. A new question beyond limit is refused with ErrLimit and not
// recorded.
func (l *Ledger) Spend(partner, project, release, question string, limit int) (int, error) {
	scope, err := scopeKey(partner, project, release)
	if err != nil {
		return 0, err
	}
	h := sha256.Sum256([]byte(question))
	qkey := append(append([]byte{'q'}, scope...), h[:]...)
	nkey := append([]byte{'n'}, scope...)
	var n uint64
	err = l.db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketLedger)
		if err != nil {
			return err
		}
		if v := b.Get(nkey); v != nil {
			if len(v) != 8 {
				return fmt.Errorf("%w: count of %d bytes", ErrCorrupt, len(v))
			}
			n = binary.BigEndian.Uint64(v)
		}
		if b.Get(qkey) != nil {
			return nil
		}
		if n >= uint64(limit) {
			return fmt.Errorf("%w: this partner has asked %d of the %d distinct beacon questions allowed on this project and data release; "+
				"questions already asked are still answered, and the next data release has a fresh allowance", ErrLimit, n, limit)
		}
		n++
		if err := b.Put(qkey, []byte{}); err != nil {
			return err
		}
		return b.Put(nkey, binary.BigEndian.AppendUint64(nil, n))
	})
	if err != nil {
		if errors.Is(err, ErrLimit) || errors.Is(err, ErrCorrupt) {
			return int(n), err
		}
		return int(n), fmt.Errorf("beacon: ledger: %w", err)
	}
	return int(n), nil
}

// Asked returns how many distinct questions partner has asked on project
// and data release.
func (l *Ledger) Asked(partner, project, release string) (int, error) {
	scope, err := scopeKey(partner, project, release)
	if err != nil {
		return 0, err
	}
	var n uint64
	err = l.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketLedger)
		if b == nil {
			return nil // nothing asked yet
		}
		if v := b.Get(append([]byte{'n'}, scope...)); v != nil {
			if len(v) != 8 {
				return fmt.Errorf("%w: count of %d bytes", ErrCorrupt, len(v))
			}
			n = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	return int(n), err
}

// scopeKey encodes partner, project and release, each length-prefixed so
// that no two scopes share an encoding.
func scopeKey(parts ...string) ([]byte, error) {
	var k []byte
	for _, p := range parts {
		if p == "" || len(p) > maxKeyPart {
			return nil, fmt.Errorf("%w: ledger key part of %d bytes", ErrInvalid, len(p))
		}
		k = binary.AppendUvarint(k, uint64(len(p)))
		k = append(k, p...)
	}
	return k, nil
}
