package fhir

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzFHIR feeds arbitrary bytes to the reader: it must never panic or
// loop, every error must wrap ErrFormat (the source cannot fail), and
// every record must be well formed.
func FuzzFHIR(f *testing.F) {
	mixed, err := readFixture("mixed.ndjson")
	if err != nil {
		f.Fatal(err)
	}
	bundle, err := readFixture("bundle.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range bytes.Split(mixed, []byte("\n")) {
		f.Add(l)
	}
	f.Add(mixed)
	f.Add(bundle)
	f.Add(bundle[:len(bundle)/2])
	f.Add(compact(f, bundle))
	f.Add([]byte(bundleOf(okPatient, okCond, `{"resourceType":"MedicationRequest","subject":{"reference":"Patient/p1"},"medicationReference":{"reference":"urn:uuid:m"}}`, `{"resourceType":"Medication","code":{"coding":[{"code":"1"}]}}`)))
	f.Add(gzipped(f, mixed[:400]))
	f.Add(zstded(f, bundle[:600]))
	f.Add([]byte("{\n\"entry\":[{\"resource\":{\"resourceType\":\"Bundle\"}}],\"resourceType\":\"Bundle\"}"))
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"fullUrl":"urn:uuid:x","resource":{"resourceType":"Patient"}},null,{"resource":null}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), "fuzz")
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("NewReader error does not wrap ErrFormat: %v", err)
			}
			return
		}
		defer r.Close()
		for n := 0; ; n++ {
			it, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				if !errors.Is(err, ErrFormat) {
					t.Fatalf("error does not wrap ErrFormat: %v", err)
				}
				break
			}
			if n > 1<<20 {
				t.Fatal("too many records")
			}
			checkFuzzItem(t, it)
		}
		st := r.Stats()
		if st.Patients < 0 || st.Events < 0 || st.Resources < st.Patients {
			t.Fatalf("bad stats %+v", st)
		}
	})
}

func checkFuzzItem(t *testing.T, it Item) {
	if it.Line < 1 {
		t.Fatalf("line %d", it.Line)
	}
	switch {
	case it.Patient != nil && it.Event == nil && it.Medication == nil:
		if len(it.Patient.Keys) == 0 {
			t.Fatal("patient without keys")
		}
		switch it.Patient.Gender {
		case "", "male", "female", "other", "unknown":
		default:
			t.Fatalf("gender %q", it.Patient.Gender)
		}
		if it.Patient.BirthDate != "" && !isDate(it.Patient.BirthDate) {
			t.Fatalf("birth date %q", it.Patient.BirthDate)
		}
	case it.Event != nil && it.Patient == nil && it.Medication == nil:
		e := it.Event
		if e.Subject.Kind == "" || e.Subject.ID == "" || e.Type.String() == "EventType(?)" {
			t.Fatalf("event %+v", e)
		}
		if len(e.Codes) == 0 && e.Medication.IsZero() {
			t.Fatalf("event without codes %+v", e)
		}
		for _, c := range e.Codes {
			if c.Code == "" {
				t.Fatalf("empty code in %+v", e)
			}
		}
	case it.Medication != nil && it.Patient == nil && it.Event == nil:
		if len(it.Medication.Keys) == 0 {
			t.Fatal("medication without keys")
		}
	default:
		t.Fatalf("item with not exactly one record: %+v", it)
	}
}
