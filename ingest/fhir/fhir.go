// Package fhir reads FHIR R4 care records (bulk-export NDJSON, or a Bundle
// document, plain, gzip- or zstd-compressed) as a stream of minimal typed
// records: the Patient facts and clinical Events the platform may keep.
//
// The record types have no field for names, addresses (other than the
// postal code), telecom, free text or identifiers other than the NHS
// number: what is not decoded cannot leak. Error messages name the file,
// the line, the resource type and the field, never a value from the record.
//
//	r, err := fhir.NewReader(f, "Patient.ndjson")
//	if err != nil { ... }
//	defer r.Close()
//	for {
//		it, err := r.Next()
//		if err == io.EOF { break }
//		if err != nil { ... }  // wraps ErrFormat for bad input
//		switch {
//		case it.Patient != nil: ...
//		case it.Event != nil: ...
//		case it.Medication != nil: ... // for resolving medicationReference across files
//		}
//	}
package fhir

import "errors"

// ErrFormat is wrapped by every error caused by the content of the input
// (malformed JSON, a resource missing what it must have, corrupt
// compression). I/O errors of the underlying reader are not ErrFormat.
var ErrFormat = errors.New("fhir: bad input")

// NHSNumberSystem is the identifier system of the NHS number.
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

// legacyNHSNumberSystem is the NHS number system of the older (STU3
// CareConnect) profiles, still seen in exports.
const legacyNHSNumberSystem = "http://fhir.nhs.net/Id/nhs-number"

// Ref kinds that are not resource types.
const (
	KindUUID      = "urn:uuid"   // urn:uuid:ID (Bundle fullUrl and references to it)
	KindOID       = "urn:oid"    // urn:oid:ID
	KindContained = "#"          // #ID, a contained resource
	KindNHSNumber = "nhs-number" // a logical reference by NHS number (identifier, or Patient?identifier=...)
)

// Ref is a parsed reference: "Patient/123" is {Patient, 123};
// "urn:uuid:abc" is {urn:uuid, abc}; an absolute URL ending in /Patient/123
// (with or without /_history/N) is {Patient, 123}; a reference by NHS
// number identifier is {nhs-number, N}.
//
// A Ref that names a person (a Patient's Keys, an Event's Subject) is an
// identifier: the NHS number itself, or a source system's id. It is for
// linking records inside ingest and never travels past pseudonymise.
type Ref struct{ Kind, ID string }

// IsZero reports whether r is the zero Ref (no reference).
func (r Ref) IsZero() bool { return r.Kind == "" && r.ID == "" }

// Coding is one coding of a CodeableConcept (display text is not kept).
type Coding struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

// Well-known code systems.
const (
	SystemSNOMED = "http://snomed.info/sct"
	SystemDMD    = "https://dmd.nhs.uk"
	SystemLOINC  = "http://loinc.org"
)

// Patient is what may be kept of a FHIR Patient.
type Patient struct {
	// Keys are how other resources may reference this patient: {Patient,
	// id}, from a Bundle the parsed fullUrl (e.g. {urn:uuid, ...}), and
	// {nhs-number, N} when the NHS number is known.
	Keys []Ref
	// NHSNumber is the value of the identifier with system
	// https://fhir.nhs.uk/Id/nhs-number (spaces stripped, not validated);
	// "" if none.
	NHSNumber string
	// Gender is male, female, other, unknown or "".
	Gender string
	// BirthDate is as given: YYYY, YYYY-MM or YYYY-MM-DD (the caller
	// generalises it).
	BirthDate string
	// PostalCode is that of the first address that has one and is not
	// use=old (the caller generalises it).
	PostalCode string
	// Deceased is set by deceasedBoolean true or any deceasedDateTime.
	Deceased bool
}

// EventType is the FHIR resource type an Event comes from.
type EventType uint8

// Event types.
const (
	Condition EventType = iota + 1
	Observation
	MedicationRequest
	MedicationStatement
	Procedure
	Encounter
)

var eventTypeNames = [...]string{"", "Condition", "Observation", "MedicationRequest", "MedicationStatement", "Procedure", "Encounter"}

func (t EventType) String() string {
	if int(t) < len(eventTypeNames) && t != 0 {
		return eventTypeNames[t]
	}
	return "EventType(?)"
}

// Event is one clinical fact about a patient.
type Event struct {
	Type EventType
	// Subject is the subject (or patient) reference.
	Subject Ref
	// Codes are the codings of: code (Condition, Observation, Procedure;
	// for an Observation component, the component's code);
	// medicationCodeableConcept, or the code of the referenced Medication
	// (MedicationRequest, MedicationStatement); type[0], else class
	// (Encounter). Codings without a code are dropped.
	Codes []Coding
	// Medication is the medicationReference, if the medication was given
	// by reference. Codes are then the Medication's codes if it was found
	// in the same input (contained, in the same Bundle, or earlier in the
	// same NDJSON file); otherwise Codes is empty and the caller may
	// resolve Medication from the Medication items of another file.
	Medication Ref
	// Date is as given: onsetDateTime (onsetPeriod.start),
	// effectiveDateTime (effectivePeriod.start, effectiveInstant),
	// authoredOn, performedDateTime (performedPeriod.start) or
	// period.start.
	Date string
	// Value and Unit are the Observation's valueQuantity (unit, else
	// code); HasValue is false when there is no numeric value.
	Value    float64
	HasValue bool
	Unit     string
	// Status is the clinicalStatus code (Condition) or status.
	Status string
}

// Medication is a Medication resource's codes, emitted so that a caller
// reading several files may resolve Event.Medication.
type Medication struct {
	Keys  []Ref // {Medication, id} and, from a Bundle, the parsed fullUrl
	Codes []Coding
}

// Item is one record: exactly one of Patient, Event and Medication is set.
// Line is the 1-based line where the resource starts (for an NDJSON line
// holding a whole Bundle, that line).
type Item struct {
	Line       int
	Patient    *Patient
	Event      *Event
	Medication *Medication
}

// Stats counts what the reader has seen so far.
type Stats struct {
	Resources   int // resources read (Bundle entries count, a Bundle itself does not)
	Patients    int
	Events      int // Events emitted (an Observation with components gives several)
	Medications int
	// Skipped counts resources not turned into records, by R4 resource
	// type ("other" for a name that is not an R4 resource type), and
	// "Observation (no subject)" / "Encounter (no subject)" for those FHIR
	// allows without a subject.
	Skipped map[string]int
}
