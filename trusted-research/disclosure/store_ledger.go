package disclosure

import (
	"encoding/binary"
	"fmt"
	"math"

	"go.etcd.io/bbolt"

	"github.com/gentre/gentre/trusted-research/internal/sealed"
)

// crc is the CRC-32C of b, as every sealed record uses.
func crc(b []byte) uint32 { return sealed.CRC(b) }

// spent reads a ledger entry: micro-ε spent, 8 bytes big-endian, then a
// CRC-32C of those 8 bytes. A missing entry is 0.
func (p project) spent(key []byte) (uint64, error) {
	lb := p.sub(bucketLedger)
	if lb == nil {
		return 0, nil
	}
	v := lb.Get(key)
	if v == nil {
		return 0, nil
	}
	if len(v) != 12 || binary.BigEndian.Uint32(v[8:]) != crc(v[:8]) {
		return 0, fmt.Errorf("%w: ledger entry", ErrCorrupt)
	}
	return binary.BigEndian.Uint64(v), nil
}

func (p project) putSpent(key []byte, m uint64) error {
	var v [12]byte
	binary.BigEndian.PutUint64(v[:], m)
	binary.BigEndian.PutUint32(v[8:], crc(v[:8]))
	return p.b.Bucket(bucketLedger).Put(key, v[:])
}

// charge checks that cost more micro-ε fits the budget and returns the new
// total; it writes nothing.
func charge(spent, cost uint64, set Settings) (uint64, error) {
	budget := toMicro(set.Budget)
	if spent > budget || cost > budget-spent {
		return 0, fmt.Errorf("%w: this partner has spent ε %g of the %g allowed on this project "+
			"and data release, and a question costs %g; questions already answered are still "+
			"answered from the cache, and the next data release has a fresh budget",
			ErrBudgetExhausted, fromMicro(spent), set.Budget, fromMicro(cost))
	}
	return spent + cost, nil
}

// Spend charges eps to (partner, project, release), atomically: it refuses
// with ErrBudgetExhausted, spending nothing, when the total would pass the
// project's budget. Store.Count and Store.Analyse charge their questions
// themselves (in the transaction that caches the answer); Spend is for other
// releases that draw on the same budget.
func (s *Store) Spend(partner, projectName, release string, eps float64) error {
	if err := (Question{Partner: partner, Project: projectName, Release: release, Query: "-"}).validate(); err != nil {
		return err
	}
	if math.IsNaN(eps) || eps <= 0 || eps > maxBudget {
		return fmt.Errorf("%w: ε to spend must be in (0, %g]", ErrInvalid, float64(maxBudget))
	}
	cost := toMicro(eps)
	if cost == 0 {
		return fmt.Errorf("%w: ε to spend is below the ledger's unit (1e-6)", ErrInvalid)
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		p, err := projectRW(tx, projectName)
		if err != nil {
			return err
		}
		set, err := p.settings(s.defaults)
		if err != nil {
			return err
		}
		key := ledgerKey(partner, release)
		spent, err := p.spent(key)
		if err != nil {
			return err
		}
		total, err := charge(spent, cost, set)
		if err != nil {
			return err
		}
		return p.putSpent(key, total)
	})
}

// Ledger returns what partner has spent on (project, release) and the
// project's budget.
func (s *Store) Ledger(partner, projectName, release string) (spent, budget float64, err error) {
	err = s.db.View(func(tx *bbolt.Tx) error {
		p := projectRO(tx, projectName)
		set, err := p.settings(s.defaults)
		if err != nil {
			return err
		}
		m, err := p.spent(ledgerKey(partner, release))
		spent, budget = fromMicro(m), set.Budget
		return err
	})
	return spent, budget, err
}
