package fhir

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// readAll reads every item of data; it stops at the first error.
func readAll(t testing.TB, data []byte, name string) ([]Item, Stats, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), name)
	if err != nil {
		return nil, Stats{}, err
	}
	defer r.Close()
	var items []Item
	for {
		it, err := r.Next()
		if err == io.EOF {
			return items, r.Stats(), nil
		}
		if err != nil {
			if _, err2 := r.Next(); err2 != err {
				t.Errorf("error not sticky: %v, then %v", err, err2)
			}
			return items, r.Stats(), err
		}
		n := 0
		for _, set := range []bool{it.Patient != nil, it.Event != nil, it.Medication != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("item at line %d has %d records set", it.Line, n)
		}
		items = append(items, it)
	}
}

func readFixture(name string) ([]byte, error) { return os.ReadFile("testdata/" + name) }

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := readFixture(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipped(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstded(t testing.TB, b []byte) []byte {
	w, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return w.EncodeAll(b, nil)
}

func snomed(code string) Coding { return Coding{SystemSNOMED, code} }
func loinc(code string) Coding  { return Coding{SystemLOINC, code} }
func dmd(code string) Coding    { return Coding{SystemDMD, code} }

func pat(line int, p Patient) Item { return Item{Line: line, Patient: &p} }
func evt(line int, e Event) Item   { return Item{Line: line, Event: &e} }

var (
	p1 = Ref{"Patient", "p1"}
	p2 = Ref{"Patient", "p2"}
)

var wantMixed = []Item{
	pat(1, Patient{Keys: []Ref{p1, {KindNHSNumber, "9434765919"}}, NHSNumber: "9434765919", Gender: "female", BirthDate: "1970-04", PostalCode: "LS1 4AP"}),
	pat(3, Patient{Keys: []Ref{p2}, Gender: "male", BirthDate: "1955", PostalCode: "M1 1AE", Deceased: true}),
	evt(4, Event{Type: Condition, Subject: p1, Codes: []Coding{snomed("44054006"), {"http://hl7.org/fhir/sid/icd-10", "E11"}}, Date: "2015-06-01", Status: "active"}),
	evt(5, Event{Type: Observation, Subject: p1, Codes: []Coding{loinc("8480-6"), snomed("271649006")}, Date: "2021-03-04T10:00:00Z", Value: 142, HasValue: true, Unit: "mmHg", Status: "final"}),
	evt(5, Event{Type: Observation, Subject: p1, Codes: []Coding{loinc("8462-4")}, Date: "2021-03-04T10:00:00Z", Value: 91.5, HasValue: true, Unit: "mm[Hg]", Status: "final"}),
	evt(6, Event{Type: Observation, Subject: p2, Codes: []Coding{snomed("1107481000000106")}, Date: "2022-11-30", Value: 48, HasValue: true, Unit: "mmol/mol", Status: "final"}),
	evt(7, Event{Type: Observation, Subject: p2, Codes: []Coding{loinc("72166-2")}, Date: "2022-11-30", Status: "final"}),
	{Line: 8, Medication: &Medication{Keys: []Ref{{"Medication", "med1"}}, Codes: []Coding{dmd("39113611000001102")}}},
	evt(9, Event{Type: MedicationRequest, Subject: p1, Codes: []Coding{dmd("39113611000001102")}, Medication: Ref{"Medication", "med1"}, Date: "2023-01-15", Status: "active"}),
	evt(10, Event{Type: MedicationStatement, Subject: p2, Codes: []Coding{dmd("42206511000001102"), snomed("317919004")}, Date: "2019-05", Status: "completed"}),
	evt(11, Event{Type: MedicationRequest, Subject: p2, Codes: []Coding{snomed("322236009")}, Medication: Ref{KindContained, "m"}, Date: "2018-02-03", Status: "stopped"}),
	// Medication/later comes after the request: outside a Bundle it is left
	// for the caller to resolve.
	evt(12, Event{Type: MedicationRequest, Subject: p1, Medication: Ref{"Medication", "later"}, Date: "2023-02-01", Status: "active"}),
	{Line: 13, Medication: &Medication{Keys: []Ref{{"Medication", "later"}}, Codes: []Coding{dmd("3191311000001101")}}},
	evt(14, Event{Type: Procedure, Subject: p2, Codes: []Coding{snomed("80146002")}, Date: "2010-07-08", Status: "completed"}),
	evt(15, Event{Type: Encounter, Subject: Ref{KindNHSNumber, "9434765919"}, Codes: []Coding{snomed("185347001")}, Date: "2023-01-15T09:00:00Z", Status: "finished"}),
	evt(16, Event{Type: Encounter, Subject: Ref{KindNHSNumber, "9434765919"}, Codes: []Coding{{"http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP"}}, Date: "2023-03-01", Status: "in-progress"}),
	evt(22, Event{Type: Observation, Subject: p1, Codes: []Coding{loinc("29463-7")}, Date: "2024-01-01T08:00:00.000Z", Value: 70.25, HasValue: true, Unit: "kg", Status: "final"}),
}

var wantMixedStats = Stats{Resources: 21, Patients: 2, Events: 13, Medications: 2, Skipped: map[string]int{
	"Claim": 1, "ExplanationOfBenefit": 1, "Immunization": 1, "other": 1, "Observation (no subject)": 1,
}}

// Strings of mixed.ndjson and bundle.json that must never reach a record.
var secrets = []string{
	"Zebedee", "Quux", "Secretive", "Leedsborough", "MRN-ZQ", "0113", "zebedee@", "secret", "mornings", "T2DM",
	"4010232137", "Wigglesworth", "Former Road", "Current Street", "OL1 1AA", "display only", "Former smoker",
	"Fotheringay", "Persephone", "07700", "Hiddenway", "Flat 3", "Nottsford", "H-ZQ-777", "Ottoline",
}

func checkItems(t *testing.T, got []Item, want []Item) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d items, want %d", len(got), len(want))
	}
	for i := 0; i < len(got) && i < len(want); i++ {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("item %d:\n got %s\nwant %s", i, dump(got[i]), dump(want[i]))
		}
	}
}

func dump(it Item) string {
	return fmt.Sprintf("line %d %+v %+v %+v", it.Line, it.Patient, it.Event, it.Medication)
}

func checkNoSecrets(t *testing.T, items []Item, secrets []string) {
	t.Helper()
	var all strings.Builder
	for _, it := range items {
		all.WriteString(dump(it))
		b, _ := json.Marshal(it)
		all.Write(b)
	}
	s := strings.ToLower(all.String())
	for _, sec := range secrets {
		if strings.Contains(s, strings.ToLower(sec)) {
			t.Errorf("records contain %q", sec)
		}
	}
}

func TestNDJSON(t *testing.T) {
	data := mustRead(t, "mixed.ndjson")
	crlf := bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
	noFinalNewline := bytes.TrimSuffix(data, []byte("\n"))
	bomAndBlank := append([]byte("\xef\xbb\xbf\n  \n"), data...)
	for _, tc := range []struct {
		name  string
		data  []byte
		shift int // lines added before the fixture
	}{
		{"plain", data, 0},
		{"crlf", crlf, 0},
		{"no final newline", noFinalNewline, 0},
		{"bom and blank lines", bomAndBlank, 2},
		{"gzip", gzipped(t, data), 0},
		{"zstd", zstded(t, crlf), 0},
		{"gzip of two members", append(gzipped(t, data[:len(data)/2]), gzipped(t, data[len(data)/2:])...), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, st, err := readAll(t, tc.data, "mixed.ndjson")
			if err != nil {
				t.Fatal(err)
			}
			want := make([]Item, len(wantMixed))
			for i, it := range wantMixed {
				it.Line += tc.shift
				want[i] = it
			}
			checkItems(t, got, want)
			if !reflect.DeepEqual(st, wantMixedStats) {
				t.Errorf("stats %+v, want %+v", st, wantMixedStats)
			}
			checkNoSecrets(t, got, secrets)
		})
	}
}

var (
	uuidA  = Ref{KindUUID, "5f2b3c1e-0000-4000-8000-000000000001"}
	patB   = Ref{"Patient", "pat-b"}
	medRef = Ref{KindUUID, "5f2b3c1e-0000-4000-8000-0000000000ff"}
)

var wantBundle = []Item{
	pat(9, Patient{Keys: []Ref{{"Patient", "pat-a"}, uuidA, {KindNHSNumber, "9000000009"}}, NHSNumber: "9000000009", Gender: "other", BirthDate: "1988-12-25", PostalCode: "NG7 2RD"}),
	evt(37, Event{Type: Observation, Subject: uuidA, Codes: []Coding{loinc("8480-6")}, Date: "2024-04-29", Value: 120, HasValue: true, Unit: "mm[Hg]", Status: "final"}),
	evt(37, Event{Type: Observation, Subject: uuidA, Codes: []Coding{loinc("8462-4")}, Date: "2024-04-29", Value: 80, HasValue: true, Unit: "mm[Hg]", Status: "final"}),
	{Line: 55, Medication: &Medication{Keys: []Ref{medRef}, Codes: []Coding{dmd("39720311000001101")}}},
	pat(62, Patient{Keys: []Ref{patB}, Gender: "male", BirthDate: "1940"}),
	evt(76, Event{Type: Condition, Subject: patB, Codes: []Coding{snomed("195967001")}, Date: "1999-09", Status: "resolved"}),
	evt(85, Event{Type: Encounter, Subject: patB, Codes: []Coding{{"http://terminology.hl7.org/CodeSystem/v3-ActCode", "EMER"}}, Date: "2001-01-01T12:00:00Z", Status: "finished"}),
	// The request precedes its Medication: held to the end of the Bundle.
	evt(27, Event{Type: MedicationRequest, Subject: uuidA, Codes: []Coding{dmd("39720311000001101")}, Medication: medRef, Date: "2024-04-30", Status: "active"}),
}

var wantBundleStats = Stats{Resources: 8, Patients: 2, Events: 5, Medications: 1, Skipped: map[string]int{"Claim": 1}}

func compact(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func atLine(items []Item, line int) []Item {
	out := make([]Item, len(items))
	for i, it := range items {
		it.Line = line
		out[i] = it
	}
	return out
}

func TestBundle(t *testing.T) {
	data := mustRead(t, "bundle.json")
	one := compact(t, data)
	// The same Bundle with "entry" before "resourceType", and every entry
	// inside-out (resourceType last, fullUrl after resource): the line
	// numbers move, so only the records are compared.
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	reordered, err := json.MarshalIndent(doc, "", " ") // keys sorted: entry < resourceType, fullUrl < resource, code < resourceType
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		data     []byte
		want     []Item
		anyLines bool
	}{
		{"pretty", data, wantBundle, false},
		{"crlf", bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")), wantBundle, false},
		{"zstd", zstded(t, data), wantBundle, false},
		{"gzip", gzipped(t, data), wantBundle, false},
		{"one line", one, atLine(wantBundle, 1), false},
		{"one line then blank lines", append(append([]byte("\n"), one...), "\n\n"...), atLine(wantBundle, 2), false},
		{"keys reordered", reordered, wantBundle, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, st, err := readAll(t, tc.data, "bundle.json")
			if err != nil {
				t.Fatal(err)
			}
			if tc.anyLines {
				for i := range got {
					got[i].Line = tc.want[min(i, len(tc.want)-1)].Line
				}
			}
			checkItems(t, got, tc.want)
			if !reflect.DeepEqual(st, wantBundleStats) {
				t.Errorf("stats %+v, want %+v", st, wantBundleStats)
			}
			checkNoSecrets(t, got, secrets)
		})
	}
}

// TestBundlePerLine: a file of whole Bundles, one a line (one per patient,
// a common export shape), is streamed like a Bundle document.
func TestBundlePerLine(t *testing.T) {
	one := compact(t, mustRead(t, "bundle.json"))
	var in bytes.Buffer
	for _, s := range [][]byte{one, []byte("\n"), one, []byte("\n\n"), one, []byte("\n")} {
		in.Write(s)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{{"plain", in.Bytes()}, {"zstd", zstded(t, in.Bytes())}} {
		t.Run(tc.name, func(t *testing.T) {
			got, st, err := readAll(t, tc.data, "x.ndjson")
			if err != nil {
				t.Fatal(err)
			}
			want := atLine(wantBundle, 1)
			// In the next Bundles the Medication is already known: the
			// request is resolved in place, not held to the end.
			for _, line := range []int{2, 4} {
				next := atLine(wantBundle, line)
				mr := next[len(next)-1]
				want = append(want, next[0], mr)
				want = append(want, next[1:len(next)-1]...)
			}
			checkItems(t, got, want)
			if st.Resources != 3*wantBundleStats.Resources || st.Skipped["Claim"] != 3 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestNDJSONWithBundleLine: in NDJSON, a line may hold a whole Bundle.
func TestNDJSONWithBundleLine(t *testing.T) {
	in := append(mustRead(t, "mixed.ndjson"), compact(t, mustRead(t, "bundle.json"))...)
	got, st, err := readAll(t, in, "x.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	checkItems(t, got, append(wantMixed[:len(wantMixed):len(wantMixed)], atLine(wantBundle, 23)...))
	if st.Resources != wantBundleStats.Resources+wantMixedStats.Resources || st.Skipped["Claim"] != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestEmptyInput(t *testing.T) {
	for _, in := range []string{"", "\n\n  \r\n", "\xef\xbb\xbf"} {
		got, st, err := readAll(t, []byte(in), "empty")
		if err != nil || len(got) != 0 || st.Resources != 0 {
			t.Errorf("%q: %d items, %v", in, len(got), err)
		}
	}
	got, _, err := readAll(t, gzipped(t, nil), "empty.gz")
	if err != nil || len(got) != 0 {
		t.Errorf("empty gzip: %d items, %v", len(got), err)
	}
}

func TestParseRef(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Ref
		ok   bool
	}{
		{"Patient/123", Ref{"Patient", "123"}, true},
		{"Patient/123/_history/4", Ref{"Patient", "123"}, true},
		{"urn:uuid:9c7d-ab", Ref{KindUUID, "9c7d-ab"}, true},
		{"urn:oid:1.2.3", Ref{KindOID, "1.2.3"}, true},
		{"https://x.nhs.uk/fhir/R4/Patient/a.b-c", Ref{"Patient", "a.b-c"}, true},
		{"http://x/Patient/9/_history/1", Ref{"Patient", "9"}, true},
		{"#med", Ref{KindContained, "med"}, true},
		{"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|943%20476%205919", Ref{KindNHSNumber, "9434765919"}, true},
		{"Patient?identifier=https%3A%2F%2Ffhir.nhs.uk%2FId%2Fnhs-number%7C9434765919", Ref{KindNHSNumber, "9434765919"}, true},
		{"Patient?identifier=https://example.org/mrn|123", Ref{}, false},
		{"Patient?name=smith", Ref{}, false},
		{"Patient/", Ref{}, false},
		{"Patient/has space", Ref{}, false},
		{"patient/1", Ref{}, false},
		{"/1", Ref{}, false},
		{"123", Ref{}, false},
		{"urn:uuid:", Ref{}, false},
		{"urn:", Ref{}, false},
		{"#", Ref{}, false},
		{"", Ref{}, false},
	} {
		got, ok := parseRef(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRef(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestPatientNHSNumber(t *testing.T) {
	for _, tc := range []struct {
		ident string
		want  string
	}{
		{``, ""},
		{`[]`, ""},
		{`[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}]`, "9434765919"},
		{`[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":" 943 476 5919 "}]`, "9434765919"},
		{`[{"system":"http://fhir.nhs.net/Id/nhs-number","value":"9434765919"}]`, "9434765919"},
		{`[{"system":"https://fhir.nhs.uk/Id/NHS-NUMBER","value":"9434765919"}]`, ""},
		{`[{"system":"http://hl7.org/fhir/sid/us-ssn","value":"999-96-2106"},{"value":"9434765919"}]`, ""},
		{`[{"system":"https://fhir.nhs.uk/Id/nhs-number"},{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"1234"}]`, "1234"},
	} {
		line := `{"resourceType":"Patient","id":"x"}`
		if tc.ident != "" {
			line = `{"resourceType":"Patient","id":"x","identifier":` + tc.ident + `}`
		}
		got, _, err := readAll(t, []byte(line), "p.ndjson")
		if err != nil || len(got) != 1 {
			t.Fatalf("%s: %d items, %v", tc.ident, len(got), err)
		}
		if got[0].Patient.NHSNumber != tc.want {
			t.Errorf("%s: NHS number %q, want %q", tc.ident, got[0].Patient.NHSNumber, tc.want)
		}
		if strings.Contains(dump(got[0]), "999-96") {
			t.Errorf("%s: another identifier was kept", tc.ident)
		}
	}
}

// errReader fails after its data.
type errReader struct {
	data []byte
	err  error
}

func (e *errReader) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestIOErrorIsNotFormat(t *testing.T) {
	boom := errors.New("disk on fire")
	for _, data := range [][]byte{mustRead(t, "mixed.ndjson")[:300], mustRead(t, "bundle.json")[:500], gzipped(t, mustRead(t, "mixed.ndjson"))[:200]} {
		r, err := NewReader(&errReader{data, boom}, "f")
		if err != nil {
			t.Fatal(err)
		}
		for err == nil {
			_, err = r.Next()
		}
		if !errors.Is(err, boom) || errors.Is(err, ErrFormat) {
			t.Errorf("got %v, want the source's error and not ErrFormat", err)
		}
		r.Close()
	}
}
