package concept

import "strconv"

// Verhoeff's dihedral-group tables (multiplication d, permutation p, inverse).
var (
	verhoeffD = [10][10]uint8{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		{1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
		{2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
		{4, 0, 1, 2, 3, 9, 5, 6, 7, 8},
		{5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2},
		{7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
		{8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
		{9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
	}
	verhoeffP   = verhoeffPerms()
	verhoeffInv = [10]uint8{0, 4, 3, 2, 1, 5, 6, 7, 8, 9}
)

// verhoeffPerms returns Verhoeff's position permutations: row i applies
// sigma = (0 1 5 8 9 4 2 7)(3 6) i times, so p[1] is 1576283094. Computing the
// rows from sigma avoids transcribing 80 digits.
func verhoeffPerms() (p [8][10]uint8) {
	sigma := [10]uint8{1, 5, 7, 6, 2, 8, 3, 0, 9, 4}
	for j := range p[0] {
		p[0][j] = uint8(j)
	}
	for i := 1; i < 8; i++ {
		for j := range p[i] {
			p[i][j] = sigma[p[i-1][j]]
		}
	}
	return p
}

// VerhoeffValid reports whether digits (ASCII decimal digits, check digit
// last) carry a valid Verhoeff check digit. It is false for an empty string
// or any non-digit.
func VerhoeffValid(digits string) bool {
	if digits == "" {
		return false
	}
	var c uint8
	for i, j := len(digits)-1, 0; i >= 0; i, j = i-1, j+1 {
		d := digits[i] - '0'
		if d > 9 {
			return false
		}
		c = verhoeffD[c][verhoeffP[j&7][d]]
	}
	return c == 0
}

// VerhoeffCheckDigit returns the check digit ('0'..'9') to append to payload
// (ASCII decimal digits). ok is false for an empty payload or a non-digit.
func VerhoeffCheckDigit(payload string) (digit byte, ok bool) {
	if payload == "" {
		return 0, false
	}
	var c uint8
	for i, j := len(payload)-1, 1; i >= 0; i, j = i-1, j+1 {
		d := payload[i] - '0'
		if d > 9 {
			return 0, false
		}
		c = verhoeffD[c][verhoeffP[j&7][d]]
	}
	return '0' + verhoeffInv[c], true
}

// Partition identifiers (the two digits before the check digit of an SCTID).
// The first digit is 0 for an SCTID in the short (international) format and 1
// for the long format carrying a 7-digit namespace; the second says what the
// identifier names.
const (
	PartConcept      = 0 // concept: partition 00 or 10
	PartDescription  = 1 // description: 01 or 11
	PartRelationship = 2 // relationship: 02 or 12
)

// SCTIDReason checks the decimal text of an SCTID and returns its value, or a
// reason it is not one: 6 to 18 digits, no leading zero, a valid Verhoeff
// check digit, a partition identifier of 00-02 or 10-12 and, when part >= 0,
// that partition's kind.
func SCTIDReason(s []byte, part int) (int64, string) {
	n := len(s)
	if n < 6 || n > 18 {
		return 0, "an SCTID has 6 to 18 digits"
	}
	if s[0] == '0' {
		return 0, "an SCTID has no leading zero"
	}
	var v int64
	var c uint8
	for i, j := n-1, 0; i >= 0; i, j = i-1, j+1 {
		d := s[i] - '0'
		if d > 9 {
			return 0, "an SCTID has only decimal digits"
		}
		c = verhoeffD[c][verhoeffP[j&7][d]]
	}
	for _, ch := range s {
		v = v*10 + int64(ch-'0')
	}
	if c != 0 {
		return 0, "SCTID fails its Verhoeff check digit"
	}
	form, kind := s[n-3], s[n-2]
	if (form != '0' && form != '1') || kind > '2' {
		return 0, "SCTID has an invalid partition identifier"
	}
	if part >= 0 && int(kind-'0') != part {
		switch part {
		case PartConcept:
			return 0, "SCTID is not a concept id (partition identifier is not 00 or 10)"
		case PartRelationship:
			return 0, "SCTID is not a relationship id (partition identifier is not 02 or 12)"
		default:
			return 0, "SCTID is not a description id (partition identifier is not 01 or 11)"
		}
	}
	return v, ""
}

// ValidSCTID reports whether id is a well-formed SCTID: 6 to 18 digits,
// a valid Verhoeff check digit and a known partition identifier.
func ValidSCTID(id int64) bool { return sctidOK(id, -1) }

// IsConceptID reports whether id is a well-formed SCTID whose partition
// identifier says concept (00 or 10).
func IsConceptID(id int64) bool { return sctidOK(id, PartConcept) }

// sctidOK is SCTIDReason on an integer, without formatting it.
func sctidOK(id int64, part int) bool {
	if id < 100_000 || id >= 1_000_000_000_000_000_000 {
		return false
	}
	var c uint8
	for x, j := id, 0; x > 0; x, j = x/10, j+1 {
		c = verhoeffD[c][verhoeffP[j&7][x%10]]
	}
	kind, form := id/10%10, id/100%10
	return c == 0 && form <= 1 && kind <= 2 && (part < 0 || int(kind) == part)
}

// MakeSCTID returns the SCTID made of payload, then the partition identifier
// (00-02 short format, 10-12 long format), then the Verhoeff check digit. It
// is how the synthetic generator mints identifiers. ok is false if the result
// would not be a valid SCTID (payload < 1, partition out of range, or more
// than 18 digits).
func MakeSCTID(payload int64, partition int) (id int64, ok bool) {
	if payload < 1 || partition < 0 || partition > 12 || (partition > 2 && partition < 10) {
		return 0, false
	}
	var buf [24]byte
	b := strconv.AppendInt(buf[:0], payload, 10)
	b = append(b, byte('0'+partition/10), byte('0'+partition%10))
	d, _ := VerhoeffCheckDigit(string(b))
	b = append(b, d)
	if len(b) < 6 || len(b) > 18 {
		return 0, false
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}
