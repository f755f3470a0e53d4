package audit

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// entryWire decodes the canonical form with encoding/json: the check that
// it is valid JSON meaning what the Entry says.
type entryWire struct {
	Seq      uint64 `json:"seq"`
	Time     string `json:"time"`
	Actor    string `json:"actor"`
	Role     string `json:"role"`
	Project  string `json:"project"`
	Purpose  string `json:"purpose"`
	Action   string `json:"action"`
	Request  string `json:"request"`
	Result   Digest `json:"result"`
	Decision string `json:"decision"`
	Release  uint64 `json:"release"`
}

func TestCanonicalEntryGolden(t *testing.T) {
	e := Entry{Seq: 42, Time: time.Date(2026, 3, 1, 9, 30, 0, 120000000, time.FixedZone("BST", 3600)),
		Actor: "cli:1000", Role: "data-manager", Action: "ingest.vcf",
		Request: "files=2 \"a\\b\"\n\t\x01<&> é\u2028", Result: DigestOf([]byte("ok")),
		Decision: "denied: not approved", Release: 7}
	got, err := e.AppendCanonical(nil)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"seq":42,"time":"2026-03-01T08:30:00.12Z","actor":"cli:1000","role":"data-manager",` +
		`"project":"","purpose":"","action":"ingest.vcf","request":"files=2 \"a\\b\"\n\t\u0001<&> é` + "\u2028\"," +
		`"result":"2689367b205c16ce32ed4200942b8b8b1e262dfc70d9bc9fbc77c49699a4f1df",` +
		`"decision":"denied: not approved","release":7}`
	if string(got) != want {
		t.Errorf("canonical form changed:\n got %s\nwant %s", got, want)
	}
}

func TestCanonicalEntryIsJSON(t *testing.T) {
	cases := []Entry{
		testEntry(0),
		{Seq: 18446744073709551615, Time: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
			Actor: "cli:1000", Action: "ingest.vcf", Request: "files=3 <script>&\"\\\u2028\x01\x7f\b\f\x1f", Decision: "denied: not approved", Release: 7},
		{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("BST", 3600)), Actor: "a", Action: "optout", Decision: "allowed"},
	}
	for i, e := range cases {
		got, err := e.AppendCanonical(nil)
		if err != nil {
			t.Fatal(err)
		}
		var w entryWire
		if err := json.Unmarshal(got, &w); err != nil {
			t.Fatalf("case %d: not JSON: %v", i, err)
		}
		want := entryWire{
			Seq: e.Seq, Time: e.Time.UTC().Format(timeLayout), Actor: e.Actor, Role: e.Role, Project: e.Project,
			Purpose: e.Purpose, Action: e.Action, Request: e.Request, Result: e.Result, Decision: e.Decision, Release: e.Release,
		}
		if w != want {
			t.Errorf("case %d: JSON decodes to\n %+v\nwant %+v", i, w, want)
		}
		back, err := ParseEntry(got)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		e.Time = e.Time.UTC()
		if back != e {
			t.Errorf("case %d: round trip\n got %+v\nwant %+v", i, back, e)
		}
	}
}

func TestParseEntryRejectsNonCanonical(t *testing.T) {
	e := testEntry(3)
	e.Time = time.Date(2026, 3, 1, 9, 0, 1, 0, time.UTC)
	good, err := e.AppendCanonical(nil)
	if err != nil {
		t.Fatal(err)
	}
	g := string(good)
	hexd := DigestOf([]byte("answer 3")).String()
	bad := map[string]string{
		"space after colon":   strings.Replace(g, `"seq":0`, `"seq": 0`, 1),
		"leading zero":        strings.Replace(g, `"seq":0`, `"seq":00`, 1),
		"upper-case hex":      strings.Replace(g, hexd, strings.ToUpper(hexd), 1),
		"offset not Z":        strings.Replace(g, `Z"`, `+00:00"`, 1),
		"unknown field":       strings.Replace(g, `{"seq":0`, `{"x":1,"seq":0`, 1),
		"duplicate key":       strings.Replace(g, `{"seq":0`, `{"seq":1,"seq":0`, 1),
		"trailing newline":    g + "\n",
		"escaped slash":       strings.Replace(g, `count`, `\/count`, 1),
		"escaped letter":      strings.Replace(g, `count`, `\u0063ount`, 1),
		"raw control char":    strings.Replace(g, `count`, "\x01count", 1),
		"zero digest as hex":  strings.Replace(g, hexd, strings.Repeat("0", 64), 1),
		"trailing zero nanos": strings.Replace(g, `:01Z"`, `:01.0Z"`, 1),
		"not json":            "{",
	}
	// reordered keys: move role after project.
	bad["reordered keys"] = strings.Replace(strings.Replace(g, `"role":"researcher",`, ``, 1), `"purpose"`, `"role":"researcher","purpose"`, 1)
	for name, s := range bad {
		if s == g {
			t.Fatalf("%s: mutation did not change the entry", name)
		}
		if _, err := ParseEntry([]byte(s)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: ParseEntry error %v, want ErrCorrupt", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "73211009") {
			t.Errorf("%s: error quotes the entry", name)
		}
	}
}

func TestEntryValidation(t *testing.T) {
	for name, e := range map[string]Entry{
		"no actor":      {Action: "query", Decision: "allowed"},
		"no action":     {Actor: "u", Decision: "allowed"},
		"no decision":   {Actor: "u", Action: "query"},
		"bad utf-8":     {Actor: "u", Action: "query", Decision: "allowed", Request: "\xff"},
		"year 10000":    {Actor: "u", Action: "query", Decision: "allowed", Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"too large":     {Actor: "u", Action: "query", Decision: "allowed", Request: strings.Repeat("x", MaxEntrySize)},
		"escapes large": {Actor: "u", Action: "query", Decision: "allowed", Request: strings.Repeat("\x01", MaxEntrySize/5)},
	} {
		tl := newTestLog(t)
		l := tl.open(t, nil)
		if _, err := l.Append(e); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Append error %v, want ErrInvalid", name, err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if r := tl.mustVerify(t); r.Entries != 0 {
			t.Errorf("%s: rejected entry was written", name)
		}
	}
}

func TestDigestText(t *testing.T) {
	var d Digest
	if b, _ := d.MarshalText(); len(b) != 0 {
		t.Errorf("zero digest marshals to %q", b)
	}
	d = DigestOf([]byte("x"))
	b, _ := d.MarshalText()
	var back Digest
	if err := back.UnmarshalText(b); err != nil || back != d {
		t.Errorf("round trip: %v", err)
	}
	for _, s := range []string{"abc", strings.Repeat("g", 64), strings.Repeat("A", 64)} {
		if err := back.UnmarshalText([]byte(s)); err == nil {
			t.Errorf("UnmarshalText(%q) accepted", s)
		}
	}
}

// FuzzParseEntry: whatever ParseEntry accepts is exactly the canonical
// encoding of what it returns, and errors never quote the input.
func FuzzParseEntry(f *testing.F) {
	for i := 0; i < 3; i++ {
		e := testEntry(i)
		b, _ := e.AppendCanonical(nil)
		f.Add(b)
	}
	e := Entry{Actor: "a\u2028<>&\x01", Action: "q", Decision: "d", Request: "é\"\\"}
	b, _ := e.AppendCanonical(nil)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEntry(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		c, err := e.AppendCanonical(nil)
		if err != nil || string(c) != string(b) {
			t.Fatalf("accepted non-canonical bytes")
		}
	})
}
