package care

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
)

func TestPeopleRoundTrip(t *testing.T) {
	in := []Person{
		{Pseudonym: "aa", Sex: SexFemale, BirthYear: 1970, BirthMonth: 3, Area: "SW1A", Refs: []string{"r1", "r2"}},
		{Pseudonym: "bb", Sex: SexUnknown},
		{Pseudonym: "cc", Sex: SexMale, BirthYear: 2001, Area: "M1"},
	}
	var buf bytes.Buffer
	if err := WritePeople(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadPeople("p", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Fatalf("got %+v\nwant %+v", out, in)
	}
	if _, err := ReadPeople("p", buf.Bytes()[:buf.Len()/2]); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated: %v", err)
	}
	// An events table is not a people table.
	var eb bytes.Buffer
	NewEventWriter().WriteParquet(&eb)
	if _, err := ReadPeople("e", eb.Bytes()); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("wrong schema: %v", err)
	}
}

func TestEventsRoundTrip(t *testing.T) {
	in := []Event{
		{Person: 0, Kind: Condition, System: "http://snomed.info/sct", Code: "44054006", Date: 12000, Value: math.NaN()},
		{Person: 2, Kind: Observation, System: "http://loinc.org", Code: "4548-4", Date: NoDate, Value: 48.5, Unit: "mmol/mol"},
		{Person: 1, Kind: Medication, System: "https://dmd.nhs.uk", Code: "10481911000001102", Date: -5, Value: math.NaN()},
	}
	ew := NewEventWriter()
	for i := range in {
		ew.Add(&in[i])
	}
	var buf bytes.Buffer
	if err := ew.WriteParquet(&buf); err != nil {
		t.Fatal(err)
	}
	var out []Event
	err := ReadEvents("e", buf.Bytes(), func(e *Event) error { out = append(out, *e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("%d events", len(out))
	}
	for i := range in {
		a, b := in[i], out[i]
		if math.IsNaN(a.Value) != math.IsNaN(b.Value) || (!math.IsNaN(a.Value) && a.Value != b.Value) {
			t.Fatalf("event %d value %v want %v", i, b.Value, a.Value)
		}
		a.Value, b.Value = 0, 0
		if a != b {
			t.Fatalf("event %d: %+v want %+v", i, b, a)
		}
	}
}

func TestDays(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int32
		bad  bool
	}{
		{"1970-01-01", 0, false},
		{"1970-01-02", 1, false},
		{"1969-12-31", -1, false},
		{"2000-03", 11017, false},
		{"2000", 10957, false},
		{"2000-03-01T23:59:59+01:00", 11017, false},
		{"2000-03-01T10:00", 11017, false},
		{"", NoDate, false},
		{"03/01/2000", 0, true},
		{"2000-13-01", 0, true},
	} {
		got, err := Days(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("Days(%q) = %d, %v", tc.in, got, err)
		}
	}
	if Date(11017) != "2000-03-01" || Date(NoDate) != "" || Date(-1) != "1969-12-31" {
		t.Fatal("Date formatting")
	}
}
