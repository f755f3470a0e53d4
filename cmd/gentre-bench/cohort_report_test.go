package main

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"
	"time"
)

func engTimed(ms ...float64) engineTiming {
	t := engineTiming{Procs: 2}
	for _, m := range ms {
		d := time.Duration(m * float64(time.Millisecond))
		t.Runs = append(t.Runs, d)
		t.CPU += 2 * d
	}
	return t
}

// sampleCohortSize is one size's results with the given whole-process
// times (seconds: gentre, plink2, bcftools), engine freq median (ms) and
// slowest carrier query (ms).
func sampleCohortSize(people int, g, p, b, engMS, carMS float64) *cohortSizeResult {
	r := &cohortSizeResult{People: people, Generator: "go", SynthCmd: "gentre synth --out synth", VCFSamples: people + people/100,
		Linked: people, Records: 20_000, Have: map[string]bool{toolGentre: true, toolPlink2: true, toolBcftools: true},
		Prep: []prepStep{{Tool: toolGentre, What: "ingest vcf", Cmd: "gentre ingest vcf", M: measure{Wall: time.Second, MaxRSS: 300 << 20}}}}
	eng := &engineResult{Procs: 2, Questions: map[string]*engineQuestion{}, ChunkCache: 1 << 30}
	for _, q := range questions {
		qr := &questionResult{Q: q, Truth: cohortTruth{People: people / 10, Samples: make([]string, people/10)},
			Process: map[string]timing{toolGentre: timed(g, g*1.1), toolPlink2: timed(p), toolBcftools: timed(b)},
			Cmd:     map[string]string{toolGentre: "gentre query", toolPlink2: "plink2 --keep", toolBcftools: "bcftools view -S s | bcftools +fill-tags"}}
		r.Questions = append(r.Questions, qr)
		eng.Questions[q.Key] = &engineQuestion{Freq: engTimed(engMS, engMS*2, engMS/2), Count: engTimed(0.01), CohortSamps: people / 10, People: people / 10}
	}
	eng.Carriers = []*engineCarrier{{Name: "t2d-risk", Variant: watchVariant{"chr22", 24316207, "A", "G"},
		Count: engTimed(carMS), List: engTimed(carMS / 2), NCount: 5, NList: 5}}
	eng.All = &engineQuestion{Freq: engTimed(engMS), CohortSamps: r.VCFSamples}
	r.Engine = eng
	cold := *eng
	cold.ChunkCache = 0
	cold.Questions = map[string]*engineQuestion{questions[0].Key: {Freq: engTimed(3 * engMS)}}
	r.NoCache = &cold
	r.Checks = []check{{Name: "diabetes: gentre vs bcftools", Compared: 100, Unit: "alleles"}}
	return r
}

func sampleCohortReport() *cohortReport {
	return &cohortReport{
		Date:    time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC),
		Machine: machine{CPU: "Test CPU", Cores: 2, MemBytes: 8 << 30, Kernel: "6.1", Load: "0.1 0.2 0.3"},
		Config:  &cohortConfig{config: &config{Repeats: 3, Seed: 1, Sites: 20000}, EngineRuns: 20},
		Command: "gentre-bench -mode cohort", LoadEnd: "0.4 0.5 0.6", PNG: "query.png",
		Sizes: []*cohortSizeResult{
			sampleCohortSize(10_000, 0.05, 0.06, 2.0, 10, 1), // process targets met
			sampleCohortSize(50_000, 0.30, 0.20, 2.0, 50, 8), // engine 4×, carriers 8 ms: not met
		},
	}
}

func TestCohortTargets(t *testing.T) {
	rep := sampleCohortReport()
	met := func(ts []cohortTarget) []string {
		var m []string
		for _, t := range ts {
			m = append(m, t.Met)
		}
		return m
	}
	if got := met(cohortTargets(rep.Sizes[0])); strings.Join(got, ",") != "yes,yes,yes,yes,yes" {
		t.Errorf("10,000: %v", got)
	}
	if got := met(cohortTargets(rep.Sizes[1])); strings.Join(got, ",") != "no,no,no,no,yes" {
		t.Errorf("50,000: %v", got)
	}
	// The summary takes each target at its size.
	sum := rep.summaryTargets()
	if got := met(sum); strings.Join(got, ",") != "yes,yes,no,no,yes" {
		t.Errorf("summary: %v", got)
	}
	if !strings.Contains(sum[2].Measured, "(4.0×)") || !strings.Contains(sum[3].Measured, "8.00 ms") {
		t.Errorf("summary measured: %q, %q", sum[2].Measured, sum[3].Measured)
	}
	// A size not run.
	rep.Sizes = rep.Sizes[:1]
	if sum := rep.summaryTargets(); sum[2].Met != "not run" || sum[0].Met != "yes" {
		t.Errorf("without 50,000: %+v", sum)
	}
	// Memory over the limit.
	rep.Sizes[0].Questions[0].Process[toolGentre].Runs[1].MaxRSS = 5 << 30
	if ts := cohortTargets(rep.Sizes[0]); ts[4].Met != "no" {
		t.Errorf("5 GiB process: %+v", ts[4])
	}
}

func TestCohortMarkdownAndTSV(t *testing.T) {
	rep := sampleCohortReport()
	var md bytes.Buffer
	if err := rep.writeMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	s := md.String()
	for _, want := range []string{
		"# gentre cohort-query benchmark, 2026-11-21",
		"## 10,000 people: 10,100 samples × 20,000 records",
		"generator **go**",
		"`freq chr22 in condition(<<73211009) and sex(female)`",
		"| plink2 | 0.060 s |",
		"bcftools view -S s \\| bcftools +fill-tags", // pipes escaped in tables
		"![wall time per tool and size](query.png)",
		"| `count carrier(chr22:24316207:A:G)` (t2d-risk: 5 people)",
		"| `freq chr22` (every sample, for reference) | 50,500 |",
		"| `freq chr22 in condition(<<73211009)` | 5,000 | 0.000 ms | 50.00 ms | 25.00 ms | 117 ms | 150 ms |",
		"| `count condition(<<73211009) and sex(female)` | 5,000 | — | 0.010 ms | 0.010 ms | 0.020 ms | — | — | — |",
		"| engine-only cohort freq (median) ≥ 5× faster than plink2's whole process | 50,000 |",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if strings.Contains(s, "DISAGREE") {
		t.Error("agreeing run marked as disagreeing")
	}
	// Every table row has the same number of cells as its header.
	cells := 0
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(line, "|") {
			cells = 0
			continue
		}
		n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
		if cells == 0 {
			cells = n
		} else if n != cells {
			t.Errorf("table row with %d cells, header %d: %s", n, cells, line)
		}
	}

	var tsv bytes.Buffer
	if err := rep.writeTSV(&tsv); err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSuffix(tsv.String(), "\n"), "\n") {
		if f := strings.Split(line, "\t"); len(f) != 7 {
			t.Fatalf("tsv line %d: %d fields: %q", i+1, len(f), line)
		}
	}
	for _, want := range []string{"50000\t20000\t1010000000\tengine:diabetes\tgentre\tfreq_median_s\t0.05\n",
		"10000\t20000\t202000000\tprocess:diabetes-women\tplink2\twall_s_best\t0.06\n",
		"\ttarget\t\tt3_met\tno\n", "\tmeta\t\tanswers_agree\tyes\n",
		"50000\t20000\t1010000000\tengine:diabetes\tgentre-no-chunk-cache\tfreq_median_s\t0.15\n"} {
		if !strings.Contains(tsv.String(), want) {
			t.Errorf("tsv lacks %q", want)
		}
	}

	rep.Sizes[1].Checks = append(rep.Sizes[1].Checks, check{Name: "bad", Mismatches: 2, Examples: []string{"chr22:1:A:G: ac/an 1/2, want 2/2"}})
	md.Reset()
	rep.writeMarkdown(&md)
	if !strings.Contains(md.String(), "ANSWERS DISAGREE") || !rep.failed() {
		t.Error("a failed check is not reported")
	}
}

func TestGenotypesPerSecPerCore(t *testing.T) {
	if got := genotypesPerSecPerCore(1000, 2000, 500*time.Millisecond, 2); got != 2e6 {
		t.Errorf("got %g, want 2e6", got)
	}
	if !math.IsNaN(genotypesPerSecPerCore(1, 1, 0, 2)) {
		t.Error("zero time should give NaN")
	}
	e := engTimed(3, 1, 2, 10)
	if e.Median() != 3*time.Millisecond || e.Min() != time.Millisecond || e.CPUPerRun() != 8*time.Millisecond {
		t.Errorf("median %v min %v cpu/run %v", e.Median(), e.Min(), e.CPUPerRun())
	}
}

func TestPlot(t *testing.T) {
	rep := sampleCohortReport()
	rep.Sizes[1].Questions[1].Process = map[string]timing{toolGentre: timed(0.2)} // peers missing: bars left out
	var b bytes.Buffer
	if err := rep.writePlot(&b); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	bd := img.Bounds()
	if bd.Dx() < 640 || bd.Dy() != plotTop+plotHeight+plotBottom {
		t.Errorf("plot %v", bd)
	}
	// gentre's colour is drawn (a bar), and the background is white.
	found := false
	for y := plotTop; y < plotTop+plotHeight && !found; y++ {
		for x := plotLeft; x < bd.Dx(); x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			c := cohortSeries[0].Color
			if r>>8 == uint32(c.R) && g>>8 == uint32(c.G) && bl>>8 == uint32(c.B) {
				found = true
				break
			}
		}
	}
	if !found {
		t.Error("no gentre bar in the plot")
	}
	if got := plotGroupsOf(rep); got != 4 {
		t.Errorf("%d groups, want 4", got)
	}
	for _, c := range []struct {
		s    float64
		want string
	}{{0.00042, "0.42ms"}, {0.0042, "4.2ms"}, {0.042, "42ms"}, {4.2, "4.2s"}, {42, "42s"}} {
		if got := shortDur(c.s); got != c.want {
			t.Errorf("shortDur(%g) = %q, want %q", c.s, got, c.want)
		}
	}
}

func plotGroupsOf(rep *cohortReport) int { return len(rep.plotGroups()) }
