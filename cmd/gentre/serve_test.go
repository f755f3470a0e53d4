package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe to write from the server goroutine
// and read from the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestServe(t *testing.T) {
	dir := newStore(t)
	gentre(t, "ingest", "fhir", "--store", dir, writeFile(t, "care.ndjson", careNDJSON))
	gentre(t, "project", "create", "--store", dir, "--name", "diabetes-gwas", "--purpose", "research")
	token := strings.TrimSpace(gentre(t, "token", "create", "--store", dir, "--user", "alice", "--role", "researcher", "--project", "diabetes-gwas"))

	// Plain HTTP is refused off loopback, before anything is opened.
	for _, args := range [][]string{
		{"serve", "--store", dir, "--addr", "0.0.0.0:8080"},
		{"serve", "--store", dir, "--addr", "127.0.0.1:0", "--grpc-addr", ":9090"},
		{"serve", "--store", dir, "--addr", "127.0.0.1:0", "--tls-cert", "c.pem"},
	} {
		_, errOut, code := gentreExit(args...)
		if code != 2 || !strings.Contains(errOut, "usage: gentre serve") {
			t.Errorf("%v: exit %d: %s", args, code, errOut)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	done := make(chan error, 1)
	go func() { done <- serve(ctx, []string{"--store", dir, "--addr", "127.0.0.1:0"}, &stderr) }()
	addrRE := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; {
		if m := addrRE.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve returned early: %v: %s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listening address on stderr: %q", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	req, _ := http.NewRequest("POST", base+"/v1/cohorts:count", strings.NewReader(`{"query": "sex(female)"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != 200 || got["count"] != 2.0 {
		t.Fatalf("count: %d %s (%v)", resp.StatusCode, body, err)
	}
	want := gentre(t, "query", "--store", dir, "count sex(female)")
	if want != "count\n2\n" {
		t.Fatalf("the CLI says %q", want)
	}

	// While serving, the TRE database is the gateway's.
	// The commands say so, and point to the API endpoint that does the same.
	if _, errOut, code := gentreExit("token", "create", "--store", dir, "--user", "bob", "--role", "researcher", "--project", "diabetes-gwas"); code == 0 || !strings.Contains(errOut, "serve") || !strings.Contains(errOut, "POST /v1/tokens") {
		t.Errorf("token create while serving: exit %d: %s", code, errOut)
	}
	if _, errOut, code := gentreExit("project", "create", "--store", dir, "--name", "p2", "--purpose", "research"); code == 0 || !strings.Contains(errOut, "POST /v1/projects") {
		t.Errorf("project create while serving: exit %d: %s", code, errOut)
	}

	cancel() // what SIGINT and SIGTERM do
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(stderr.String(), "gentre serve: stopped") {
		t.Fatalf("stderr: %s", stderr.String())
	}
	// Stopped: the database is free again.
	gentre(t, "token", "create", "--store", dir, "--user", "bob", "--role", "researcher", "--project", "diabetes-gwas")
}
