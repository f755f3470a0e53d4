package airlock

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gentre/gentre/trusted-research/disclosure"
)

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Format
		err  bool
		mime string
	}{
		{"", TSV, false, "text/tab-separated-values"},
		{"tsv", TSV, false, "text/tab-separated-values"},
		{"json", JSON, false, "application/json"},
		{"TSV", "", true, ""},
		{"csv", "", true, ""},
	} {
		f, err := ParseFormat(tc.in)
		if f != tc.want || (err != nil) != tc.err || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("ParseFormat(%q) = %q, %v", tc.in, f, err)
		}
		if err == nil && f.MediaType() != tc.mime {
			t.Errorf("%s media type %q", f, f.MediaType())
		}
	}
}

// TestReleaserCounts: a true 0 is 0, 1..threshold suppressed, anything
// larger a multiple of the rounding base near the true value.
func TestReleaserCounts(t *testing.T) {
	s := openTest(t)
	for _, set := range []disclosure.Settings{disclosure.DefaultSettings(), {Epsilon: 1, Budget: 1, Threshold: 10, RoundTo: 10}} {
		r := s.Releaser(set)
		for n := int64(0); n <= 200; n++ {
			for range 5 {
				v := r.Count(n)
				c, ok := v.Count()
				switch {
				case n == 0:
					if !ok || c != 0 {
						t.Fatalf("%+v: 0 released as %+v", set, v)
					}
				case n <= set.Threshold:
					if !v.Suppressed() || ok {
						t.Fatalf("%+v: %d released as %+v", set, n, v)
					}
				default:
					if !ok || c%set.RoundTo != 0 || c < 0 || math.Abs(float64(c-n)) > 40/set.Epsilon+float64(set.RoundTo) {
						t.Fatalf("%+v: %d released as %+v", set, n, v)
					}
				}
			}
		}
		vals, err := r.Table([]string{"a", "b", "c"}, []int64{0, 3, 100})
		if err != nil || len(vals) != 3 || vals[0].Kind != KindCount || vals[0].Int != 0 || !vals[1].Suppressed() || vals[2].Kind != KindCount {
			t.Fatalf("table: %+v %v", vals, err)
		}
	}
}

func testSections() []Section {
	return []Section{
		{Query: "count all by sex", Columns: []string{"sex", "count"}, Rows: [][]Value{
			{Text("female"), {Kind: KindCount, Int: 40}},
			{Text("other"), {Kind: KindSuppressed}},
			{Text("unknown"), {Kind: KindCount, Int: 0}},
		}},
		{Query: "freq chr1", Columns: []string{"chrom", "pos", "ac", "af"}, Rows: [][]Value{
			{Text("chr1"), Int(100), {Kind: KindCount, Int: 20}, Real(0.125)},
			{Text("chr1"), Int(300), {Kind: KindSuppressed}, Real(math.NaN())},
		}},
	}
}

var testMeta = Meta{Project: "p1", Release: "4", Settings: disclosure.DefaultSettings()}

func TestRenderTSV(t *testing.T) {
	b, err := Render(TSV, testMeta, testSections())
	if err != nil {
		t.Fatal(err)
	}
	want := "# gentre airlock output\n# project\tp1\n# release\t4\n" +
		"# disclosure\tcounts 1-7 suppressed; other counts rounded to 5 after Laplace noise (epsilon 0.5); a true 0 is 0\n" +
		"\n# query\tcount all by sex\nsex\tcount\nfemale\t40\nother\tsuppressed\nunknown\t0\n" +
		"\n# query\tfreq chr1\nchrom\tpos\tac\taf\nchr1\t100\t20\t0.125\nchr1\t300\tsuppressed\tNA\n"
	if string(b) != want {
		t.Fatalf("TSV:\n%s\nwant:\n%s", b, want)
	}
}

func TestRenderJSON(t *testing.T) {
	b, err := Render(JSON, testMeta, testSections())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Project    string         `json:"project"`
		Release    string         `json:"release"`
		Disclosure map[string]any `json:"disclosure"`
		Sections   []struct {
			Query   string           `json:"query"`
			Columns []string         `json:"columns"`
			Rows    []map[string]any `json:"rows"`
		} `json:"sections"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if doc.Project != "p1" || doc.Release != "4" || doc.Disclosure["epsilon"] != 0.5 || doc.Disclosure["threshold"] != 7.0 || len(doc.Sections) != 2 {
		t.Fatalf("JSON: %s", b)
	}
	rows := doc.Sections[0].Rows
	if rows[0]["count"] != 40.0 || rows[0]["sex"] != "female" || rows[0]["suppressed"] != nil {
		t.Fatalf("released row: %v", rows[0])
	}
	if _, has := rows[1]["count"]; has || len(rows[1]["suppressed"].([]any)) != 1 || rows[1]["suppressed"].([]any)[0] != "count" {
		t.Fatalf("suppressed row: %v", rows[1])
	}
	if rows[2]["count"] != 0.0 {
		t.Fatalf("zero row: %v", rows[2])
	}
	f := doc.Sections[1].Rows[1]
	if v, has := f["af"]; !has || v != nil || f["pos"] != 300.0 {
		t.Fatalf("NA row: %v", f)
	}
	// Keys in column order.
	if i, j := strings.Index(string(b), `"chrom"`), strings.Index(string(b), `"af"`); i < 0 || j < i {
		t.Fatalf("column order: %s", b)
	}
}

func TestRenderRefusesMalformed(t *testing.T) {
	for _, secs := range [][]Section{
		{{Query: "q", Columns: []string{"a", "b"}, Rows: [][]Value{{Text("x")}}}},
		{{Query: "q", Columns: []string{"a"}, Rows: [][]Value{{{}}}}},
	} {
		for _, f := range []Format{TSV, JSON} {
			if _, err := Render(f, testMeta, secs); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s %+v: %v", f, secs, err)
			}
		}
	}
	if _, err := Render("csv", testMeta, testSections()); !errors.Is(err, ErrInvalid) {
		t.Errorf("csv: %v", err)
	}
	// A tab or newline in a label cannot break the TSV layout.
	b, err := Render(TSV, testMeta, []Section{{Query: "q\nx", Columns: []string{"a"}, Rows: [][]Value{{Text("x\ty\nz")}}}})
	if err != nil || strings.Count(string(b), "\n") != 8 || !strings.Contains(string(b), "x y z\n") {
		t.Fatalf("%q %v", b, err)
	}
}
