package synth

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/gentre/gentre/ingest/snomed"
)

// Code systems and codes the records use.
const (
	sysSNOMED  = "http://snomed.info/sct"
	sysLOINC   = "http://loinc.org"
	sysDMD     = "https://dmd.nhs.uk"
	sysNHS     = "https://fhir.nhs.uk/Id/nhs-number"
	sysUCUM    = "http://unitsofmeasure.org"
	sysActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

	codeHbA1c     = "1003671000000109" // Haemoglobin A1c level - IFCC standardised (mmol/mol)
	codeBMI       = "60621009"         // Body mass index
	codeBPPanel   = "85354-9"          // LOINC: Blood pressure panel
	codeSystolic  = "8480-6"           // LOINC: Systolic blood pressure
	codeDiastolic = "8462-4"           // LOINC: Diastolic blood pressure
	sctSystolic   = "271649006"        // SNOMED CT: Systolic blood pressure
	sctDiastolic  = "271650006"        // SNOMED CT: Diastolic blood pressure
	codePCI       = "415070008"        // Percutaneous coronary intervention
	codeCABG      = "232717009"        // Coronary artery bypass grafting
)

// Drug is a dm+d virtual medicinal product (VMP) the records prescribe.
type Drug struct {
	Key, Code, Display string
}

// Drugs are the dm+d VMPs prescribed (system https://dmd.nhs.uk). These
// VMPs have SNOMED CT identifiers from the International namespace, as the
// older dm+d products do.
var Drugs = [...]Drug{
	drugMetformin:  {"metformin", "325278007", "Metformin 500mg tablets"},
	drugInsulin:    {"insulin", "325067006", "Insulin lispro 100units/ml solution for injection 3ml cartridges"},
	drugAmlodipine: {"amlodipine", "319283006", "Amlodipine 5mg tablets"},
}

const (
	drugMetformin = iota
	drugInsulin
	drugAmlodipine
)

// Prescribing: the share of a condition's people with the drug.
const (
	metforminShare  = 0.85 // of type 2 diabetics
	insulinShare    = 1.0  // of type 1 diabetics
	amlodipineShare = 0.70 // of people with hypertension
	medRefShare     = 0.25 // prescriptions naming a Medication resource instead of a code
)

// careWriter writes each person's resources into a sink.
type careWriter struct {
	o      *Options
	seed   uint64
	asOf   int32
	sink   *sink
	b      []byte
	pid    []byte // the current Patient's id
	medIDs [len(Drugs)][]byte
	counts map[string]int
}

func newCareWriter(o *Options, asOf int32, s *sink) *careWriter {
	cw := &careWriter{o: o, seed: o.Seed, asOf: asOf, sink: s, counts: map[string]int{}}
	r := newRand(o.Seed, streamMedication, 0)
	for i := range cw.medIDs {
		cw.medIDs[i] = appendUUID(nil, r)
	}
	return cw
}

// medications writes the Medication resources that prescriptions by
// reference name.
func (cw *careWriter) medications() error {
	for i, d := range Drugs {
		b := cw.b[:0]
		b = append(b, `{"resourceType":"Medication","id":"`...)
		b = append(b, cw.medIDs[i]...)
		b = append(b, `","code":{"coding":[`...)
		b = coding(b, sysDMD, d.Code, d.Display)
		b = append(b, `]}}`...)
		if err := cw.put("Medication", b); err != nil {
			return err
		}
	}
	return nil
}

func (cw *careWriter) put(rt string, b []byte) error {
	cw.b = b
	cw.counts[rt]++
	return cw.sink.add(b)
}

// begin starts a resource of type rt with a new id.
func (cw *careWriter) begin(rt string, r *rand.Rand) []byte {
	b := cw.b[:0]
	b = append(b, `{"resourceType":"`...)
	b = append(b, rt...)
	b = append(b, `","id":"`...)
	b = appendUUID(b, r)
	return append(b, '"')
}

func (cw *careWriter) subject(b []byte) []byte {
	b = append(b, `,"subject":{"reference":"Patient/`...)
	b = append(b, cw.pid...)
	return append(b, `"}`...)
}

// coding appends {"system":..,"code":..,"display":..}.
func coding(b []byte, system, code, display string) []byte {
	b = append(b, `{"system":`...)
	b = appendString(b, system)
	b = append(b, `,"code":`...)
	b = appendString(b, code)
	if display != "" {
		b = append(b, `,"display":`...)
		b = appendString(b, display)
	}
	return append(b, '}')
}

func quantity(b []byte, v float64, prec int, unit string) []byte {
	b = append(b, `{"value":`...)
	b = strconv.AppendFloat(b, v, 'f', prec, 64)
	b = append(b, `,"unit":`...)
	b = appendString(b, unit)
	b = append(b, `,"system":"`+sysUCUM+`","code":`...)
	b = appendString(b, unit)
	return append(b, '}')
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// officeMinute draws a minute of the day in office hours (08:00-17:59).
func officeMinute(r *rand.Rand) int { return 8*60 + r.IntN(10*60) }

// dateTime appends day d at minute m of the day, as a FHIR dateTime.
func dateTime(b []byte, d int32, m int) []byte {
	b = appendDate(b, d)
	h, m := m/60, m%60
	return append(b, 'T', byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':', '0', '0', '+', '0', '0', ':', '0', '0')
}

// between draws a day uniformly in [lo, hi] (hi if lo > hi).
func between(r *rand.Rand, lo, hi int32) int32 {
	if lo >= hi {
		return hi
	}
	return lo + int32(r.IntN(int(hi-lo+1)))
}

const year = 365.25

// person writes person i's resources.
func (cw *careWriter) person(i int, p *person) error {
	r := newRand(cw.seed, streamRecords, uint64(i))
	cw.pid = appendUUID(cw.pid[:0], r)
	if err := cw.patient(p, r); err != nil {
		return err
	}
	// Conditions, with their onsets kept for what follows from them.
	var onset [nConditions]int32
	for c := range Prevalences {
		if !p.has(c) {
			continue
		}
		onset[c] = cw.onset(c, p, r)
		if err := cw.condition(c, onset[c], r); err != nil {
			return err
		}
	}
	recent := max(cw.asOf-int32(3*365), p.birth+1)
	diabetic := p.has(condT1D) || p.has(condT2D)
	adult := p.age >= 18

	// BMI.
	nBMI := 0
	switch {
	case adult && (p.has(condObesity) || p.has(condT2D) || r.Float64() < 0.7):
		nBMI = 1
	case !adult && p.age >= 2 && r.Float64() < 0.2:
		nBMI = 1
	}
	for range nBMI {
		if err := cw.observation(sysSNOMED, codeBMI, "Body mass index", "vital-signs", bmi(p, r), 1, "kg/m2", between(r, recent, cw.asOf), r); err != nil {
			return err
		}
	}
	// HbA1c.
	nA1c := 0
	switch {
	case diabetic:
		nA1c = 1 + r.IntN(3)
	case p.age >= 40 && r.Float64() < 0.35:
		nA1c = 1
	}
	for range nA1c {
		lo := recent
		if diabetic {
			lo = max(lo, onset[condT1D], onset[condT2D])
		}
		if err := cw.observation(sysSNOMED, codeHbA1c, "Haemoglobin A1c level - IFCC standardised", "laboratory", hba1c(p, r), 0, "mmol/mol", between(r, lo, cw.asOf), r); err != nil {
			return err
		}
	}
	// Blood pressure.
	nBP := 0
	if adult && (p.has(condHTN) || p.has(condT2D) || p.has(condMI) || r.Float64() < 0.6) {
		nBP = 1 + r.IntN(2)
	}
	for range nBP {
		if err := cw.bloodPressure(p, between(r, recent, cw.asOf), r); err != nil {
			return err
		}
	}
	// Prescriptions.
	for _, rx := range []struct {
		cond, drug int
		share      float64
	}{{condT2D, drugMetformin, metforminShare}, {condT1D, drugInsulin, insulinShare}, {condHTN, drugAmlodipine, amlodipineShare}} {
		if !p.has(rx.cond) || r.Float64() >= rx.share {
			continue
		}
		for range 1 + r.IntN(2) {
			d := between(r, onset[rx.cond], min(onset[rx.cond]+int32(2*365), cw.asOf))
			if err := cw.prescription(rx.drug, d, r); err != nil {
				return err
			}
		}
	}
	// Encounters: GP consultations, and an admission for a heart attack
	// with its procedures.
	for range r.IntN(5) {
		if err := cw.encounter("AMB", "ambulatory", between(r, recent, cw.asOf), 0, r); err != nil {
			return err
		}
	}
	if p.has(condMI) {
		d := onset[condMI]
		stay := int32(2 + r.IntN(8))
		if err := cw.encounter("IMP", "inpatient encounter", d, stay, r); err != nil {
			return err
		}
		if r.Float64() < 0.6 {
			if err := cw.procedure(codePCI, "Percutaneous coronary intervention", min(d+int32(r.IntN(2)), cw.asOf), r); err != nil {
				return err
			}
		}
		if r.Float64() < 0.1 {
			if err := cw.procedure(codeCABG, "Coronary artery bypass grafting", min(d+int32(2+r.IntN(30)), cw.asOf), r); err != nil {
				return err
			}
		}
	}
	return nil
}

func (cw *careWriter) patient(p *person, r *rand.Rand) error {
	b := cw.b[:0]
	b = append(b, `{"resourceType":"Patient","id":"`...)
	b = append(b, cw.pid...)
	b = append(b, `","identifier":[{"system":"`+sysNHS+`","value":"`...)
	nhs := strconv.AppendUint(nil, p.nhs, 10)
	if r.Float64() < 0.1 { // as people write it: 999 123 4567
		nhs = append(nhs[:3:3], ' ', nhs[3], nhs[4], nhs[5], ' ', nhs[6], nhs[7], nhs[8], nhs[9])
	}
	b = append(b, nhs...)
	b = append(b, `"}],"name":[{"use":"official","family":`...)
	b = appendString(b, familyNames[r.IntN(len(familyNames))])
	b = append(b, `,"given":[`...)
	if p.sex == male {
		b = appendString(b, givenMale[r.IntN(len(givenMale))])
	} else {
		b = appendString(b, givenFemale[r.IntN(len(givenFemale))])
	}
	b = append(b, ']')
	if p.age >= 18 {
		prefix := "Mr"
		if p.sex == female {
			prefix = [...]string{"Mrs", "Ms", "Miss"}[r.IntN(3)]
		}
		if r.Float64() < 0.02 {
			prefix = "Dr"
		}
		b = append(b, `,"prefix":[`...)
		b = appendString(b, prefix)
		b = append(b, ']')
	}
	b = append(b, '}', ']')
	if r.Float64() < 0.9 {
		b = append(b, `,"telecom":[{"system":"phone","value":`...)
		b = appendString(b, phone(r))
		b = append(b, `,"use":"mobile"}]`...)
	}
	b = append(b, `,"gender":"`...)
	if p.sex == male {
		b = append(b, "male"...)
	} else {
		b = append(b, "female"...)
	}
	b = append(b, `","birthDate":"`...)
	b = appendDate(b, p.birth)
	b = append(b, `","address":[`...)
	if r.Float64() < 0.05 { // a previous address, which ingest must skip
		b = address(b, "old", r)
		b = append(b, ',')
	}
	b = address(b, "home", r)
	b = append(b, `]}`...)
	return cw.put("Patient", b)
}

func address(b []byte, use string, r *rand.Rand) []byte {
	pc, town := postcode(r)
	b = append(b, `{"use":"`...)
	b = append(b, use...)
	b = append(b, `","line":["`...)
	b = strconv.AppendInt(b, int64(1+r.IntN(180)), 10)
	b = append(b, ' ')
	b = append(b, streetNames[r.IntN(len(streetNames))]...)
	b = append(b, ' ')
	b = append(b, streetTypes[r.IntN(len(streetTypes))]...)
	b = append(b, `"],"city":`...)
	b = appendString(b, town)
	b = append(b, `,"postalCode":`...)
	b = appendString(b, pc)
	return append(b, '}')
}

// onset draws the onset day of condition c: type 1 diabetes between age 1
// and 30, others uniformly over the 25 years before the as-of date (not
// before MinOnset), and never on or before the birth day.
func (cw *careWriter) onset(c int, p *person, r *rand.Rand) int32 {
	age := float64(p.age) + 0.5
	lo, hi := Prevalences[c].MinOnset, age
	if c == condT1D {
		hi = min(age, 30)
	} else {
		lo = max(lo, age-25)
	}
	lo = min(lo, hi)
	a := lo + r.Float64()*(hi-lo)
	d := p.birth + int32(a*year)
	return min(max(d, p.birth+1), cw.asOf)
}

func (cw *careWriter) condition(c int, onset int32, r *rand.Rand) error {
	pr := &Prevalences[c]
	u := r.Float64()
	id := pr.Codes[len(pr.Codes)-1].ID
	for _, k := range pr.Codes {
		if u < k.Weight {
			id = k.ID
			break
		}
		u -= k.Weight
	}
	status := "active"
	if c == condMI {
		status = "resolved"
	}
	b := cw.begin("Condition", r)
	b = append(b, `,"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"`...)
	b = append(b, status...)
	b = append(b, `"}]},"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]}`...)
	b = append(b, `,"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-category","code":"problem-list-item"}]}]`...)
	b = append(b, `,"code":{"coding":[`...)
	b = coding(b, sysSNOMED, strconv.FormatInt(id, 10), snomed.CuratedTerm(id))
	b = append(b, `]}`...)
	b = cw.subject(b)
	b = append(b, `,"onsetDateTime":"`...)
	b = appendDate(b, onset)
	b = append(b, `","recordedDate":"`...)
	b = appendDate(b, min(onset+int32(r.IntN(30)), cw.asOf))
	b = append(b, `"}`...)
	return cw.put("Condition", b)
}

func (cw *careWriter) observation(system, code, display, category string, v float64, prec int, unit string, d int32, r *rand.Rand) error {
	b := cw.begin("Observation", r)
	b = append(b, `,"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"`...)
	b = append(b, category...)
	b = append(b, `"}]}],"code":{"coding":[`...)
	b = coding(b, system, code, display)
	b = append(b, `]}`...)
	b = cw.subject(b)
	b = append(b, `,"effectiveDateTime":"`...)
	b = dateTime(b, d, officeMinute(r))
	b = append(b, `","valueQuantity":`...)
	b = quantity(b, v, prec, unit)
	b = append(b, '}')
	return cw.put("Observation", b)
}

func (cw *careWriter) bloodPressure(p *person, d int32, r *rand.Rand) error {
	sys, dia := bloodPressure(p, r)
	b := cw.begin("Observation", r)
	b = append(b, `,"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[`...)
	b = coding(b, sysLOINC, codeBPPanel, "Blood pressure panel with all children optional")
	b = append(b, `]}`...)
	b = cw.subject(b)
	b = append(b, `,"effectiveDateTime":"`...)
	b = dateTime(b, d, officeMinute(r))
	b = append(b, `","component":[{"code":{"coding":[`...)
	b = coding(b, sysLOINC, codeSystolic, "Systolic blood pressure")
	b = append(b, ',')
	b = coding(b, sysSNOMED, sctSystolic, "Systolic blood pressure")
	b = append(b, `]},"valueQuantity":`...)
	b = quantity(b, sys, 0, "mm[Hg]")
	b = append(b, `},{"code":{"coding":[`...)
	b = coding(b, sysLOINC, codeDiastolic, "Diastolic blood pressure")
	b = append(b, ',')
	b = coding(b, sysSNOMED, sctDiastolic, "Diastolic blood pressure")
	b = append(b, `]},"valueQuantity":`...)
	b = quantity(b, dia, 0, "mm[Hg]")
	b = append(b, `}]}`...)
	return cw.put("Observation", b)
}

func (cw *careWriter) prescription(drug int, d int32, r *rand.Rand) error {
	b := cw.begin("MedicationRequest", r)
	b = append(b, `,"status":"active","intent":"order",`...)
	if r.Float64() < medRefShare {
		b = append(b, `"medicationReference":{"reference":"Medication/`...)
		b = append(b, cw.medIDs[drug]...)
		b = append(b, `"}`...)
	} else {
		b = append(b, `"medicationCodeableConcept":{"coding":[`...)
		b = coding(b, sysDMD, Drugs[drug].Code, Drugs[drug].Display)
		b = append(b, `]}`...)
	}
	b = cw.subject(b)
	b = append(b, `,"authoredOn":"`...)
	b = appendDate(b, d)
	b = append(b, `"}`...)
	return cw.put("MedicationRequest", b)
}

func (cw *careWriter) encounter(class, display string, d, stay int32, r *rand.Rand) error {
	b := cw.begin("Encounter", r)
	b = append(b, `,"status":"finished","class":`...)
	b = coding(b, sysActCode, class, display)
	b = cw.subject(b)
	b = append(b, `,"period":{"start":"`...)
	m := officeMinute(r)
	b = dateTime(b, d, m)
	b = append(b, `","end":"`...)
	if stay == 0 {
		b = dateTime(b, d, m+10+r.IntN(20)) // a consultation: 10 to 29 minutes
	} else {
		b = appendDate(b, min(d+stay, cw.asOf))
	}
	b = append(b, `"}}`...)
	return cw.put("Encounter", b)
}

func (cw *careWriter) procedure(code, display string, d int32, r *rand.Rand) error {
	b := cw.begin("Procedure", r)
	b = append(b, `,"status":"completed","code":{"coding":[`...)
	b = coding(b, sysSNOMED, code, display)
	b = append(b, `]}`...)
	b = cw.subject(b)
	b = append(b, `,"performedDateTime":"`...)
	b = appendDate(b, d)
	b = append(b, `"}`...)
	return cw.put("Procedure", b)
}

// Observation values (see docs/synthetic-cohort.md).

func clamp(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }

// bmi in kg/m2: obese adults 30 + Exp(mean 4.5); other adults N(25.5, 3.2)
// (+2.5 with type 2 diabetes) below 30; children N(17.5, 2.5), obese
// children 25 + Exp(mean 3).
func bmi(p *person, r *rand.Rand) float64 {
	var v float64
	switch {
	case p.age < 18 && p.has(condObesity):
		v = clamp(25+r.ExpFloat64()*3, 25, 45)
	case p.age < 18:
		v = clamp(17.5+2.5*r.NormFloat64(), 12.5, 24.9)
	case p.has(condObesity):
		v = clamp(30+r.ExpFloat64()*4.5, 30, 65)
	default:
		mean := 25.5
		if p.has(condT2D) {
			mean += 2.5
		}
		v = clamp(mean+3.2*r.NormFloat64(), 16.5, 29.9)
	}
	return math.Round(v*10) / 10
}

// hba1c in mmol/mol: type 1 diabetes N(66, 13), type 2 N(56, 12), others
// N(37, 4) kept below 48 (the diagnostic threshold).
func hba1c(p *person, r *rand.Rand) float64 {
	switch {
	case p.has(condT1D):
		return math.Round(clamp(66+13*r.NormFloat64(), 40, 140))
	case p.has(condT2D):
		return math.Round(clamp(56+12*r.NormFloat64(), 42, 130))
	}
	return math.Round(clamp(37+4*r.NormFloat64(), 25, 47))
}

// bloodPressure in mm[Hg]: with hypertension systolic N(142, 14) and
// diastolic N(86, 9); otherwise N(108 + 0.4·age, 11) and N(68 + 0.12·age, 8).
func bloodPressure(p *person, r *rand.Rand) (sys, dia float64) {
	age := float64(p.age)
	if p.has(condHTN) {
		sys, dia = 142+14*r.NormFloat64(), 86+9*r.NormFloat64()
	} else {
		sys, dia = 108+0.4*age+11*r.NormFloat64(), 68+0.12*age+8*r.NormFloat64()
	}
	sys = math.Round(clamp(sys, 85, 230))
	dia = math.Round(clamp(dia, 45, math.Min(140, sys-20)))
	return sys, dia
}
