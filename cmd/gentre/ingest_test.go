package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const smallVCF = `##fileformat=VCFv4.2
##contig=<ID=chr1,length=1000>
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=FT,Number=1,Type=String,Description="Filter">
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	LAB-0001	LAB-0002	LAB-0003
chr1	10	rs1	A	G,T	50	PASS	DP=30	GT:DP:AD	0/1:12:6,6,0	1|2:.:0,3,4	./.:0:.
chr1	20	.	C	T	.	.	.	DP:GT	9:0/0	8:./1	7:1
`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestKeepFormatAndDump(t *testing.T) {
	dir := newStore(t)
	vcf := writeFile(t, "small.vcf", smallVCF)
	gentre(t, "ingest", "vcf", "--store", dir, "--keep-format", "DP,AD", vcf)
	dump := gentre(t, "dump", "--store", dir)
	for _, want := range []string{
		"chr1\t10\trs1\tA\tG,T\t50\tPASS\tDP=30\tGT:DP:AD\t0/1:12:6,6,0\t1|2:.:0,3,4\t./.:0:.",
		"chr1\t20\t.\tC\tT\t.\t.\t.\tGT:DP:AD\t0/0:9:.\t./1:8:.\t1:7:.",
	} {
		if !strings.Contains(dump, want) {
			t.Errorf("dump lacks %q:\n%s", want, dump)
		}
	}
	// Sample IDs are identifiers: only their pseudonyms are stored.
	if strings.Contains(dump, "LAB-000") {
		t.Fatal("a sample ID appears in the dump")
	}
	assertNotInStore(t, dir, "LAB-0001", "LAB-0002", "LAB-0003")

	out := gentre(t, "query", "--store", dir, "freq chr1")
	want := "chrom\tpos\tref\talt\tac\tan\taf\thet\thom_alt\tmissing\n" +
		"chr1\t10\tA\tG\t2\t4\t0.5\t2\t0\t1\n" +
		"chr1\t10\tA\tT\t1\t4\t0.25\t1\t0\t1\n" +
		"chr1\t20\tC\tT\t2\t4\t0.5\t0\t1\t1\n"
	if out != want {
		t.Fatalf("freq:\n%s\nwant:\n%s", out, want)
	}
	js := gentre(t, "query", "--store", dir, "--format", "json", "freq chr1:10-10")
	if !strings.Contains(js, `"ac":2,"an":4,"af":0.5`) || !strings.HasPrefix(js, "[") {
		t.Fatalf("json: %s", js)
	}
	// A string FORMAT field cannot be kept.
	dir2 := newStore(t)
	if _, errOut, code := gentreExit("ingest", "vcf", "--store", dir2, "--keep-format", "FT", vcf); code == 0 || !strings.Contains(errOut, "FT") {
		t.Fatalf("keeping a String field: exit %d %s", code, errOut)
	}
}

// assertNotInStore fails if any of the strings appears in any file of the
// store outside secrets/.
func assertNotInStore(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			if fi != nil && fi.IsDir() && fi.Name() == "secrets" {
				return filepath.SkipDir
			}
			return nil
		}
		data, _ := os.ReadFile(p)
		for _, s := range secrets {
			if strings.Contains(string(data), s) {
				t.Errorf("%s contains an identifier", p)
			}
		}
		return nil
	})
}

func TestBadInputLeavesStoreAndNamesThePlace(t *testing.T) {
	dir := newStore(t)
	good := writeFile(t, "good.vcf", smallVCF)
	gentre(t, "ingest", "vcf", "--store", dir, good)
	before := gentre(t, "dump", "--store", dir)
	for _, tc := range []struct{ name, body, want string }{
		{"badgt.vcf", strings.Replace(smallVCF, "0/1:12", "0/x:12", 1), "badgt.vcf:8:"},
		{"cols.vcf", strings.Replace(smallVCF, "\t./.:0:.\n", "\n", 1), "cols.vcf:8:"},
		{"unsorted.vcf", smallVCF + "chr1\t5\t.\tA\tG\t.\t.\t.\tGT\t0/0\t0/0\t0/0\n", "unsorted.vcf:10:"},
		{"range.vcf", strings.Replace(smallVCF, "0/1:12", "0/3:12", 1), "out of range"},
	} {
		p := writeFile(t, tc.name, strings.ReplaceAll(tc.body, "LAB-", "NEW-"))
		_, errOut, code := gentreExit("ingest", "vcf", "--store", dir, p)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", tc.name, code, errOut, tc.want)
		}
		if strings.Contains(errOut, "NEW-") {
			t.Errorf("%s: error names a sample: %s", tc.name, errOut)
		}
		if after := gentre(t, "dump", "--store", dir); after != before {
			t.Fatalf("%s: failed ingest changed the store", tc.name)
		}
	}
	// Usage mistakes exit 2 with a usage line.
	for _, args := range [][]string{
		{"ingest", "vcf", good},
		{"ingest", "vcf", "--store", dir},
		{"query", "--store", dir},
		{"query", "--store", dir, "--format", "xml", "freq chr1"},
		{"frobnicate"},
	} {
		if _, errOut, code := gentreExit(args...); code != 2 || !strings.Contains(errOut, "usage") {
			t.Errorf("%v: exit %d: %s", args, code, errOut)
		}
	}
	// Query errors name what is wrong.
	for q, want := range map[string]string{
		"freq chr9":     "contig chr9",
		"freq chr1:0-5": "column 6",
		"coverage chr1": "no sample has coverage",
	} {
		if _, errOut, code := gentreExit("query", "--store", dir, q); code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("%q: exit %d: %s", q, code, errOut)
		}
	}
}
