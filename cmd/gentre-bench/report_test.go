package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gentre/gentre/bench/sim"
)

func timed(walls ...float64) timing {
	var t timing
	for _, w := range walls {
		d := time.Duration(w * float64(time.Second))
		t.Runs = append(t.Runs, measure{Wall: d, User: d / 2, Sys: d / 4, MaxRSS: 1 << 20})
	}
	return t
}

func sampleResult() *sizeResult {
	return &sizeResult{
		Samples: 1000, Records: 100, Genotypes: 100_000,
		Sim:    &sim.Result{Generator: "go", Counts: sim.Counts{Records: 100, RawSites: 103}},
		Ingest: map[string]timing{toolGentre: timed(2, 1), toolPlink2: timed(1.5, 1.2), toolBcftools: timed(4, 3)},
		Query:  map[string]timing{toolGentre: timed(0.1), toolPlink2: timed(0.2), toolBcftools: timed(1)},
		Have:   map[string]bool{toolGentre: true, toolPlink2: true, toolBcftools: true},
		Command: map[string]string{toolGentre: "gentre init", toolPlink2: "plink2 --make-pgen",
			toolBcftools: "bcftools view -Ob"},
		QCmd:  map[string]string{},
		Store: storeSize{Total: 10_032, Secrets: 32}, Pgen: 9000, Pvar: 2000, Psam: 100,
		GTBCF: 30_000, BCF: 35_000, VCFGZ: 50_000, QueryRegion: "freq chr22",
		Checks: []check{{Name: "gentre vs bcftools", Compared: 120, Unit: "alleles"}},
	}
}

func TestTargets(t *testing.T) {
	r := sampleResult()
	ts := targets(r)
	met := []string{}
	for _, x := range ts {
		met = append(met, x.Met)
	}
	// gentre 1 s vs plink2 1.2 s: yes; vs bcftools 3 s: exactly 3×: yes;
	// store 10,000 ≤ 11,000: yes; 10,000 ≤ 15,000: yes.
	if strings.Join(met, ",") != "yes,yes,yes,yes" {
		t.Fatalf("targets %v", ts)
	}
	r.Ingest[toolGentre] = timed(1.3)
	r.Store = storeSize{Total: 16_000}
	met = met[:0]
	for _, x := range targets(r) {
		met = append(met, x.Met)
	}
	if strings.Join(met, ",") != "no,no,no,no" {
		t.Fatalf("targets %v", targets(r))
	}
	delete(r.Ingest, toolPlink2)
	r.Have[toolPlink2] = false
	if ts := targets(r); ts[0].Met != "n/a" || ts[2].Met != "n/a" {
		t.Fatalf("without plink2: %v", ts)
	}
}

func TestTimingBestMedian(t *testing.T) {
	tm := timed(3, 1, 2)
	if tm.Best().Wall != time.Second || tm.Median() != 2*time.Second || tm.Best().CPU() != 750*time.Millisecond {
		t.Fatalf("best %v median %v", tm.Best(), tm.Median())
	}
	if (timing{}).Best().Wall != 0 || (timing{}).Median() != 0 {
		t.Fatal("empty timing")
	}
}

func TestReportWriters(t *testing.T) {
	rep := &report{
		Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Machine: machine{CPU: "Test CPU", Cores: 2, MemBytes: 8 << 30},
		Versions: versions{Gentre: "abc123", Bcftools: "bcftools 1.16"}, Command: "gentre-bench -samples 1000",
		Config: &config{Repeats: 3, Sites: 100, Contig: "chr22"}, Sizes: []*sizeResult{sampleResult()},
	}
	var md, tsv bytes.Buffer
	if err := rep.writeMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## 1,000 samples × 100 records (100,000 genotypes)", "Test CPU", "abc123",
		"| gentre store, without `secrets/` | 10,000 | 0.1000 | 1.00 |", "| plink2 pgen+pvar | 11,000 |",
		"store ≤ ½ GT-only BCF", "| gentre vs bcftools | 120 alleles | 0 | agree |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	if strings.Contains(md.String(), "DISAGREE") {
		t.Error("markdown says DISAGREE for agreeing answers")
	}
	if err := rep.writeTSV(&tsv); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(tsv.String(), "\n"), "\n")
	for i, l := range lines {
		if n := strings.Count(l, "\t"); n != 6 {
			t.Fatalf("TSV line %d has %d tabs: %q", i+1, n, l)
		}
	}
	for _, want := range []string{"1000\t100\t100000\tingest\tgentre\twall_s_best\t1\n",
		"1000\t100\t100000\tsize\tgentre\tstore_without_secrets_bytes\t10000\n",
		"1000\t100\t100000\tingest\tplink2\tgentre_over_tool_wall\t0.833333\n",
		"0\t0\t0\tmeta\t\tanswers_agree\tyes\n"} {
		if !strings.Contains(tsv.String(), want) {
			t.Errorf("TSV lacks %q", want)
		}
	}

	rep.Sizes[0].Checks[0].Mismatches = 2
	rep.Sizes[0].Checks[0].Examples = []string{"chr22:1:A:G: ac/an 1/2, want 2/2"}
	md.Reset()
	rep.writeMarkdown(&md)
	if !rep.failed() || !strings.Contains(md.String(), "ANSWERS DISAGREE") || !strings.Contains(md.String(), "ac/an 1/2") {
		t.Fatalf("failing check not reported:\n%s", md.String())
	}
	rep.Sizes[0].Checks[0] = check{Name: "plink2", Skipped: "haploid"}
	if rep.failed() {
		t.Fatal("a skipped check counts as failed")
	}
}

func TestCommas(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := commas(n); got != want {
			t.Errorf("commas(%d) = %q", n, got)
		}
	}
}

func TestRunAndRepeat(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	n := 0
	s := step{Tool: "sh", Prepare: func() error { n++; return nil }, Commands: []command{
		{Args: []string{"sh", "-c", "echo hello"}, Stdout: out},
		{Args: []string{"true"}},
	}}
	tm, err := repeat(s, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(tm.Runs) != 3 || n != 3 || tm.Best().Wall <= 0 {
		t.Fatalf("runs %d, prepared %d", len(tm.Runs), n)
	}
	if runtime.GOOS == "linux" && tm.Best().MaxRSS <= 0 {
		t.Errorf("no max RSS: %+v", tm.Best())
	}
	if b, _ := os.ReadFile(out); string(b) != "hello\n" {
		t.Fatalf("stdout file: %q", b)
	}
	_, err = run(command{Args: []string{"sh", "-c", "echo boom >&2; exit 3"}})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("failing command: %v", err)
	}
	if got := shellJoin([]string{"bcftools", "query", "-f", "%POS\t%AC\n", "it's"}); got != `bcftools query -f '%POS	%AC
' 'it'\''s'` {
		t.Fatalf("shellJoin = %q", got)
	}
}

func TestInterleave(t *testing.T) {
	if _, err := exec.LookPath("true"); err != nil {
		t.Skip("no true")
	}
	var order []string
	mk := func(name string) step {
		return step{Tool: name, Prepare: func() error { order = append(order, name); return nil },
			Commands: []command{{Args: []string{"true"}}}}
	}
	got, err := interleave([]step{mk("a"), mk("b")}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(order, "") != "abab" || len(got["a"].Runs) != 2 || len(got["b"].Runs) != 2 {
		t.Fatalf("order %v, runs %d %d", order, len(got["a"].Runs), len(got["b"].Runs))
	}
	if _, err := interleave([]step{{Tool: "x", Commands: []command{{Args: []string{"false"}}}}}, 2); err == nil {
		t.Fatal("failing step: no error")
	}
}
