package beacon

import (
	"context"
	"errors"
	"fmt"

	"github.com/gentre/gentre/engine/query"
)

// ErrTooMany is wrapped when a range holds more alleles than a lookup may
// examine (the caller's limit): the client is asked for a smaller range.
var ErrTooMany = errors.New("beacon: range too large")

// Variant is one allele found, in Beacon v2 coordinates.
type Variant struct {
	Contig   string // the store's name for the contig
	Start    int64  // 0-based
	Ref, Alt string
}

// Result is the answer to a question.
type Result struct {
	// Contig is the store's name for the contig ("" when the store has no
	// such contig: nothing is found).
	Contig   string
	Variants []Variant // in file order
}

// Exists reports whether anything was found.
func (r *Result) Exists() bool { return len(r.Variants) > 0 }

// Source is what a lookup reads: the query engine of one data release.
type Source interface {
	ResolveContig(contig string) (string, error)
	Alleles(ctx context.Context, contig string, start, end int64, fn func(*query.Allele) error) error
}

// Resolve returns the store's name for the question's contig, or "" when
// the store holds no such contig (with or without "chr").
func Resolve(src Source, q *Query) (string, error) {
	c, err := src.ResolveContig(q.Contig)
	if errors.Is(err, query.ErrNotFound) {
		return "", nil
	}
	return c, err
}

// Lookup answers q from src. contig is Resolve's answer. It examines at
// most maxAlleles alleles (0: no limit) and fails with ErrTooMany beyond.
//
// An allele is found when its site starts in [Start, End) (0-based: the
// VCF position minus 1), its REF and ALT match the question's patterns
// (same length, each base equal or the pattern's N), and its allele count
// over all samples is above HiddenMaxAC. Only sequence alleles (A C G T N)
// are reported: symbolic (<DEL>), breakend, spanning-deletion (*) and
// missing (.) ALTs never are.
func Lookup(ctx context.Context, src Source, q *Query, contig string, maxAlleles int) (*Result, error) {
	res := &Result{Contig: contig}
	if contig == "" {
		return res, nil
	}
	seen := 0
	err := src.Alleles(ctx, contig, q.Start+1, q.End, func(a *query.Allele) error {
		seen++
		if maxAlleles > 0 && seen > maxAlleles {
			return fmt.Errorf("%w: more than %d alleles", ErrTooMany, maxAlleles)
		}
		if a.AC <= HiddenMaxAC || !matches(q.Ref, a.Ref) || !matches(q.Alt, a.Alt) {
			return nil
		}
		res.Variants = append(res.Variants, Variant{Contig: contig, Start: a.Pos - 1, Ref: a.Ref, Alt: a.Alt})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// matches reports whether a stored allele matches a pattern: an empty
// pattern matches any sequence allele; otherwise the lengths agree and each
// pattern base is N or the allele's base (case-insensitive). The allele
// must be a sequence allele (A C G T N) either way.
func matches(pattern, allele string) bool {
	if allele == "" || (pattern != "" && len(pattern) != len(allele)) {
		return false
	}
	for i := 0; i < len(allele); i++ {
		c := upper(allele[i])
		switch c {
		case 'A', 'C', 'G', 'T', 'N':
		default:
			return false
		}
		if pattern != "" && pattern[i] != 'N' && pattern[i] != c {
			return false
		}
	}
	return true
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}
