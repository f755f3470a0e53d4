package airlock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gentre/gentre/trusted-research/disclosure"
)

// Format is how an output is rendered.
type Format string

// The formats.
const (
	TSV  Format = "tsv"
	JSON Format = "json"
)

// ParseFormat parses "tsv" or "json"; "" is tsv.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case "":
		return TSV, nil
	case TSV, JSON:
		return f, nil
	}
	return "", fmt.Errorf("%w format %q: want \"tsv\" or \"json\"", ErrInvalid, s)
}

// MediaType is the format's media type.
func (f Format) MediaType() string {
	if f == JSON {
		return "application/json"
	}
	return "text/tab-separated-values"
}

// Kind says what a Value holds.
type Kind uint8

// The kinds of value.
const (
	KindText       Kind = iota + 1 // a label: chrom, ref, a group name
	KindInt                        // an exact integer that is not a count of anything (a position)
	KindReal                       // a derived figure (a frequency, a statistic, a mean depth)
	KindNA                         // undefined (no allele called, a suppressed input)
	KindCount                      // a released count: suppressed, 0, or rounded and noised
	KindSuppressed                 // a count whose true value is 1..threshold: no number
)

// Value is one cell of an output table. Counts come only from a Releaser,
// so a true count never reaches the output.
type Value struct {
	Kind Kind    `json:"k"`
	Text string  `json:"s,omitempty"`
	Int  int64   `json:"i,omitempty"`
	Real float64 `json:"f,omitempty"`
}

// Text is a label.
func Text(s string) Value { return Value{Kind: KindText, Text: s} }

// Int is an exact integer that is not a count (a position).
func Int(n int64) Value { return Value{Kind: KindInt, Int: n} }

// Real is a derived figure; NaN and ±Inf are NA.
func Real(f float64) Value {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return NA()
	}
	return Value{Kind: KindReal, Real: f}
}

// NA is an undefined value.
func NA() Value { return Value{Kind: KindNA} }

// Suppressed reports whether v is a suppressed count.
func (v Value) Suppressed() bool { return v.Kind == KindSuppressed }

// Count returns a released count's number and whether it has one.
func (v Value) Count() (int64, bool) { return v.Int, v.Kind == KindCount }

func cellValue(c disclosure.Cell) Value {
	if c.Suppressed {
		return Value{Kind: KindSuppressed}
	}
	return Value{Kind: KindCount, Int: c.Count}
}

// Releaser releases counts under a project's disclosure settings with the
// store's noise source: a true 0 is 0, 1..Threshold is suppressed, anything
// larger is rounded to RoundTo after Laplace(1/Epsilon) noise
// (disclosure.Settings.Release and .Table).
type Releaser struct {
	Settings disclosure.Settings
	s        *Store
}

// Releaser returns a releaser under the settings set.
func (s *Store) Releaser(set disclosure.Settings) Releaser {
	return Releaser{Settings: set, s: s}
}

// Count releases one count.
func (r Releaser) Count(n int64) Value {
	r.s.randMu.Lock()
	defer r.s.randMu.Unlock()
	return cellValue(r.Settings.Release(n, r.s.opts.Rand))
}

// Table releases the disjoint cells of a table (count by sex or age), one
// value a cell, in order.
func (r Releaser) Table(labels []string, counts []int64) ([]Value, error) {
	r.s.randMu.Lock()
	t, err := r.Settings.Table(labels, counts, r.s.opts.Rand)
	r.s.randMu.Unlock()
	if err != nil {
		return nil, err
	}
	out := make([]Value, len(t.Cells))
	for i, c := range t.Cells {
		out[i] = cellValue(c)
	}
	return out, nil
}

// Section is one query's part of an output: its canonical text, column
// names and rows (each as long as Columns).
type Section struct {
	Query   string    `json:"query"`
	Columns []string  `json:"columns"`
	Rows    [][]Value `json:"rows"`
}

// Meta is what an output says about itself.
type Meta struct {
	Project  string
	Release  string
	Settings disclosure.Settings
}

// Render writes the sections in format f.
//
// TSV: comment lines ("# ") naming the project, data release and
// disclosure control, then per section a "# query<TAB>TEXT" line, the
// header line and the rows, sections separated by a blank line. A
// suppressed count is the word "suppressed", an undefined figure "NA".
//
// JSON: {"project", "release", "disclosure": {"epsilon", "threshold",
// "round_to"}, "sections": [{"query", "columns", "rows": [{column: value,
// ...}]}]}, keys in column order; a suppressed count's key is absent and
// the row lists it under "suppressed"; an undefined figure is null.
func Render(f Format, m Meta, sections []Section) ([]byte, error) {
	for i, s := range sections {
		for j, row := range s.Rows {
			if len(row) != len(s.Columns) {
				return nil, fmt.Errorf("%w: section %d row %d has %d values for %d columns", ErrInvalid, i, j, len(row), len(s.Columns))
			}
			for _, v := range row {
				if v.Kind < KindText || v.Kind > KindSuppressed {
					return nil, fmt.Errorf("%w: section %d row %d: a value of no kind", ErrInvalid, i, j)
				}
			}
		}
	}
	switch f {
	case TSV:
		return renderTSV(m, sections)
	case JSON:
		return renderJSON(m, sections)
	}
	return nil, fmt.Errorf("%w format %q", ErrInvalid, f)
}

// oneLine keeps a text value from breaking the TSV layout (labels and
// allele strings never hold tabs or newlines; this is defence in depth).
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

func renderTSV(m Meta, sections []Section) ([]byte, error) {
	var b bytes.Buffer
	set := m.Settings
	fmt.Fprintf(&b, "# gentre airlock output\n# project\t%s\n# release\t%s\n", oneLine(m.Project), oneLine(m.Release))
	fmt.Fprintf(&b, "# disclosure\tcounts 1-%d suppressed; other counts rounded to %d after Laplace noise (epsilon %g); a true 0 is 0\n",
		set.Threshold, set.RoundTo, set.Epsilon)
	for _, s := range sections {
		fmt.Fprintf(&b, "\n# query\t%s\n%s\n", oneLine(s.Query), strings.Join(s.Columns, "\t"))
		for _, row := range s.Rows {
			for j, v := range row {
				if j > 0 {
					b.WriteByte('\t')
				}
				b.WriteString(tsvValue(v))
			}
			b.WriteByte('\n')
		}
	}
	return b.Bytes(), nil
}

func tsvValue(v Value) string {
	switch v.Kind {
	case KindText:
		return oneLine(v.Text)
	case KindInt, KindCount:
		return strconv.FormatInt(v.Int, 10)
	case KindReal:
		return strconv.FormatFloat(v.Real, 'g', 6, 64)
	case KindSuppressed:
		return "suppressed"
	}
	return "NA"
}

func renderJSON(m Meta, sections []Section) ([]byte, error) {
	var b bytes.Buffer
	str := func(s string) {
		j, _ := json.Marshal(s) // a string always marshals
		b.Write(j)
	}
	b.WriteString(`{"project":`)
	str(m.Project)
	b.WriteString(`,"release":`)
	str(m.Release)
	fmt.Fprintf(&b, `,"disclosure":{"epsilon":%s,"threshold":%d,"round_to":%d},"sections":[`,
		strconv.FormatFloat(m.Settings.Epsilon, 'g', -1, 64), m.Settings.Threshold, m.Settings.RoundTo)
	for i, s := range sections {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n{\"query\":")
		str(s.Query)
		cols, _ := json.Marshal(s.Columns)
		b.WriteString(`,"columns":`)
		b.Write(cols)
		b.WriteString(`,"rows":[`)
		for j, row := range s.Rows {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n{")
			var suppressed []string
			first := true
			for k, v := range row {
				if v.Kind == KindSuppressed {
					suppressed = append(suppressed, s.Columns[k])
					continue
				}
				if !first {
					b.WriteByte(',')
				}
				first = false
				str(s.Columns[k])
				b.WriteByte(':')
				b.WriteString(jsonValue(v))
			}
			if len(suppressed) > 0 {
				if !first {
					b.WriteByte(',')
				}
				sj, _ := json.Marshal(suppressed)
				b.WriteString(`"suppressed":`)
				b.Write(sj)
			}
			b.WriteByte('}')
		}
		b.WriteString("]}")
	}
	b.WriteString("\n]}\n")
	if !json.Valid(b.Bytes()) {
		return nil, fmt.Errorf("airlock: rendered JSON is not valid")
	}
	return b.Bytes(), nil
}

func jsonValue(v Value) string {
	switch v.Kind {
	case KindText:
		j, _ := json.Marshal(v.Text)
		return string(j)
	case KindInt, KindCount:
		return strconv.FormatInt(v.Int, 10)
	case KindReal:
		return strconv.FormatFloat(v.Real, 'g', -1, 64)
	}
	return "null"
}
