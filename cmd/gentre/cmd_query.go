package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gentre/gentre/engine/query"
	"github.com/gentre/gentre/engine/store"
)

func runQuery(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("query")
	dir := fs.String("store", "", "store folder")
	project := fs.String("project", "", "project whose pseudonyms carriers uses")
	asOf := fs.String("as-of", "", "date for age(), YYYY-MM-DD (default today)")
	format := fs.String("format", "tsv", "output format: tsv or json")
	threads := fs.Int("threads", 0, "threads (default: all cores)")
	prof := addProfileFlags(fs)
	ops, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := requireStore(*dir); err != nil {
		return err
	}
	if len(ops) != 1 {
		return usageError("expected one QUERY argument (quote it), got %d", len(ops))
	}
	if *format != "tsv" && *format != "json" {
		return usageError("--format must be tsv or json")
	}
	if *asOf != "" {
		if _, err := time.Parse("2006-01-02", *asOf); err != nil {
			return usageError("--as-of %q: expected YYYY-MM-DD", *asOf)
		}
	}
	_ = project
	q, err := query.Parse(ops[0])
	if err != nil {
		return err
	}
	stopProfile, err := prof.start()
	if err != nil {
		return err
	}
	defer stopProfile()
	st, err := store.Open(*dir, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	eng := query.NewEngine(st, *threads)
	bw := bufio.NewWriterSize(stdout, 1<<16)
	switch q.Kind {
	case query.Freq:
		err = runFreq(eng, q, *format, bw)
	default:
		err = fmt.Errorf("%s queries need care records and the cohort engine, which this build does not have yet: %w", q.Kind, query.ErrUnsupported)
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	return stopProfile()
}

var freqColumns = []string{"chrom", "pos", "ref", "alt", "ac", "an", "af", "het", "hom_alt", "missing"}

func runFreq(eng *query.Engine, q *query.Query, format string, w *bufio.Writer) error {
	if _, all := q.Cohort.(query.All); !all || q.Vs != nil {
		return fmt.Errorf("freq with a cohort (in/vs) needs care records and the cohort engine, which this build does not have yet: %w", query.ErrUnsupported)
	}
	contig, err := eng.ResolveContig(q.Region.Contig)
	if err != nil {
		return err
	}
	plan := &query.FreqPlan{Contig: contig, Start: q.Region.Start, End: q.Region.End}
	var emit func(*query.FreqRow) error
	var buf []byte
	switch format {
	case "tsv":
		w.WriteString(strings.Join(freqColumns, "\t") + "\n")
		emit = func(r *query.FreqRow) error {
			buf = appendFreqTSV(buf[:0], r)
			_, err := w.Write(buf)
			return err
		}
	case "json":
		w.WriteString("[")
		first := true
		emit = func(r *query.FreqRow) error {
			if !first {
				w.WriteString(",")
			}
			first = false
			buf = appendFreqJSON(buf[:0], r)
			_, err := w.Write(buf)
			return err
		}
		defer w.WriteString("\n]\n")
	}
	return eng.Freq(context.Background(), plan, emit)
}

func appendFreqTSV(b []byte, r *query.FreqRow) []byte {
	b = append(b, r.Chrom...)
	b = append(b, '\t')
	b = strconv.AppendInt(b, r.Pos, 10)
	b = append(b, '\t')
	b = append(b, r.Ref...)
	b = append(b, '\t')
	b = append(b, r.Alt...)
	return appendCountsTSV(b, r.In)
}

func appendCountsTSV(b []byte, c query.AlleleCounts) []byte {
	for _, v := range []int64{c.AC, c.AN} {
		b = append(b, '\t')
		b = strconv.AppendInt(b, v, 10)
	}
	b = append(b, '\t')
	b = appendAF(b, c.AF())
	for _, v := range []int64{c.Het, c.HomAlt, c.Missing} {
		b = append(b, '\t')
		b = strconv.AppendInt(b, v, 10)
	}
	return append(b, '\n')
}

// appendAF formats an allele frequency with 6 significant digits; NA when
// no allele was called.
func appendAF(b []byte, af float64) []byte {
	if math.IsNaN(af) {
		return append(b, "NA"...)
	}
	return strconv.AppendFloat(b, af, 'g', 6, 64)
}

type freqJSON struct {
	Chrom   string   `json:"chrom"`
	Pos     int64    `json:"pos"`
	Ref     string   `json:"ref"`
	Alt     string   `json:"alt"`
	AC      int64    `json:"ac"`
	AN      int64    `json:"an"`
	AF      *float64 `json:"af"`
	Het     int64    `json:"het"`
	HomAlt  int64    `json:"hom_alt"`
	Missing int64    `json:"missing"`
}

func appendFreqJSON(b []byte, r *query.FreqRow) []byte {
	j := freqJSON{Chrom: r.Chrom, Pos: r.Pos, Ref: r.Ref, Alt: r.Alt, AC: r.In.AC, AN: r.In.AN, Het: r.In.Het, HomAlt: r.In.HomAlt, Missing: r.In.Missing}
	if af := r.In.AF(); !math.IsNaN(af) {
		j.AF = &af
	}
	out, err := json.Marshal(j)
	if err != nil {
		panic(errors.New("freq row not encodable")) // plain struct: cannot happen
	}
	b = append(b, '\n')
	return append(b, out...)
}
