package main

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gentre/gentre/engine/store"
)

// writeTestVCF writes a plain VCF of n samples and m biallelic sites on
// contig with a seeded mix of genotypes (missing and half calls included).
func writeTestVCF(t testing.TB, path, contig string, firstSample, n, m int, seed int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(w, "##fileformat=VCFv4.2\n##contig=<ID=%s,length=100000000>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT", contig)
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, "\tS%06d", firstSample+i)
	}
	w.WriteByte('\n')
	rng := rand.New(rand.NewSource(seed))
	gts := []string{"0|0", "0|1", "1|0", "1|1", "./.", "./1", "0/0", "0/1"}
	for v := 0; v < m; v++ {
		fmt.Fprintf(w, "%s\t%d\t.\tA\tG\t.\tPASS\t.\tGT", contig, 1000+v*7)
		af := rng.Float64() * rng.Float64()
		for i := 0; i < n; i++ {
			g := 0
			switch r := rng.Float64(); {
			case r < 0.01:
				g = 4 + rng.Intn(2)
			case r < af:
				g = 1 + rng.Intn(3)
			}
			w.WriteString("\t" + gts[g])
		}
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// buildGentre builds the binary once per test run.
func buildGentre(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gentre")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestKilledIngestLeavesPreviousRelease kills `gentre ingest vcf` with
// SIGKILL once it has written chunk files, then checks that the store still
// holds exactly the previous release, verified by checksums, and that the
// same ingest run again completes.
func TestKilledIngestLeavesPreviousRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and writes ~40 MB")
	}
	bin := buildGentre(t)
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "store")
	small := filepath.Join(tmp, "small.vcf")
	big := filepath.Join(tmp, "big.vcf")
	writeTestVCF(t, small, "chr1", 0, 50, 200, 1)
	writeTestVCF(t, big, "chr2", 1000, 400, 25000, 2)

	gentre(t, "init", "--store", dir)
	gentre(t, "ingest", "vcf", "--store", dir, small)
	before := gentre(t, "dump", "--store", dir)
	beforeFreq := gentre(t, "query", "--store", dir, "freq chr1")

	killed := false
	for attempt := 0; attempt < 5 && !killed; attempt++ {
		cmd := exec.Command(bin, "ingest", "vcf", "--store", dir, "--chunk-variants", "64", big)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until the ingest has written chunk files of its own.
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			ents, _ := os.ReadDir(filepath.Join(dir, "chunks"))
			if len(ents) > 10 {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok && !ee.Success() {
			killed = true
		}
	}
	if !killed {
		t.Fatal("the ingest finished before it could be killed")
	}

	st, err := store.Open(dir, nil)
	if err != nil {
		t.Fatalf("store unreadable after the kill: %v", err)
	}
	if err := st.Verify(); err != nil {
		t.Fatalf("verify after the kill: %v", err)
	}
	if after := gentre(t, "dump", "--store", dir); after != before {
		t.Fatal("the killed ingest changed the store's content")
	}
	if got := gentre(t, "query", "--store", dir, "freq chr1"); got != beforeFreq {
		t.Fatal("freq changed after the killed ingest")
	}
	if _, _, code := gentreExit("query", "--store", dir, "freq chr2"); code == 0 {
		t.Fatal("chr2 visible although its ingest never committed")
	}

	// Resuming: the same command completes and removes the orphans.
	gentre(t, "ingest", "vcf", "--store", dir, big)
	st, _ = store.Open(dir, nil)
	if err := st.Verify(); err != nil {
		t.Fatal(err)
	}
	out := gentre(t, "query", "--store", dir, "freq chr2")
	if n := strings.Count(out, "\n"); n != 25001 {
		t.Fatalf("freq chr2 has %d lines after resuming, want 25001", n)
	}
	files := 0
	for _, d := range []string{"chunks", "sites"} {
		ents, _ := os.ReadDir(filepath.Join(dir, d))
		files += len(ents)
	}
	if want := 2 * len(st.Manifest().Chunks); files != want {
		t.Fatalf("%d chunk and site files, manifest names %d: orphans left", files, want)
	}
	// Ingesting the same file again is recognised and skipped.
	_, errOut, code := gentreExit("ingest", "vcf", "--store", dir, big)
	if code != 0 || !strings.Contains(errOut, "already ingested") {
		t.Fatalf("re-ingest: exit %d: %s", code, errOut)
	}
}
