package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEndToEndWithFake runs the whole harness on a tiny cohort with the
// fake gentre of testdata/ (bcftools and awk behind gentre's command line),
// so it tests the harness, not gentre. It needs bcftools and bgzip; plink2
// is used when installed.
func TestEndToEndWithFake(t *testing.T) {
	for _, tool := range []string{"bcftools", "bgzip", "awk", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	if testing.Short() {
		t.Skip("-short")
	}
	fake, err := filepath.Abs("testdata/fake-gentre")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	args := []string{"-samples", "30,60", "-sites", "150", "-repeats", "2", "-generator", "go", "-q",
		"-gentre", fake, "-out", dir, "-name", "run", "-tmp", dir}
	if err := mainErr(args); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "run.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	for _, want := range []string{"## 30 samples", "## 60 samples", "| gentre vs bcftools +fill-tags (ac, an) |",
		"| gentre vs simulator truth", "gentre ingest vcf --store store cohort.vcf.gz"} {
		if !strings.Contains(s, want) {
			t.Errorf("results lack %q", want)
		}
	}
	if strings.Contains(s, "DISAGREE") {
		t.Fatalf("answers disagree:\n%s", s)
	}
	if _, err := exec.LookPath("plink2"); err == nil && !strings.Contains(s, "| plink2 vs simulator truth") {
		t.Error("plink2 installed but not checked")
	}
	if _, err := os.Stat(filepath.Join(dir, "run.tsv")); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "gentre-bench-*")); len(m) != 0 {
		t.Errorf("scratch data left behind: %v", m)
	}

	// -skip-query: no query timings, no checks, still a report.
	if err := mainErr(append(args[:len(args):len(args)], "-skip-query", "-samples", "30", "-name", "noquery")); err != nil {
		t.Fatal(err)
	}
	md, _ = os.ReadFile(filepath.Join(dir, "noquery.md"))
	if s := string(md); strings.Contains(s, "**Query**") || strings.Contains(s, "**Answer checks**") || !strings.Contains(s, "-skip-query") {
		t.Errorf("-skip-query results:\n%s", s)
	}

	// A wrong answer fails the run, after writing results that say so.
	t.Setenv("FAKE_GENTRE_BREAK", "1")
	err = mainErr(append(args[:len(args):len(args)], "-skip-query=false", "-samples", "30", "-name", "broken"))
	if !errors.Is(err, errDisagree) {
		t.Fatalf("broken answers: err = %v", err)
	}
	md, _ = os.ReadFile(filepath.Join(dir, "broken.md"))
	if !strings.Contains(string(md), "ANSWERS DISAGREE") {
		t.Fatal("results do not say the answers disagree")
	}
}
