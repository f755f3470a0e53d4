package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCohortEndToEnd runs -mode cohort on a tiny synthetic cohort with the
// real gentre (built here). The peers are used when installed; with
// GENTRE_REQUIRE_PEERS=1 a missing peer fails the test. A wrapper that
// changes one allele count of gentre's freq output must fail the run.
func TestCohortEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	require := os.Getenv("GENTRE_REQUIRE_PEERS") == "1"
	for _, tool := range []string{"plink2", "bcftools"} {
		if _, err := exec.LookPath(tool); err != nil && require {
			t.Fatalf("%s not installed and GENTRE_REQUIRE_PEERS=1", tool)
		}
	}
	for _, tool := range []string{"bash", "awk"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "gentre")
	build := exec.Command("go", "build", "-o", bin, "github.com/gentre/gentre/cmd/gentre")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building gentre: %v\n%s", err, out)
	}
	args := []string{"-mode", "cohort", "-samples", "300", "-sites", "200", "-repeats", "1", "-engine-runs", "2",
		"-generator", "go", "-profile=false", "-q", "-gentre", bin, "-out", dir, "-name", "run", "-tmp", dir}
	if err := mainErr(args); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "run.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	for _, want := range []string{"## 300 people", "generator **go**", "**Engine only**",
		"| diabetes: gentre vs harness VCF count (ac, an, af, het, hom_alt, missing) |",
		"| diabetes-women: gentre engine in process vs harness VCF count",
		"| t2d-risk: count carrier(chr22:24316207:A:G) (engine vs harness) | 1 value | 0 | agree |"} {
		if !strings.Contains(s, want) {
			t.Errorf("results lack %q", want)
		}
	}
	if strings.Contains(s, "DISAGREE") {
		t.Fatalf("answers disagree:\n%s", s)
	}
	if _, err := exec.LookPath("bcftools"); err == nil && !strings.Contains(s, "| diabetes: gentre vs bcftools view -S") {
		t.Error("bcftools installed but not checked")
	}
	if _, err := exec.LookPath("plink2"); err == nil && !strings.Contains(s, "| diabetes: plink2 --keep vs harness VCF count") {
		t.Error("plink2 installed but not checked")
	}
	for _, f := range []string{"run.tsv", "run.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "gentre-bench-*")); len(m) != 0 {
		t.Errorf("scratch data left behind: %v", m)
	}

	// A wrong answer from the gentre process fails the run loudly.
	wrap := filepath.Join(dir, "broken-gentre")
	script := "#!/bin/bash\n" +
		"if [ \"$1\" = query ]; then\n" +
		"  set -o pipefail\n" +
		"  \"" + bin + "\" \"$@\" | awk -F'\\t' -v OFS='\\t' 'NR==3 && $5 ~ /^[0-9]+$/ {$5=$5+1} {print}'\n" +
		"  exit $?\n" +
		"fi\n" +
		"exec \"" + bin + "\" \"$@\"\n"
	if err := os.WriteFile(wrap, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	args[len(args)-7] = wrap // -gentre
	args[len(args)-3] = "broken"
	if err := mainErr(args); !errors.Is(err, errDisagree) {
		t.Fatalf("broken answers: err = %v", err)
	}
	md, _ = os.ReadFile(filepath.Join(dir, "broken.md"))
	if !strings.Contains(string(md), "ANSWERS DISAGREE") || !strings.Contains(string(md), "**DISAGREE**") {
		t.Fatal("results do not say the answers disagree")
	}
}
