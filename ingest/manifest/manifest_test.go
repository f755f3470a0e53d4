package manifest

import (
	"errors"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	in := "sample_id\tnhs_number\r\nLAB-1\t943 476 5919\r\n\n# comment\nLAB-2\t4010232137\n"
	links, err := Read(strings.NewReader(in), "m.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 2 || links[0] != (Link{"LAB-1", "9434765919", 2}) || links[1] != (Link{"LAB-2", "4010232137", 5}) {
		t.Fatalf("%+v", links)
	}
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "m.tsv:1: empty file"},
		{"sample\tnhs\n", "m.tsv:1: the header"},
		{"sample_id\tnhs_number\nLAB-1\t9434765918\n", "m.tsv:2: nhs_number: invalid NHS number: check digit does not match"},
		{"sample_id\tnhs_number\nLAB-1\t94347659\n", "m.tsv:2: nhs_number: invalid NHS number: fewer than 10 digits"},
		{"sample_id\tnhs_number\nLAB-1\t9434765919\textra\n", "m.tsv:2: 3 columns"},
		{"sample_id\tnhs_number\n\t9434765919\n", "m.tsv:2: sample_id is empty"},
		{"sample_id\tnhs_number\nLAB-1\t9434765919\nLAB-1\t4010232137\n", "m.tsv:3: sample_id repeats the one on line 2"},
	} {
		_, err := Read(strings.NewReader(tc.in), "m.tsv")
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.in, err, tc.want)
		}
		if err != nil && (strings.Contains(err.Error(), "943476591") || strings.Contains(err.Error(), "LAB-1")) {
			t.Errorf("error leaks an identifier: %v", err)
		}
	}
}
