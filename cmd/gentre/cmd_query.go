package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gentre/gentre/engine/query"
	"github.com/gentre/gentre/engine/store"
	"github.com/gentre/gentre/pseudonymise"
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
	var asOfDate time.Time
	if *asOf != "" {
		if asOfDate, err = time.Parse("2006-01-02", *asOf); err != nil {
			return usageError("--as-of %q: expected YYYY-MM-DD", *asOf)
		}
	}
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
	if !asOfDate.IsZero() {
		eng.SetAsOf(asOfDate)
	}
	bw := bufio.NewWriterSize(stdout, 1<<16)
	ctx := context.Background()
	switch q.Kind {
	case query.Freq:
		err = runFreq(ctx, eng, q, *format, bw)
	case query.Count:
		err = runCount(ctx, eng, q, *format, bw)
	case query.Carriers:
		err = runCarriers(ctx, eng, q, *dir, *project, *format, bw)
	case query.Coverage:
		err = runCoverage(ctx, eng, q, *format, bw)
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

// freqVsColumns follow freqColumns when the query has a comparator.
var freqVsColumns = []string{"ac_vs", "an_vs", "af_vs", "het_vs", "hom_alt_vs", "missing_vs", "odds_ratio", "fisher_p", "chisq_p"}

func runFreq(ctx context.Context, eng *query.Engine, q *query.Query, format string, w *bufio.Writer) error {
	plan, _, _, err := eng.FreqPlanFor(ctx, q)
	if err != nil {
		return err
	}
	cols := freqColumns
	if plan.HasVs {
		cols = append(append([]string(nil), freqColumns...), freqVsColumns...)
	}
	covered := plan.HasCovered()
	if covered {
		cols = append(append([]string(nil), cols...), "covered")
	}
	var emit func(*query.FreqRow) error
	var buf []byte
	switch format {
	case "tsv":
		w.WriteString(strings.Join(cols, "\t") + "\n")
		emit = func(r *query.FreqRow) error {
			buf = appendFreqTSV(buf[:0], r, plan.HasVs, covered)
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
			buf = appendFreqJSON(buf[:0], r, plan.HasVs, covered)
			_, err := w.Write(buf)
			return err
		}
		defer w.WriteString("\n]\n")
	}
	return eng.Freq(ctx, plan, emit)
}

func runCount(ctx context.Context, eng *query.Engine, q *query.Query, format string, w *bufio.Writer) error {
	rows, _, err := eng.Count(ctx, q)
	if err != nil {
		return err
	}
	if format == "json" {
		out := make([]map[string]any, len(rows))
		for i, r := range rows {
			out[i] = map[string]any{"count": r.Count}
			if q.By != "" {
				out[i][q.By] = r.Group
			}
		}
		return json.NewEncoder(w).Encode(out)
	}
	if q.By != "" {
		w.WriteString(q.By + "\t")
	}
	w.WriteString("count\n")
	for _, r := range rows {
		if q.By != "" {
			w.WriteString(r.Group + "\t")
		}
		w.WriteString(strconv.Itoa(r.Count) + "\n")
	}
	return nil
}

// runCarriers prints the project pseudonyms of the carriers: person
// pseudonyms re-keyed under the project's own key, so two projects'
// outputs cannot be joined.
func runCarriers(ctx context.Context, eng *query.Engine, q *query.Query, dir, project, format string, w *bufio.Writer) error {
	if project == "" {
		return usageError("carriers needs --project P: carriers are listed by project pseudonym")
	}
	key, err := loadKey(dir)
	if err != nil {
		return err
	}
	people, _, err := eng.Carriers(ctx, q)
	if err != nil {
		return err
	}
	pk := key.Derive("project:" + project)
	out := make([]string, len(people))
	for i, p := range people {
		out[i] = pk.Of(pseudonymise.DomainPerson, p).String()
	}
	sort.Strings(out)
	if format == "json" {
		rows := make([]map[string]string, len(out))
		for i, p := range out {
			rows[i] = map[string]string{"pseudonym": p}
		}
		return json.NewEncoder(w).Encode(rows)
	}
	w.WriteString("pseudonym\n")
	for _, p := range out {
		w.WriteString(p + "\n")
	}
	return nil
}

func appendFreqTSV(b []byte, r *query.FreqRow, vs, covered bool) []byte {
	b = append(b, r.Chrom...)
	b = append(b, '\t')
	b = strconv.AppendInt(b, r.Pos, 10)
	b = append(b, '\t')
	b = append(b, r.Ref...)
	b = append(b, '\t')
	b = append(b, r.Alt...)
	b = appendCountsTSV(b, r.In)
	if vs {
		b = appendCountsTSV(b, r.Vs)
		t := query.TestAlleles(r.In, r.Vs)
		for _, v := range []float64{t.OddsRatio, t.FisherP, t.ChisqP} {
			b = append(b, '\t')
			b = appendAF(b, v)
		}
	}
	if covered {
		b = append(b, '\t')
		b = strconv.AppendInt(b, r.Covered, 10)
	}
	return append(b, '\n')
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
	return b
}

// appendAF formats a frequency or statistic with 6 significant digits; NA
// when it is undefined (no allele called).
func appendAF(b []byte, af float64) []byte {
	if math.IsNaN(af) {
		return append(b, "NA"...)
	}
	return strconv.AppendFloat(b, af, 'g', 6, 64)
}

type countsJSON struct {
	AC      int64    `json:"ac"`
	AN      int64    `json:"an"`
	AF      *float64 `json:"af"`
	Het     int64    `json:"het"`
	HomAlt  int64    `json:"hom_alt"`
	Missing int64    `json:"missing"`
}

type freqJSON struct {
	Chrom string `json:"chrom"`
	Pos   int64  `json:"pos"`
	Ref   string `json:"ref"`
	Alt   string `json:"alt"`
	countsJSON
	Vs        *countsJSON `json:"vs,omitempty"`
	OddsRatio *float64    `json:"odds_ratio,omitempty"`
	FisherP   *float64    `json:"fisher_p,omitempty"`
	ChisqP    *float64    `json:"chisq_p,omitempty"`
	Covered   *int64      `json:"covered,omitempty"`
}

func toCountsJSON(c query.AlleleCounts) countsJSON {
	return countsJSON{AC: c.AC, AN: c.AN, AF: finite(c.AF()), Het: c.Het, HomAlt: c.HomAlt, Missing: c.Missing}
}

// finite returns a pointer to v, or nil (JSON null) for NaN.
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func appendFreqJSON(b []byte, r *query.FreqRow, vs, covered bool) []byte {
	j := freqJSON{Chrom: r.Chrom, Pos: r.Pos, Ref: r.Ref, Alt: r.Alt, countsJSON: toCountsJSON(r.In)}
	if vs {
		v := toCountsJSON(r.Vs)
		j.Vs = &v
		t := query.TestAlleles(r.In, r.Vs)
		j.OddsRatio, j.FisherP, j.ChisqP = finite(t.OddsRatio), finite(t.FisherP), finite(t.ChisqP)
	}
	if covered {
		c := r.Covered
		j.Covered = &c
	}
	out, err := json.Marshal(j)
	if err != nil {
		panic(errors.New("freq row not encodable")) // plain struct: cannot happen
	}
	b = append(b, '\n')
	return append(b, out...)
}

var coverageColumns = []string{"chrom", "start", "end", "samples", "mean_depth", "frac_10x", "frac_20x", "frac_30x"}

func runCoverage(ctx context.Context, eng *query.Engine, q *query.Query, format string, w *bufio.Writer) error {
	r, err := eng.Coverage(ctx, q)
	if err != nil {
		return err
	}
	if format == "json" {
		return json.NewEncoder(w).Encode([]map[string]any{{
			"chrom": r.Chrom, "start": r.Start, "end": r.End, "samples": r.Samples,
			"mean_depth": finite(r.MeanDepth), "frac_10x": r.Frac10, "frac_20x": r.Frac20, "frac_30x": r.Frac30,
		}})
	}
	b := []byte(strings.Join(coverageColumns, "\t") + "\n" + r.Chrom)
	for _, v := range []int64{r.Start, r.End, int64(r.Samples)} {
		b = append(b, '\t')
		b = strconv.AppendInt(b, v, 10)
	}
	for _, v := range []float64{r.MeanDepth, r.Frac10, r.Frac20, r.Frac30} {
		b = append(b, '\t')
		b = appendAF(b, v)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// oneShotGC sets the collector for a one-shot query process (main, for
// the query command; not in tests, which run commands in one process): no cycles
// until the heap reaches 1 GiB, then as needed to stay near it. A query
// keeps little alive (chunk buffers, the cohort, the care index: well under
// 100 MB at 50,000 samples) and exits, so collecting its garbage as it goes
// cost about a tenth of a whole-chromosome freq's CPU at 10,000 samples.
// GOGC or GOMEMLIMIT in the environment are honoured instead.
func oneShotGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(1 << 30)
	debug.SetGCPercent(-1)
}
