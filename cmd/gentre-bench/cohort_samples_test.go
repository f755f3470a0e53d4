package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gentre/gentre/ingest/snomed"
)

const rf2Head = "id\teffectiveTime\tactive\tmoduleId\tsourceId\tdestinationId\trelationshipGroup\ttypeId\tcharacteristicTypeId\tmodifierId\n"

func rf2Row(id, time, active, src, dst, typ string) string {
	return strings.Join([]string{id, time, active, "900000000000207008", src, dst, "0", typ, "900000000000011006", "900000000000451002"}, "\t") + "\n"
}

func TestRF2Descendants(t *testing.T) {
	in := rf2Head +
		rf2Row("1", "20200101", "1", "44054006", "73211009", "116680003") + // T2D is-a diabetes
		rf2Row("2", "20200101", "1", "46635009", "73211009", "116680003") + // T1D is-a diabetes
		rf2Row("3", "20200101", "1", "999001", "44054006", "116680003") + // grandchild
		rf2Row("4", "20200101", "1", "999002", "73211009", "363698007") + // not is-a
		rf2Row("5", "20200101", "1", "999003", "73211009", "116680003") + // inactivated later
		rf2Row("5", "20210101", "0", "999003", "73211009", "116680003") +
		rf2Row("6", "20200101", "0", "999004", "73211009", "116680003") + // inactive, re-activated
		rf2Row("6", "20220101", "1", "999004", "73211009", "116680003") +
		rf2Row("7", "20200101", "1", "73211009", "362969004", "116680003") // a parent: not below
	got, err := rf2Descendants(strings.NewReader(in), 73211009)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for id := range got {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	want := []int64{999001, 999004, 44054006, 46635009, 73211009}
	if !slices.Equal(ids, want) {
		t.Fatalf("descendants %v, want %v", ids, want)
	}
	if _, err := rf2Descendants(strings.NewReader("not a header\n"), 1); err == nil {
		t.Error("bad header accepted")
	}
}

// TestRF2DescendantsMatchSnomed checks the harness's walk against the
// ingest/snomed hierarchy on the curated fragment gentre synth writes.
func TestRF2DescendantsMatchSnomed(t *testing.T) {
	rf2 := snomed.CuratedRF2()
	got, err := rf2Descendants(bytes.NewReader(rf2), diabetesConcept)
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := snomed.ParseRF2(bytes.NewReader(rf2), "curated")
	if err != nil {
		t.Fatal(err)
	}
	want, err := h.DescendantsOrSelf(diabetesConcept)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) || len(want) < 3 {
		t.Fatalf("%d descendants, snomed has %d", len(got), len(want))
	}
	for _, id := range want {
		if !got[id] {
			t.Errorf("%d missing", id)
		}
	}
}

func TestCohortFromCareAndManifest(t *testing.T) {
	dir := t.TempDir()
	care := strings.Join([]string{
		// A condition before its patient; codes: T2D, hypertension.
		`{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/a"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]},"onsetDateTime":"2020-01-01"}`,
		`{"resourceType":"Patient","id":"a","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}],"gender":"female","birthDate":"1950-02-03"}`,
		`{"resourceType":"Patient","id":"b","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765870"}],"gender":"male","birthDate":"1960-02-03"}`,
		`{"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/b"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"73211009"}]},"onsetDateTime":"2020-01-01"}`,
		`{"resourceType":"Patient","id":"c","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765889"}],"gender":"female","birthDate":"1970-02-03"}`,
		`{"resourceType":"Condition","id":"c3","subject":{"reference":"Patient/c"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"38341003"}]},"onsetDateTime":"2020-01-01"}`,
	}, "\n") + "\n"
	path := filepath.Join(dir, "care.ndjson")
	if err := os.WriteFile(path, []byte(care), 0o644); err != nil {
		t.Fatal(err)
	}
	people, err := readCare([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	if len(people) != 3 || !people["9434765919"].Female || people["9434765870"].Female {
		t.Fatalf("people %+v", people)
	}
	man, err := readManifestTSV(strings.NewReader("sample_id\tnhs_number\nS1\t9434765919\nS2\t943 476 5870\n# comment\nS3\t9434765889\nS4\t4010232137\n"))
	if err != nil {
		t.Fatal(err)
	}
	desc := map[int64]bool{73211009: true, 44054006: true}
	all := selectCohort(questions[0], people, desc, man)
	if all.People != 2 || !slices.Equal(all.Samples, []string{"S1", "S2"}) {
		t.Errorf("diabetes: %+v", all)
	}
	women := selectCohort(questions[1], people, desc, man)
	if women.People != 1 || !slices.Equal(women.Samples, []string{"S1"}) {
		t.Errorf("diabetic women: %+v", women)
	}
	linked := linkedSamples(people, man)
	keys := make([]string, 0, len(linked))
	for k := range linked {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !slices.Equal(keys, []string{"S1", "S2", "S3"}) { // S4's person has no care records
		t.Errorf("linked %v", keys)
	}

	sf := filepath.Join(dir, "samples.txt")
	if err := writeSampleFile(sf, all.Samples); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(sf); string(b) != "S1\nS2\n" {
		t.Errorf("samples file %q", b)
	}

	// A condition whose subject names no patient is an error.
	bad := filepath.Join(dir, "bad.ndjson")
	os.WriteFile(bad, []byte(`{"resourceType":"Condition","id":"x","subject":{"reference":"Patient/zz"},"code":{"coding":[{"code":"1"}]}}`+"\n"), 0o644)
	if _, err := readCare([]string{bad}); err == nil {
		t.Error("dangling subject accepted")
	}
	if _, err := readManifestTSV(strings.NewReader("sample\tnhs\n")); err == nil {
		t.Error("bad manifest header accepted")
	}
}
