package disclosure

import (
	"fmt"
	"math/rand/v2"

	"github.com/RoaringBitmap/roaring/v2"
	"go.etcd.io/bbolt"
)

// Answer is a released answer.
type Answer struct {
	// Table is the answer to a count question (Store.Count).
	Table *Table
	// Payload is the answer to an analysis (Store.Analyse), as its builder
	// encoded it.
	Payload []byte
	// Epsilon is the ε the question cost when it was first asked.
	Epsilon float64
	// Cached is true when the answer came from the cache: nothing was spent
	// by this call.
	Cached bool
	// Spent and Budget are the asking partner's ledger on this project and
	// data release after this call.
	Spent, Budget float64
}

// answerRecord is what the cache keeps for a question: the released answer,
// or the refusal (a refused question is cached as refused, so asking it
// again costs nothing and changes nothing).
type answerRecord struct {
	Table   *Table  `json:"table,omitempty"`
	Payload []byte  `json:"payload,omitempty"`
	Refusal string  `json:"refusal,omitempty"`
	Epsilon float64 `json:"epsilon"`
}

func (r *answerRecord) result(cached bool) (*Answer, error) {
	if r.Refusal != "" {
		return nil, fmt.Errorf("%w: %s", ErrDisclosure, r.Refusal)
	}
	return &Answer{Table: r.Table, Payload: r.Payload, Epsilon: r.Epsilon, Cached: cached}, nil
}

func (p project) cached(key []byte) (*answerRecord, error) {
	ab := p.sub(bucketAnswers)
	if ab == nil {
		return nil, nil
	}
	v := ab.Get(key)
	if v == nil {
		return nil, nil
	}
	var r answerRecord
	if err := unsealJSON(v, &r); err != nil {
		return nil, fmt.Errorf("cached answer: %w", err)
	}
	return &r, nil
}

// Group is one cell of a count table: its label and the people in it.
type Group struct {
	Label  string
	People *roaring.Bitmap
}

// Releaser releases counts under a project's settings and the store's noise
// source, inside the transaction of an analysis (see Store.Analyse).
type Releaser struct {
	Settings Settings
	rng      rand.Source
}

// Release is Settings.Release with the store's noise source.
func (r Releaser) Release(count int64) Cell { return r.Settings.Release(count, r.rng) }

// Split returns a Releaser for an analysis that releases k figures one
// person can all change (e.g. allele counts at k sites over one cohort):
// each gets ε/k, so the k together cost the question's one ε (sequential
// composition). Figures over disjoint groups need no Split (parallel
// composition, as in Table).
func (r Releaser) Split(k int) Releaser {
	if k > 1 {
		r.Settings.Epsilon /= float64(k)
	}
	return r
}

// Table is Settings.Table with the store's noise source.
func (r Releaser) Table(labels []string, counts []int64) (Table, error) {
	return r.Settings.Table(labels, counts, r.rng)
}

// Cached returns the cached answer to q, or nil if q has not been asked. A
// question that was refused returns its refusal again (ErrDisclosure). It
// spends nothing and writes nothing.
func (s *Store) Cached(q Question) (*Answer, error) {
	if err := q.validate(); err != nil {
		return nil, err
	}
	var out *Answer
	var refusal error
	err := s.db.View(func(tx *bbolt.Tx) error {
		p := projectRO(tx, q.Project)
		r, err := p.cached(q.cacheKey())
		if err != nil || r == nil {
			return err
		}
		if out, refusal = r.result(true); refusal != nil {
			return nil
		}
		return s.fillLedger(p, q, out)
	})
	if err != nil {
		return nil, err
	}
	return out, refusal
}

func (s *Store) fillLedger(p project, q Question, a *Answer) error {
	set, err := p.settings(s.defaults)
	if err != nil {
		return err
	}
	m, err := p.spent(ledgerKey(q.Partner, q.Release))
	a.Spent, a.Budget = fromMicro(m), set.Budget
	return err
}

// Count answers a count question: a table with one cell per group (a plain
// count is one group). Groups must be disjoint. In one transaction it
//
//  1. returns the cached answer if the same question was asked before
//     (spending nothing);
//  2. refuses with ErrBudgetExhausted, spending nothing, if the question's
//     ε does not fit the budget;
//  3. runs the differencing guard on every group released with a value
//     (true count above the threshold): if it refuses, the ε is spent, the
//     refusal is cached, and ErrDisclosure is returned;
//  4. otherwise releases the table (Settings.Table), caches it, records the
//     released groups' person sets, and spends the ε.
func (s *Store) Count(q Question, groups []Group) (*Answer, error) {
	if err := q.validate(); err != nil {
		return nil, err
	}
	if q.Names != nil {
		return nil, fmt.Errorf("%w: cohort names are for analyses", ErrInvalid)
	}
	labels, counts, err := groupCounts(groups)
	if err != nil {
		return nil, err
	}
	if a, err := s.Cached(q); a != nil || err != nil {
		return a, err
	}
	return s.answer(q, false,
		func(set Settings) []*roaring.Bitmap {
			var c []*roaring.Bitmap
			for i, g := range groups {
				if counts[i] > set.Threshold {
					c = append(c, g.People)
				}
			}
			return c
		},
		func(r Releaser) (*answerRecord, error) {
			t, err := r.Table(labels, counts)
			return &answerRecord{Table: &t}, err
		})
}

// groupCounts validates a table's groups and returns their labels and true
// counts.
func groupCounts(groups []Group) ([]string, []int64, error) {
	if len(groups) == 0 {
		return nil, nil, fmt.Errorf("%w: a count needs at least one group", ErrInvalid)
	}
	labels := make([]string, len(groups))
	counts := make([]int64, len(groups))
	sets := make([]*roaring.Bitmap, len(groups))
	var sum uint64
	for i, g := range groups {
		if g.People == nil {
			return nil, nil, fmt.Errorf("%w: group %d has no person set", ErrInvalid, i)
		}
		labels[i], sets[i] = g.Label, g.People
		n := g.People.GetCardinality()
		counts[i] = int64(n)
		sum += n
	}
	if len(groups) > 1 && roaring.FastOr(sets...).GetCardinality() != sum {
		return nil, nil, fmt.Errorf("%w: the groups of a table overlap (each person must be in at most one cell)", ErrInvalid)
	}
	return labels, counts, nil
}

// Analyse answers an analysis (freq, case/control …) over the given
// cohorts, in the same one transaction as Count: cache, budget, then the
// rules (every cohort must have more than Threshold people, and pass the
// differencing guard; a refusal spends the ε and is cached), then build is
// called to produce the answer, which is cached with the cohorts recorded and
// the ε spent. build runs inside the write transaction, so it should only
// format and noise results computed beforehand; an error from build rolls
// everything back (nothing spent, nothing cached). The whole analysis costs
// one ε: build must noise figures accordingly (docs/disclosure.md).
func (s *Store) Analyse(q Question, cohorts []*roaring.Bitmap, build func(Releaser) ([]byte, error)) (*Answer, error) {
	if err := q.validate(); err != nil {
		return nil, err
	}
	if len(cohorts) == 0 || build == nil {
		return nil, fmt.Errorf("%w: an analysis needs a cohort and a builder", ErrInvalid)
	}
	for i, c := range cohorts {
		if c == nil {
			return nil, fmt.Errorf("%w: cohort %d is nil", ErrInvalid, i)
		}
	}
	if err := q.validateNames(len(cohorts)); err != nil {
		return nil, err
	}
	if a, err := s.Cached(q); a != nil || err != nil {
		return a, err
	}
	return s.answer(q, true,
		func(Settings) []*roaring.Bitmap { return cohorts },
		func(r Releaser) (*answerRecord, error) {
			b, err := build(r)
			return &answerRecord{Payload: b}, err
		})
}

// answer is the one write transaction behind Count and Analyse.
func (s *Store) answer(q Question, analysis bool, cands func(Settings) []*roaring.Bitmap,
	build func(Releaser) (*answerRecord, error)) (*Answer, error) {
	var out *Answer
	var refusal error
	err := s.db.Update(func(tx *bbolt.Tx) error {
		p, err := projectRW(tx, q.Project)
		if err != nil {
			return err
		}
		key := q.cacheKey()
		if r, err := p.cached(key); err != nil {
			return err
		} else if r != nil { // asked meanwhile by a concurrent call
			if out, refusal = r.result(true); refusal != nil {
				return nil
			}
			return s.fillLedger(p, q, out)
		}
		set, err := p.settings(s.defaults)
		if err != nil {
			return err
		}
		lk := ledgerKey(q.Partner, q.Release)
		spent, err := p.spent(lk)
		if err != nil {
			return err
		}
		total, err := charge(spent, toMicro(set.Epsilon), set)
		if err != nil {
			return err
		}
		sets := cands(set)
		reason, err := s.refuse(p, set, q, sets, analysis)
		if err != nil {
			return err
		}
		rec := &answerRecord{Refusal: reason}
		if reason == "" {
			if rec, err = build(Releaser{Settings: set, rng: s.rng}); err != nil {
				return err
			}
			keys, err := storeSetKeys(p, sets, q.setDigests(len(sets)))
			if err != nil {
				return err
			}
			if err := recordUse(p, q, keys); err != nil {
				return err
			}
		}
		rec.Epsilon = set.Epsilon
		v, err := sealJSON(rec)
		if err != nil {
			return err
		}
		if err := p.b.Bucket(bucketAnswers).Put(key, v); err != nil {
			return err
		}
		if err := p.putSpent(lk, total); err != nil {
			return err
		}
		if out, refusal = rec.result(false); refusal == nil {
			out.Spent, out.Budget = fromMicro(total), set.Budget
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, refusal
}

// refuse applies the disclosure rules to the person sets a question would
// release and returns the refusal message, or "".
func (s *Store) refuse(p project, set Settings, q Question, sets []*roaring.Bitmap, analysis bool) (string, error) {
	if analysis {
		for _, c := range sets {
			if set.CheckCohort(c.GetCardinality()) != nil {
				return msgSmallCohort, nil
			}
		}
	}
	near, err := tooCloseNamed(p, sets, q.setDigests(len(sets)), uint64(set.Threshold), s.sameSetOK)
	if err != nil || !near {
		return "", err
	}
	return msgDifferencing, nil
}
