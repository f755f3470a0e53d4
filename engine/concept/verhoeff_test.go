package concept

import (
	"strconv"
	"testing"
)

// Real SCTIDs (concepts, and metadata concepts of the RF2 columns).
var knownSCTIDs = []int64{
	138875005, 404684003, 64572001, 73211009, 44054006, 46635009, 38341003, 22298006,
	116680003, 363698007, 900000000000207008, 900000000000011006, 900000000000451002,
}

func TestVerhoeffKnownGood(t *testing.T) {
	for _, id := range knownSCTIDs {
		s := strconv.FormatInt(id, 10)
		if !VerhoeffValid(s) || !ValidSCTID(id) || !IsConceptID(id) {
			t.Errorf("%d: not accepted", id)
		}
		d, ok := VerhoeffCheckDigit(s[:len(s)-1])
		if !ok || d != s[len(s)-1] {
			t.Errorf("%d: check digit %c, want %c", id, d, s[len(s)-1])
		}
	}
	// Textbook example: 236 → check digit 3.
	if d, _ := VerhoeffCheckDigit("236"); d != '3' || !VerhoeffValid("2363") {
		t.Errorf("236: %c", d)
	}
}

// TestVerhoeffOneDigitChanged: Verhoeff catches every single-digit error and
// every adjacent transposition.
func TestVerhoeffOneDigitChanged(t *testing.T) {
	for _, id := range knownSCTIDs {
		s := []byte(strconv.FormatInt(id, 10))
		for i := range s {
			orig := s[i]
			for d := byte('0'); d <= '9'; d++ {
				if d == orig {
					continue
				}
				s[i] = d
				if VerhoeffValid(string(s)) {
					t.Errorf("%s (digit %d of %d changed) passes", s, i, id)
				}
				if v, err := strconv.ParseInt(string(s), 10, 64); err == nil && s[0] != '0' && ValidSCTID(v) {
					t.Errorf("%d passes ValidSCTID", v)
				}
			}
			s[i] = orig
		}
		for i := 0; i+1 < len(s); i++ {
			if s[i] == s[i+1] {
				continue
			}
			s[i], s[i+1] = s[i+1], s[i]
			if VerhoeffValid(string(s)) {
				t.Errorf("%s (transposition in %d) passes", s, id)
			}
			s[i], s[i+1] = s[i+1], s[i]
		}
	}
}

func TestSCTIDRules(t *testing.T) {
	cases := []struct {
		s      string
		part   int
		reason string
	}{
		{"73211009", PartConcept, ""},
		{"73211009", PartRelationship, "SCTID is not a relationship id (partition identifier is not 02 or 12)"},
		{"2001025", PartRelationship, ""},
		{"2001025", PartConcept, "SCTID is not a concept id (partition identifier is not 00 or 10)"},
		{"900000000000207008", PartConcept, ""},
		{"10009", -1, "an SCTID has 6 to 18 digits"},
		{"1234567890123456789", -1, "an SCTID has 6 to 18 digits"},
		{"073211009", -1, "an SCTID has no leading zero"},
		{"7321100x", -1, "an SCTID has only decimal digits"},
		{"73211008", -1, "SCTID fails its Verhoeff check digit"},
		{"", -1, "an SCTID has 6 to 18 digits"},
	}
	for _, c := range cases {
		if _, r := SCTIDReason([]byte(c.s), c.part); r != c.reason {
			t.Errorf("%q part %d: %q, want %q", c.s, c.part, r, c.reason)
		}
	}
	// A valid check digit but partition 05: not an SCTID.
	bad := "10005"
	d, _ := VerhoeffCheckDigit(bad)
	if _, r := SCTIDReason([]byte(bad+string(d)), -1); r != "SCTID has an invalid partition identifier" {
		t.Errorf("partition 05: %q", r)
	}
	for _, c := range []struct {
		payload int64
		part    int
		ok      bool
	}{{73211, 0, true}, {2001, 2, true}, {1, 0, false} /* 4 digits */, {5, 3, false}, {0, 0, false}, {1e14, 10, true}, {1e15, 10, false}} {
		id, ok := MakeSCTID(c.payload, c.part)
		if ok != c.ok || (ok && !ValidSCTID(id)) {
			t.Errorf("MakeSCTID(%d, %d) = %d, %v", c.payload, c.part, id, ok)
		}
	}
	if id, _ := MakeSCTID(73211, 0); id != 73211009 {
		t.Errorf("MakeSCTID(73211, 0) = %d", id)
	}
	if ValidSCTID(-73211009) || IsConceptID(0) || VerhoeffValid("") || VerhoeffValid("12a") {
		t.Error("accepted garbage")
	}
}
