package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gentre runs one command line in-process and returns stdout, failing the
// test on a non-zero exit.
func gentre(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, code := gentreExit(args...)
	if code != 0 {
		t.Fatalf("gentre %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func gentreExit(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return o.String(), e.String(), code
}

// shell runs a shell pipeline and returns its stdout.
func shell(script string) (string, error) {
	cmd := exec.Command("bash", "-o", "pipefail", "-c", script)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if err == nil && strings.Contains(e.String(), "[E::") {
		// htslib reports a parse error but the tool exits 0: a rejection.
		err = fmt.Errorf("htslib error")
	}
	if err != nil {
		return o.String(), &shellError{err: err, stderr: e.String()}
	}
	return o.String(), nil
}

type shellError struct {
	err    error
	stderr string
}

func (e *shellError) Error() string { return e.err.Error() + ": " + strings.TrimSpace(e.stderr) }

func newStore(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	gentre(t, "init", "--store", dir)
	return dir
}
