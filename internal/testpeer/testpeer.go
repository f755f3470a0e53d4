// Package testpeer is for tests that check gentre against peer tools
// (bcftools, plink2, samtools, scrm) or their packages' fixtures: such a
// test skips when one is missing, except under GENTRE_REQUIRE_PEERS=1 (set
// by `make test` and CI), where it fails, so that CI cannot pass by
// skipping them.
package testpeer

import (
	"os"
	"os/exec"
	"testing"
)

// required reports whether missing peers fail tests rather than skip them.
func required() bool { return os.Getenv("GENTRE_REQUIRE_PEERS") == "1" }

// Require skips (or fails) t unless every named tool is on the PATH.
func Require(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if required() {
				t.Fatalf("%s not installed (run make deps)", n)
			}
			t.Skipf("%s not installed", n)
		}
	}
}

// RequireFile skips (or fails) t unless the fixture at path, from a Debian
// package, exists.
func RequireFile(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if required() {
			t.Fatalf("fixture %s missing (run make deps)", path)
		}
		t.Skipf("fixture %s missing", path)
	}
}
