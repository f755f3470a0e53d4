package fhir

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// benchNDJSON generates a bulk export of n patients, each with 3
// Conditions, 4 Observations (one a blood pressure with 2 components), a
// Medication and a MedicationRequest referencing it, and an Encounter: 11
// resources a patient, shaped like real exports (names, addresses,
// telecom, narrative, meta, categories and display texts included). It
// returns the data and the number of Events a reader must produce.
func benchNDJSON(n int) ([]byte, int) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	events := 0
	snomed := []string{"44054006", "38341003", "195967001", "13645005", "73211009", "22298006", "49436004"}
	for i := 0; i < n; i++ {
		pid := fmt.Sprintf("6d2c%04x-%04x-4%03x-8%03x-%012x", i, rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Int64N(1<<48))
		fmt.Fprintf(&b, `{"resourceType":"Patient","id":"%s","meta":{"versionId":"1","lastUpdated":"2024-03-01T10:00:00Z","profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Person %d</div>"},"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"%010d"},{"system":"https://example.nhs.uk/mrn","value":"MRN%07d"}],"name":[{"use":"official","family":"Family%d","given":["Given%d","Middle"],"prefix":["Ms"]}],"telecom":[{"system":"phone","value":"0113 496 %04d","use":"home"}],"gender":"%s","birthDate":"%d-%02d-%02d","address":[{"use":"home","line":["%d Example Street"],"city":"Leeds","district":"West Yorkshire","postalCode":"LS%d %dAB","country":"GB"}],"generalPractitioner":[{"reference":"Organization/Y01234","display":"Example Surgery"}]}`+"\n",
			pid, i, 9000000000+i, i, i, i, i%10000, []string{"female", "male"}[i%2], 1930+rng.IntN(80), 1+rng.IntN(12), 1+rng.IntN(28), i%200, 1+i%29, rng.IntN(10))
		for c := 0; c < 3; c++ {
			fmt.Fprintf(&b, `{"resourceType":"Condition","id":"c%d-%d","meta":{"lastUpdated":"2024-03-01T10:00:00Z"},"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active","display":"Active"}]},"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]},"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-category","code":"problem-list-item","display":"Problem List Item"}]}],"code":{"coding":[{"system":"http://snomed.info/sct","code":"%s","display":"Some disorder (disorder)"}],"text":"Some disorder"},"subject":{"reference":"Patient/%s"},"encounter":{"reference":"Encounter/e%d"},"onsetDateTime":"20%02d-%02d-%02dT09:30:00+00:00","recordedDate":"2020-01-01","note":[{"text":"free text that must not be kept"}]}`+"\n",
				i, c, snomed[rng.IntN(len(snomed))], pid, i, rng.IntN(24), 1+rng.IntN(12), 1+rng.IntN(28))
			events++
		}
		for o := 0; o < 3; o++ {
			fmt.Fprintf(&b, `{"resourceType":"Observation","id":"o%d-%d","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory","display":"Laboratory"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"4548-4","display":"Hemoglobin A1c/Hemoglobin.total in Blood"},{"system":"http://snomed.info/sct","code":"1107481000000106"}],"text":"HbA1c"},"subject":{"reference":"Patient/%s"},"encounter":{"reference":"Encounter/e%d"},"effectiveDateTime":"2023-%02d-%02dT08:00:00Z","issued":"2023-06-01T12:00:00.000Z","valueQuantity":{"value":%.1f,"unit":"mmol/mol","system":"http://unitsofmeasure.org","code":"mmol/mol"}}`+"\n",
				i, o, pid, i, 1+rng.IntN(12), 1+rng.IntN(28), 30+rng.Float64()*60)
			events++
		}
		fmt.Fprintf(&b, `{"resourceType":"Observation","id":"bp%d","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"85354-9","display":"Blood pressure panel"}]},"subject":{"reference":"Patient/%s"},"effectiveDateTime":"2023-05-05","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6","display":"Systolic blood pressure"}]},"valueQuantity":{"value":%d,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4","display":"Diastolic blood pressure"}]},"valueQuantity":{"value":%d,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}`+"\n",
			i, pid, 100+rng.IntN(60), 60+rng.IntN(40))
		events += 2
		fmt.Fprintf(&b, `{"resourceType":"Medication","id":"m%d","code":{"coding":[{"system":"https://dmd.nhs.uk","code":"3191311000001101","display":"Metformin 500mg tablets"}]},"form":{"coding":[{"system":"http://snomed.info/sct","code":"385055001","display":"Tablet"}]}}`+"\n", i)
		fmt.Fprintf(&b, `{"resourceType":"MedicationRequest","id":"mr%d","status":"active","intent":"order","medicationReference":{"reference":"Medication/m%d"},"subject":{"reference":"Patient/%s"},"authoredOn":"2023-02-%02d","requester":{"reference":"Practitioner/G123","display":"Dr A Example"},"dosageInstruction":[{"text":"one tablet twice a day","timing":{"repeat":{"frequency":2,"period":1,"periodUnit":"d"}}}]}`+"\n",
			i, i, pid, 1+rng.IntN(28))
		events++
		fmt.Fprintf(&b, `{"resourceType":"Encounter","id":"e%d","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB","display":"ambulatory"},"type":[{"coding":[{"system":"http://snomed.info/sct","code":"185347001","display":"Encounter for problem"}]}],"subject":{"reference":"Patient/%s","display":"Given Family"},"participant":[{"individual":{"reference":"Practitioner/G123","display":"Dr A Example"}}],"period":{"start":"2023-0%d-01T09:00:00Z","end":"2023-01-01T09:15:00Z"},"serviceProvider":{"reference":"Organization/Y01234"}}`+"\n",
			i, pid, 1+rng.IntN(9))
		events++
	}
	return b.Bytes(), events
}

func BenchmarkFHIRNDJSON(b *testing.B) {
	const patients = 1820 // 11 resources each: ~20,000
	data, wantEvents := benchNDJSON(patients)
	resources := 11 * patients

	// Check the result before timing it.
	items, st, err := readAll(b, data, "bench.ndjson")
	if err != nil {
		b.Fatal(err)
	}
	if st.Resources != resources || st.Patients != patients || st.Events != wantEvents || len(items) != patients+wantEvents+patients {
		b.Fatalf("stats %+v, %d items; want %d resources, %d events", st, len(items), resources, wantEvents)
	}
	for _, it := range items {
		if it.Event != nil && it.Event.Type == MedicationRequest && len(it.Event.Codes) != 1 {
			b.Fatalf("line %d: medication not resolved", it.Line)
		}
	}

	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		r, err := NewReader(bytes.NewReader(data), "bench.ndjson")
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
	}
	b.ReportMetric(float64(resources)*float64(n)/b.Elapsed().Seconds(), "resources/s")
}

// BenchmarkFHIRBundle streams the Synthea Bundle (pretty-printed, 2 MB).
func BenchmarkFHIRBundle(b *testing.B) {
	compressed, err := os.ReadFile(syntheaPath)
	if err != nil {
		b.Skip(err)
	}
	d, err := zstd.NewReader(nil)
	if err != nil {
		b.Fatal(err)
	}
	plain, err := d.DecodeAll(compressed, nil)
	d.Close()
	if err != nil {
		b.Fatal(err)
	}
	_, st, err := readAll(b, plain, "synthea.json")
	if err != nil || st.Resources != 926 || st.Events != 765 {
		b.Fatalf("stats %+v, %v", st, err)
	}
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		r, err := NewReader(bytes.NewReader(plain), "synthea.json")
		if err != nil {
			b.Fatal(err)
		}
		for err == nil {
			_, err = r.Next()
		}
		if err != io.EOF {
			b.Fatal(err)
		}
		r.Close()
	}
	b.ReportMetric(float64(st.Resources)*float64(n)/b.Elapsed().Seconds(), "resources/s")
}
