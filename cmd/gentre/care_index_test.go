package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gentre/gentre/engine/care"
	"github.com/gentre/gentre/engine/store"
)

// currentIndex checks that the store's release has a care index that is
// whole and built from exactly its people, events, links and samples.
func currentIndex(t *testing.T, dir string) *care.Index {
	t.Helper()
	st, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := &st.Manifest().Care
	data, err := st.ReadFile(c.Index)
	if c.Index == "" || err != nil {
		t.Fatalf("no care index (%q): %v", c.Index, err)
	}
	if err := care.VerifyIndex(c.Index, data); err != nil {
		t.Fatal(err)
	}
	x, err := care.OpenIndex(c.Index, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	digest, err := st.SampleListDigest()
	if err != nil {
		t.Fatal(err)
	}
	s := x.Stamp()
	want := care.IndexStamp{People: c.People, Events: c.Events, Links: c.Links}
	if !s.SameCare(&want) || s.Samples != digest || x.NSamples() != st.Manifest().NSamples || x.NPeople() != c.NPeople {
		t.Fatalf("care index %s is not the release's: %+v", c.Index, s)
	}
	return x
}

// TestCareIndexThroughCommands: every command that changes care records,
// links or samples leaves a current care index; an opt-out's index holds
// nobody of the opted-out person; a store whose release has no index
// answers the same from Parquet and gets one at the next ingest; a
// corrupt index makes a query fail naming the file.
func TestCareIndexThroughCommands(t *testing.T) {
	dir := newStore(t)
	gentre(t, "ingest", "vcf", "--store", dir, "--manifest", writeFile(t, "m.tsv", careManifest), writeFile(t, "small.vcf", smallVCF))
	gentre(t, "ingest", "fhir", "--store", dir, writeFile(t, "care.ndjson", careNDJSON))
	currentIndex(t, dir)
	gentre(t, "project", "create", "--store", dir, "--name", "p1", "--purpose", "research")
	queries := []string{"count all by sex", "count all by age", "count medication(10481911000001102)",
		"count observation(1003671000000109 > 50)", "freq chr1 in sex(male)", "carriers chr1:10:A:T"}
	answers := func() string {
		var b strings.Builder
		for _, q := range queries {
			b.WriteString(gentre(t, "query", "--store", dir, "--project", "p1", "--as-of", "2025-01-01", q))
		}
		return b.String()
	}
	before := answers()

	// A release without an index (as written before it existed) answers
	// the same; the next ingest writes one.
	st, err := store.OpenWriter(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := st.Begin()
	if err != nil {
		t.Fatal(err)
	}
	tx.Obsolete(tx.Manifest().Care.Index)
	tx.Manifest().Care.Index, tx.Manifest().Care.IndexSHA256 = "", ""
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if got := answers(); got != before {
		t.Fatalf("without an index:\n%s\nwant\n%s", got, before)
	}
	gentre(t, "ingest", "vcf", "--store", dir, writeFile(t, "chr2.vcf", strings.ReplaceAll(smallVCF, "chr1", "chr2")))
	currentIndex(t, dir)
	if got := answers(); got != before {
		t.Fatalf("after the index came back:\n%s\nwant\n%s", got, before)
	}

	// Opting out person 2 (male, LAB-0002).
	gentre(t, "optout", "--store", dir, writeFile(t, "optout.txt", "4010232137\n"))
	x := currentIndex(t, dir)
	all, bySex, err := x.PeopleSets()
	if err != nil {
		t.Fatal(err)
	}
	if all.Contains(1) || !bySex[care.SexMale].IsEmpty() {
		t.Fatalf("opted-out person in the index's people: %v", all.ToArray())
	}
	sm, err := x.SampleMap()
	if err != nil {
		t.Fatal(err)
	}
	for g, p := range sm {
		if p == 1 {
			t.Fatalf("sample %d still maps to the opted-out person", g)
		}
	}
	if d, err := x.Codes(care.Medication); err != nil || d.Len() != 0 {
		t.Fatalf("opted-out person's medication still indexed (%v)", err)
	}
	if got := gentre(t, "query", "--store", dir, "count observation(1003671000000109 > 50)"); got != "count\n0\n" {
		t.Fatalf("opted-out person's observation still counted: %q", got)
	}

	// A corrupt index: the query fails, naming the file, and never answers.
	st2, err := store.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	rel := st2.Manifest().Care.Index
	path := filepath.Join(dir, rel)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-3] ^= 0x10 // the last section with bytes: the observation directory
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := gentreExit("query", "--store", dir, "count observation(1003671000000109 > 50)")
	if code == 0 || out != "" || !strings.Contains(errOut, rel) {
		t.Fatalf("corrupt index: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
