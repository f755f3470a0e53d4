// Package care holds the linked care-record tables of the store: people
// (pseudonym, sex, month and year of birth, area) and clinical events
// (conditions, observations, medications, procedures, encounters) keyed by
// the dense person index, persisted as Apache Parquet written through Arrow.
// Nothing here is identifying: the ingest side pseudonymises and generalises
// before records reach these types.
package care

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrCorrupt is wrapped by errors about a care table that cannot be read.
var ErrCorrupt = errors.New("corrupt care table")

// Sex is administrative gender as FHIR records it.
type Sex int8

const (
	SexUnknown Sex = iota
	SexFemale
	SexMale
	SexOther
)

// ParseSex maps FHIR's administrative-gender codes.
func ParseSex(s string) Sex {
	switch s {
	case "female":
		return SexFemale
	case "male":
		return SexMale
	case "other":
		return SexOther
	}
	return SexUnknown
}

func (s Sex) String() string {
	switch s {
	case SexFemale:
		return "female"
	case SexMale:
		return "male"
	case SexOther:
		return "other"
	}
	return "unknown"
}

// RemovedPerson is the pseudonym of a tombstone: the row of a person who
// opted out, emptied, so that every other person keeps their index.
const RemovedPerson = "-"

// Person is one row of the people table. A person's index is their row.
type Person struct {
	// Pseudonym is the keyed pseudonym of the NHS number (hex).
	Pseudonym string
	Sex       Sex
	// BirthYear and BirthMonth are 0 when unknown; the day is never kept.
	BirthYear  int16
	BirthMonth int8
	// Area is the postcode district or LSOA ("" when unknown).
	Area string
	// Refs are keyed pseudonyms of the FHIR references that name this
	// person (Patient/ID, urn:uuid:...), so later files can refer to them.
	Refs []string
}

// Kind is the type of a clinical event.
type Kind int8

const (
	Condition Kind = iota + 1
	Observation
	Medication
	Procedure
	Encounter
)

var kindNames = [...]string{"", "condition", "observation", "medication", "procedure", "encounter"}

func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int8(k))
}

// ParseKind is the inverse of Kind.String.
func ParseKind(s string) (Kind, bool) {
	for i, n := range kindNames {
		if i > 0 && n == s {
			return Kind(i), true
		}
	}
	return 0, false
}

// NoDate marks an event without a date.
const NoDate = math.MinInt32

// Event is one clinical fact about a person.
type Event struct {
	Person int32
	Kind   Kind
	System string // code system URI (http://snomed.info/sct, ...)
	Code   string
	Date   int32   // days since 1970-01-01, or NoDate
	Value  float64 // NaN when the event has no numeric value
	Unit   string
}

// Days converts a FHIR date or dateTime (YYYY, YYYY-MM, YYYY-MM-DD,
// YYYY-MM-DDThh:mm:ss+zz:zz) to days since 1970-01-01; a partial date
// takes the first day of its month or year.
func Days(s string) (int32, error) {
	if s == "" {
		return NoDate, nil
	}
	var t time.Time
	var err error
	switch {
	case len(s) == 4:
		t, err = time.Parse("2006", s)
	case len(s) == 7:
		t, err = time.Parse("2006-01", s)
	case len(s) == 10:
		t, err = time.Parse("2006-01-02", s)
	default:
		t, err = time.Parse(time.RFC3339, s)
		if err != nil && len(s) > 10 {
			// A dateTime without seconds or zone is out of FHIR's spec, but
			// its date is unambiguous.
			t, err = time.Parse("2006-01-02", s[:10])
		}
	}
	if err != nil {
		return 0, errors.New("not a FHIR date")
	}
	d := t.Unix() / 86400
	if t.Unix() < 0 && t.Unix()%86400 != 0 {
		d--
	}
	return int32(d), nil
}

// Date formats days since 1970-01-01 as YYYY-MM-DD ("" for NoDate).
func Date(days int32) string {
	if days == NoDate {
		return ""
	}
	return time.Unix(int64(days)*86400, 0).UTC().Format("2006-01-02")
}
