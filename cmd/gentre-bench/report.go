package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// report is one harness run: where, with what, and the per-size results.
type report struct {
	Date     time.Time
	Machine  machine
	Versions versions
	Config   *config
	Command  string // the harness command line
	LoadEnd  string // load average when the run ended
	Sizes    []*sizeResult
}

// target is one of the goals for gentre, evaluated on one size.
type target struct {
	Name     string
	Measured string
	Met      string // "yes", "no", or "n/a" (a peer was not measured)
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

// ratio is a/b, or NaN when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

func targets(r *sizeResult) []target {
	g := r.Ingest[toolGentre].Best().Wall.Seconds()
	store := float64(r.Store.Data())
	var ts []target
	if t, ok := r.Ingest[toolPlink2]; ok {
		pl := t.Best().Wall.Seconds()
		ts = append(ts, target{"ingest no slower than `plink2 --make-pgen --threads 2`",
			fmt.Sprintf("%s vs %s (%.2f×)", secs(g), secs(pl), ratio(g, pl)), yesNo(g <= pl)})
	} else {
		ts = append(ts, target{"ingest no slower than `plink2 --make-pgen --threads 2`", "plink2 not measured", "n/a"})
	}
	if t, ok := r.Ingest[toolBcftools]; ok {
		b := t.Best().Wall.Seconds()
		ts = append(ts, target{"ingest ≥ 3× faster than `bcftools view -Ob`",
			fmt.Sprintf("bcftools ÷ gentre = %.2f× (%s vs %s)", ratio(b, g), secs(b), secs(g)), yesNo(g*3 <= b)})
	} else {
		ts = append(ts, target{"ingest ≥ 3× faster than `bcftools view -Ob`", "bcftools not measured", "n/a"})
	}
	if r.Have[toolPlink2] {
		pp := float64(r.Pgen + r.Pvar)
		ts = append(ts, target{"store ≤ pgen+pvar",
			fmt.Sprintf("%s vs %s (%.2f×)", mb(r.Store.Data()), mb(r.Pgen+r.Pvar), ratio(store, pp)), yesNo(store <= pp)})
	} else {
		ts = append(ts, target{"store ≤ pgen+pvar", "plink2 not measured", "n/a"})
	}
	if r.Have[toolBcftools] {
		gt := float64(r.GTBCF)
		ts = append(ts, target{"store ≤ ½ GT-only BCF",
			fmt.Sprintf("%s vs %s (%.2f×)", mb(r.Store.Data()), mb(r.GTBCF), ratio(store, gt)), yesNo(2*store <= gt)})
	} else {
		ts = append(ts, target{"store ≤ ½ GT-only BCF", "bcftools not measured", "n/a"})
	}
	return ts
}

func secs(s float64) string {
	switch {
	case s < 1:
		return fmt.Sprintf("%.3f s", s)
	case s < 100:
		return fmt.Sprintf("%.2f s", s)
	}
	return fmt.Sprintf("%.0f s", s)
}

func mb(b int64) string {
	switch {
	case b < 1e6:
		return fmt.Sprintf("%.1f kB", float64(b)/1e3)
	case b < 1e10:
		return fmt.Sprintf("%.2f MB", float64(b)/1e6)
	}
	return fmt.Sprintf("%.2f GB", float64(b)/1e9)
}

// commas formats n with thousands separators.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// failed reports whether any answer check of the run failed.
func (rep *report) failed() bool {
	for _, s := range rep.Sizes {
		for i := range s.Checks {
			if !s.Checks[i].OK() {
				return true
			}
		}
	}
	return false
}

// writeMarkdown writes the human-readable results.
func (rep *report) writeMarkdown(w io.Writer) error {
	cfg := rep.Config
	var b strings.Builder
	pf := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	writeHeading(pf, "gentre ingest and query benchmark", rep.Date, rep.failed(), rep.Command)
	pf("| | |\n|---|---|\n")
	pf("| machine | %s, %d logical CPUs, %.1f GiB RAM, Linux %s |\n", rep.Machine.CPU, rep.Machine.Cores,
		float64(rep.Machine.MemBytes)/(1<<30), rep.Machine.Kernel)
	pf("| load average | %s at the start, %s at the end (1, 5, 15 min; other work on the machine makes timings noisy) |\n", rep.Machine.Load, rep.LoadEnd)
	pf("| gentre | commit %s |\n", rep.Versions.Gentre)
	pf("| bcftools | %s |\n| plink2 | %s |\n| go | %s |\n| scrm | %s |\n",
		rep.Versions.Bcftools, rep.Versions.Plink2, rep.Versions.Go, rep.Versions.Scrm)
	pf("| date | %s |\n", rep.Date.Format(time.RFC3339))
	pf("| timings | wall clock of whole processes, best of %d interleaved runs (median in the .tsv); CPU = user+sys of that run; peak RSS from %s |\n", cfg.Repeats, rssMethod())
	pf("| data | %d sites targeted, seed %d, contig %s; injections: multi-allelic %g, missing %g, half calls %g, haploid %g, unphased %g, symbolic %g |\n\n",
		cfg.Sites, cfg.Seed, cfg.Contig, cfg.Inject.MultiAllelic, cfg.Inject.Missing, cfg.Inject.HalfCall,
		cfg.Inject.Haploid, cfg.Inject.Unphased, cfg.Inject.Symbolic)

	for _, r := range rep.Sizes {
		rep.sizeMarkdown(pf, r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (rep *report) sizeMarkdown(pf func(string, ...any), r *sizeResult) {
	c := r.Sim.Counts
	pf("## %s samples × %s records (%s genotypes)\n\n", commas(int64(r.Samples)), commas(int64(r.Records)), commas(r.Genotypes))
	pf("Simulated with %s in %.1f s (not counted)", r.Sim.Generator, r.SimTime.Seconds())
	if r.Sim.Command != "" {
		pf(": `%s`", r.Sim.Command)
	}
	pf(". %s segregating sites → %s records: %s multi-allelic, %s with a `*`/`<DEL>` allele; %s missing calls, %s half calls; %d haploid and %d unphased samples.\n\n",
		commas(int64(c.RawSites)), commas(int64(c.Records)), commas(int64(c.MultiAllelic)), commas(int64(c.Symbolic)),
		commas(c.Missing), commas(c.HalfCalls), c.Haploid, c.Unphased)

	g := r.Ingest[toolGentre].Best()
	pf("**Ingest** (VCF.gz → native format)\n\n| tool | wall | CPU | peak RSS | gentre ÷ tool (wall) | command |\n|---|---:|---:|---:|---:|---|\n")
	for _, t := range []string{toolGentre, toolPlink2, toolBcftools} {
		tm, ok := r.Ingest[t]
		if !ok {
			continue
		}
		m := tm.Best()
		pf("| %s | %s | %s | %s | %s | `%s` |\n", t, secs(m.Wall.Seconds()), secs(m.CPU().Seconds()), mb(m.MaxRSS),
			ratioCell(t, g.Wall.Seconds(), m.Wall.Seconds()), r.Command[t])
	}
	pf("\n**Size on disk** (apparent bytes)\n\n| data | bytes | B/genotype | gentre store ÷ this |\n|---|---:|---:|---:|\n")
	sizeRow := func(name string, n int64) {
		pf("| %s | %s | %.4f | %.2f |\n", name, commas(n), perGenotype(n, r.Genotypes), ratio(float64(r.Store.Data()), float64(n)))
	}
	sizeRow("gentre store, without `secrets/`", r.Store.Data())
	sizeRow("gentre store, total", r.Store.Total)
	if r.Have[toolPlink2] {
		sizeRow("plink2 pgen+pvar", r.Pgen+r.Pvar)
		sizeRow("plink2 pgen+pvar+psam", r.Pgen+r.Pvar+r.Psam)
	}
	if r.Have[toolBcftools] {
		sizeRow("GT-only BCF (`bcftools annotate -x INFO,^FORMAT/GT -Ob`)", r.GTBCF)
		sizeRow("BCF (`bcftools view -Ob`)", r.BCF)
	}
	sizeRow("input VCF.gz (bgzip)", r.VCFGZ)

	if len(r.Query) > 0 {
		gq := r.Query[toolGentre].Best()
		pf("\n**Query** allele frequencies of every site (`%s`)\n\n| tool | wall | CPU | peak RSS | gentre ÷ tool (wall) | command |\n|---|---:|---:|---:|---:|---|\n", r.QueryRegion)
		for _, t := range []string{toolGentre, toolPlink2, toolBcftools} {
			tm, ok := r.Query[t]
			if !ok {
				continue
			}
			m := tm.Best()
			pf("| %s | %s | %s | %s | %s | `%s` |\n", t, secs(m.Wall.Seconds()), secs(m.CPU().Seconds()), mb(m.MaxRSS),
				ratioCell(t, gq.Wall.Seconds(), m.Wall.Seconds()), r.QCmd[t])
		}
	}

	pf("\n**Targets**\n\n| target | measured | met |\n|---|---|---|\n")
	for _, t := range targets(r) {
		pf("| %s | %s | %s |\n", t.Name, t.Measured, t.Met)
	}
	writeChecks(pf, "**Answer checks**", r.Checks)
	for _, n := range r.Notes {
		pf("\nNote: %s\n", n)
	}
	pf("\n")
}

func ratioCell(tool string, g, t float64) string {
	if tool == toolGentre {
		return "—"
	}
	return fmt.Sprintf("%.2f", ratio(g, t))
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// writeHeading writes a report's title and date, a warning not to quote
// its timings when an answer check failed, and the command that made it.
func writeHeading(pf func(format string, a ...any), title string, date time.Time, failed bool, command string) {
	pf("# %s, %s\n\n", title, date.Format("2006-01-02"))
	if failed {
		pf("> **ANSWERS DISAGREE**: at least one answer check failed (see \"Answer checks\" below). The timings\n")
		pf("> below measure a wrong answer and must not be quoted.\n\n")
	}
	pf("Produced by `%s`.\n\n", command)
}

// writeTSV writes the results in long form, one measurement a line:
// samples, records, genotypes, section, tool, metric, value. Run-level
// facts (machine, versions) have samples 0 and section "meta".
func (rep *report) writeTSV(w io.Writer) error {
	var b strings.Builder
	b.WriteString("samples\trecords\tgenotypes\tsection\ttool\tmetric\tvalue\n")
	row := func(r *sizeResult, section, tool, metric string, value any) {
		var s, rec, gt int64
		if r != nil {
			s, rec, gt = int64(r.Samples), int64(r.Records), r.Genotypes
		}
		v := fmt.Sprint(value)
		if f, ok := value.(float64); ok {
			v = strconv.FormatFloat(f, 'g', 6, 64)
		}
		v = strings.NewReplacer("\t", " ", "\n", " ").Replace(v)
		fmt.Fprintf(&b, "%d\t%d\t%d\t%s\t%s\t%s\t%s\n", s, rec, gt, section, tool, metric, v)
	}
	metaRows(func(tool, metric string, value any) { row(nil, "meta", tool, metric, value) },
		rep.Date, rep.Machine, rep.LoadEnd, rep.Versions)
	row(nil, "meta", "", "repeats", rep.Config.Repeats)
	row(nil, "meta", "", "seed", rep.Config.Seed)
	row(nil, "meta", "", "answers_agree", yesNo(!rep.failed()))
	for _, r := range rep.Sizes {
		row(r, "sim", r.Sim.Generator, "raw_sites", r.Sim.Counts.RawSites)
		row(r, "sim", r.Sim.Generator, "seconds", r.SimTime.Seconds())
		for _, sec := range []struct {
			name string
			m    map[string]timing
		}{{"ingest", r.Ingest}, {"query", r.Query}} {
			section, m := sec.name, sec.m
			for _, tool := range []string{toolGentre, toolPlink2, toolBcftools} {
				t, ok := m[tool]
				if !ok {
					continue
				}
				best := t.Best()
				row(r, section, tool, "wall_s_best", best.Wall.Seconds())
				row(r, section, tool, "wall_s_median", t.Median().Seconds())
				row(r, section, tool, "cpu_s", best.CPU().Seconds())
				row(r, section, tool, "maxrss_bytes", best.MaxRSS)
				if tool != toolGentre {
					row(r, section, tool, "gentre_over_tool_wall", ratio(m[toolGentre].Best().Wall.Seconds(), best.Wall.Seconds()))
				}
			}
		}
		sz := func(tool, metric string, n int64) {
			row(r, "size", tool, metric+"_bytes", n)
			row(r, "size", tool, metric+"_b_per_genotype", perGenotype(n, r.Genotypes))
		}
		sz(toolGentre, "store_without_secrets", r.Store.Data())
		sz(toolGentre, "store_total", r.Store.Total)
		if r.Have[toolPlink2] {
			sz(toolPlink2, "pgen_pvar", r.Pgen+r.Pvar)
			sz(toolPlink2, "pgen_pvar_psam", r.Pgen+r.Pvar+r.Psam)
		}
		if r.Have[toolBcftools] {
			sz(toolBcftools, "gt_only_bcf", r.GTBCF)
			sz(toolBcftools, "bcf", r.BCF)
		}
		sz("input", "vcf_gz", r.VCFGZ)
		for i, t := range targets(r) {
			row(r, "target", "", fmt.Sprintf("t%d_met", i+1), t.Met)
			row(r, "target", "", fmt.Sprintf("t%d", i+1), strings.ReplaceAll(t.Name, "`", "")+": "+t.Measured)
		}
		for i := range r.Checks {
			row(r, "check", "", r.Checks[i].Name, r.Checks[i].tsvValue())
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
