package pseudonymise

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrQuasiIdentifier is wrapped by errors about a date of birth or
// postcode that cannot be generalised. The text never contains the value.
var ErrQuasiIdentifier = errors.New("invalid quasi-identifier")

// BirthMonth generalises a FHIR date of birth (YYYY, YYYY-MM, YYYY-MM-DD or
// a dateTime) to year and month, the finest the store keeps. A year alone
// gives month 0 (unknown).
func BirthMonth(date string) (year, month int, err error) {
	if len(date) >= 10 && date[10:] != "" && date[10] != 'T' {
		return 0, 0, fmt.Errorf("%w: birth date is not YYYY[-MM[-DD]]", ErrQuasiIdentifier)
	}
	if len(date) > 10 {
		date = date[:10]
	}
	parts := strings.Split(date, "-")
	if len(parts) > 3 || len(parts[0]) != 4 {
		return 0, 0, fmt.Errorf("%w: birth date is not YYYY[-MM[-DD]]", ErrQuasiIdentifier)
	}
	year, err1 := strconv.Atoi(parts[0])
	if err1 != nil || year < 1850 || year > 2200 {
		return 0, 0, fmt.Errorf("%w: birth year out of range", ErrQuasiIdentifier)
	}
	if len(parts) >= 2 {
		m, err := strconv.Atoi(parts[1])
		if err != nil || len(parts[1]) != 2 || m < 1 || m > 12 {
			return 0, 0, fmt.Errorf("%w: birth month out of range", ErrQuasiIdentifier)
		}
		month = m
	}
	if len(parts) == 3 {
		d, err := strconv.Atoi(parts[2])
		if err != nil || len(parts[2]) != 2 || d < 1 || d > 31 {
			return 0, 0, fmt.Errorf("%w: birth day out of range", ErrQuasiIdentifier)
		}
	}
	return year, month, nil
}

// PostcodeDistrict generalises a UK postcode to its outward code (the
// postcode district, "SW1A 1AA" → "SW1A"), the finest area the store keeps
// without an LSOA lookup. It returns "" for an empty postcode and an error
// for one that is not a UK postcode shape.
func PostcodeDistrict(postcode string) (string, error) {
	p := strings.ToUpper(strings.Join(strings.Fields(postcode), ""))
	if p == "" {
		return "", nil
	}
	// A full postcode is outward (2-4 chars) + inward (digit letter letter).
	if len(p) < 5 || len(p) > 7 {
		return "", fmt.Errorf("%w: postcode is not a UK postcode", ErrQuasiIdentifier)
	}
	out, in := p[:len(p)-3], p[len(p)-3:]
	if !(isDigit(in[0]) && isLetter(in[1]) && isLetter(in[2])) || !isLetter(out[0]) {
		return "", fmt.Errorf("%w: postcode is not a UK postcode", ErrQuasiIdentifier)
	}
	for i := 0; i < len(out); i++ {
		if !isDigit(out[i]) && !isLetter(out[i]) {
			return "", fmt.Errorf("%w: postcode is not a UK postcode", ErrQuasiIdentifier)
		}
	}
	return out, nil
}

// AreaLookup maps full postcodes to a coarser area such as an LSOA code
// (from the ONS postcode directory a deployment supplies).
type AreaLookup map[string]string

// Area generalises a postcode to the lookup's area when it has the
// postcode, else to the postcode district.
func (l AreaLookup) Area(postcode string) (string, error) {
	key := strings.ToUpper(strings.Join(strings.Fields(postcode), ""))
	if a, ok := l[key]; ok {
		return a, nil
	}
	return PostcodeDistrict(postcode)
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' }
