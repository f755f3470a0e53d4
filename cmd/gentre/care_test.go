package main

import (
	"strings"
	"testing"
)

// Three people; the names, street, phone and exact birth dates must never
// reach the store.
var careNDJSON = strings.Join([]string{
	`{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5919"}],"name":[{"family":"Quuxley","given":["Zebedee"]}],"gender":"female","birthDate":"1961-03-14","telecom":[{"value":"07700900123"}],"address":[{"line":["12 Acacia Avenue"],"postalCode":"LS1 4AP"}]}`,
	`{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]},"onsetDateTime":"2015-06-01"}`,
	`{"resourceType":"Observation","id":"o1","subject":{"reference":"Patient/p2"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"1003671000000109"}]},"valueQuantity":{"value":52.5,"unit":"mmol/mol"},"effectiveDateTime":"2020-01-02"}`,
	`{"resourceType":"Patient","id":"p2","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"4010232137"}],"name":[{"family":"Blenkinsop"}],"gender":"male","birthDate":"1948-11-30","address":[{"postalCode":"SW1A 1AA"}]}`,
	`{"resourceType":"MedicationRequest","id":"m1","subject":{"reference":"Patient/p2"},"medicationCodeableConcept":{"coding":[{"system":"https://dmd.nhs.uk","code":"10481911000001102"}]},"authoredOn":"2021-05-05"}`,
	`{"resourceType":"Patient","id":"p3","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"gender":"female","birthDate":"1990-07-04"}`,
	`{"resourceType":"Condition","id":"c3","subject":{"reference":"Patient/p3"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"46635009"}]}}`,
	`{"resourceType":"Claim","id":"x1"}`,
}, "\n") + "\n"

const careManifest = "sample_id\tnhs_number\nLAB-0001\t9434765919\nLAB-0002\t4010232137\nLAB-0003\t9990000018\n"

func TestCareLinkageAndOptOut(t *testing.T) {
	dir := newStore(t)
	fhirFile := writeFile(t, "care.ndjson", careNDJSON)
	man := writeFile(t, "manifest.tsv", careManifest)
	vcf := writeFile(t, "small.vcf", smallVCF)

	// Genomes with the manifest first, care records after: linkage works
	// whichever comes first.
	gentre(t, "ingest", "vcf", "--store", dir, "--manifest", man, vcf)
	_, errOut, code := gentreExit("ingest", "fhir", "--store", dir, fhirFile)
	if code != 0 || !strings.Contains(errOut, "3 patients") || !strings.Contains(errOut, "Claim 1") {
		t.Fatalf("ingest fhir: exit %d: %s", code, errOut)
	}
	dump := gentre(t, "dump", "--store", dir)
	for _, want := range []string{
		"\tfemale\t1961\t3\tLS1\n", "\tmale\t1948\t11\tSW1A\n",
		"\tcondition\thttp://snomed.info/sct\t44054006\t2015-06-01\t\t\n",
		"\tobservation\thttp://snomed.info/sct\t1003671000000109\t2020-01-02\t52.5\tmmol/mol\n",
		"\tmedication\thttps://dmd.nhs.uk\t10481911000001102\t2021-05-05\t\t\n",
	} {
		if !strings.Contains(dump, want) {
			t.Errorf("dump lacks %q", want)
		}
	}
	identifiers := []string{"9434765919", "943 476 5919", "4010232137", "9990000018", "Quuxley", "Zebedee", "Blenkinsop",
		"Acacia", "07700900123", "1961-03-14", "1948-11-30", "1990-07-04", "LS1 4AP", "SW1A 1AA", "LAB-000"}
	for _, s := range identifiers {
		if strings.Contains(dump, s) {
			t.Errorf("dump contains identifier %q", s)
		}
	}
	assertNotInStore(t, dir, identifiers...)
	if n := strings.Count(section(dump, "links"), "\n"); n != 4 {
		t.Errorf("links table has %d lines, want header + 3", n)
	}

	// The same NHS number in another file, under another resource id, is
	// the same person: no new person, one more event.
	again := `{"resourceType":"Patient","id":"other-id","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"gender":"female","birthDate":"1961-03-14"}` + "\n" +
		`{"resourceType":"Condition","id":"c7","subject":{"reference":"Patient/other-id"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"38341003"}]}}` + "\n"
	_, errOut, code = gentreExit("ingest", "fhir", "--store", dir, writeFile(t, "again.ndjson", again))
	if code != 0 || !strings.Contains(errOut, "1 patients (0 new people)") {
		t.Fatalf("same person again: exit %d: %s", code, errOut)
	}
	if got := gentre(t, "query", "--store", dir, "count condition(38341003) and condition(44054006)"); got != "count\n1\n" {
		t.Fatalf("events of one person from two files not joined: %q", got)
	}

	// Opting out person 2 (LAB-0002) removes the person, their events and
	// their sample's genotypes.
	before := gentre(t, "query", "--store", dir, "freq chr1")
	opt := writeFile(t, "optout.txt", "# opt-outs\n401-023-2137\n")
	_, errOut, code = gentreExit("optout", "--store", dir, opt)
	if code != 0 || !strings.Contains(errOut, "removed 1 people, 2 events, 1 samples") {
		t.Fatalf("optout: exit %d: %s", code, errOut)
	}
	dump = gentre(t, "dump", "--store", dir)
	if strings.Contains(dump, "\tmale\t1948") || strings.Contains(dump, "10481911000001102") || strings.Contains(dump, "52.5") {
		t.Fatal("opted-out person's records remain")
	}
	// The row stays as an empty tombstone so the others keep their indices.
	if people := section(dump, "people"); strings.Count(people, "\n") != 4 || !strings.Contains(people, "\t-\tunknown\tNA\tNA\t\n") {
		t.Fatalf("people table after opt-out:\n%s", people)
	}
	gt := section(dump, "genotypes batch 1")
	if !strings.Contains(gt, "\tGT\t0/1\t./.\n") || !strings.Contains(gt, "\tGT\t0/0\t1\n") {
		t.Fatalf("sample 2's column not removed:\n%s", gt)
	}
	for q, want := range map[string]string{
		"count all": "count\n2\n", "count sex(male)": "count\n0\n",
		"count medication(10481911000001102)": "count\n0\n", "count carrier(chr1:10:A:T)": "count\n0\n",
	} {
		if got := gentre(t, "query", "--store", dir, q); got != want {
			t.Errorf("after opt-out, %s = %q, want %q", q, got, want)
		}
	}
	after := gentre(t, "query", "--store", dir, "freq chr1")
	if after == before || !strings.Contains(after, "chr1\t10\tA\tG\t1\t2\t0.5\t1\t0\t1\n") {
		t.Fatalf("freq after opt-out:\n%s", after)
	}

	// Later ingests drop them: the same FHIR content again is skipped as
	// already ingested; a new file with the opted-out patient skips them;
	// a new VCF with their sample does not store it.
	fhir2 := writeFile(t, "more.ndjson", strings.Replace(careNDJSON, `"id":"x1"`, `"id":"x2"`, 1))
	_, errOut, code = gentreExit("ingest", "fhir", "--store", dir, fhir2)
	if code != 0 || !strings.Contains(errOut, "opted out 1") {
		t.Fatalf("re-ingest: exit %d: %s", code, errOut)
	}
	if dump2 := gentre(t, "dump", "--store", dir); strings.Contains(dump2, "\tmale\t1948") {
		t.Fatal("opted-out person came back")
	}
	vcf2 := writeFile(t, "chr2.vcf", strings.ReplaceAll(smallVCF, "chr1", "chr2"))
	_, errOut, code = gentreExit("ingest", "vcf", "--store", dir, vcf2)
	if code != 0 || !strings.Contains(errOut, "1 samples of opted-out people not stored") {
		t.Fatalf("vcf after opt-out: exit %d: %s", code, errOut)
	}
	if out := gentre(t, "query", "--store", dir, "freq chr2:10-10"); !strings.Contains(out, "chr2\t10\tA\tG\t1\t2\t") {
		t.Fatalf("freq chr2:\n%s", out)
	}
	st := gentre(t, "dump", "--store", dir)
	if c := section(st, "optout"); !strings.Contains(c, "\n1\n") {
		t.Fatalf("optout table: %q", c)
	}
}

func TestCareErrorsLeaveStore(t *testing.T) {
	dir := newStore(t)
	gentre(t, "ingest", "fhir", "--store", dir, writeFile(t, "ok.ndjson", careNDJSON))
	before := gentre(t, "dump", "--store", dir)
	for name, tc := range map[string]struct{ body, want string }{
		"badnhs.ndjson":   {strings.Replace(careNDJSON, "9990000018", "9990000017", 1), "badnhs.ndjson:6: Patient: identifier (NHS number): invalid NHS number: check digit"},
		"dangling.ndjson": {careNDJSON + `{"resourceType":"Condition","id":"c9","subject":{"reference":"Patient/nobody"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"1"}]}}` + "\n", "dangling.ndjson:9: condition: subject: the reference names no Patient"},
		"json.ndjson":     {strings.Replace(careNDJSON, `"resourceType":"Condition","id":"c3"`, `"resourceType":"Condition","id":"c3",,`, 1), "json.ndjson:7:"},
		"bdate.ndjson":    {strings.Replace(careNDJSON, "1990-07-04", "1990-17-04", 1), "bdate.ndjson:6: Patient: birthDate"},
	} {
		_, errOut, code := gentreExit("ingest", "fhir", "--store", dir, writeFile(t, name, tc.body))
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d: %s\nwant %q", name, code, errOut, tc.want)
		}
		for _, id := range []string{"9990000017", "nobody", "1990-17-04", "Quuxley"} {
			if strings.Contains(errOut, id) {
				t.Errorf("%s: error leaks %q: %s", name, id, errOut)
			}
		}
		if after := gentre(t, "dump", "--store", dir); after != before {
			t.Fatalf("%s: failed ingest changed the store", name)
		}
	}
	// A malformed opt-out file or manifest names the line, not the number.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"optout", "--store", dir, writeFile(t, "o.txt", "9434765919\n12345\n")}, "o.txt:2: invalid NHS number"},
		{[]string{"ingest", "manifest", "--store", dir, writeFile(t, "m.tsv", "sample_id\tnhs_number\nA\t9434765910\n")}, "m.tsv:2: nhs_number"},
	} {
		_, errOut, code := gentreExit(tc.args...)
		if code == 0 || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "12345") || strings.Contains(errOut, "9434765910") {
			t.Errorf("%v: exit %d: %s", tc.args[0], code, errOut)
		}
	}
	if after := gentre(t, "dump", "--store", dir); after != before {
		t.Fatal("failed opt-out or manifest changed the store")
	}
	// A sample linked to two people is refused.
	gentre(t, "ingest", "manifest", "--store", dir, writeFile(t, "m1.tsv", careManifest))
	_, errOut, code := gentreExit("ingest", "manifest", "--store", dir, writeFile(t, "m2.tsv", "sample_id\tnhs_number\nLAB-0001\t4010232137\n"))
	if code == 0 || !strings.Contains(errOut, "m2.tsv:2: sample_id: the sample is already linked to another person") {
		t.Fatalf("relink: %d %s", code, errOut)
	}
}

// section returns the rows of table name in a dump.
func section(dump, name string) string {
	i := strings.Index(dump, "# table "+name+"\n")
	if i < 0 {
		return ""
	}
	rest := dump[i+len("# table "+name+"\n"):]
	if j := strings.Index(rest, "# table "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}
