package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ds := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x)
		}
		return out
	}
	ten := ds(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	for _, tc := range []struct {
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{nil, 0.5, 0},
		{ds(7), 0.99, 7},
		{ten, 0.5, 5}, // nearest rank: ceil(0.5 × 10) = 5th
		{ten, 0.9, 9},
		{ten, 0.99, 10},
		{ten, 1, 10},
		{ten, 0, 1},
		{ds(1, 2, 3), 0.5, 2},
	} {
		if got := percentile(tc.in, tc.q); got != tc.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", tc.in, tc.q, got, tc.want)
		}
	}
}

func TestExpect(t *testing.T) {
	for _, tc := range []struct {
		name          string
		status        int
		m             map[string]any
		err           error
		want, refusal int
		key           string
		out           outcome
	}{
		{"answer", 200, map[string]any{"count": 3.0}, nil, 200, 0, "count", outOK},
		{"answer without its field", 200, map[string]any{"rows": nil}, nil, 200, 0, "rows", outError},
		{"provoked 429", 429, map[string]any{"message": "budget"}, nil, 0, 429, "", outExpected},
		{"provoked 403", 403, map[string]any{"message": "small"}, nil, 0, 403, "", outExpected},
		{"403 where 429 was provoked", 403, map[string]any{"message": "x"}, nil, 0, 429, "", outError},
		{"unexpected 429", 429, map[string]any{"message": "budget"}, nil, 200, 0, "count", outError},
		{"500", 500, map[string]any{"message": "internal error"}, nil, 200, 0, "count", outError},
		{"transport", 0, nil, errors.New("connection reset"), 200, 0, "count", outError},
	} {
		got, why := expect(tc.status, tc.m, tc.err, tc.want, tc.refusal, tc.key)
		if got != tc.out || (got == outError) != (why != "") {
			t.Errorf("%s: %v %q, want %v", tc.name, got, why, tc.out)
		}
	}
}

func TestProcParsers(t *testing.T) {
	hwm, err := parseHWM(strings.NewReader("Name:\tgentre\nVmPeak:\t  999 kB\nVmHWM:\t   51200 kB\nVmRSS:\t 100 kB\n"))
	if err != nil || hwm != 51200*1024 {
		t.Fatalf("VmHWM: %d %v", hwm, err)
	}
	if _, err := parseHWM(strings.NewReader("Name: x\n")); err == nil {
		t.Fatal("no VmHWM line accepted")
	}
	// Field 2 may hold spaces and parentheses; utime 250, stime 50 ticks.
	stat := "4242 (gentre (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 12345 0 0"
	cpu, err := parseStatCPU(stat)
	if err != nil || cpu != 3*time.Second {
		t.Fatalf("stat CPU: %v %v", cpu, err)
	}
	if _, err := parseStatCPU("4242 (x) S 1"); err == nil {
		t.Fatal("short stat accepted")
	}
	// This process's own files parse.
	if _, err := procHWM(os.Getpid()); err != nil {
		t.Skipf("no /proc: %v", err)
	}
	if _, err := procCPU(os.Getpid()); err != nil {
		t.Fatal(err)
	}
}

// TestGatewayEndToEnd runs -mode gateway on a small synthetic cohort with
// the real gentre (built here): a server process, the load, the report.
func TestGatewayEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "gentre")
	build := exec.Command("go", "build", "-o", bin, "github.com/gentre/gentre/cmd/gentre")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building gentre: %v\n%s", err, out)
	}
	args := []string{"-mode", "gateway", "-samples", "1000", "-sites", "500", "-generator", "go", "-clients", "4",
		"-duration", "1s", "-seq-runs", "10", "-partners", "2", "-q", "-gentre", bin, "-out", dir, "-name", "run", "-tmp", dir}
	if err := mainErr(args); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "run.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	for _, want := range []string{"## 1,000 people", "**One client, one request at a time**", "**Load: 4 clients, 1s**",
		"| industry-refused | ", "| grpc-count-variant | ", "audit log intact", "count carrier(V) = number of carriers V (REST, researcher)",
		"agree.", "| bounded load on loopback: no errors (provoked refusals counted apart) | every size | 1,000 people: "} {
		if !strings.Contains(s, want) {
			t.Errorf("results lack %q", want)
		}
	}
	if strings.Contains(s, "ERRORS") || strings.Contains(s, "- error (") {
		t.Fatalf("errors:\n%s", s)
	}
	tsv, err := os.ReadFile(filepath.Join(dir, "run.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(tsv)), "\n")
	if len(lines) != 1+3+len(mix)+1 || !strings.HasPrefix(lines[len(lines)-1], "1000\tload\tall\t4\t") {
		t.Fatalf("tsv:\n%s", tsv)
	}
	// A bad flag is a usage error before anything runs.
	var u usageError
	if err := mainErr([]string{"-mode", "gateway", "-clients", "0", "-gentre", bin}); !errors.As(err, &u) {
		t.Fatalf("-clients 0: %v", err)
	}
}
