package pseudonymise

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestNHSNumber(t *testing.T) {
	for _, tc := range []struct {
		in    string
		valid bool
		why   string
	}{
		{"9434765919", true, ""},
		{"943 476 5919", true, ""},
		{"943-476-5919", true, ""},
		{"4010232137", true, ""},
		{"9434765918", false, "check digit does not match"},
		{"9434765910", false, "check digit does not match"},
		{"943476591", false, "fewer than 10"},
		{"94347659190", false, "more than 10"},
		{"94347659l9", false, "other than digits"},
		{"", false, "fewer than 10"},
		// 123456789x: weights give remainder 1, check 10: no valid number.
		{"1234567890", false, "no valid check digit"},
		{"0000000000", true, ""},
	} {
		got, err := NormaliseNHSNumber(tc.in)
		if (err == nil) != tc.valid {
			t.Errorf("%q: err %v, want valid=%v", tc.in, err, tc.valid)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrNHSNumber) || !strings.Contains(err.Error(), tc.why) {
				t.Errorf("%q: error %q, want %q", tc.in, err, tc.why)
			}
			if d := strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, tc.in); len(d) >= 4 && strings.Contains(err.Error(), d) {
				t.Errorf("%q: error %q contains the number", tc.in, err)
			}
			continue
		}
		if len(got) != 10 || strings.ContainsAny(got, " -") {
			t.Errorf("%q normalised to %q", tc.in, got)
		}
	}
	n, ok := NHSNumberWithCheck("943476591")
	if !ok || n != "9434765919" {
		t.Fatalf("NHSNumberWithCheck = %q %v", n, ok)
	}
	if _, ok := NHSNumberWithCheck("123456789"); ok {
		t.Fatal("check digit 10 accepted")
	}
	// Every generated number validates; about 1 in 11 prefixes has none.
	none := 0
	for i := 100000000; i < 100011000; i++ {
		s, ok := NHSNumberWithCheck(fmt.Sprintf("%09d", i))
		if !ok {
			none++
			continue
		}
		if !ValidNHSNumber(s) {
			t.Fatalf("generated %s invalid", s)
		}
	}
	if none < 800 || none > 1200 {
		t.Fatalf("%d of 11000 prefixes had no check digit, want about 1000", none)
	}
}

func TestGeneralise(t *testing.T) {
	for _, tc := range []struct {
		in      string
		y, m    int
		wantErr bool
	}{
		{"1970-03-14", 1970, 3, false},
		{"1970-03", 1970, 3, false},
		{"1970", 1970, 0, false},
		{"1970-03-14T10:00:00Z", 1970, 3, false},
		{"1970-13-01", 0, 0, true},
		{"70-03-14", 0, 0, true},
		{"1970-03-14x", 0, 0, true},
		{"", 0, 0, true},
	} {
		y, m, err := BirthMonth(tc.in)
		if (err != nil) != tc.wantErr || y != tc.y || m != tc.m {
			t.Errorf("BirthMonth(%q) = %d %d %v", tc.in, y, m, err)
		}
		if err != nil && tc.in != "" && strings.Contains(err.Error(), tc.in) {
			t.Errorf("error contains the date: %v", err)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"SW1A 1AA", "SW1A"}, {"sw1a1aa", "SW1A"}, {"M1 1AE", "M1"}, {"B33 8TH", "B33"},
		{"CR2 6XH", "CR2"}, {"DN55 1PT", "DN55"}, {"", ""},
	} {
		got, err := PostcodeDistrict(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("PostcodeDistrict(%q) = %q %v", tc.in, got, err)
		}
	}
	for _, bad := range []string{"12345", "SW1A 1A", "SW1A-1AA", "X"} {
		if _, err := PostcodeDistrict(bad); !errors.Is(err, ErrQuasiIdentifier) {
			t.Errorf("PostcodeDistrict(%q) accepted", bad)
		}
	}
	l := AreaLookup{"SW1A1AA": "E01004736"}
	if a, _ := l.Area("SW1A 1AA"); a != "E01004736" {
		t.Errorf("lookup area %q", a)
	}
	if a, _ := l.Area("M1 1AE"); a != "M1" {
		t.Errorf("fallback area %q", a)
	}
}
