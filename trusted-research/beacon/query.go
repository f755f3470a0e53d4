// Package beacon answers GA4GH Beacon v2 genomic-variation ("g_variants")
// questions over the current data release: does the store hold this
// allele, or which alleles lie in this range?
//
// A beacon answer is about alleles, not people, but a beacon that says
// "yes" to rare alleles lets whoever holds a person's genome test whether
// that person is in the data set (Shringarpure & Bustamante 2015). Two
// rules here blunt that:
//
//   - every allele whose allele count over all samples of the release is
//     HiddenMaxAC (7) or less is reported absent and is not counted, to every
//     role (Lookup);
//   - an industry partner may ask at most a fixed number of distinct
//     questions per project and data release (Ledger); the same question
//     asked again on the same release is not counted again.
//
// docs/api.md ("Beacon") and docs/threat-model.md describe the endpoint
// and the attacks. The package never logs, and its errors name the request
// field at fault, never a value beyond what the caller sent.
package beacon

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// HiddenMaxAC is the largest allele count that is hidden: an allele seen
// HiddenMaxAC times or fewer over all samples is reported absent.
const HiddenMaxAC = 7

// Granularities a client may ask for.
const (
	Boolean = "boolean"
	Count   = "count"
)

// ErrInvalid is wrapped by every validation error (a *FieldError).
var ErrInvalid = errors.New("invalid beacon request")

// FieldError is a request that failed validation: the field (by its Beacon
// v2 name) and why.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Params are a g_variants request as received (GET query parameters or a
// JSON body).
type Params struct {
	ReferenceName  string
	Start          int64  // 0-based
	End            *int64 // 0-based, exclusive; nil for an exact allele query
	ReferenceBases string
	AlternateBases string
	Granularity    string // "", boolean or count
	AssemblyID     string
}

// Limits on request fields.
const (
	maxNameLen  = 64
	maxBasesLen = 1000
	maxPosition = 1<<31 - 1 // VCF/BCF positions are 32-bit
)

// Query is a validated question.
type Query struct {
	// Contig is the reference name as asked (the store may name it with or
	// without "chr"; the gateway resolves it).
	Contig string
	// Start and End are 0-based, End exclusive. An exact query has
	// End = Start + 1 and Range false.
	Start, End int64
	Range      bool
	// Ref and Alt are upper case, over A C G T N (N: any base); empty
	// means any (range queries only).
	Ref, Alt    string
	Granularity string
	// Assembly is the client's assembly, normalised (GRCh37, GRCh38) when
	// recognised; empty when not given.
	Assembly string
}

// Parse validates a request. Without End it is an exact allele query
// (ReferenceBases and AlternateBases required, at Start); with End a range
// query over [Start, End) with optional ReferenceBases and AlternateBases
// filters. Errors are *FieldError.
func Parse(p Params) (*Query, error) {
	q := &Query{Granularity: Boolean}
	name := p.ReferenceName
	switch {
	case name == "":
		return nil, fieldErr("referenceName", "required (a contig, e.g. 22 or chr22)")
	case len(name) > maxNameLen:
		return nil, fieldErr("referenceName", "longer than %d characters", maxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return nil, fieldErr("referenceName", "character %d is not a letter, digit, '.', '_' or '-'", i+1)
		}
	}
	q.Contig = name
	if p.Start < 0 {
		return nil, fieldErr("start", "negative (positions are 0-based: the allele at 1-based position P has start P-1)")
	}
	if p.Start >= maxPosition {
		return nil, fieldErr("start", "beyond the largest position a VCF can hold")
	}
	q.Start = p.Start
	var err error
	if q.Ref, err = bases("referenceBases", p.ReferenceBases); err != nil {
		return nil, err
	}
	if q.Alt, err = bases("alternateBases", p.AlternateBases); err != nil {
		return nil, err
	}
	if p.End == nil {
		switch {
		case q.Ref == "":
			return nil, fieldErr("referenceBases", "required without end (an exact allele query needs REF and ALT; give end for a range query)")
		case q.Alt == "":
			return nil, fieldErr("alternateBases", "required without end (an exact allele query needs REF and ALT; give end for a range query)")
		}
		q.End = q.Start + 1
	} else {
		q.Range = true
		q.End = *p.End
		switch {
		case q.End <= q.Start:
			return nil, fieldErr("end", "not after start (the range is [start, end), 0-based)")
		case q.End > maxPosition:
			return nil, fieldErr("end", "beyond the largest position a VCF can hold")
		}
	}
	switch g := strings.ToLower(p.Granularity); g {
	case "", Boolean:
	case Count:
		q.Granularity = Count
	case "record":
		return nil, fieldErr("requestedGranularity", "record granularity is not offered: want boolean or count")
	default:
		return nil, fieldErr("requestedGranularity", "want boolean or count")
	}
	if q.Assembly, err = parseAssembly(p.AssemblyID); err != nil {
		return nil, err
	}
	return q, nil
}

// bases validates a REF or ALT pattern: A C G T N, either case (returned
// upper case); empty is allowed here.
func bases(field, s string) (string, error) {
	if len(s) > maxBasesLen {
		return "", fieldErr(field, "longer than %d bases", maxBasesLen)
	}
	b := []byte(strings.ToUpper(s))
	for i, c := range b {
		switch c {
		case 'A', 'C', 'G', 'T', 'N':
		default:
			return "", fieldErr(field, "character %d is not one of A C G T N", i+1)
		}
	}
	return string(b), nil
}

// String is the question's canonical form, what the audit log records and
// the query ledger counts, with the contig as asked.
func (q *Query) String() string { return q.Canonical(q.Contig) }

// Canonical is String with the contig named as the store names it, so that
// "22" and "chr22" are the same question. The assembly is left out: it
// does not change an answer (a mismatch is refused).
func (q *Query) Canonical(contig string) string {
	var b strings.Builder
	b.WriteString("g_variants referenceName=")
	b.WriteString(contig)
	b.WriteString(" start=")
	b.WriteString(strconv.FormatInt(q.Start, 10))
	if q.Range {
		b.WriteString(" end=")
		b.WriteString(strconv.FormatInt(q.End, 10))
	}
	if q.Ref != "" {
		b.WriteString(" referenceBases=")
		b.WriteString(q.Ref)
	}
	if q.Alt != "" {
		b.WriteString(" alternateBases=")
		b.WriteString(q.Alt)
	}
	b.WriteString(" requestedGranularity=")
	b.WriteString(q.Granularity)
	return b.String()
}
