package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// cohortReport is one run of the cohort-query benchmark.
type cohortReport struct {
	Date     time.Time
	Machine  machine
	Versions versions
	Config   *cohortConfig
	Command  string
	LoadEnd  string
	PNG      string // the plot's file name, "" when none
	Sizes    []*cohortSizeResult
}

// The targets and the sizes they apply at.
const (
	targetProcessSize = 10_000
	targetEngineSize  = 50_000
	memoryLimit       = 4 << 30
	carrierLimit      = 5 * time.Millisecond
)

// cohortTarget is one of the goals evaluated on one size.
type cohortTarget struct {
	Name     string
	At       int // the size the issue states it for (0: every size)
	Measured string
	Met      string // yes, no, n/a
}

func (r *cohortSizeResult) failed() bool {
	for i := range r.Checks {
		if !r.Checks[i].OK() {
			return true
		}
	}
	return false
}

func (rep *cohortReport) failed() bool {
	for _, s := range rep.Sizes {
		if s.failed() {
			return true
		}
	}
	return false
}

// maxGentreRSS is the largest peak RSS of any gentre process of the size.
func (r *cohortSizeResult) maxGentreRSS() int64 {
	var m int64
	for _, p := range r.Prep {
		if p.Tool == toolGentre {
			m = max(m, p.M.MaxRSS)
		}
	}
	for _, q := range r.Questions {
		for _, run := range q.Process[toolGentre].Runs {
			m = max(m, run.MaxRSS)
		}
	}
	return m
}

// allYes is "yes" when every v is, "n/a" when there is none.
func allYes(v []bool) string {
	if len(v) == 0 {
		return "n/a"
	}
	for _, ok := range v {
		if !ok {
			return "no"
		}
	}
	return "yes"
}

func cohortTargets(r *cohortSizeResult) []cohortTarget {
	var ts []cohortTarget
	peer := func(name string, at int, tool string, fn func(g, t float64) (string, bool)) {
		t := cohortTarget{Name: name, At: at}
		var parts []string
		var oks []bool
		for _, q := range r.Questions {
			pt, ok := q.Process[tool]
			gt, gok := q.Process[toolGentre]
			if !ok || !gok {
				continue
			}
			s, met := fn(gt.Best().Wall.Seconds(), pt.Best().Wall.Seconds())
			parts = append(parts, q.Q.Key+": "+s)
			oks = append(oks, met)
		}
		t.Measured, t.Met = strings.Join(parts, "; "), allYes(oks)
		if len(oks) == 0 {
			t.Measured = tool + " not measured"
		}
		ts = append(ts, t)
	}
	peer("whole-process gentre no slower than plink2 --keep --freq", targetProcessSize, toolPlink2, func(g, p float64) (string, bool) {
		return fmt.Sprintf("%s vs %s (%.2f×)", secs(g), secs(p), ratio(g, p)), g <= p
	})
	peer("whole-process gentre ≥ 10× faster than the bcftools pipeline (view -S, +fill-tags, norm, query)", targetProcessSize, toolBcftools, func(g, b float64) (string, bool) {
		return fmt.Sprintf("bcftools ÷ gentre = %.1f×", ratio(b, g)), b >= 10*g
	})

	// Engine-only freq vs plink2's whole process.
	t := cohortTarget{Name: "engine-only cohort freq (median) ≥ 5× faster than plink2's whole process", At: targetEngineSize}
	var parts []string
	var oks []bool
	for _, q := range r.Questions {
		pt, ok := q.Process[toolPlink2]
		if !ok || r.Engine == nil || r.Engine.Questions[q.Q.Key] == nil {
			continue
		}
		e := r.Engine.Questions[q.Q.Key].Freq.Median().Seconds()
		p := pt.Best().Wall.Seconds()
		parts = append(parts, fmt.Sprintf("%s: %s vs %s (%.1f×)", q.Q.Key, dur(e), secs(p), ratio(p, e)))
		oks = append(oks, p >= 5*e)
	}
	t.Measured, t.Met = strings.Join(parts, "; "), allYes(oks)
	if len(oks) == 0 {
		t.Measured = "plink2 not measured"
	}
	ts = append(ts, t)

	// Single-variant queries.
	t = cohortTarget{Name: "single-variant count carrier(V) and carriers V, engine-only median < 5 ms", At: targetEngineSize}
	if r.Engine != nil && len(r.Engine.Carriers) > 0 {
		var worst time.Duration
		what := ""
		for _, c := range r.Engine.Carriers {
			for _, x := range []struct {
				q string
				t engineTiming
			}{{"count carrier", c.Count}, {"carriers", c.List}} {
				if m := x.t.Median(); m > worst {
					worst, what = m, x.q+" at "+c.Name
				}
			}
		}
		t.Measured = fmt.Sprintf("slowest: %s (%s)", dur(worst.Seconds()), what)
		t.Met = yesNo(worst < carrierLimit)
	} else {
		t.Measured, t.Met = "not measured", "n/a"
	}
	ts = append(ts, t)

	m := r.maxGentreRSS()
	ts = append(ts, cohortTarget{Name: "every gentre process (ingest, query) < 4 GiB peak RSS", At: 0,
		Measured: "largest " + mb(m), Met: yesNo(m > 0 && m < memoryLimit)})
	return ts
}

// dur formats seconds for engine-scale times.
func dur(s float64) string {
	switch {
	case s < 1e-3:
		return fmt.Sprintf("%.3f ms", s*1e3)
	case s < 0.1:
		return fmt.Sprintf("%.2f ms", s*1e3)
	case s < 1:
		return fmt.Sprintf("%.0f ms", s*1e3)
	}
	return secs(s)
}

// summaryTargets evaluates each target at the size the issue states it for.
func (rep *cohortReport) summaryTargets() []cohortTarget {
	if len(rep.Sizes) == 0 {
		return nil
	}
	var out []cohortTarget
	for i, proto := range cohortTargets(rep.Sizes[0]) {
		t := cohortTarget{Name: proto.Name, At: proto.At}
		if proto.At == 0 {
			var parts []string
			var oks []bool
			for _, s := range rep.Sizes {
				st := cohortTargets(s)[i]
				parts = append(parts, commas(int64(s.People))+": "+st.Measured)
				oks = append(oks, st.Met == "yes")
			}
			t.Measured, t.Met = strings.Join(parts, "; "), allYes(oks)
			out = append(out, t)
			continue
		}
		t.Measured, t.Met = fmt.Sprintf("size %s not in this run", commas(int64(proto.At))), "not run"
		for _, s := range rep.Sizes {
			if s.People == proto.At {
				st := cohortTargets(s)[i]
				t.Measured, t.Met = st.Measured, st.Met
			}
		}
		out = append(out, t)
	}
	return out
}

func atLabel(at int) string {
	if at == 0 {
		return "every size"
	}
	return commas(int64(at))
}

// writeMarkdown writes the human-readable results.
func (rep *cohortReport) writeMarkdown(w io.Writer) error {
	cfg := rep.Config
	var b strings.Builder
	pf := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	writeHeading(pf, "gentre cohort-query benchmark", rep.Date, rep.failed(), rep.Command)
	pf("The question (issue: \"the query engine must beat bcftools and PLINK 2\"): allele frequencies of every site on chr22 among\n")
	for _, q := range questions {
		pf("- %s: `%s`\n", q.Title, q.FreqQuery("chr22"))
	}
	pf("\nThe peers are given the cohort's sample IDs, which the harness works out from the synthetic files without gentre\n")
	pf("(the is-a rows of `snomed.rf2.txt` walked down from 73211009, `care.ndjson` read with `ingest/fhir`, `manifest.tsv`).\n\n")
	pf("| | |\n|---|---|\n")
	pf("| machine | %s, %d logical CPUs, %.1f GiB RAM, Linux %s |\n", rep.Machine.CPU, rep.Machine.Cores,
		float64(rep.Machine.MemBytes)/(1<<30), rep.Machine.Kernel)
	pf("| load average | %s at the start, %s at the end (1, 5, 15 min; other work on the machine makes timings noisy) |\n", rep.Machine.Load, rep.LoadEnd)
	pf("| gentre | commit %s |\n", rep.Versions.Gentre)
	pf("| bcftools | %s |\n| plink2 | %s |\n| go | %s |\n| scrm | %s |\n",
		rep.Versions.Bcftools, rep.Versions.Plink2, rep.Versions.Go, rep.Versions.Scrm)
	pf("| date | %s |\n", rep.Date.Format(time.RFC3339))
	pf("| whole-process timings | wall clock, best of %d interleaved runs (gentre, plink2, bcftools, gentre, …; median in the .tsv); CPU = user+sys of that run; peak RSS from %s |\n", cfg.Repeats, rssMethod())
	pf("| engine-only timings | in the harness's process: `store.Open` and `query.NewEngine` once, one warm-up run, then %d timed runs of each query (median and min); freq is `FreqPlanFor` + `Freq` with the rows discarded; GOMAXPROCS %d; CPU per run from getrusage (the whole process); %s |\n",
		cfg.EngineRuns, procs(rep), cacheText(cfg.ChunkCache))
	pf("| data | `gentre synth`, seed %d, %d sites targeted; `--generator go` above %s people, else synth's default (scrm when installed) |\n\n",
		cfg.Seed, cfg.Sites, commas(goGeneratorAbove))
	if rep.PNG != "" {
		pf("![wall time per tool and size](%s)\n\n", rep.PNG)
	}

	pf("## Targets\n\n| target | at | measured | met |\n|---|---:|---|---|\n")
	for _, t := range rep.summaryTargets() {
		pf("| %s | %s | %s | %s |\n", mdEscape(t.Name), atLabel(t.At), mdEscape(t.Measured), t.Met)
	}
	pf("\n")
	for _, r := range rep.Sizes {
		rep.sizeMarkdown(pf, r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func cacheText(c int64) string {
	if c <= 0 {
		return "no decoded-chunk cache (`SetChunkCache` off): every query decompresses its chunks"
	}
	return fmt.Sprintf("with the gateway's decoded-chunk cache (`SetChunkCache`, %s), the server's configuration, which the targets use; "+
		"the same queries on an engine without it (every query decompresses its chunks) in the \"no chunk cache\" column", bytesIEC(c))
}

// bytesIEC formats a power-of-two budget (1 GiB, 512 MiB).
func bytesIEC(b int64) string {
	switch {
	case b >= 1<<30 && b%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", b>>30)
	case b >= 1<<20 && b%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", b>>20)
	}
	return mb(b)
}

func procs(rep *cohortReport) int {
	for _, s := range rep.Sizes {
		if s.Engine != nil {
			return s.Engine.Procs
		}
	}
	return 0
}

func (rep *cohortReport) sizeMarkdown(pf func(string, ...any), r *cohortSizeResult) {
	pf("## %s people: %s samples × %s records (%s genotypes)\n\n", commas(int64(r.People)), commas(int64(r.VCFSamples)),
		commas(int64(r.Records)), commas(r.Genotypes()))
	pf("Made by `%s` in %.1f s (not counted), generator **%s**; %s samples are linked to people, %s are not.\n\n",
		r.SynthCmd, r.SynthTime.Seconds(), r.Generator, commas(int64(r.Linked)), commas(int64(r.VCFSamples-r.Linked)))

	pf("**Cohorts** (from the files, without gentre)\n\n| question | people | samples | share of the VCF's samples |\n|---|---:|---:|---:|\n")
	for _, q := range r.Questions {
		pf("| `%s` | %s | %s | %.1f%% |\n", q.Q.Cohort, commas(int64(q.Truth.People)), commas(int64(len(q.Truth.Samples))),
			100*ratio(float64(len(q.Truth.Samples)), float64(r.VCFSamples)))
	}

	pf("\n**Preparation** (not counted; gentre's peak RSS counts for the memory target)\n\n| tool | step | wall | CPU | peak RSS | command |\n|---|---|---:|---:|---:|---|\n")
	for _, s := range r.Prep {
		pf("| %s | %s | %s | %s | %s | `%s` |\n", s.Tool, s.What, secs(s.M.Wall.Seconds()), secs(s.M.CPU().Seconds()), mb(s.M.MaxRSS), s.Cmd)
	}

	for _, q := range r.Questions {
		g := q.Process[toolGentre].Best()
		pf("\n**Whole process**: `%s`\n\n| tool | wall | CPU | peak RSS | gentre ÷ tool (wall) | command |\n|---|---:|---:|---:|---:|---|\n", q.Q.FreqQuery("chr22"))
		for _, t := range []string{toolGentre, toolPlink2, toolBcftools} {
			tm, ok := q.Process[t]
			if !ok {
				continue
			}
			m := tm.Best()
			pf("| %s | %s | %s | %s | %s | `%s` |\n", t, secs(m.Wall.Seconds()), secs(m.CPU().Seconds()), mb(m.MaxRSS),
				ratioCell(t, g.Wall.Seconds(), m.Wall.Seconds()), mdEscape(q.Cmd[t]))
		}
	}

	if e := r.Engine; e != nil {
		nc := r.NoCache
		cold := func(get func(*engineResult) *engineTiming) string {
			if nc == nil {
				return "—"
			}
			if t := get(nc); t != nil {
				return dur(t.Median().Seconds())
			}
			return "—"
		}
		cacheNote := "no chunk cache"
		if e.ChunkCache > 0 {
			cacheNote = "decoded-chunk cache " + bytesIEC(e.ChunkCache) + ", as the gateway"
		}
		pf("\n**Engine only** (store opened in %s; GOMAXPROCS %d; %s)\n\n", dur(e.Open.Seconds()), e.Procs, cacheNote)
		pf("| query | cohort samples | first run | median | min | CPU per run | median, no chunk cache | genotypes/s/core (median) | plink2 process ÷ engine |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, q := range r.Questions {
			eq := e.Questions[q.Q.Key]
			if eq == nil {
				continue
			}
			key := q.Q.Key
			speed := "—"
			if pt, ok := q.Process[toolPlink2]; ok {
				speed = fmt.Sprintf("%.1f×", ratio(pt.Best().Wall.Seconds(), eq.Freq.Median().Seconds()))
			}
			pf("| `%s` | %s | %s | %s | %s | %s | %s | %s | %s |\n", q.Q.FreqQuery("chr22"), commas(int64(eq.CohortSamps)),
				dur(eq.First.Seconds()), dur(eq.Freq.Median().Seconds()), dur(eq.Freq.Min().Seconds()), dur(eq.Freq.CPUPerRun().Seconds()),
				cold(func(x *engineResult) *engineTiming {
					if x.Questions[key] == nil {
						return nil
					}
					return &x.Questions[key].Freq
				}),
				gps(genotypesPerSecPerCore(eq.CohortSamps, r.Records, eq.Freq.Median(), eq.Freq.Procs)), speed)
			pf("| `%s` | %s | — | %s | %s | %s | %s | — | — |\n", q.Q.CountQuery(), commas(int64(eq.CohortSamps)),
				dur(eq.Count.Median().Seconds()), dur(eq.Count.Min().Seconds()), dur(eq.Count.CPUPerRun().Seconds()),
				cold(func(x *engineResult) *engineTiming {
					if x.Questions[key] == nil {
						return nil
					}
					return &x.Questions[key].Count
				}))
		}
		if a := e.All; a != nil {
			pf("| `freq chr22` (every sample, for reference) | %s | %s | %s | %s | %s | %s | %s | — |\n", commas(int64(a.CohortSamps)),
				dur(a.First.Seconds()), dur(a.Freq.Median().Seconds()), dur(a.Freq.Min().Seconds()), dur(a.Freq.CPUPerRun().Seconds()),
				cold(func(x *engineResult) *engineTiming {
					if x.All == nil {
						return nil
					}
					return &x.All.Freq
				}),
				gps(genotypesPerSecPerCore(a.CohortSamps, r.Records, a.Freq.Median(), a.Freq.Procs)))
		}
		for i, c := range e.Carriers {
			for j, x := range []struct {
				q string
				t engineTiming
				n int
			}{{"count carrier(" + c.Variant.String() + ")", c.Count, c.NCount}, {"carriers " + c.Variant.String(), c.List, c.NList}} {
				pf("| `%s` (%s: %s people) | — | — | %s | %s | %s | %s | — | — |\n", x.q, c.Name, commas(int64(x.n)),
					dur(x.t.Median().Seconds()), dur(x.t.Min().Seconds()), dur(x.t.CPUPerRun().Seconds()),
					cold(func(y *engineResult) *engineTiming {
						if i >= len(y.Carriers) {
							return nil
						}
						if j == 0 {
							return &y.Carriers[i].Count
						}
						return &y.Carriers[i].List
					}))
			}
		}
	}

	pf("\n**Targets at this size**\n\n| target | issue's size | measured | met |\n|---|---:|---|---|\n")
	for _, t := range cohortTargets(r) {
		pf("| %s | %s | %s | %s |\n", mdEscape(t.Name), atLabel(t.At), mdEscape(t.Measured), t.Met)
	}

	writeChecks(pf, "**Answer checks** (the harness's VCF count: the cohort's columns of the VCF text, counted as `geno.CountRow` counts)", r.Checks)

	if r.ProcessProfileTop != "" || (r.Engine != nil && r.Engine.ProfileTop != "") {
		pf("\n**Where gentre's time goes**\n")
		if r.ProcessProfileTop != "" {
			pf("\nWhole processes: %d runs of `%s` (untimed), merged by `go tool pprof -top`:\n\n```\n%s\n```\n", profileRuns, r.ProfileCmd, r.ProcessProfileTop)
		}
		if r.Engine != nil && r.Engine.ProfileTop != "" {
			pf("\nEngine only: freq runs of every question in turn for %d s (apart from the timed runs) under `runtime/pprof`:\n\n```\n%s\n```\n", profileSeconds, r.Engine.ProfileTop)
		}
	}
	for _, n := range r.Notes {
		pf("\nNote: %s\n", n)
	}
	pf("\n")
}

// gps formats a genotypes-per-second figure.
func gps(v float64) string {
	switch {
	case v != v:
		return "—"
	case v >= 1e9:
		return fmt.Sprintf("%.2f G", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.1f M", v/1e6)
	}
	return fmt.Sprintf("%.0f", v)
}

// writeTSV writes the results in long form, one measurement a line, as the
// ingest report does: samples (people), records, genotypes, section, tool,
// metric, value. Sections: meta, synth, cohort:Q, prep, process:Q,
// engine:Q, carrier:NAME, target, check.
func (rep *cohortReport) writeTSV(w io.Writer) error {
	var b strings.Builder
	b.WriteString("samples\trecords\tgenotypes\tsection\ttool\tmetric\tvalue\n")
	row := func(r *cohortSizeResult, section, tool, metric string, value any) {
		var s, rec, gt int64
		if r != nil {
			s, rec, gt = int64(r.People), int64(r.Records), r.Genotypes()
		}
		v := fmt.Sprint(value)
		switch x := value.(type) {
		case float64:
			v = strconv.FormatFloat(x, 'g', 6, 64)
		case time.Duration:
			v = strconv.FormatFloat(x.Seconds(), 'g', 6, 64)
		}
		v = strings.NewReplacer("\t", " ", "\n", " ").Replace(v)
		fmt.Fprintf(&b, "%d\t%d\t%d\t%s\t%s\t%s\t%s\n", s, rec, gt, section, tool, metric, v)
	}
	metaRows(func(tool, metric string, value any) { row(nil, "meta", tool, metric, value) },
		rep.Date, rep.Machine, rep.LoadEnd, rep.Versions)
	row(nil, "meta", "", "repeats", rep.Config.Repeats)
	row(nil, "meta", "", "engine_runs", rep.Config.EngineRuns)
	row(nil, "meta", "", "engine_chunk_cache_bytes", rep.Config.ChunkCache)
	row(nil, "meta", "", "seed", rep.Config.Seed)
	row(nil, "meta", "", "answers_agree", yesNo(!rep.failed()))
	for _, r := range rep.Sizes {
		row(r, "synth", r.Generator, "seconds", r.SynthTime)
		row(r, "synth", r.Generator, "vcf_samples", r.VCFSamples)
		row(r, "synth", r.Generator, "linked_samples", r.Linked)
		for _, q := range r.Questions {
			row(r, "cohort:"+q.Q.Key, "harness", "people", q.Truth.People)
			row(r, "cohort:"+q.Q.Key, "harness", "samples", len(q.Truth.Samples))
		}
		for _, s := range r.Prep {
			what := strings.ReplaceAll(s.What, " ", "_")
			row(r, "prep", s.Tool, what+"_wall_s", s.M.Wall)
			row(r, "prep", s.Tool, what+"_cpu_s", s.M.CPU())
			row(r, "prep", s.Tool, what+"_maxrss_bytes", s.M.MaxRSS)
		}
		for _, q := range r.Questions {
			sec := "process:" + q.Q.Key
			for _, tool := range []string{toolGentre, toolPlink2, toolBcftools} {
				t, ok := q.Process[tool]
				if !ok {
					continue
				}
				best := t.Best()
				row(r, sec, tool, "wall_s_best", best.Wall)
				row(r, sec, tool, "wall_s_median", t.Median())
				row(r, sec, tool, "cpu_s", best.CPU())
				row(r, sec, tool, "maxrss_bytes", best.MaxRSS)
				if tool != toolGentre {
					row(r, sec, tool, "gentre_over_tool_wall", ratio(q.Process[toolGentre].Best().Wall.Seconds(), best.Wall.Seconds()))
				}
			}
		}
		for _, e := range r.engines() {
			tool := toolGentre
			if e.ChunkCache == 0 {
				tool = "gentre-no-chunk-cache"
			}
			row(r, "engine", tool, "chunk_cache_bytes", e.ChunkCache)
			row(r, "engine", tool, "open_s", e.Open)
			row(r, "engine", tool, "gomaxprocs", e.Procs)
			for _, q := range r.Questions {
				eq := e.Questions[q.Q.Key]
				if eq == nil {
					continue
				}
				sec := "engine:" + q.Q.Key
				row(r, sec, tool, "cohort_samples", eq.CohortSamps)
				row(r, sec, tool, "freq_first_s", eq.First)
				row(r, sec, tool, "freq_median_s", eq.Freq.Median())
				row(r, sec, tool, "freq_min_s", eq.Freq.Min())
				row(r, sec, tool, "freq_cpu_per_run_s", eq.Freq.CPUPerRun())
				row(r, sec, tool, "freq_genotypes_per_s_per_core", genotypesPerSecPerCore(eq.CohortSamps, r.Records, eq.Freq.Median(), eq.Freq.Procs))
				row(r, sec, tool, "count_median_s", eq.Count.Median())
				row(r, sec, tool, "count_min_s", eq.Count.Min())
				row(r, sec, tool, "count_people", eq.People)
			}
			if a := e.All; a != nil {
				row(r, "engine:all", tool, "samples", a.CohortSamps)
				row(r, "engine:all", tool, "freq_median_s", a.Freq.Median())
				row(r, "engine:all", tool, "freq_min_s", a.Freq.Min())
				row(r, "engine:all", tool, "freq_cpu_per_run_s", a.Freq.CPUPerRun())
				row(r, "engine:all", tool, "freq_genotypes_per_s_per_core", genotypesPerSecPerCore(a.CohortSamps, r.Records, a.Freq.Median(), a.Freq.Procs))
			}
			for _, c := range e.Carriers {
				sec := "carrier:" + c.Name
				row(r, sec, tool, "variant", c.Variant.String())
				row(r, sec, tool, "count_carrier_median_s", c.Count.Median())
				row(r, sec, tool, "count_carrier_min_s", c.Count.Min())
				row(r, sec, tool, "carriers_median_s", c.List.Median())
				row(r, sec, tool, "carriers_min_s", c.List.Min())
				row(r, sec, tool, "people", c.NCount)
			}
		}
		for i, t := range cohortTargets(r) {
			row(r, "target", "", fmt.Sprintf("t%d_met", i+1), t.Met)
			row(r, "target", "", fmt.Sprintf("t%d", i+1), t.Name+" (issue's size: "+atLabel(t.At)+"): "+t.Measured)
		}
		for i := range r.Checks {
			row(r, "check", "", r.Checks[i].Name, r.Checks[i].tsvValue())
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
