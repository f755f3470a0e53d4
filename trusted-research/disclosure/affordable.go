package disclosure

import "go.etcd.io/bbolt"

// Affordable reports, reading only, whether a new question q would fit its
// partner's budget: nil if it would (or if q is already cached: asking it
// again costs nothing), else the ErrBudgetExhausted error Count and Analyse
// would return. It lets a caller skip computing an answer that could not be
// released; Count and Analyse still check the budget themselves, in their
// transaction.
func (s *Store) Affordable(q Question) error {
	if err := q.validate(); err != nil {
		return err
	}
	return s.db.View(func(tx *bbolt.Tx) error {
		p := projectRO(tx, q.Project)
		if r, err := p.cached(q.cacheKey()); err != nil || r != nil {
			return err
		}
		set, err := p.settings(s.defaults)
		if err != nil {
			return err
		}
		spent, err := p.spent(ledgerKey(q.Partner, q.Release))
		if err != nil {
			return err
		}
		_, err = charge(spent, toMicro(set.Epsilon), set)
		return err
	})
}
