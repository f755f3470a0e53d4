package main

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestParseAfreq(t *testing.T) {
	// As written by PLINK v2.00a3.5 --freq (no POS column by default).
	in := "#CHROM\tID\tREF\tALT\tALT_FREQS\tOBS_CT\n" +
		"22\t.\tT\tC\t0.025\t40\n" +
		"22\trs1\tC\tT,*\t0.025,0.05\t40\n" +
		"22\t.\tA\t<DEL>\tNA\t0\n"
	rows, err := parseAfreq(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	if r := rows[1]; r.Chrom != "22" || r.ID != "rs1" || r.Ref != "C" || !slices.Equal(r.Alts, []string{"T", "*"}) ||
		!slices.Equal(r.Freqs, []float64{0.025, 0.05}) || r.Obs != 40 || r.Pos != 0 {
		t.Fatalf("row 2: %+v", r)
	}
	if r := rows[2]; !math.IsNaN(r.Freqs[0]) || r.Obs != 0 || r.Alts[0] != "<DEL>" {
		t.Fatalf("row 3: %+v", r)
	}

	// cols=+pos adds POS; columns are found by name.
	rows, err = parseAfreq(strings.NewReader("#CHROM\tPOS\tID\tREF\tALT\tPROVISIONAL_REF?\tALT_FREQS\tOBS_CT\n22\t100\t.\tA\tG\tY\t0.5\t8\n"))
	if err != nil || rows[0].Pos != 100 || rows[0].Freqs[0] != 0.5 {
		t.Fatalf("with POS: %+v %v", rows, err)
	}

	for name, bad := range map[string]string{
		"no header":    "22\t.\tT\tC\t0.025\t40\n",
		"missing col":  "#CHROM\tID\tREF\tALT\tOBS_CT\n",
		"freq count":   "#CHROM\tID\tREF\tALT\tALT_FREQS\tOBS_CT\n22\t.\tT\tC,G\t0.1\t40\n",
		"bad freq":     "#CHROM\tID\tREF\tALT\tALT_FREQS\tOBS_CT\n22\t.\tT\tC\tx\t40\n",
		"bad obs":      "#CHROM\tID\tREF\tALT\tALT_FREQS\tOBS_CT\n22\t.\tT\tC\t0.1\t4.5\n",
		"short line":   "#CHROM\tID\tREF\tALT\tALT_FREQS\tOBS_CT\n22\t.\tT\n",
		"bad position": "#CHROM\tPOS\tID\tREF\tALT\tALT_FREQS\tOBS_CT\n22\tp\t.\tT\tC\t0.1\t4\n",
	} {
		if _, err := parseAfreq(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestParsePvar(t *testing.T) {
	in := "##fileformat=VCFv4.2\n##contig=<ID=22,length=50818468>\n" +
		"#CHROM\tPOS\tID\tREF\tALT\tFILTER\tINFO\n" +
		"22\t36670\t.\tT\tC\tPASS\tAC=1;AN=32\n" +
		"22\t1697058\t.\tG\tA,*\tPASS\tAC=0,1;AN=31\n"
	rows, err := parsePvar(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []pvarRow{{"22", 36670, "T", []string{"C"}}, {"22", 1697058, "G", []string{"A", "*"}}}
	if len(rows) != 2 || rows[0].Pos != want[0].Pos || rows[1].Pos != want[1].Pos || !slices.Equal(rows[1].Alts, want[1].Alts) {
		t.Fatalf("got %+v", rows)
	}
	if _, err := parsePvar(strings.NewReader("22\t1\t.\tA\tC\n")); err == nil {
		t.Error("headerless pvar: no error")
	}
}

func TestParseBcftoolsQuery(t *testing.T) {
	in := "chr22\t19478495\tC\tT\t1\t32\nchr22\t19478495\tC\t*\t2\t32\nchr22\t23487782\tA\t<DEL>\t0\t0\n"
	rows, err := parseBcftoolsQuery(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[1].Alt != "*" || rows[1].AC != 2 || rows[1].AN != 32 || rows[2].AN != 0 || rows[0].HasGenotypeCounts {
		t.Fatalf("got %+v", rows)
	}
	for name, bad := range map[string]string{
		"fields":    "chr22\t1\tA\tC\t1\n",
		"not split": "chr22\t1\tA\tC,G\t1,2\t10\n",
		"bad ac":    "chr22\t1\tA\tC\t.\t10\n",
		"bad pos":   "chr22\tx\tA\tC\t1\t10\n",
	} {
		if _, err := parseBcftoolsQuery(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestParseGentreFreq(t *testing.T) {
	in := "chrom\tpos\tref\talt\tac\tan\taf\thet\thom_alt\tmissing\n" +
		"chr22\t100\tA\tG\t3\t10\t0.3\t1\t1\t0\n" +
		"chr22\t200\tC\tT\t0\t0\tnan\t0\t0\t5\n"
	rows, err := parseGentreFreq(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].AC != 3 || rows[0].AF != 0.3 || rows[0].Het != 1 || !rows[0].HasGenotypeCounts ||
		!math.IsNaN(rows[1].AF) || rows[1].Missing != 5 {
		t.Fatalf("got %+v", rows)
	}
	// Columns by name, in any order, extra ones ignored.
	rows, err = parseGentreFreq(strings.NewReader("pos\tchrom\tref\talt\tan\tac\taf\tmissing\thom_alt\thet\textra\n5\t22\tA\tC\t4\t1\t0.25\t0\t0\t1\tx\n"))
	if err != nil || rows[0].Pos != 5 || rows[0].AC != 1 || rows[0].AN != 4 || rows[0].Het != 1 {
		t.Fatalf("reordered: %+v %v", rows, err)
	}
	for name, bad := range map[string]string{
		"empty":       "",
		"no header":   "chr22\t100\tA\tG\t3\t10\t0.3\t1\t1\t0\n",
		"missing col": "chrom\tpos\tref\talt\tac\tan\taf\thet\thom_alt\n",
		"bad count":   "chrom\tpos\tref\talt\tac\tan\taf\thet\thom_alt\tmissing\nchr22\t1\tA\tG\t3\tx\t0.3\t1\t1\t0\n",
		"short":       "chrom\tpos\tref\talt\tac\tan\taf\thet\thom_alt\tmissing\nchr22\t1\tA\n",
	} {
		if _, err := parseGentreFreq(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestMachineParsing(t *testing.T) {
	cpu := "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7B13\n"
	if got := cpuModel(strings.NewReader(cpu)); got != "AMD EPYC 7B13" {
		t.Errorf("cpuModel = %q", got)
	}
	if got := cpuModel(strings.NewReader("processor\t: 0\n")); got != "unknown" {
		t.Errorf("cpuModel without model = %q", got)
	}
	if got := memTotal(strings.NewReader("MemTotal:       24651232 kB\nMemFree: 1 kB\n")); got != 24651232*1024 {
		t.Errorf("memTotal = %d", got)
	}
}

func TestParseSizes(t *testing.T) {
	if got, err := parseSizes("1000, 10000"); err != nil || !slices.Equal(got, []int{1000, 10000}) {
		t.Fatalf("parseSizes = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "10,x", "-5"} {
		if _, err := parseSizes(bad); err == nil {
			t.Errorf("parseSizes(%q): no error", bad)
		}
	}
}
