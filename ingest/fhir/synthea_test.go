package fhir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// syntheaPath is a real Synthea R4 transaction Bundle (one patient, ~2 MB
// pretty-printed) that ships with the Go toolchain.
var syntheaPath = filepath.Join(goroot(), "src", "encoding", "json", "internal", "jsontest", "testdata", "synthea_fhir.json.zst")

// goroot asks the go command for its GOROOT (runtime.GOROOT is deprecated).
func goroot() string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func readSynthea(t *testing.T) (compressed, plain []byte) {
	t.Helper()
	compressed, err := os.ReadFile(syntheaPath)
	if err != nil {
		t.Skipf("Synthea bundle not in this Go toolchain: %v", err)
	}
	d, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	plain, err = d.DecodeAll(compressed, nil)
	if err != nil {
		t.Fatal(err)
	}
	return compressed, plain
}

// syntheaExpect is computed from the document unmarshalled whole into
// map[string]any, independently of the Reader.
type syntheaExpect struct {
	resources   int
	patients    int
	events      map[EventType]int
	withValue   int // events with a numeric value
	skipped     map[string]int
	secrets     []string // names, address lines, telecom, identifiers, display texts
	resourceAt  []int    // line of each entry's "resource" key
	typeAtLines map[int]string
}

func expectSynthea(t *testing.T, plain []byte) syntheaExpect {
	var doc struct {
		Entry []struct {
			FullURL  string         `json:"fullUrl"`
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(plain, &doc); err != nil {
		t.Fatal(err)
	}
	ex := syntheaExpect{events: map[EventType]int{}, skipped: map[string]int{}, typeAtLines: map[int]string{}}
	for _, e := range doc.Entry {
		res := e.Resource
		rt, _ := res["resourceType"].(string)
		ex.resources++
		switch rt {
		case "Patient":
			ex.patients++
		case "Observation":
			comps, _ := res["component"].([]any)
			ex.events[Observation] += len(comps)
			for _, c := range comps {
				if _, ok := c.(map[string]any)["valueQuantity"]; ok {
					ex.withValue++
				}
			}
			if _, ok := res["valueQuantity"]; ok {
				ex.withValue++
			}
			if len(comps) == 0 || res["valueQuantity"] != nil {
				ex.events[Observation]++
			}
		case "Condition", "MedicationRequest", "Procedure", "Encounter", "MedicationStatement":
			ex.events[eventTypes[rt]]++
		default:
			ex.skipped[rt]++
		}
		collectSecrets(res, "", &ex.secrets)
	}
	for i, l := range bytes.Split(plain, []byte("\n")) {
		if bytes.HasPrefix(bytes.TrimSpace(l), []byte(`"resource": {`)) {
			ex.resourceAt = append(ex.resourceAt, i+1)
		}
		// A resource's type is on the line after its "resource" key: i
		// (0-based) here is that key's 1-based line.
		if rt, ok := bytes.CutPrefix(bytes.TrimSpace(l), []byte(`"resourceType": "`)); ok && i > 0 {
			ex.typeAtLines[i] = string(bytes.TrimSuffix(bytes.TrimSuffix(rt, []byte(",")), []byte(`"`)))
		}
	}
	return ex
}

// collectSecrets gathers the strings the platform must not keep: names,
// address lines and cities, telecom and identifier values, display texts
// and narrative.
func collectSecrets(v any, key string, out *[]string) {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["reference"]; ok {
			addStrings(v["display"], out) // names of patients and practitioners
		}
		for k, x := range v {
			switch k {
			case "family", "given", "line", "city", "div", "valueString":
				addStrings(x, out)
			case "telecom", "identifier":
				for _, it := range asList(x) {
					if m, ok := it.(map[string]any); ok {
						addStrings(m["value"], out)
					}
				}
			}
			collectSecrets(x, k, out)
		}
	case []any:
		for _, x := range v {
			collectSecrets(x, key, out)
		}
	}
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func addStrings(v any, out *[]string) {
	switch v := v.(type) {
	case string:
		if len(v) >= 8 { // shorter ones (an NPI "93460") could match a number by chance
			*out = append(*out, v)
		}
	case []any:
		for _, x := range v {
			addStrings(x, out)
		}
	}
}

func TestSynthea(t *testing.T) {
	compressed, plain := readSynthea(t)
	ex := expectSynthea(t, plain)
	if ex.patients != 1 || len(ex.secrets) < 50 || len(ex.resourceAt) != ex.resources {
		t.Fatalf("unexpected test file: %d patients, %d secrets, %d resource lines for %d resources", ex.patients, len(ex.secrets), len(ex.resourceAt), ex.resources)
	}
	for _, in := range []struct {
		name string
		data []byte
	}{{"zstd", compressed}, {"plain", plain}} {
		t.Run(in.name, func(t *testing.T) {
			items, st, err := readAll(t, in.data, "synthea_fhir.json.zst")
			if err != nil {
				t.Fatal(err)
			}
			checkSynthea(t, items, st, ex)
		})
	}
}

func checkSynthea(t *testing.T, items []Item, st Stats, ex syntheaExpect) {
	var patients []*Patient
	events := map[EventType]int{}
	withValue := 0
	resourceLines := map[int]bool{}
	for _, l := range ex.resourceAt {
		resourceLines[l] = true
	}
	for _, it := range items {
		if !resourceLines[it.Line] {
			t.Errorf("item at line %d, which is not where a resource starts", it.Line)
		}
		wantType := "Patient"
		if it.Patient != nil {
			patients = append(patients, it.Patient)
		} else if it.Event != nil {
			events[it.Event.Type]++
			if it.Event.HasValue {
				withValue++
			}
			if len(it.Event.Codes) == 0 || it.Event.Date == "" || it.Event.Status == "" {
				t.Errorf("line %d: incomplete event %+v", it.Line, it.Event)
			}
			wantType = it.Event.Type.String()
		}
		if got := ex.typeAtLines[it.Line]; got != wantType {
			t.Errorf("line %d: record of a %s, resource there is a %s", it.Line, wantType, got)
		}
	}
	if len(patients) != ex.patients {
		t.Fatalf("%d patients, want %d", len(patients), ex.patients)
	}
	if fmt.Sprint(events) != fmt.Sprint(ex.events) || withValue != ex.withValue {
		t.Errorf("events %v (%d with a value), want %v (%d)", events, withValue, ex.events, ex.withValue)
	}
	if st.Resources != ex.resources || st.Patients != ex.patients || st.Events != len(items)-len(patients) ||
		fmt.Sprint(st.Skipped) != fmt.Sprint(ex.skipped) {
		t.Errorf("stats %+v, want %d resources, skipped %v", st, ex.resources, ex.skipped)
	}

	// Every event belongs to the patient, by the Bundle's urn:uuid.
	p := patients[0]
	keys := map[Ref]bool{}
	for _, k := range p.Keys {
		keys[k] = true
	}
	for _, it := range items {
		if it.Event != nil && !keys[it.Event.Subject] {
			t.Errorf("line %d: subject %+v is not one of the patient's keys %+v", it.Line, it.Event.Subject, p.Keys)
		}
	}
	want := Patient{Keys: []Ref{{"Patient", "a4cbd3c5-7903-4e8d-b487-75616a0d4e98"}, {KindUUID, "a4cbd3c5-7903-4e8d-b487-75616a0d4e98"}},
		Gender: "female", BirthDate: "1931-03-30", PostalCode: "02631", Deceased: true}
	if fmt.Sprintf("%+v", *p) != fmt.Sprintf("%+v", want) {
		t.Errorf("patient %+v, want %+v", *p, want)
	}

	// Nothing identifying was copied.
	var all strings.Builder
	for _, it := range items {
		all.WriteString(dump(it))
	}
	s := all.String()
	for _, sec := range ex.secrets {
		if strings.Contains(s, sec) {
			t.Errorf("records contain %q", sec)
		}
	}
	for _, sec := range []string{"Pouros728", "Henrietta324", "718 Johnston Estate", "555-483-9243", "999-96-2106", "S99986949", "X48081791X", "Brewster"} {
		if !contains(ex.secrets, sec) {
			t.Errorf("secret %q not collected from the file", sec)
		}
		if strings.Contains(s, sec) {
			t.Errorf("records contain %q", sec)
		}
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
