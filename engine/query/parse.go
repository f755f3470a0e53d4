package query

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gentre/gentre/engine/store"
)

// ErrSyntax is wrapped by every parse error. The message gives the 1-based
// column and what was expected there.
var ErrSyntax = errors.New("query syntax")

// Parse parses the text form of a query (DESIGN.md, "Query language").
func Parse(text string) (*Query, error) {
	p := &parser{s: text}
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, p.errorf("expected end of query, found %q", p.peekWord())
	}
	return q, nil
}

type parser struct {
	s string
	i int
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: column %d: %s", ErrSyntax, p.i+1, fmt.Sprintf(format, args...))
}

func (p *parser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func isWordByte(c byte) bool {
	return c > ' ' && c != '(' && c != ')' && c != 0x7f
}

// peekWord returns the next word without consuming it ("" at the end or
// before a parenthesis).
func (p *parser) peekWord() string {
	p.space()
	j := p.i
	for j < len(p.s) && isWordByte(p.s[j]) {
		j++
	}
	if j == p.i && p.i < len(p.s) {
		return p.s[p.i : p.i+1]
	}
	return p.s[p.i:j]
}

func (p *parser) word() string {
	w := p.peekWord()
	if w != "(" && w != ")" {
		p.i += len(w)
	}
	return w
}

// keyword consumes kw if it is the next word.
func (p *parser) keyword(kw string) bool {
	save := p.i
	p.space()
	j := p.i
	for j < len(p.s) && isIdentByte(p.s[j]) {
		j++
	}
	if p.s[p.i:j] == kw && (j == len(p.s) || !isIdentByte(p.s[j])) {
		p.i = j
		return true
	}
	p.i = save
	return false
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func (p *parser) query() (*Query, error) {
	p.space()
	start := p.i
	switch w := p.word(); w {
	case "count":
		c, err := p.cohort()
		if err != nil {
			return nil, err
		}
		q := &Query{Kind: Count, Cohort: c}
		if p.keyword("by") {
			p.space()
			switch b := p.word(); b {
			case "sex", "age":
				q.By = b
			default:
				p.i -= len(b)
				return nil, p.errorf("expected sex or age after by, found %q", b)
			}
		}
		return q, nil
	case "freq", "coverage":
		q := &Query{Kind: Freq}
		if w == "coverage" {
			q.Kind = Coverage
		}
		r, err := p.region()
		if err != nil {
			return nil, err
		}
		q.Region = r
		if p.keyword("in") {
			if q.Cohort, err = p.cohort(); err != nil {
				return nil, err
			}
		}
		if q.Kind == Freq && p.keyword("vs") {
			if q.Vs, err = p.cohort(); err != nil {
				return nil, err
			}
		}
		return q, nil
	case "carriers":
		v, err := p.variant()
		if err != nil {
			return nil, err
		}
		q := &Query{Kind: Carriers, Variant: v}
		if p.keyword("in") {
			if q.Cohort, err = p.cohort(); err != nil {
				return nil, err
			}
		}
		return q, nil
	default:
		p.i = start
		if w == "" {
			return nil, p.errorf("empty query: expected count, freq, carriers or coverage")
		}
		return nil, p.errorf("expected count, freq, carriers or coverage, found %q", w)
	}
}

// region parses CONTIG or CONTIG:START-END.
func (p *parser) region() (Region, error) {
	p.space()
	at := p.i
	w := p.word()
	if w == "" || w == "(" || w == ")" {
		p.i = at
		return Region{}, p.errorf("expected a region (CONTIG or CONTIG:START-END), found %q", w)
	}
	contig, rng, hasRange := strings.Cut(w, ":")
	if contig == "" {
		p.i = at
		return Region{}, p.errorf("expected a contig name in region %q", w)
	}
	if !hasRange {
		return Region{Contig: contig, Start: 1, End: math.MaxInt64}, nil
	}
	a, b, ok := strings.Cut(strings.ReplaceAll(rng, ",", ""), "-")
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		p.i = at
		return Region{}, p.errorf("expected START-END after %q: in region %q", contig+":", w)
	}
	if start < 1 || end < start {
		p.i = at
		return Region{}, p.errorf("region %q: need 1 <= START <= END (1-based, inclusive)", w)
	}
	return Region{Contig: contig, Start: start, End: end}, nil
}

// variant parses CONTIG:POS:REF:ALT.
func (p *parser) variant() (Variant, error) {
	p.space()
	at := p.i
	w := p.word()
	f := strings.Split(w, ":")
	if len(f) != 4 || f[0] == "" || f[2] == "" || f[3] == "" {
		p.i = at
		return Variant{}, p.errorf("expected a variant CONTIG:POS:REF:ALT, found %q", w)
	}
	pos, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || pos < 1 {
		p.i = at
		return Variant{}, p.errorf("variant %q: POS must be a positive integer", w)
	}
	return Variant{Contig: f[0], Pos: pos, Ref: f[2], Alt: f[3]}, nil
}

// cohort := and ('or' and)*
func (p *parser) cohort() (Cohort, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = Or{l, r}
	}
	return l, nil
}

// and := unary ('and' unary)*
func (p *parser) and() (Cohort, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = And{l, r}
	}
	return l, nil
}

func (p *parser) unary() (Cohort, error) {
	if p.keyword("not") {
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return Not{x}, nil
	}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '(' {
		p.i++
		c, err := p.cohort()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, p.errorf("expected ) to close the group, found %q", p.peekWord())
		}
		p.i++
		return c, nil
	}
	return p.predicate()
}

func (p *parser) predicate() (Cohort, error) {
	p.space()
	at := p.i
	j := p.i
	for j < len(p.s) && isIdentByte(p.s[j]) {
		j++
	}
	name := p.s[p.i:j]
	p.i = j
	if name == "all" {
		return All{}, nil
	}
	switch name {
	case "condition", "observation", "medication", "sex", "age", "carrier", "qc":
	case "":
		return nil, p.errorf("expected a cohort (all, condition(...), sex(...), ..., not, or a parenthesis), found %q", p.peekWord())
	default:
		p.i = at
		return nil, p.errorf("unknown predicate %q: expected all, condition, observation, medication, sex, age, carrier or qc", name)
	}
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != '(' {
		return nil, p.errorf("expected ( after %s", name)
	}
	p.i++
	argAt := p.i
	end := strings.IndexByte(p.s[p.i:], ')')
	if end < 0 {
		return nil, p.errorf("expected ) to close %s(", name)
	}
	arg := strings.TrimSpace(p.s[p.i : p.i+end])
	p.i += end + 1
	bad := func(format string, args ...any) (Cohort, error) {
		p.i = argAt
		return nil, p.errorf("%s(%s): %s", name, arg, fmt.Sprintf(format, args...))
	}
	switch name {
	case "condition":
		code, desc := strings.CutPrefix(arg, "<<")
		code = strings.TrimSpace(code)
		if !isSCTID(code) {
			return bad("expected a SNOMED CT concept id, optionally after <<")
		}
		return Condition{Code: code, Descendants: desc}, nil
	case "observation":
		f := strings.Fields(arg)
		if len(f) == 1 { // allow observation(X>5)
			f = splitOp(arg)
		}
		if len(f) != 3 || !isSCTID(f[0]) {
			return bad("expected SCTID OP NUMBER")
		}
		v, msg := comparison(f[1], f[2])
		if msg != "" {
			return bad("%s", msg)
		}
		return Observation{Code: f[0], Op: f[1], Value: v}, nil
	case "qc":
		f := strings.Fields(arg)
		if len(f) == 1 {
			f = splitOp(arg)
		}
		if len(f) != 3 {
			return bad("expected FIELD OP NUMBER")
		}
		known := false
		for _, k := range store.QCFields {
			known = known || k == f[0]
		}
		if !known {
			return bad("unknown QC field %q: expected one of %s", f[0], strings.Join(store.QCFields, ", "))
		}
		v, msg := comparison(f[1], f[2])
		if msg != "" {
			return bad("%s", msg)
		}
		return QC{Field: f[0], Op: f[1], Value: v}, nil
	case "medication":
		if arg == "" || strings.ContainsAny(arg, " \t") {
			return bad("expected one medication code")
		}
		return Medication{Code: arg}, nil
	case "sex":
		if arg != "female" && arg != "male" {
			return bad("expected female or male")
		}
		return Sex{Value: arg}, nil
	case "age":
		a, b, ok := strings.Cut(arg, "..")
		lo, err1 := strconv.Atoi(strings.TrimSpace(a))
		hi, err2 := strconv.Atoi(strings.TrimSpace(b))
		if !ok || err1 != nil || err2 != nil || lo < 0 || hi < lo || hi > 200 {
			return bad("expected LO..HI with 0 <= LO <= HI <= 200")
		}
		return Age{Lo: lo, Hi: hi}, nil
	default: // carrier
		sub := &parser{s: arg}
		v, err := sub.variant()
		if err != nil || strings.TrimSpace(sub.s[sub.i:]) != "" {
			return bad("expected CONTIG:POS:REF:ALT")
		}
		return Carrier{Variant: v}, nil
	}
}

func isSCTID(s string) bool {
	if len(s) < 6 || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s[0] != '0'
}

func splitOp(s string) []string {
	for _, op := range []string{">=", "<=", ">", "<", "="} {
		if a, b, ok := strings.Cut(s, op); ok {
			return []string{strings.TrimSpace(a), op, strings.TrimSpace(b)}
		}
	}
	return nil
}

// comparison checks the OP NUMBER of an observation or qc predicate and
// returns the number, or what was expected instead.
func comparison(op, num string) (float64, string) {
	switch op {
	case ">", ">=", "<", "<=", "=":
	default:
		return 0, fmt.Sprintf("operator %q: expected one of > >= < <= =", op)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, "expected a number after " + op
	}
	return v, ""
}
