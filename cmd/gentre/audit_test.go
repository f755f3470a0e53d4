package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditOfCommandLineChanges: every change made with the command line
// leaves an entry, `audit verify` passes, and any changed byte fails it.
func TestAuditOfCommandLineChanges(t *testing.T) {
	dir := newStore(t)
	gentre(t, "ingest", "fhir", "--store", dir, writeFile(t, "care.ndjson", careNDJSON))
	gentre(t, "ingest", "vcf", "--store", dir, "--manifest", writeFile(t, "m.tsv", careManifest), writeFile(t, "small.vcf", smallVCF))
	gentre(t, "optout", "--store", dir, writeFile(t, "o.txt", "4010232137\n"))
	out := gentre(t, "audit", "verify", "--store", dir)
	if !strings.Contains(out, "audit log intact: 5 entries") {
		t.Fatalf("verify: %q", out)
	}
	// No identifier in the log.
	assertNotInStore(t, dir, "4010232137", "9434765919", "LAB-0001", "Quuxley")
	entries := filepath.Join(dir, "audit")
	files, _ := os.ReadDir(entries)
	for _, f := range files {
		p := filepath.Join(entries, f.Name())
		orig, _ := os.ReadFile(p)
		if len(orig) < 40 || strings.HasSuffix(f.Name(), ".pub") {
			continue
		}
		for _, off := range []int{10, len(orig) / 2, len(orig) - 3} {
			bad := append([]byte(nil), orig...)
			bad[off] ^= 0x01
			os.WriteFile(p, bad, 0o644)
			if _, _, code := gentreExit("audit", "verify", "--store", dir); code == 0 {
				t.Errorf("%s: flipped byte %d not detected", f.Name(), off)
			}
		}
		os.WriteFile(p, orig[:len(orig)-5], 0o644)
		if _, _, code := gentreExit("audit", "verify", "--store", dir); code == 0 {
			t.Errorf("%s: truncation not detected", f.Name())
		}
		os.WriteFile(p, orig, 0o644)
	}
	if _, errOut, code := gentreExit("audit", "verify", "--store", dir); code != 0 {
		t.Fatalf("restored log fails: %s", errOut)
	}
}
