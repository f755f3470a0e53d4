// Package disclosure is the statistical disclosure control of the trusted
// research environment: what may leave, and how often.
//
// It releases counts (suppression of small values, Laplace noise, rounding),
// builds tables whose totals come from the released cells, refuses analyses
// over small cohorts and cohorts that differ from an already released one by
// a few people (the differencing guard), and keeps the privacy-budget ledger
// and the answer cache. Its records live in bbolt, so that spending budget,
// caching the answer and remembering the released person sets happen in one
// transaction.
//
// The package sees only counts, person sets (roaring bitmaps over a person
// numbering that is stable within a project) and opaque keys (partner,
// project, data release, canonical query text). It never logs and its error
// messages never carry a count or a cohort size. docs/disclosure.md
// describes the mechanism, the accounting and the decisions behind them.
package disclosure

import "errors"

var (
	// ErrDisclosure is wrapped by refusals of the disclosure rules: an
	// analysis over too small a cohort, or a cohort too close to one already
	// released in the project. The gateway maps it to 403. The message never
	// reveals a size.
	ErrDisclosure = errors.New("disclosure: refused")

	// ErrBudgetExhausted is wrapped when a question would take a partner's
	// spending on a project and data release past the project's budget. The
	// gateway maps it to 429.
	ErrBudgetExhausted = errors.New("disclosure: privacy budget exhausted")

	// ErrCorrupt is wrapped by errors about a stored record that cannot be
	// read. The store fails closed: nothing is released past a corrupt record.
	ErrCorrupt = errors.New("disclosure: corrupt record")

	// ErrInvalid is wrapped by errors about arguments (empty keys, bad
	// settings, overlapping table cells).
	ErrInvalid = errors.New("disclosure: invalid argument")
)

// Refusal messages. They say what rule refused the question, never a size.
const (
	msgSmallCohort  = "the cohort is smaller than the minimum allowed for an analysis"
	msgDifferencing = "the cohort is too similar to one already released in this project " +
		"(releasing both would let a few people's data be inferred from the difference)"
)
