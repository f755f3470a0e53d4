package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProjectAndTokenCreate(t *testing.T) {
	dir := newStore(t)
	if _, errOut, code := gentreExit("project", "create", "--store", dir, "--name", "diabetes-gwas", "--purpose", "research"); code != 0 {
		t.Fatalf("project create: %s", errOut)
	}
	out, errOut, code := gentreExit("token", "create", "--store", dir, "--user", "alice", "--role", "researcher", "--project", "diabetes-gwas")
	if code != 0 {
		t.Fatalf("token create: %s", errOut)
	}
	// Only the token, one line, on stdout.
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "gtr_") || len(lines[0]) < 40 {
		t.Fatalf("stdout %q", out)
	}
	token := lines[0]
	db, err := os.ReadFile(filepath.Join(dir, "tre.db"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(db), token) || strings.Contains(string(db), token[4:]) {
		t.Fatal("the token itself is stored")
	}
	// A citizen token keeps the pseudonym, never the NHS number.
	out, errOut, code = gentreExit("token", "create", "--store", dir, "--user", "c1", "--role", "citizen", "--nhs-number", "943 476 5919")
	if code != 0 || !strings.HasPrefix(out, "gtr_") {
		t.Fatalf("citizen token: %d %s", code, errOut)
	}
	db, _ = os.ReadFile(filepath.Join(dir, "tre.db"))
	if strings.Contains(string(db), "9434765919") || strings.Contains(string(db), "943 476 5919") {
		t.Fatal("the NHS number is stored")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"token", "create", "--store", dir, "--user", "bob", "--role", "wizard"}, "--role"},
		{[]string{"token", "create", "--store", dir, "--user", "bob", "--role", "researcher"}, "project"},
		{[]string{"token", "create", "--store", dir, "--user", "bob", "--role", "citizen", "--nhs-number", "9434765918"}, "--nhs-number"},
		{[]string{"project", "create", "--store", dir, "--name", "p2", "--purpose", "marketing"}, "--purpose"},
		{[]string{"project", "create", "--store", dir, "--name", "diabetes-gwas", "--purpose", "research"}, "diabetes-gwas"},
	} {
		_, errOut, code := gentreExit(tc.args...)
		if code == 0 || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "9434765918") {
			t.Errorf("%v: exit %d: %s", tc.args, code, errOut)
		}
	}
}
