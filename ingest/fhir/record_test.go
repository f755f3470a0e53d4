package fhir

import (
	"io"
	"reflect"
	"strings"
	"testing"
)

// TestRecordFields guards the privacy contract: the records have exactly
// these fields. Adding one (a name, an address line, a free-text note)
// must be a deliberate decision, reviewed against the privacy defaults.
func TestRecordFields(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{Patient{}, "Keys NHSNumber Gender BirthDate PostalCode Deceased"},
		{Event{}, "Type Subject Codes Medication Date Value HasValue Unit Status"},
		{Medication{}, "Keys Codes"},
		{Ref{}, "Kind ID"},
		{Coding{}, "System Code"},
	} {
		typ := reflect.TypeOf(tc.v)
		var got []string
		for i := 0; i < typ.NumField(); i++ {
			got = append(got, typ.Field(i).Name)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s has fields %v, want %s", typ.Name(), got, tc.want)
		}
	}
}

func TestContained(t *testing.T) {
	in := `{"resourceType":"MedicationRequest","status":"active","subject":{"reference":"Patient/p1"},"medicationReference":{"reference":"#m2"},` +
		`"contained":[{"resourceType":"Questionnaire","id":"q","code":[{"code":"x"}]},{"resourceType":"Patient","id":"pp","name":[{"family":"Quuxington"}]},` +
		`{"resourceType":"Medication","id":"m1","code":{"coding":[{"code":"111"}]}},{"resourceType":"Medication","id":"m2","code":{"coding":[{"system":"https://dmd.nhs.uk","code":"222"}],"text":"Quuxington's pills"}}]}`
	got, _, err := readAll(t, []byte(in), "c.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{evt(1, Event{Type: MedicationRequest, Subject: p1, Codes: []Coding{dmd("222")}, Medication: Ref{KindContained, "m2"}, Status: "active"})}
	checkItems(t, got, want)
	checkNoSecrets(t, got, []string{"Quuxington"})

	bad := strings.Replace(in, `"code":{"coding":[{"system":"https://dmd.nhs.uk","code":"222"}]`, `"code":{"coding":{"code":"Quuxington"}`, 1)
	_, _, err = readAll(t, []byte(bad), "c.ndjson")
	checkErr(t, err, "c.ndjson:1:", "MedicationRequest.contained.code.coding: unexpected JSON type")
	if strings.Contains(err.Error(), "Quuxington") {
		t.Errorf("error %q reveals a value", err)
	}
}

func TestReaderAfterEnd(t *testing.T) {
	r, err := NewReader(strings.NewReader(okPatient+"\n"+`{"resourceType":"Claim"}`), "f")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if it, err := r.Next(); err != nil || it.Patient == nil {
		t.Fatalf("first: %+v, %v", it, err)
	}
	for i := 0; i < 3; i++ {
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("after the end: %v", err)
		}
	}
	st := r.Stats()
	st.Skipped["Claim"] = 99
	if r.Stats().Skipped["Claim"] != 1 {
		t.Error("Stats shares its map with the reader")
	}
}
