package main

import (
	"strings"
	"testing"
)

// TestCohortQueriesOnHandCheckedFixture: three people (see careNDJSON):
// p1 female born 1961-03, type 2 diabetes (44054006), sample LAB-0001 0/1 at chr1:10;
// p2 male born 1948-11, HbA1c 52.5, a dm+d medication, sample LAB-0002 1|2 at chr1:10;
// p3 female born 1990-07, type 1 diabetes (46635009), sample LAB-0003 ./. at chr1:10.
// Both diabetes types are descendants of 73211009 in the curated SNOMED CT fragment.
func TestCohortQueriesOnHandCheckedFixture(t *testing.T) {
	dir := newStore(t)
	gentre(t, "ingest", "snomed", "--store", dir, "../../ingest/snomed/testdata/curated_relationships.txt")
	gentre(t, "ingest", "fhir", "--store", dir, writeFile(t, "care.ndjson", careNDJSON))
	gentre(t, "ingest", "vcf", "--store", dir, "--manifest", writeFile(t, "m.tsv", careManifest), writeFile(t, "small.vcf", smallVCF))
	q := func(query string, extra ...string) string {
		args := append([]string{"query", "--store", dir, "--as-of", "2026-11-21"}, extra...)
		return gentre(t, append(args, query)...)
	}
	for query, want := range map[string]string{
		"count all": "count\n3\n",
		"count condition(<<73211009) and sex(female)":                "count\n2\n",
		"count condition(<<73211009)":                                "count\n2\n",
		"count condition(73211009)":                                  "count\n0\n",
		"count condition(44054006)":                                  "count\n1\n",
		"count condition(<<44054006) or condition(<<46635009)":       "count\n2\n",
		"count not sex(male)":                                        "count\n2\n",
		"count not sex(male) and condition(<<73211009) or sex(male)": "count\n3\n",
		"count not (sex(male) or condition(<<46635009))":             "count\n1\n",
		"count observation(1003671000000109 >= 48)":                  "count\n1\n",
		"count observation(1003671000000109 > 52.5)":                 "count\n0\n",
		"count medication(10481911000001102)":                        "count\n1\n",
		"count age(60..79)":                                          "count\n2\n",
		"count age(78..78)":                                          "count\n1\n",
		"count carrier(chr1:10:A:T)":                                 "count\n1\n",
		"count carrier(1:10:A:G) and sex(female)":                    "count\n1\n",
		"count all by sex":                                           "sex\tcount\nfemale\t2\nmale\t1\nother\t0\nunknown\t0\n",
		"count all by age":                                           "age\tcount\n0-9\t0\n10-19\t0\n20-29\t0\n30-39\t1\n40-49\t0\n50-59\t0\n60-69\t1\n70-79\t1\n80-89\t0\n90+\t0\nunknown\t0\n",
	} {
		if got := q(query); got != want {
			t.Errorf("%s:\n got %q\nwant %q", query, got, want)
		}
	}
	// Age is completed years with the birth day taken as the 1st of the month.
	if got := q("count age(77..77)", "--as-of", "2026-10-31"); got != "count\n1\n" {
		t.Errorf("age before the birthday month: %q", got)
	}

	// freq in/vs: females {LAB-0001 0/1, LAB-0003 ./.} against males {LAB-0002 1|2}.
	out := q("freq chr1:10-10 in sex(female) vs sex(male)")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if lines[0] != "chrom\tpos\tref\talt\tac\tan\taf\thet\thom_alt\tmissing\tac_vs\tan_vs\taf_vs\thet_vs\thom_alt_vs\tmissing_vs\todds_ratio\tfisher_p\tchisq_p" {
		t.Fatalf("header %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], "chr1\t10\tA\tG\t1\t2\t0.5\t1\t0\t1\t1\t2\t0.5\t1\t0\t0\t1\t1\t1") {
		t.Errorf("G row %q", lines[1])
	}
	if !strings.HasPrefix(lines[2], "chr1\t10\tA\tT\t0\t2\t0\t0\t0\t1\t1\t2\t0.5\t1\t0\t0\t") {
		t.Errorf("T row %q", lines[2])
	}
	// "in all" is the linked samples; no "in" is every sample.
	if got := q("freq chr1:20-20 in all"); !strings.Contains(got, "chr1\t20\tC\tT\t2\t4\t") {
		t.Errorf("in all: %q", got)
	}

	// carriers: per-project pseudonyms, different in each project, never the store's.
	a := q("carriers chr1:10:A:G", "--project", "alpha")
	b := q("carriers chr1:10:A:G", "--project", "beta")
	if strings.Count(a, "\n") != 3 || strings.Count(b, "\n") != 3 || !strings.HasPrefix(a, "pseudonym\n") {
		t.Fatalf("carriers: %q %q", a, b)
	}
	dump := gentre(t, "dump", "--store", dir)
	for _, p := range strings.Split(strings.TrimSpace(a), "\n")[1:] {
		if strings.Contains(b, p) || strings.Contains(dump, p) {
			t.Fatalf("project pseudonym %s joins across projects or with the store", p)
		}
	}
	if got := q("carriers chr1:10:A:T in sex(female)", "--project", "alpha"); got != "pseudonym\n" {
		t.Errorf("carriers in females: %q", got)
	}
	if _, errOut, code := gentreExit("query", "--store", dir, "carriers chr1:10:A:G"); code != 2 || !strings.Contains(errOut, "--project") {
		t.Errorf("carriers without project: %d %s", code, errOut)
	}
	// Unknown things are errors that say what is missing.
	for query, want := range map[string]string{
		"count condition(<<404684003) and carrier(chr1:11:A:G)": "variant chr1:11:A:G",
		"count condition(<<1234567)":                            "1234567",
	} {
		if _, errOut, code := gentreExit("query", "--store", dir, query); code == 0 || !strings.Contains(errOut, want) {
			t.Errorf("%s: %d %s", query, code, errOut)
		}
	}
}
