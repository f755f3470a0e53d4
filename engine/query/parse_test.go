package query

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"freq chr22", "freq chr22"},
		{"freq 22:16050000-16060000", "freq 22:16050000-16060000"},
		{"freq chr22:1,000-2,000", "freq chr22:1000-2000"},
		{"freq chrX in sex(female) vs sex(male)", "freq chrX in sex(female) vs sex(male)"},
		{"freq seq1 in all", "freq seq1 in all"},
		{"count all", "count all"},
		{"count all by sex", "count all by sex"},
		{"count condition(<<73211009) and sex(female) by age", "count (condition(<<73211009) and sex(female)) by age"},
		{"count not sex(male) and age(40..49) or condition(44054006)", "count ((not sex(male) and age(40..49)) or condition(44054006))"},
		{"count not (sex(male) or age(0..17))", "count not (sex(male) or age(0..17))"},
		{"count observation(1003671000000109 >= 48)", "count observation(1003671000000109 >= 48)"},
		{"count observation(1003671000000109>=48.5)", "count observation(1003671000000109 >= 48.5)"},
		{"count medication(10481911000001102)", "count medication(10481911000001102)"},
		{"count carrier(chr22:16050075:A:G)", "count carrier(chr22:16050075:A:G)"},
		{"carriers chr22:16050075:A:G in condition(<<73211009)", "carriers chr22:16050075:A:G in condition(<<73211009)"},
		{"coverage chr1:100-200 in all", "coverage chr1:100-200 in all"},
		{"  freq\tchr22  ", "freq chr22"},
	} {
		q, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := q.String(); got != tc.want {
			t.Errorf("Parse(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty query"},
		{"frq chr22", "column 1: expected count, freq"},
		{"freq", "expected a region"},
		{"freq chr22:5-1", "START <= END"},
		{"freq chr22:0-10", "START <= END"},
		{"freq chr22:a-b", "expected START-END"},
		{"freq chr22 in", "expected a cohort"},
		{"freq chr22 in sex(other)", "expected female or male"},
		{"count age(50..40)", "LO <= HI"},
		{"count condition(abc)", "SNOMED CT concept id"},
		{"count observation(1003671000000109 ~ 4)", `operator "~": expected one of`},
		{"count observation(1003671000000109)", "expected SCTID OP NUMBER"},
		{"count observation(1003671000000109 > x)", "expected a number"},
		{"count (sex(male)", "expected ) to close the group"},
		{"count sex(male", "expected ) to close sex("},
		{"count sex(male) extra", "column 17: expected end of query"},
		{"count bogus(1)", "unknown predicate"},
		{"carriers chr22:1:A", "CONTIG:POS:REF:ALT"},
		{"count all by height", "expected sex or age"},
	} {
		_, err := Parse(tc.in)
		if err == nil || !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error %v, want one containing %q", tc.in, err, tc.want)
		}
	}
}
