package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/gentre/gentre/internal/testpeer"
)

const ex1BAM = "/usr/lib/R/site-library/Rsamtools/extdata/ex1.bam"

// samtoolsMeanDepth is the mean of samtools depth -a over a region.
func samtoolsMeanDepth(t *testing.T, region string) (float64, int) {
	out, err := shell(fmt.Sprintf("samtools depth -a -r %s %s", region, ex1BAM))
	if err != nil {
		t.Fatal(err)
	}
	sum, n := 0.0, 0
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(l, "\t")
		d, _ := strconv.Atoi(f[2])
		sum += float64(d)
		n++
	}
	return sum / float64(n), n
}

func TestBAMCoverageAndQC(t *testing.T) {
	testpeer.Require(t, "samtools")
	testpeer.RequireFile(t, ex1BAM)
	dir := newStore(t)
	_, errOut, code := gentreExit("ingest", "bam", "--store", dir, "--sample", "LAB-0001", ex1BAM)
	if code != 0 || !strings.Contains(errOut, "3,307 reads") {
		t.Fatalf("ingest bam: %d %s", code, errOut)
	}
	// The same sample again is refused, the store unchanged.
	before := gentre(t, "dump", "--store", dir)
	if _, errOut, code := gentreExit("ingest", "bam", "--store", dir, "--sample", "LAB-0001", ex1BAM); code == 0 || !strings.Contains(errOut, "coverage already") {
		t.Fatalf("second ingest: %d %s", code, errOut)
	}
	if gentre(t, "dump", "--store", dir) != before {
		t.Fatal("refused ingest changed the store")
	}
	for _, region := range []string{"seq1:100-200", "seq2:1-1000", "seq1:1500-1500"} {
		want, n := samtoolsMeanDepth(t, region)
		out := gentre(t, "query", "--store", dir, "coverage "+region)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if lines[0] != "chrom\tstart\tend\tsamples\tmean_depth\tfrac_10x\tfrac_20x\tfrac_30x" {
			t.Fatalf("header %q", lines[0])
		}
		f := strings.Split(lines[1], "\t")
		got, _ := strconv.ParseFloat(f[4], 64)
		end, _ := strconv.Atoi(f[2])
		start, _ := strconv.Atoi(f[1])
		if f[3] != "1" || end-start+1 != n || math.Abs(got-want) > 1e-5*math.Max(1, want) {
			t.Errorf("coverage %s = %q, samtools mean %.6f over %d bases", region, lines[1], want, n)
		}
		frac10 := "0"
		if want >= 10 {
			frac10 = "1"
		}
		if f[5] != frac10 {
			t.Errorf("coverage %s frac_10x %s, want %s", region, f[5], frac10)
		}
	}

	// freq gains a covered column: samples with depth >= 10 at the site.
	vcf := "##fileformat=VCFv4.2\n##contig=<ID=seq1,length=1575>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tLAB-0001\tLAB-0002\n" +
		"seq1\t5\t.\tC\tT\t.\t.\t.\tGT\t0/1\t0/0\n" +
		"seq1\t300\t.\tA\tG\t.\t.\t.\tGT\t1/1\t0/1\n"
	gentre(t, "ingest", "vcf", "--store", dir, writeFile(t, "seq1.vcf", vcf))
	out := gentre(t, "query", "--store", dir, "freq seq1")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasSuffix(lines[0], "\tmissing\tcovered") {
		t.Fatalf("header %q", lines[0])
	}
	for i, pos := range []string{"5", "300"} {
		d, _ := samtoolsMeanDepth(t, "seq1:"+pos+"-"+pos)
		want := "0"
		if d >= 10 {
			want = "1"
		}
		if f := strings.Split(lines[i+1], "\t"); f[len(f)-1] != want {
			t.Errorf("covered at %s = %s, want %s (depth %v)", pos, f[len(f)-1], want, d)
		}
	}

	// qc() selects people by their sample's QC; the sample needs a person.
	gentre(t, "ingest", "fhir", "--store", dir, writeFile(t, "care.ndjson", careNDJSON))
	gentre(t, "ingest", "manifest", "--store", dir, writeFile(t, "m.tsv", careManifest))
	for q, want := range map[string]string{
		"count qc(mean_depth >= 10)":                  "count\n1\n",
		"count qc(mean_depth >= 1000)":                "count\n0\n",
		"count qc(mapped_frac > 0.9) and sex(female)": "count\n1\n",
		"coverage seq1 in sex(male)":                  "",
	} {
		got := gentre(t, "query", "--store", dir, q)
		if want != "" && got != want {
			t.Errorf("%s = %q, want %q", q, got, want)
		}
		if want == "" && !strings.Contains(got, "\t0\tNA\t") {
			t.Errorf("%s = %q: no male has coverage", q, got)
		}
	}
	if _, errOut, code := gentreExit("query", "--store", dir, "count qc(depth > 3)"); code == 0 || !strings.Contains(errOut, "unknown QC field") {
		t.Errorf("bad qc field: %d %s", code, errOut)
	}
	// Opting the sample's person out removes its coverage too.
	gentre(t, "optout", "--store", dir, writeFile(t, "o.txt", "9434765919\n"))
	if _, errOut, code := gentreExit("query", "--store", dir, "coverage seq1"); code == 0 || !strings.Contains(errOut, "no sample has coverage") {
		t.Errorf("coverage after opt-out: %d %s", code, errOut)
	}
}
