package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
	"github.com/gentre/gentre/trusted-research/audit"
)

// int64Of reads a 64-bit integer field: protojson writes int64 as a JSON
// string of decimal digits.
func int64Of(t *testing.T, what string, v any) int {
	t.Helper()
	str, ok := v.(string)
	if !ok {
		t.Fatalf("%s: %v (%T) is not an int64 in its JSON form (a string)", what, v, v)
	}
	var n int
	if _, err := fmt.Sscan(str, &n); err != nil || fmt.Sprint(n) != str {
		t.Fatalf("%s: %q is not a decimal integer", what, str)
	}
	return n
}

// auditRequests makes n audited requests of several kinds.
func auditRequests(t *testing.T, s *server, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		switch i % 3 {
		case 0:
			s.post("/v1/cohorts:count", s.tokens["researcher"], map[string]any{"query": "sex(female)"})
		case 1:
			s.do("GET", "/v1/projects", s.tokens["citizen"], "") // denied
		case 2:
			s.do("GET", "/v1/projects", "", "") // unauthenticated
		}
	}
}

func TestAuditEntriesWithProofs(t *testing.T) {
	s := startServer(t, serverOpts{})
	auditRequests(t, s, 9)
	pub, err := audit.ReadPublicKey(filepath.Join(s.dir, AuditDir))
	if err != nil {
		t.Fatal(err)
	}
	r := s.do("GET", "/v1/audit/entries?proofs=true", s.tokens["auditor"], "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	size := uint64(int64Of(t, "tree_size", r.json["tree_size"]))
	root, err := hex.DecodeString(r.json["root"].(string))
	if err != nil || size != 9 {
		t.Fatalf("tree_size %d root %v: %v", size, r.json["root"], err)
	}
	// The checkpoint: a summary line, then the signed 160 bytes, whose
	// size and root are the answer's.
	lines := strings.Split(strings.TrimSuffix(r.json["checkpoint"].(string), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], fmt.Sprintf("size %d root %x ", size, root)) {
		t.Fatalf("checkpoint text %q", r.json["checkpoint"])
	}
	bin, err := base64.StdEncoding.DecodeString(lines[1])
	if err != nil {
		t.Fatal(err)
	}
	cp, err := audit.ParseCheckpoint(bin)
	if err != nil || cp.VerifySignature(pub) != nil || cp.Size != size || !bytes.Equal(cp.Root[:], root) {
		t.Fatalf("checkpoint %+v: %v / %v", cp, err, cp.VerifySignature(pub))
	}
	entries := r.json["entries"].([]any)
	if len(entries) != 9 {
		t.Fatalf("%d entries", len(entries))
	}
	for i, x := range entries {
		m := x.(map[string]any)
		seq := uint64(int64Of(t, "seq", m["seq"]))
		canonical, err := base64.StdEncoding.DecodeString(m["canonical"].(string))
		if err != nil || seq != uint64(i) {
			t.Fatalf("entry %d: seq %d: %v", i, seq, err)
		}
		var proof [][]byte
		for _, h := range m["inclusion_proof"].([]any) {
			b, err := hex.DecodeString(h.(string))
			if err != nil {
				t.Fatal(err)
			}
			proof = append(proof, b)
		}
		if err := audit.VerifyInclusion(canonical, seq, size, proof, root); err != nil {
			t.Fatalf("entry %d: %v", seq, err)
		}
		// A changed byte does not verify: the check above can fail.
		bad := bytes.Clone(canonical)
		bad[len(bad)/2] ^= 1
		if audit.VerifyInclusion(bad, seq, size, proof, root) == nil {
			t.Fatalf("entry %d: a changed entry verifies", seq)
		}
		// The fields are the canonical entry's.
		e, err := audit.ParseEntry(canonical)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"actor": e.Actor, "role": e.Role, "project": e.Project, "purpose": e.Purpose, "action": e.Action,
			"request": e.Request, "result": e.Result.String(), "decision": e.Decision}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("entry %d: %s %v, canonical %v", seq, k, m[k], v)
			}
		}
		if tm, err := time.Parse(time.RFC3339Nano, m["time"].(string)); err != nil || !tm.Equal(e.Time) {
			t.Errorf("entry %d: time %v, canonical %v", seq, m["time"], e.Time)
		}
		if int64Of(t, "release", m["release"]) != int(e.Release) {
			t.Errorf("entry %d: release %v, canonical %d", seq, m["release"], e.Release)
		}
	}
	if e := entries[0].(map[string]any); e["actor"] != "alice" || e["action"] != "cohort.count" || e["result"] == "" {
		t.Fatalf("first entry: %v", e)
	}
	if e := entries[2].(map[string]any); e["actor"] != anonymous || e["decision"] != "denied: unauthenticated" {
		t.Fatalf("third entry: %v", e)
	}

	// Paging, the default and largest limits, and bad parameters.
	auditRequests(t, s, 100) // the request above is entry 9: 110 entries now
	for _, tc := range []struct {
		query      string
		first, n   int
		treeAtLast int
	}{
		{"", 0, 100, 110},
		{"?fromSeq=2&limit=3", 2, 3, 0},
		{"?from_seq=105", 105, 7, 0}, // each listing is an entry too
		{"?fromSeq=500", 0, 0, 0},
		{"?limit=1000", 0, 114, 0},
	} {
		r := s.do("GET", "/v1/audit/entries"+tc.query, s.tokens["auditor"], "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", tc.query, r.status, r.body)
		}
		es := r.json["entries"].([]any)
		if len(es) != tc.n {
			t.Fatalf("%s: %d entries, want %d", tc.query, len(es), tc.n)
		}
		if tc.n > 0 && int64Of(t, "seq", es[0].(map[string]any)["seq"]) != tc.first {
			t.Fatalf("%s: first %v", tc.query, es[0])
		}
		if tc.n > 0 && len(es[0].(map[string]any)["inclusion_proof"].([]any)) != 0 {
			t.Fatalf("%s: proofs without proofs=true", tc.query)
		}
		if tc.treeAtLast > 0 && int64Of(t, "tree_size", r.json["tree_size"]) != tc.treeAtLast {
			t.Fatalf("%s: tree_size %v", tc.query, r.json["tree_size"])
		}
	}
	for _, tc := range []struct{ query, want string }{
		{"?limit=1001", "limit: at most 1000"},
		{"?limit=-1", "limit: negative"},
		{"?fromSeq=-1", "from_seq: negative"},
		{"?proofs=maybe", "proofs"},
	} {
		r := s.do("GET", "/v1/audit/entries"+tc.query, s.tokens["auditor"], "")
		if msg, _ := r.json["message"].(string); r.status != 400 || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %s", tc.query, r.status, r.body)
		}
	}
	// The listing is itself audited, with its parameters.
	before := s.g.AuditLog().Size()
	s.do("GET", "/v1/audit/entries?fromSeq=7&limit=2&proofs=true", s.tokens["auditor"], "")
	if e := auditEntry(t, s, before); e.Action != "audit.read" || e.Actor != "audrey" || e.Request != "GET /v1/audit/entries from_seq=7 limit=2 proofs=true" {
		t.Fatalf("audit entry: %+v", e)
	}
	// gRPC.
	resp, err := s.client(s.addr).ListAuditEntries(s.ctx(s.tokens["auditor"]), &gentrev1.ListAuditEntriesRequest{FromSeq: 3, Limit: 1, Proofs: true})
	if err != nil || len(resp.Entries) != 1 || resp.Entries[0].Seq != 3 {
		t.Fatalf("gRPC: %v %v", resp, err)
	}
	root, _ = hex.DecodeString(resp.Root)
	var proof [][]byte
	for _, h := range resp.Entries[0].InclusionProof {
		b, _ := hex.DecodeString(h)
		proof = append(proof, b)
	}
	if err := audit.VerifyInclusion(resp.Entries[0].Canonical, 3, uint64(resp.TreeSize), proof, root); err != nil {
		t.Fatalf("gRPC proof: %v", err)
	}
	if _, err := s.client(s.addr).ListAuditEntries(s.ctx(s.tokens["researcher"]), &gentrev1.ListAuditEntriesRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("researcher: %v", err)
	}
}

func verify(t *testing.T, s *server) (intact bool, entries int, problem string) {
	t.Helper()
	r := s.post("/v1/audit:verify", s.tokens["auditor"], map[string]any{})
	if r.status != 200 {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	return r.json["intact"].(bool), int64Of(t, "entries", r.json["entries"]), r.json["problem"].(string)
}

// TestAuditVerifyWhileServing verifies the log the gateway is appending
// to, while other requests append: every verification is intact.
func TestAuditVerifyWhileServing(t *testing.T) {
	s := startServer(t, serverOpts{})
	auditRequests(t, s, 5)
	if ok, n, p := verify(t, s); !ok || n != 5 || p != "" {
		t.Fatalf("verify: %v %d %q", ok, n, p)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				s.post("/v1/cohorts:count", s.tokens["researcher"], map[string]any{"query": "all"})
			}
		}()
	}
	last := 0
	for i := 0; i < 8; i++ {
		ok, n, p := verify(t, s)
		if !ok || p != "" || n < last {
			close(stop)
			wg.Wait()
			t.Fatalf("verification %d while appending: intact %v, %d entries, problem %q", i, ok, n, p)
		}
		last = n
	}
	close(stop)
	wg.Wait()
	if last <= 6 {
		t.Fatalf("the log did not grow while verifying (%d entries)", last)
	}
	t.Logf("8 verifications while appending; the last read %d entries", last)
}

// TestAuditVerifyFindsTampering: a changed byte in the entries file, or a
// replaced public key, is reported with its place and no entry content.
func TestAuditVerifyFindsTampering(t *testing.T) {
	s := startServer(t, serverOpts{})
	auditRequests(t, s, 6) // entries 0..5; 3 is alice's second count
	dir := filepath.Join(s.dir, AuditDir)
	f, err := os.OpenFile(filepath.Join(dir, audit.EntriesFile), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	first := bytes.Index(data, []byte(`"actor":"alice"`))
	at := first + 1 + bytes.Index(data[first+1:], []byte(`"actor":"alice"`)) + len(`"actor":"`)
	if first < 0 || at <= first {
		t.Fatal("alice's second entry not found")
	}
	if _, err := f.WriteAt([]byte{'A'}, int64(at)); err != nil {
		t.Fatal(err)
	}
	ok, n, p := verify(t, s)
	if ok || !strings.HasPrefix(p, audit.EntriesFile+" at byte ") || !strings.Contains(p, "(entry 3, checkpoint -1)") || n != 3 {
		t.Fatalf("after a changed byte: intact %v, %d entries, %q", ok, n, p)
	}
	for _, content := range []string{"alice", "Alice", "sex(female)", "cohort.count", projStudy} {
		if strings.Contains(p, content) {
			t.Fatalf("the problem quotes entry content (%s): %q", content, p)
		}
	}
	// The CLI's check agrees (on the same files).
	pub, _ := audit.ReadPublicKey(dir)
	if _, err := audit.Verify(dir, pub); err == nil {
		t.Fatal("audit.Verify passes a changed log")
	}
	// Put it back: intact again (the log kept appending meanwhile).
	if _, err := f.WriteAt([]byte{'a'}, int64(at)); err != nil {
		t.Fatal(err)
	}
	if ok, _, p := verify(t, s); !ok {
		t.Fatalf("restored: %q", p)
	}
	// A replaced audit.pub is reported, not trusted.
	other := t.TempDir()
	if err := audit.Init(filepath.Join(other, "audit"), filepath.Join(other, "secrets")); err != nil {
		t.Fatal(err)
	}
	forged, err := os.ReadFile(filepath.Join(other, "audit", audit.PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(filepath.Join(dir, audit.PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	writeKey := func(b []byte) {
		if err := os.WriteFile(filepath.Join(dir, audit.PublicKeyFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeKey(forged)
	if ok, _, p := verify(t, s); ok || p != "audit.pub: not the key the log is signed with" {
		t.Fatalf("forged key: %v %q", ok, p)
	}
	writeKey(orig)
	if ok, _, p := verify(t, s); !ok {
		t.Fatalf("key restored: %q", p)
	}
}

// TestAuditConsistency: an auditor who kept an earlier checkpoint gets a
// proof that the log only grew since, which verifies against both signed
// roots; a changed proof or root does not verify; sizes beyond the log are
// refused.
func TestAuditConsistency(t *testing.T) {
	s := startServer(t, serverOpts{})
	auditRequests(t, s, 5)
	r := s.do("GET", "/v1/audit/entries?limit=1", s.tokens["auditor"], "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	oldSize := uint64(int64Of(t, "tree_size", r.json["tree_size"]))
	oldRoot, _ := hex.DecodeString(r.json["root"].(string))
	auditRequests(t, s, 7)

	for _, old := range []uint64{0, 1, oldSize} {
		r = s.do("GET", fmt.Sprintf("/v1/audit/consistency?oldSize=%d", old), s.tokens["auditor"], "")
		if r.status != 200 {
			t.Fatalf("old %d: %d %s", old, r.status, r.body)
		}
		newSize := uint64(int64Of(t, "new_size", r.json["new_size"]))
		gotOld, _ := hex.DecodeString(r.json["old_root"].(string))
		newRoot, _ := hex.DecodeString(r.json["new_root"].(string))
		var proof [][]byte
		for _, h := range r.json["proof"].([]any) {
			b, err := hex.DecodeString(h.(string))
			if err != nil {
				t.Fatal(err)
			}
			proof = append(proof, b)
		}
		if newSize <= oldSize {
			t.Fatalf("the log did not grow: %d after %d", newSize, oldSize)
		}
		if old == oldSize && !bytes.Equal(gotOld, oldRoot) {
			t.Fatal("the old root differs from the one the earlier checkpoint signed")
		}
		if err := audit.VerifyConsistency(old, newSize, gotOld, newRoot, proof); err != nil {
			t.Fatalf("old %d: %v", old, err)
		}
		if old > 0 {
			bad := append([]byte(nil), gotOld...)
			bad[0] ^= 1
			if audit.VerifyConsistency(old, newSize, bad, newRoot, proof) == nil {
				t.Fatalf("old %d: a changed old root verified", old)
			}
		}
		if len(proof) > 0 {
			proof[0][0] ^= 1
			if audit.VerifyConsistency(old, newSize, gotOld, newRoot, proof) == nil {
				t.Fatalf("old %d: a changed proof verified", old)
			}
		}
	}
	for _, q := range []string{"oldSize=-1", "oldSize=100000"} {
		if r := s.do("GET", "/v1/audit/consistency?"+q, s.tokens["auditor"], ""); r.status != 400 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	if r := s.do("GET", "/v1/audit/consistency?oldSize=1", s.tokens["researcher"], ""); r.status != 403 {
		t.Errorf("researcher: %d", r.status)
	}
}
