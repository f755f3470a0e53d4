package main

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gentre/gentre/engine/query"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenQueries run against the hand-checked fixture of cohort_test.go.
// Each case records the query, its parse tree (the canonical form the
// parser produced) and the answer; testdata/golden.txt is rewritten with -update.
var goldenQueries = []string{
	"count all",
	"count all by sex",
	"count all by age",
	"count condition(<<73211009)",
	"count condition(<<73211009) and sex(female)",
	"count sex(female) and not condition(<<46635009)",
	"count not sex(male) and age(60..99) or condition(46635009)",
	"count ( sex(male) or sex(female) ) and observation(1003671000000109>=40)",
	"count medication(10481911000001102) or carrier(chr1:10:A:T)",
	"freq chr1",
	"freq 1:10-10 in all",
	"freq chr1 in condition(<<73211009)",
	"freq chr1 in sex(female) vs sex(male)",
	"freq chr1:1-15 in not sex(male) vs all",
	"freq chr1:11-19",
	"carriers chr1:10:A:G",
	"carriers chr1:10:A:G in age(0..70)",
	"frq chr1",
	"count condition(<<73211009",
	"freq chr1:20-10",
	"count age(10..5)",
}

func TestGoldenQueries(t *testing.T) {
	dir := newStore(t)
	gentre(t, "ingest", "snomed", "--store", dir, "../../ingest/snomed/testdata/curated_relationships.txt")
	gentre(t, "ingest", "fhir", "--store", dir, writeFile(t, "care.ndjson", careNDJSON))
	gentre(t, "ingest", "vcf", "--store", dir, "--manifest", writeFile(t, "m.tsv", careManifest), writeFile(t, "small.vcf", smallVCF))
	var b strings.Builder
	for _, q := range goldenQueries {
		b.WriteString("== " + q + "\n")
		parsed, err := query.Parse(q)
		if err != nil {
			b.WriteString("parse error: " + err.Error() + "\n")
			continue
		}
		b.WriteString("-- tree: " + parsed.String() + "\n")
		out, errOut, code := gentreExit("query", "--store", dir, "--as-of", "2026-11-21", "--project", "golden", q)
		if code != 0 {
			b.WriteString("-- error: " + strings.TrimSpace(errOut) + "\n")
			continue
		}
		if strings.HasPrefix(q, "carriers") {
			// Pseudonyms depend on the store's random key: record their number.
			b.WriteString("-- carriers: " + strconv.Itoa(strings.Count(out, "\n")-1) + "\n")
			continue
		}
		b.WriteString(out)
	}
	path := filepath.Join("testdata", "golden.txt")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGoldenQueries -update)", err)
	}
	if b.String() != string(want) {
		t.Fatalf("golden answers changed (go test -run TestGoldenQueries -update to accept):\n%s", firstDiff(b.String(), string(want)))
	}
}
