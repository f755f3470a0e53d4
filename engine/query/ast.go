// Package query is gentre's cohort query language: the parse tree (the same
// tree the gRPC API carries), the text parser, and the executor that runs a
// query against a store.
package query

import (
	"fmt"
	"math"
	"strings"
)

// Kind is the analysis a query asks for.
type Kind int

const (
	Count Kind = iota + 1
	Freq
	Carriers
	Coverage
)

func (k Kind) String() string {
	switch k {
	case Count:
		return "count"
	case Freq:
		return "freq"
	case Carriers:
		return "carriers"
	case Coverage:
		return "coverage"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Query is one parsed query.
type Query struct {
	Kind    Kind
	Cohort  Cohort  // count: the cohort; freq/carriers/coverage: the "in" cohort (nil without "in")
	Vs      Cohort  // freq: the "vs" comparator, or nil
	By      string  // count: "", "sex" or "age"
	Region  Region  // freq, coverage
	Variant Variant // carriers
}

// Region is CONTIG or CONTIG:START-END, 1-based and inclusive.
type Region struct {
	Contig string
	Start  int64 // 1 when the whole contig
	End    int64 // math.MaxInt64 when the whole contig
}

// Whole reports whether the region is a whole contig.
func (r Region) Whole() bool { return r.Start == 1 && r.End == math.MaxInt64 }

func (r Region) String() string {
	if r.Whole() {
		return r.Contig
	}
	return fmt.Sprintf("%s:%d-%d", r.Contig, r.Start, r.End)
}

// Variant is CONTIG:POS:REF:ALT.
type Variant struct {
	Contig   string
	Pos      int64
	Ref, Alt string
}

func (v Variant) String() string { return fmt.Sprintf("%s:%d:%s:%s", v.Contig, v.Pos, v.Ref, v.Alt) }

// Cohort is a set of people, as a tree of predicates.
type Cohort interface {
	fmt.Stringer
	cohort()
}

// All is every person.
type All struct{}

// Condition is condition(SCTID) or, with Descendants, condition(<<SCTID).
type Condition struct {
	Code        string
	Descendants bool
}

// Observation is observation(SCTID OP NUMBER).
type Observation struct {
	Code  string
	Op    string // > >= < <= =
	Value float64
}

// Medication is medication(CODE).
type Medication struct{ Code string }

// Sex is sex(female|male).
type Sex struct{ Value string }

// Age is age(LO..HI), completed years on the as-of date, inclusive.
type Age struct{ Lo, Hi int }

// Carrier is carrier(VARIANT): people with a sample carrying the ALT allele.
type Carrier struct{ Variant Variant }

// QC is qc(FIELD OP NUMBER): people with a sample whose sequencing QC
// (store.QCFields) satisfies the comparison.
type QC struct {
	Field string
	Op    string
	Value float64
}

// And, Or and Not combine cohorts.
type (
	And struct{ L, R Cohort }
	Or  struct{ L, R Cohort }
	Not struct{ X Cohort }
)

func (All) cohort()         {}
func (Condition) cohort()   {}
func (Observation) cohort() {}
func (Medication) cohort()  {}
func (Sex) cohort()         {}
func (Age) cohort()         {}
func (Carrier) cohort()     {}
func (QC) cohort()          {}
func (And) cohort()         {}
func (Or) cohort()          {}
func (Not) cohort()         {}

func (All) String() string { return "all" }
func (c Condition) String() string {
	if c.Descendants {
		return "condition(<<" + c.Code + ")"
	}
	return "condition(" + c.Code + ")"
}
func (o Observation) String() string {
	return fmt.Sprintf("observation(%s %s %s)", o.Code, o.Op, formatNumber(o.Value))
}
func (m Medication) String() string { return "medication(" + m.Code + ")" }
func (s Sex) String() string        { return "sex(" + s.Value + ")" }
func (a Age) String() string        { return fmt.Sprintf("age(%d..%d)", a.Lo, a.Hi) }
func (c Carrier) String() string    { return "carrier(" + c.Variant.String() + ")" }
func (q QC) String() string         { return fmt.Sprintf("qc(%s %s %s)", q.Field, q.Op, formatNumber(q.Value)) }
func (a And) String() string        { return "(" + a.L.String() + " and " + a.R.String() + ")" }
func (o Or) String() string         { return "(" + o.L.String() + " or " + o.R.String() + ")" }
func (n Not) String() string        { return "not " + n.X.String() }

func (q *Query) String() string {
	var b strings.Builder
	b.WriteString(q.Kind.String())
	switch q.Kind {
	case Count:
		b.WriteString(" " + q.Cohort.String())
		if q.By != "" {
			b.WriteString(" by " + q.By)
		}
		return b.String()
	case Freq, Coverage:
		b.WriteString(" " + q.Region.String())
	case Carriers:
		b.WriteString(" " + q.Variant.String())
	}
	if q.Cohort != nil {
		b.WriteString(" in " + q.Cohort.String())
	}
	if q.Vs != nil {
		b.WriteString(" vs " + q.Vs.String())
	}
	return b.String()
}

func formatNumber(v float64) string { return strings.TrimSuffix(fmt.Sprintf("%g", v), ".0") }
