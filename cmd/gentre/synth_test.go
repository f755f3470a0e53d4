package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// synthPatient is what a generated Patient holds that must never reach the
// store.
type synthPatient struct {
	ResourceType string `json:"resourceType"`
	Identifier   []struct {
		Value string `json:"value"`
	} `json:"identifier"`
	Name []struct {
		Family string   `json:"family"`
		Given  []string `json:"given"`
	} `json:"name"`
	Telecom []struct {
		Value string `json:"value"`
	} `json:"telecom"`
	BirthDate string `json:"birthDate"`
	Address   []struct {
		Line       []string `json:"line"`
		PostalCode string   `json:"postalCode"`
	} `json:"address"`
}

// TestSynthEndToEnd: a synthetic cohort goes through every ingest, the
// store answers about it, and no identifier of the generated files is in
// the dump.
func TestSynthEndToEnd(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cohort")
	gentre(t, "synth", "--out", out, "--patients", "300", "--seed", "5")
	dir := newStore(t)
	if _, errOut, code := gentreExit("ingest", "snomed", "--store", dir, filepath.Join(out, "snomed.rf2.txt")); code != 0 {
		if !strings.Contains(errOut, "unknown command") {
			t.Fatalf("ingest snomed: exit %d: %s", code, errOut)
		}
		t.Log("no `gentre ingest snomed` yet: skipped")
	}
	gentre(t, "ingest", "fhir", "--store", dir, filepath.Join(out, "care.ndjson"))
	gentre(t, "ingest", "vcf", "--store", dir, "--manifest", filepath.Join(out, "manifest.tsv"), filepath.Join(out, "genomes.chr22.vcf.gz"))
	dump := gentre(t, "dump", "--store", dir)

	// What the files hold.
	var secrets []string
	var births []string
	eventDates := map[string]bool{}
	dateRE := regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)
	f, err := os.Open(filepath.Join(out, "care.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	patients := 0
	for sc.Scan() {
		line := sc.Bytes()
		var p synthPatient
		if err := json.Unmarshal(line, &p); err != nil {
			t.Fatal(err)
		}
		if p.ResourceType != "Patient" {
			for _, d := range dateRE.FindAll(line, -1) {
				eventDates[string(d)] = true
			}
			continue
		}
		patients++
		for _, id := range p.Identifier {
			nhs := strings.ReplaceAll(id.Value, " ", "")
			secrets = append(secrets, id.Value, nhs, nhs[:3]+" "+nhs[3:6]+" "+nhs[6:])
		}
		for _, n := range p.Name {
			secrets = append(secrets, n.Family)
			for _, g := range n.Given {
				secrets = append(secrets, g+" "+n.Family)
			}
		}
		for _, tel := range p.Telecom {
			secrets = append(secrets, tel.Value)
		}
		for _, a := range p.Address {
			secrets = append(secrets, a.Line...)
			secrets = append(secrets, a.PostalCode)
		}
		births = append(births, p.BirthDate)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	man, err := os.ReadFile(filepath.Join(out, "manifest.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(man)), "\n")[1:] {
		secrets = append(secrets, strings.Split(l, "\t")[0]) // sample IDs are identifiers too
	}
	if patients != 300 || len(secrets) < 300*6 {
		t.Fatalf("%d patients, %d identifying strings", patients, len(secrets))
	}

	// The genotype tables are large: check their shape (pseudonyms as
	// column names, nothing but calls in the sample columns, no ID but
	// the planted ones) and search the rest of the dump for the strings.
	cut := strings.Index(dump, "# table genotypes")
	if cut < 0 {
		t.Fatal("no genotype table in the dump")
	}
	head, genotypes := dump[:cut], dump[cut:]
	hexRE := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for i, line := range strings.Split(strings.TrimSpace(genotypes), "\n") {
		fields := strings.Split(line, "\t")
		switch {
		case strings.HasPrefix(line, "# table "):
		case i == 1:
			for _, f := range fields[9:] {
				if !hexRE.MatchString(f) {
					t.Fatalf("a genotype column is not named by a pseudonym")
				}
			}
		default:
			if len(fields) != 9+303 || fields[2] != "." && !strings.HasPrefix(fields[2], "gentre_") {
				t.Fatalf("genotype line %d: %d fields, ID %q", i, len(fields), fields[2])
			}
			for _, f := range fields[9:] {
				if len(f) > 3 {
					t.Fatalf("genotype line %d: a call of %d characters", i, len(f))
				}
			}
		}
	}
	for _, s := range secrets {
		if strings.Contains(head, s) {
			t.Errorf("the dump contains an identifier from the generated files (%d characters)", len(s))
		}
	}
	people := dump[strings.Index(dump, "# table people\n"):]
	people = people[:strings.Index(people[1:], "# table ")+1]
	if n := strings.Count(people, "\n"); n != 302 {
		t.Fatalf("people table has %d lines, want title + header + 300", n)
	}
	for _, b := range births {
		// A birth date may coincide with someone's event date, which is
		// stored; it must never be in the people table.
		if strings.Contains(people, b) || !eventDates[b] && strings.Contains(head, b) {
			t.Errorf("the dump contains an exact birth date")
		}
	}

	// The store knows the cohort: 300 people, 303 samples (3 unlinked),
	// the planted type 2 diabetes variant.
	if got := gentre(t, "query", "--store", dir, "count all"); got != "count\n300\n" {
		t.Fatalf("count all: %q", got)
	}
	freq := gentre(t, "query", "--store", dir, "freq chr22:24316207-24316207")
	if !strings.Contains(freq, "chr22\t24316207\tA\tG\t") {
		t.Fatalf("planted variant: %q", freq)
	}
	if !regexp.MustCompile(`\tgenomes\.chr22\.vcf\.gz\t[0-9a-f]{64}\t\d+\t303\tchr22\t`).MatchString(head) {
		t.Fatal("the batches table lacks the VCF with 303 samples")
	}
}
