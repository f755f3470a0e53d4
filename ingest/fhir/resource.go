package fhir

import (
	"encoding/json"
	"errors"
	"fmt"
)

// The decode targets below name only the fields the platform may keep (or
// needs to find them); encoding/json skips everything else (names,
// telecom, address lines, text, notes...) without storing it.

type codeableConcept struct {
	Coding []Coding `json:"coding"`
}

// codes returns the codings that have a code, filtering in place.
func (c *codeableConcept) codes() []Coding {
	out := c.Coding[:0]
	for _, cd := range c.Coding {
		if cd.Code != "" {
			out = append(out, cd)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

type identifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type reference struct {
	Reference  string      `json:"reference"`
	Identifier *identifier `json:"identifier"`
}

// ref parses the reference; present reports whether there was one at all.
func (r *reference) ref() (ref Ref, ok, present bool) {
	if r.Reference != "" {
		ref, ok = parseRef(r.Reference)
		return ref, ok, true
	}
	if id := r.Identifier; id != nil {
		if isNHSSystem(id.System) {
			if v := stripSpaces(id.Value); v != "" {
				return Ref{KindNHSNumber, v}, true, true
			}
		}
		return Ref{}, false, true
	}
	return Ref{}, false, false
}

type period struct {
	Start string `json:"start"`
}

type quantity struct {
	Value *float64 `json:"value"`
	Unit  string   `json:"unit"`
	Code  string   `json:"code"`
}

type address struct {
	Use        string `json:"use"`
	PostalCode string `json:"postalCode"`
}

type patientRes struct {
	ResourceType     string       `json:"resourceType"`
	ID               string       `json:"id"`
	Identifier       []identifier `json:"identifier"`
	Gender           string       `json:"gender"`
	BirthDate        string       `json:"birthDate"`
	Address          []address    `json:"address"`
	DeceasedBoolean  bool         `json:"deceasedBoolean"`
	DeceasedDateTime string       `json:"deceasedDateTime"`
}

type medicationRes struct {
	ResourceType string          `json:"resourceType"`
	ID           string          `json:"id"`
	Code         codeableConcept `json:"code"`
}

// containedRes is a contained resource of any type: its code is decoded
// only once it is known to be the Medication referenced.
type containedRes struct {
	ResourceType string          `json:"resourceType"`
	ID           string          `json:"id"`
	Code         json.RawMessage `json:"code"`
}

type component struct {
	Code          codeableConcept `json:"code"`
	ValueQuantity *quantity       `json:"valueQuantity"`
}

// eventRes holds the fields of all six event types; none of them gives a
// shared name two different JSON shapes.
type eventRes struct {
	ResourceType string    `json:"resourceType"`
	Subject      reference `json:"subject"`
	Patient      reference `json:"patient"`
	Status       string    `json:"status"`

	Code           codeableConcept `json:"code"`
	ClinicalStatus codeableConcept `json:"clinicalStatus"`
	OnsetDateTime  string          `json:"onsetDateTime"`
	OnsetPeriod    period          `json:"onsetPeriod"`

	EffectiveDateTime string      `json:"effectiveDateTime"`
	EffectivePeriod   period      `json:"effectivePeriod"`
	EffectiveInstant  string      `json:"effectiveInstant"`
	ValueQuantity     *quantity   `json:"valueQuantity"`
	Component         []component `json:"component"`

	MedicationCodeableConcept *codeableConcept `json:"medicationCodeableConcept"`
	MedicationReference       *reference       `json:"medicationReference"`
	Contained                 []containedRes   `json:"contained"`
	AuthoredOn                string           `json:"authoredOn"`

	PerformedDateTime string `json:"performedDateTime"`
	PerformedPeriod   period `json:"performedPeriod"`

	Type   []codeableConcept `json:"type"`
	Class  *Coding           `json:"class"`
	Period period            `json:"period"`
}

var eventTypes = map[string]EventType{
	"Condition":           Condition,
	"Observation":         Observation,
	"MedicationRequest":   MedicationRequest,
	"MedicationStatement": MedicationStatement,
	"Procedure":           Procedure,
	"Encounter":           Encounter,
}

// decode unmarshals raw into v and turns a failure into a reason that
// names positions and fields, never values.
func decode(raw []byte, v any, rt string) (reason string, err error) {
	err = json.Unmarshal(raw, v)
	if err == nil {
		return "", nil
	}
	return jsonReason(err, rt), err
}

func jsonReason(err error, rt string) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d of the resource", se.Offset)
	case errors.As(err, &te) && te.Field != "":
		return fmt.Sprintf("%s.%s: unexpected JSON type", rt, te.Field)
	case errors.As(err, &te):
		return rt + ": unexpected JSON type"
	}
	return "malformed JSON"
}

// patient converts a decoded Patient. fullURL is the Bundle entry's
// fullUrl ("" outside a Bundle).
func (r *Reader) patient(p *patientRes, fullURL string, line int) (*Patient, error) {
	out := &Patient{Gender: p.Gender, BirthDate: p.BirthDate, Deceased: p.DeceasedBoolean || p.DeceasedDateTime != ""}
	if p.ID != "" {
		if !isID(p.ID) {
			return nil, r.errf(line, "Patient.id: not a FHIR id")
		}
		out.Keys = append(out.Keys, Ref{"Patient", p.ID})
	}
	if fullURL != "" {
		k, ok := parseRef(fullURL)
		if !ok {
			return nil, r.errf(line, "Bundle.entry.fullUrl: not a resource URL")
		}
		if len(out.Keys) == 0 || k != out.Keys[0] {
			out.Keys = append(out.Keys, k)
		}
	}
	if len(out.Keys) == 0 {
		return nil, r.errf(line, "Patient: id and fullUrl missing")
	}
	for _, id := range p.Identifier {
		if !isNHSSystem(id.System) {
			continue
		}
		v := stripSpaces(id.Value)
		if v == "" {
			continue
		}
		if out.NHSNumber != "" && out.NHSNumber != v {
			return nil, r.errf(line, "Patient.identifier: two different NHS numbers")
		}
		out.NHSNumber = v
	}
	if out.NHSNumber != "" {
		out.Keys = append(out.Keys, Ref{KindNHSNumber, out.NHSNumber})
	}
	switch p.Gender {
	case "", "male", "female", "other", "unknown":
	default:
		return nil, r.errf(line, "Patient.gender: not a FHIR administrative gender")
	}
	if p.BirthDate != "" && !isDate(p.BirthDate) {
		return nil, r.errf(line, "Patient.birthDate: not YYYY, YYYY-MM or YYYY-MM-DD")
	}
	for _, a := range p.Address {
		if a.PostalCode != "" && a.Use != "old" {
			out.PostalCode = a.PostalCode
			break
		}
	}
	return out, nil
}

// isDate reports whether s is a FHIR date: YYYY, YYYY-MM or YYYY-MM-DD.
func isDate(s string) bool {
	switch len(s) {
	case 4, 7, 10:
	default:
		return false
	}
	for i := 0; i < len(s); i++ {
		if i == 4 || i == 7 {
			if s[i] != '-' {
				return false
			}
		} else if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// medication converts a decoded Medication; it reports false if the
// Medication has no key by which it could be referenced.
func medication(m *medicationRes, fullURL string) (*Medication, bool) {
	out := &Medication{Codes: m.Code.codes()}
	if m.ID != "" && isID(m.ID) {
		out.Keys = append(out.Keys, Ref{"Medication", m.ID})
	}
	if k, ok := parseRef(fullURL); ok && (len(out.Keys) == 0 || k != out.Keys[0]) {
		out.Keys = append(out.Keys, k)
	}
	return out, len(out.Keys) > 0
}
