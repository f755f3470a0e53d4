package snomed

import (
	"errors"
	"strings"
	"testing"
)

// relRow renders one relationship row with the usual metadata columns.
func relRow(id, time, active string, src, dst int64) string {
	return strings.Join([]string{id, time, active, "900000000000207008", itoa(src), itoa(dst), "0",
		"116680003", "900000000000011006", "900000000000451002"}, "\t")
}

// withCol returns row with column c replaced.
func withCol(row string, c int, v string) string {
	cols := strings.Split(row, "\t")
	cols[c] = v
	return strings.Join(cols, "\t")
}

func TestRF2Errors(t *testing.T) {
	good := relRow("2001025", "20240731", "1", cA, cR)
	good2 := relRow("2002021", "20240731", "1", cB, cA)
	hdr := headerText()
	cases := []struct {
		name  string
		in    string
		want  string // the message must start with this
		cycle bool
	}{
		{"empty file", "", "f.txt:1: empty file: missing RF2 header", false},
		{"missing header", good + "\n" + good2 + "\n", "f.txt:1: wrong RF2 relationship header: column 1 is \"2001025\", want id", false},
		{"header of another file", "id\teffectiveTime\tactive\tmoduleId\tconceptId\n" + good, "f.txt:1: missing or wrong RF2 relationship header: 5 columns, want 10", false},
		{"header column renamed", strings.Replace(hdr, "typeId", "type", 1) + "\n" + good, "f.txt:1: wrong RF2 relationship header: column 8 is \"type\", want typeId", false},
		{"9 columns", hdr + "\n" + good + "\n" + good2[:strings.LastIndexByte(good2, '\t')] + "\n", "f.txt:3: 9 tab-separated columns, want 10 (modifierId is missing)", false},
		{"11 columns", hdr + "\n" + good + "\tx\n", "f.txt:2: more than 10 tab-separated columns", false},
		{"blank line", hdr + "\n" + good + "\n\n" + good2, "f.txt:3: 1 tab-separated columns, want 10 (effectiveTime is missing)", false},
		{"bad active", hdr + "\n" + good + "\n" + withCol(good2, colActive, "2"), "f.txt:3: active: \"2\" is not 0 or 1", false},
		{"active true", hdr + "\n" + withCol(good, colActive, "true"), "f.txt:2: active: \"true\" is not 0 or 1", false},
		{"bad check digit", hdr + "\n" + withCol(good, colSource, "102003"), "f.txt:2: sourceId: \"102003\": SCTID fails its Verhoeff check digit", false},
		{"bad destination", hdr + "\n" + withCol(good, colDestination, "10100x"), "f.txt:2: destinationId: \"10100x\": an SCTID has only decimal digits", false},
		{"relationship id as concept", hdr + "\n" + withCol(good, colDestination, "2002021"), "f.txt:2: destinationId: \"2002021\": SCTID is not a concept id", false},
		{"concept id as id", hdr + "\n" + withCol(good, colID, "73211009"), "f.txt:2: id: \"73211009\": SCTID is not a relationship id", false},
		{"short SCTID", hdr + "\n" + withCol(good, colType, "1234"), "f.txt:2: typeId: \"1234\": an SCTID has 6 to 18 digits", false},
		{"bad module", hdr + "\n" + good + "\n" + withCol(good2, colModule, "900000000000207009"), "f.txt:3: moduleId: \"900000000000207009\": SCTID fails its Verhoeff", false},
		{"bad characteristic type", hdr + "\n" + withCol(good, colCharType, ""), "f.txt:2: characteristicTypeId: \"\": an SCTID has 6 to 18 digits", false},
		{"bad modifier", hdr + "\n" + withCol(good, colModifier, "0900000000000451002"), "f.txt:2: modifierId: \"0900000000000451002\": an SCTID has 6 to 18 digits", false},
		{"bad date", hdr + "\n" + withCol(good, colEffectiveTime, "20241301"), "f.txt:2: effectiveTime: \"20241301\" is not a calendar date YYYYMMDD", false},
		{"29 February", hdr + "\n" + withCol(good, colEffectiveTime, "20230229"), "f.txt:2: effectiveTime: \"20230229\" is not a calendar date", false},
		{"ISO date", hdr + "\n" + withCol(good, colEffectiveTime, "2024-07-31"), "f.txt:2: effectiveTime: \"2024-07-31\" is not a date YYYYMMDD", false},
		{"negative group", hdr + "\n" + withCol(good, colGroup, "-1"), "f.txt:2: relationshipGroup: \"-1\" is not a non-negative integer", false},
		{"same id and time", hdr + "\n" + good + "\n" + withCol(good2, colID, "2001025"), "f.txt:3: effectiveTime: relationship id 2001025 repeated with the same effectiveTime 20240731 (first at line 2)", false},
		{"same id and time, other type", hdr + "\n" + good + "\n" + withCol(withCol(good2, colID, "2001025"), colType, "363698007"), "f.txt:3: effectiveTime: relationship id 2001025 repeated", false},
		{"line too long", hdr + "\n" + good + "\n" + strings.Repeat("9", maxLine+10), "f.txt:3: line longer than 65536 bytes", false},
		{"cycle", hdr + "\n" + good + "\n" + good2 + "\n" + relRow("2003027", "20240731", "1", cA, cB) + "\n" + relRow("2004022", "20240731", "1", cC, cB),
			"f.txt:4: sourceId: is-a cycle through concept 102002", true},
		{"cycle off the root", hdr + "\n" + relRow("2003027", "20240731", "1", cD, cC) + "\n" + relRow("2004022", "20240731", "1", cC, cE) + "\n" + relRow("2005023", "20240731", "1", cE, cD) + "\n" + good,
			"f.txt:3: sourceId: is-a cycle through concept 104001", true},
		{"self loop", hdr + "\n" + good + "\n" + relRow("2002021", "20240731", "1", cB, cB), "f.txt:3: sourceId: is-a cycle through concept 103007", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, _, err := ParseRF2(strings.NewReader(c.in), "f.txt")
			if err == nil {
				t.Fatalf("no error (Len %d)", h.Len())
			}
			if !errors.Is(err, ErrFormat) || errors.Is(err, ErrCycle) != c.cycle {
				t.Errorf("%v: wrong sentinel", err)
			}
			if !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("error\n  %v\nwant prefix\n  %s", err, c.want)
			}
		})
	}
}

// TestRF2Accepts: inputs that are fine.
func TestRF2Accepts(t *testing.T) {
	good := relRow("2001025", "20240731", "1", cA, cR)
	hdr := headerText()
	longConcept, _ := MakeSCTID(1234561000001, 10) // item 123456, namespace 1000001
	longRel, _ := MakeSCTID(7654321000001, 12)
	for name, in := range map[string]string{
		"no final newline":   hdr + "\n" + good,
		"CRLF":               hdr + "\r\n" + good + "\r\n",
		"BOM":                "\xef\xbb\xbf" + hdr + "\n" + good + "\n",
		"inactive self loop": hdr + "\n" + good + "\n" + relRow("2002021", "20240731", "0", cB, cB) + "\n",
		"inactive cycle":     hdr + "\n" + good + "\n" + relRow("2002021", "20240731", "0", cR, cA) + "\n",
		"leap day":           hdr + "\n" + withCol(good, colEffectiveTime, "20240229") + "\n",
		"long format ids":    hdr + "\n" + relRow(itoa(longRel), "20240731", "1", longConcept, cR) + "\n",
	} {
		h, _, err := ParseRF2(strings.NewReader(in), "f.txt")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if name != "inactive self loop" && name != "inactive cycle" && h.Len() != 2 {
			t.Errorf("%s: Len %d", name, h.Len())
		}
	}
	// Header only: an empty hierarchy.
	h, st, err := ParseRF2(strings.NewReader(hdr+"\n"), "f.txt")
	if err != nil || h.Len() != 0 || st.Rows != 0 {
		t.Errorf("header only: %v %d", err, h.Len())
	}
}
