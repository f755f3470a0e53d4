package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// Values planted in the error inputs: none may appear in an error message.
var errSecrets = []string{"9434765919", "943 476", "Zebedee", "Quux", "1931-03-30", "30/03/1931", "Smith", "LS1 4AP", "s3cr3t"}

const (
	okPatient = `{"resourceType":"Patient","id":"p1","name":[{"family":"Quux","given":["Zebedee"]}],"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"birthDate":"1931-03-30","address":[{"postalCode":"LS1 4AP"}]}`
	okCond    = `{"resourceType":"Condition","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"73211009"}]},"onsetDateTime":"1931-03-30"}`
)

func compactString(s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		panic(err)
	}
	return b.String()
}

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

// bundleOf makes a pretty-printed Bundle: each entry resource starts on its
// own line, at 5+2i (1-based) for entry i when resources are one line each.
func bundleOf(resources ...string) string {
	var b strings.Builder
	b.WriteString("{\n\"resourceType\": \"Bundle\",\n\"entry\": [\n")
	for i, r := range resources {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString("{\"resource\":\n" + r + "}")
	}
	b.WriteString("\n]\n}\n")
	return b.String()
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     string
		items  int    // records before the error
		prefix string // expected start of the message (name:line:)
		reason string // expected in the message
	}{
		{"malformed JSON mid-file", lines(okPatient, okCond, `{"resourceType":"Patient","id":"p2","name":[{"family":"Smith"}],`, okCond), 2, "f:3:", "malformed JSON"},
		{"malformed JSON crlf", strings.ReplaceAll(lines(okPatient, "", okCond, `{"resourceType":"Condition",,}`), "\n", "\r\n"), 2, "f:4:", "malformed JSON"},
		{"garbage after object", lines(okPatient, okCond+` {"s3cr3t":1}`), 1, "f:2:", "malformed JSON"},
		{"malformed first line", lines(`{"resourceType":"Patient","id":"p2","birthDate":1931-03-30}`, okCond), 0, "f:1:", "malformed JSON"},
		{"condition without subject", lines(okPatient, `{"resourceType":"Condition","code":{"coding":[{"code":"73211009"}]},"onsetDateTime":"1931-03-30"}`), 1, "f:2:", "Condition.subject: missing"},
		{"condition with display-only subject", lines(`{"resourceType":"Condition","subject":{"display":"Zebedee Quux"},"code":{"coding":[{"code":"1"}]}}`), 0, "f:1:", "Condition.subject: missing"},
		{"condition with bad reference", lines(`{"resourceType":"Condition","subject":{"reference":"Patient/Zebedee Quux"},"code":{"coding":[{"code":"1"}]}}`), 0, "f:1:", "Condition.subject: not a usable reference"},
		{"condition with other identifier subject", lines(`{"resourceType":"Condition","subject":{"identifier":{"system":"x","value":"s3cr3t"}},"code":{"coding":[{"code":"1"}]}}`), 0, "f:1:", "Condition.subject: not a usable reference"},
		{"condition without code", lines(okPatient, okCond, `{"resourceType":"Condition","subject":{"reference":"Patient/p1"},"code":{"text":"Zebedee's s3cr3t"}}`), 2, "f:3:", "Condition.code: missing"},
		{"procedure without subject", lines(`{"resourceType":"Procedure","code":{"coding":[{"code":"1"}]}}`), 0, "f:1:", "Procedure.subject: missing"},
		{"observation without code", lines(`{"resourceType":"Observation","subject":{"reference":"Patient/p1"},"valueQuantity":{"value":1}}`), 0, "f:1:", "Observation.code: missing"},
		{"component without code", lines(`{"resourceType":"Observation","subject":{"reference":"Patient/p1"},"code":{"coding":[{"code":"1"}]},"component":[{"valueQuantity":{"value":1}}]}`), 0, "f:1:", "Observation.component.code: missing"},
		{"value not a number", lines(`{"resourceType":"Observation","subject":{"reference":"Patient/p1"},"code":{"coding":[{"code":"1"}]},"valueQuantity":{"value":"1931-03-30"}}`), 0, "f:1:", "Observation.valueQuantity.value: unexpected JSON type"},
		{"encounter without type or class", lines(`{"resourceType":"Encounter","subject":{"reference":"Patient/p1"}}`), 0, "f:1:", "Encounter: type and class missing"},
		{"medication missing", lines(`{"resourceType":"MedicationRequest","subject":{"reference":"Patient/p1"}}`), 0, "f:1:", "MedicationRequest.medication: missing"},
		{"contained medication missing", lines(`{"resourceType":"MedicationStatement","subject":{"reference":"Patient/p1"},"medicationReference":{"reference":"#s3cr3t"}}`), 0, "f:1:", "contained Medication not found"},
		{"patient without id", lines(okCond, `{"resourceType":"Patient","name":[{"family":"Quux"}],"birthDate":"1931-03-30"}`), 1, "f:2:", "Patient: id and fullUrl missing"},
		{"patient bad gender", lines(`{"resourceType":"Patient","id":"p","gender":"Smith"}`), 0, "f:1:", "Patient.gender"},
		{"patient bad birth date", lines(`{"resourceType":"Patient","id":"p","birthDate":"30/03/1931"}`), 0, "f:1:", "Patient.birthDate"},
		{"patient bad id", lines(`{"resourceType":"Patient","id":"Zebedee Quux"}`), 0, "f:1:", "Patient.id: not a FHIR id"},
		{"two NHS numbers", lines(`{"resourceType":"Patient","id":"p","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"},{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"943 476 5920"}]}`), 0, "f:1:", "two different NHS numbers"},
		{"resourceType missing", lines(okPatient, `{"id":"x","name":"Smith"}`), 1, "f:2:", "resourceType: missing"},
		{"resourceType not a string", lines(`{"resourceType":7,"id":"x"}`), 0, "f:1:", "unexpected JSON type"},
		{"resourceType twice", lines(`{"resourceType":"Patient","id":"x","resourceType":"Condition"}`), 0, "f:1:", "given twice"},
		{"not JSON", "Zebedee Quux,1931-03-30\n", 0, "f:1:", "expected an object"},
		{"an array", "[" + okPatient + "]\n", 0, "f:1:", "expected an object"},
		{"bundle in a bundle line", lines(`{"resourceType":"Bundle","entry":[{"resource":` + okPatient + `},{"resource":{"resourceType":"Bundle"}}]}`), 1, "f:1:", "a Bundle inside a Bundle"},

		// Bundle documents: the line is where the entry's resource starts.
		{"bundle in a bundle", bundleOf(okPatient, okCond, `{"resourceType":"Bundle","entry":[]}`), 2, "f:9:", "a Bundle inside a Bundle"},
		{"bundle condition without subject", bundleOf(okPatient, `{"resourceType":"Condition","code":{"coding":[{"code":"1"}]}}`), 1, "f:7:", "Condition.subject: missing"},
		{"bundle patient without id or fullUrl", bundleOf(okCond, `{"resourceType":"Patient","birthDate":"1931-03-30"}`), 1, "f:7:", "Patient: id and fullUrl missing"},
		{"bundle malformed resource", bundleOf(okPatient, "{\"resourceType\":\"Condition\",\n\"subject\":{\"reference\":\"Patient/p1\"}\n\"code\":{}}"), 1, "f:7:", "malformed JSON at line 9"},
		{"bundle malformed on the resource's line", bundleOf(okPatient, `{"resourceType":"Patient","id":"p2","birthDate":"1931-03-30",}`), 1, "f:7:", "malformed JSON"},
		{"bundle malformed between entries", "{\n\"resourceType\": \"Bundle\",\n\"entry\": [\n{\"resource\":\n" + okPatient + "}\n\n{\"resource\": " + okCond + "}]}", 1, "f:7:", "malformed JSON"},
		{"bundle truncated", bundleOf(okPatient, okCond)[:len(bundleOf(okPatient, okCond))-10], 1, "f:7:", "unexpected end of input"},
		{"bundle not an array", "{\n\"resourceType\": \"Bundle\",\n\"entry\": {\"resource\": {}}\n}\n", 0, "f:3:", "Bundle.entry: not an array"},
		{"bundle entry not an object", "{\n\"resourceType\": \"Bundle\",\n\"entry\": [\n\"s3cr3t\"]}\n", 0, "f:4:", "Bundle.entry: not an object"},
		{"bundle fullUrl not a string", "{\n\"resourceType\": \"Bundle\",\n\"entry\": [\n{\"fullUrl\": 9434765919, \"resource\": " + okPatient + "}]}\n", 0, "f:4:", "Bundle.entry.fullUrl: not a string"},
		{"document not a bundle", "{\n  \"resourceType\": \"Patient\",\n  \"id\": \"p1\"\n}\n", 0, "f:2:", "resourceType: not Bundle"},
		{"document without resourceType", "{\n  \"entry\": [\n{\"resource\":" + okPatient + "}]\n}\n", 1, "f:1:", "resourceType: missing"},
		{"a resource after the bundle", bundleOf(okPatient) + "\n" + okCond + "\n", 1, "f:9:", "resourceType: not Bundle"},
		{"a resource after a bundle line", lines(compactString(bundleOf(okPatient)), okCond), 1, "f:2:", "resourceType: not Bundle"},
		{"garbage after the bundle", bundleOf(okPatient) + "]\n", 1, "f:8:", "malformed JSON"},
		{"a string after the bundle", bundleOf(okPatient) + "\"s3cr3t\"\n", 1, "f:8:", "expected an object"},
		{"second object without resourceType", bundleOf(okPatient) + "{\n\"entry\": []}\n", 1, "f:8:", "resourceType: missing"},
		{"bad fullUrl", "{\n\"resourceType\": \"Bundle\",\n\"entry\": [\n{\"fullUrl\": \"Zebedee Quux\", \"resource\":\n" + okPatient + "}]}\n", 0, "f:5:", "Bundle.entry.fullUrl: not a resource URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := readAll(t, []byte(tc.in), "f")
			checkErr(t, err, tc.prefix, tc.reason)
			if len(got) != tc.items {
				t.Errorf("%d records before the error, want %d", len(got), tc.items)
			}
		})
	}
}

func checkErr(t *testing.T, err error, prefix, reason string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", reason)
	}
	if !errors.Is(err, ErrFormat) {
		t.Errorf("%v does not wrap ErrFormat", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, reason) {
		t.Errorf("error %q, want prefix %q and %q", msg, prefix, reason)
	}
	for _, s := range errSecrets {
		if strings.Contains(msg, s) {
			t.Errorf("error %q reveals %q", msg, s)
		}
	}
}

func TestCompressionErrors(t *testing.T) {
	plain := []byte(lines(okPatient, okCond, okCond))
	gz := gzipped(t, plain)
	zs := zstded(t, plain)
	corrupt := func(b []byte, at int) []byte {
		c := bytes.Clone(b)
		for i := at; i < at+8 && i < len(c); i++ {
			c[i] ^= 0x5a
		}
		return c
	}
	for _, tc := range []struct {
		name, reason string
		in           []byte
	}{
		{"gzip truncated", "unexpected end of input", gz[:len(gz)-12]},
		{"gzip corrupt", "corrupt gzip data", corrupt(gz, 14)},
		{"gzip bad checksum", "corrupt gzip data", corrupt(gz, len(gz)-8)},
		{"zstd truncated", "", zs[:len(zs)-5]},
		{"zstd corrupt", "corrupt zstd data", corrupt(zs, 8)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(t, tc.in, "f.gz")
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %v, want ErrFormat and %q", err, tc.reason)
			}
		})
	}
	// A gzip header that is not one fails at NewReader.
	if _, err := NewReader(bytes.NewReader([]byte{0x1f, 0x8b, 0, 0}), "f.gz"); !errors.Is(err, ErrFormat) {
		t.Errorf("bad gzip header: %v", err)
	}
}
