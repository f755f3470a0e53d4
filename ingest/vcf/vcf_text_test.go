package vcf

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gentre/gentre/engine/geno"
)

// rowText renders every slot of a row: alleles joined by '|' when the
// sample is phased, else '/'; Missing is ".", End is "e". A haploid call in
// a diploid row is "0/e".
func rowText(r *geno.Row) string {
	var b strings.Builder
	for i := 0; i < r.NSamples(); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		sep := "/"
		if r.Phased[i] {
			sep = "|"
		}
		for j, a := range r.Sample(i) {
			if j > 0 {
				b.WriteString(sep)
			}
			switch a {
			case geno.Missing:
				b.WriteByte('.')
			case geno.End:
				b.WriteByte('e')
			default:
				b.WriteString(strconv.Itoa(int(a)))
			}
		}
	}
	return b.String()
}

const testMeta = "##fileformat=VCFv4.3\n" +
	"##contig=<ID=1,length=1000>\n" +
	"##contig=<ID=X,length=2000>\n" +
	"##FILTER=<ID=q10,Description=\"Quality below 10, or >5 \\\"bad\\\" reads\">\n" +
	"##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Total depth\">\n" +
	"##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n" +
	"##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Read depth\">\n" +
	"##FORMAT=<ID=AD,Number=R,Type=Integer,Description=\"Allelic depths\">\n" +
	"##FORMAT=<ID=PL,Number=G,Type=Integer,Description=\"Phred likelihoods\">\n" +
	"##FORMAT=<ID=GL,Number=G,Type=Float,Description=\"Likelihoods\">\n" +
	"##FORMAT=<ID=FT,Number=1,Type=String,Description=\"Sample filter\">\n"

// metaLines is the number of lines of testMeta.
var metaLines = strings.Count(testMeta, "\n")

const cols3 = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\tS3\n"

// vcf3 makes a 3-sample VCF from records written with spaces for tabs.
func vcf3(records ...string) string {
	var b strings.Builder
	b.WriteString(testMeta + cols3)
	for _, r := range records {
		b.WriteString(strings.ReplaceAll(r, " ", "\t") + "\n")
	}
	return b.String()
}

// readAll reads every record of a VCF text, rendering each row.
func readAll(t *testing.T, text string, opts Options) ([]string, []Record, error) {
	t.Helper()
	if opts.Name == "" {
		opts.Name = "test.vcf"
	}
	r, err := NewReader(strings.NewReader(text), opts)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var rows []string
	var recs []Record
	for r.Next() {
		rec := r.Record()
		rows = append(rows, rowText(&rec.GT))
		c := *rec
		c.Alt = slices.Clone(rec.Alt)
		c.GT = geno.Row{}
		c.GT.CopyFrom(&rec.GT)
		c.Kept = nil
		for _, k := range rec.Kept {
			c.Kept = append(c.Kept, FormatValues{Key: k.Key, Width: k.Width, Values: slices.Clone(k.Values)})
		}
		recs = append(recs, c)
	}
	return rows, recs, r.Err()
}

func TestGenotypes(t *testing.T) {
	tests := []struct {
		name   string
		record string // spaces are tabs
		want   string // rowText of the row
		ploidy int
	}{
		{"diploid", "1 10 . A C . . . GT 0/0 0/1 1/1", "0/0 0/1 1/1", 2},
		{"phased", "1 10 . A C . . . GT 0|0 1|0 0|1", "0|0 1|0 0|1", 2},
		{"missing", "1 10 . A C . . . GT ./. . .|.", "./. ./e .|.", 2},
		{"half call", "1 10 . A C . . . GT ./1 1/. 0|.", "./1 1/. 0|.", 2},
		{"haploid", "1 10 . A C . . . GT 0 1 .", "0 1 .", 1},
		{"mixed ploidy chrX", "1 10 . A C . . . GT 0 0/1 1", "0/e 0/1 1/e", 2},
		{"triploid first", "1 10 . A C,G,T . . . GT 1/2/3 0/1 2", "1/2/3 0/1/e 2/e/e", 3},
		{"triploid last", "1 10 . A C,G,T . . . GT 0/1 2 1|2|3", "0/1/e 2/e/e 1|2|3", 3},
		{"octoploid", "1 10 . A C . . . GT 0/0/0/0/1/1/1/1 0 1", "0/0/0/0/1/1/1/1 0/e/e/e/e/e/e/e 1/e/e/e/e/e/e/e", 8},
		{"multi-digit alleles", "1 10 . A C,G,T,A1,A2,A3,A4,A5,A6,A7,A8,A9,A10 . . . GT 12/13 10|2 0/11",
			"12/13 10|2 0/11", 2},
		{"mixed separators unphased", "1 10 . A C,G . . . GT 0/1|2 0|1/2 0|1|2", "0/1/2 0/1/2 0|1|2", 3},
		{"leading phase prefix", "1 10 . A C . . . GT |0 |0|1 /0|1", "0/e 0|1 0/1", 2},
		{"haploid after diploid guess", "1 10 . A C . . . GT 1 0 1", "1 0 1", 1},
		{"GT not first", "1 10 . A C . . . DP:GT 3:0/1 4:1|1 5:.", "0/1 1|1 ./e", 2},
		{"trailing fields dropped", "1 10 . A C . . . GT:DP:FT 0/1 1/1:3 0|0:4:PASS", "0/1 1/1 0|0", 2},
		{"GT dropped when not first", "1 10 . A C . . . DP:GT 3 4:0/1 .", "./e 0/1 ./e", 2},
		{"no GT in FORMAT", "1 10 . A C . . . DP:FT 3:PASS 4 .", ". . .", 1},
		{"eight columns", "1 10 . A C . . .", ". . .", 1},
		{"FORMAT dot", "1 10 . A C . . . . . . .", ". . .", 1},
		{"duplicate GT uses the first", "1 10 . A C . . . GT:GT 0/1:1/1 1/1:0/0 0|1:.", "0/1 1/1 0|1", 2},
		{"empty subfield after GT", "1 10 . A C . . . GT:DP 0/1: 1/1:: 0/0:5", "0/1 1/1 0/0", 2},
		{"ALT dot", "1 10 . A . . . . GT 0/0 0 ./.", "0/0 0/e ./.", 2},
		{"symbolic and star alleles", "1 10 . A <DEL>,*,<NON_REF>,A[2:30[ . . . GT 1/2 3/4 0/4", "1/2 3/4 0/4", 2},
		{"fast path then slow", "1 10 . A C . . . GT:DP 0/0:1 0/1 1/1:3", "0/0 0/1 1/1", 2},
		{"leading zeros", "1 10 . A C . . . GT 00/01 0/0 0/0", "0/1 0/0 0/0", 2},
		{"windows line end", "1 10 . A C . . . GT 0/0 0/1 1/1\r", "0/0 0/1 1/1", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, recs, err := readAll(t, vcf3(tt.record), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 {
				t.Fatalf("got %d records, want 1", len(rows))
			}
			if rows[0] != tt.want {
				t.Errorf("GT = %q, want %q", rows[0], tt.want)
			}
			if recs[0].GT.Ploidy != tt.ploidy {
				t.Errorf("Ploidy = %d, want %d", recs[0].GT.Ploidy, tt.ploidy)
			}
			if got, want := recs[0].GT.NAlleles, 1+len(recs[0].Alt); got != want {
				t.Errorf("NAlleles = %d, want %d", got, want)
			}
		})
	}
}

// TestRowReuse checks that rows of different shapes in one file do not
// leak into each other through the reused storage.
func TestRowReuse(t *testing.T) {
	text := vcf3(
		"1 10 . A C,G,T . . . GT 1/2/3 0/1 2",
		"1 11 . A C . . . GT 0 1 .",
		"1 12 . A C . . . GT 0/1 1|1 0/0",
		"1 13 . A C . . . GT 0/0 0/0 0/0/1",
		"1 14 . A C . . . DP 1 2 3",
		"1 15 . A C . . . GT 1|1 0 ./.",
	)
	want := []string{"1/2/3 0/1/e 2/e/e", "0 1 .", "0/1 1|1 0/0", "0/0/e 0/0/e 0/0/1", ". . .", "1|1 0/e ./."}
	rows, _, err := readAll(t, text, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows, want) {
		t.Errorf("rows:\n got %q\nwant %q", rows, want)
	}
}

func TestRecordFields(t *testing.T) {
	text := vcf3(
		"1 10 rs1;rs2 ACGT A,<DEL>,* 12.5 PASS DP=3;AF=0.5 GT 0/0 0/1 1/1",
		"",
		"1 10 . A . . q10 . GT 0 0 0",
		"X 5 . N C 0 . . GT:DP 0 0 0",
	)
	_, recs, err := readAll(t, text, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3", len(recs))
	}
	r := recs[0]
	if r.Chrom != "1" || r.Pos != 10 || r.ID != "rs1;rs2" || r.Ref != "ACGT" ||
		!slices.Equal(r.Alt, []string{"A", "<DEL>", "*"}) || r.Qual != 12.5 ||
		r.Filter != "PASS" || r.Info != "DP=3;AF=0.5" || r.GT.NAlleles != 4 {
		t.Errorf("record 1 = %+v", r)
	}
	header := int64(metaLines + 1)
	if r.Line != header+1 {
		t.Errorf("record 1 Line = %d, want %d", r.Line, header+1)
	}
	r = recs[1]
	if len(r.Alt) != 0 || !QualMissing(r.Qual) || r.Filter != "q10" || r.Info != "." || r.ID != "." || r.GT.NAlleles != 1 {
		t.Errorf("record 2 = %+v", r)
	}
	if r.Line != header+3 { // the empty line counts
		t.Errorf("record 2 Line = %d, want %d", r.Line, header+3)
	}
	if recs[2].Chrom != "X" || recs[2].Qual != 0 {
		t.Errorf("record 3 = %+v", recs[2])
	}
}

func TestHeader(t *testing.T) {
	r, err := NewReader(strings.NewReader(vcf3()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header()
	if h.FileFormat != "VCFv4.3" {
		t.Errorf("FileFormat = %q", h.FileFormat)
	}
	if !slices.Equal(h.Samples, []string{"S1", "S2", "S3"}) {
		t.Errorf("Samples = %q", h.Samples)
	}
	if !slices.Equal(h.Contigs, []Contig{{"1", 1000}, {"X", 2000}}) {
		t.Errorf("Contigs = %v", h.Contigs)
	}
	if !slices.Equal(h.Filters, []string{"q10"}) {
		t.Errorf("Filters = %q", h.Filters)
	}
	if !slices.Equal(h.Info, []Field{{"DP", "1", "Integer"}}) {
		t.Errorf("Info = %v", h.Info)
	}
	wantFmt := []Field{{"GT", "1", "String"}, {"DP", "1", "Integer"}, {"AD", "R", "Integer"},
		{"PL", "G", "Integer"}, {"GL", "G", "Float"}, {"FT", "1", "String"}}
	if !slices.Equal(h.Format, wantFmt) {
		t.Errorf("Format = %v", h.Format)
	}
	wantLines := strings.Split(strings.ReplaceAll(strings.TrimSuffix(testMeta, "\n"), "##", ""), "\n")
	if !slices.Equal(h.Lines, wantLines) {
		t.Errorf("Lines = %q\nwant %q", h.Lines, wantLines)
	}
	if r.Next() || r.Err() != nil {
		t.Errorf("header-only file: Next = true or Err = %v", r.Err())
	}
}

func TestSitesOnly(t *testing.T) {
	text := "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" +
		"1\t1\t.\tA\tC\t.\t.\t.\n1\t2\t.\tA\tC,G\t.\t.\tX=1\n"
	_, recs, err := readAll(t, text, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1].GT.NAlleles != 3 || recs[1].GT.NSamples() != 0 || len(recs[1].GT.GT) != 0 {
		t.Errorf("records = %+v", recs)
	}
	// A FORMAT column in a sites-only file is an error.
	_, _, err = readAll(t, text+"1\t3\t.\tA\tC\t.\t.\t.\tGT\n", Options{})
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "9 columns, want 8") {
		t.Errorf("FORMAT in sites-only file: err = %v", err)
	}
	// #CHROM first, no ##fileformat.
	_, recs, err = readAll(t, "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t1\t.\tA\tC\t.\t.\t.", Options{})
	if err != nil || len(recs) != 1 {
		t.Errorf("#CHROM-first file: %d records, err %v", len(recs), err)
	}
}

func TestLongLines(t *testing.T) {
	ref := strings.Repeat("ACGT", 50_000) // 200 kB
	alt := strings.Repeat("T", 120_000)
	text := vcf3("1 10 . "+ref+" "+alt+",G . . . GT 0/1 1/2 2|2", "1 11 . A C . . . GT 0 0 1")
	_, recs, err := readAll(t, text, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Ref != ref || recs[0].Alt[0] != alt || rowText(&recs[0].GT) != "0/1 1/2 2|2" {
		t.Errorf("long record not decoded")
	}
}

func TestErrors(t *testing.T) {
	header := metaLines + 1
	tests := []struct {
		name string
		text string
		line int    // 0: no line number expected
		want string // in the error text
	}{
		{"allele out of range", vcf3("1 10 . A C . . . GT 0/1 0/3 0/0"), header + 1, "sample column 11: GT allele 3 out of range (2 alleles)"},
		{"allele out of range GT second", vcf3("1 10 . A C . . . DP:GT 1:0/0 2:2/0 3:0/0"), header + 1, "sample column 11: GT allele 2 out of range (2 alleles)"},
		{"huge allele", vcf3("1 10 . A C . . . GT 0/1 0/99999999999 0/0"), header + 1, "GT allele out of range (2 alleles)"},
		{"garbage allele", vcf3("1 10 . A C . . . GT 0/x 0/1 0/0"), header + 1, "sample column 10: GT is not alleles"},
		{"double separator", vcf3("1 10 . A C . . . GT 0/0 0//1 0/0"), header + 1, "sample column 11: GT is not alleles"},
		{"trailing separator", vcf3("1 10 . A C . . . GT 0/0 0/1 0/"), header + 1, "GT is empty or ends with a separator"},
		{"empty GT", vcf3("1 10 . A C . . . GT:DP 0/0 :3 0/0"), header + 1, "sample column 11: GT is not alleles"},
		{"empty column", "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\n1\t1\t.\tA\tC\t.\t.\t.\tGT\t\t0/1\n", 3, "sample column 10: GT is not alleles"},
		{"empty last column", "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\n1\t1\t.\tA\tC\t.\t.\t.\tGT\t0/1\t\n", 3, "GT is empty"},
		{"ploidy above 8", vcf3("1 10 . A C . . . GT 0/0/0/0/0/0/0/0/0 0 0"), header + 1, "GT ploidy above 8"},
		{"too few columns", vcf3("1 10 . A C . . . GT 0/0 0/1"), header + 1, "11 columns, want 12"},
		{"too few columns fast", vcf3("1 10 . A C . . . GT 0/0 0/0 0/0", "1 11 . A C . . . GT 0/0 0/0"), header + 2, "11 columns, want 12"},
		{"too many columns", vcf3("1 10 . A C . . . GT 0/0 0/1 1/1 0/0"), header + 1, "13 columns, want 12"},
		{"too many columns no GT", vcf3("1 10 . A C . . . DP 1 2 3 4"), header + 1, "13 columns, want 12"},
		{"too many columns GT second", vcf3("1 10 . A C . . . DP:GT 1 2 3 4"), header + 1, "13 columns, want 12"},
		{"FORMAT without samples", vcf3("1 10 . A C . . . GT"), header + 1, "9 columns, want 12"},
		{"FORMAT without samples no GT", vcf3("1 10 . A C . . . DP"), header + 1, "9 columns, want 12"},
		{"trailing tab", vcf3("1 10 . A C . . . GT 0/0 0/1 1/1\t"), header + 1, "13 columns, want 12"},
		{"trailing tab slow", vcf3("1 10 . A C . . . GT 0/0 0/1 1\t"), header + 1, "13 columns, want 12"},
		{"too few fixed columns", vcf3("1 10 . A C . ."), header + 1, "7 columns"},
		{"POS not integer", vcf3("1 1x . A C . . . GT 0 0 0"), header + 1, "POS is not an integer"},
		{"POS zero", vcf3("1 0 . A C . . . GT 0 0 0"), header + 1, "POS 0 is not ≥ 1"},
		{"QUAL not number", vcf3("1 1 . A C q . . GT 0 0 0"), header + 1, "QUAL is not a number"},
		{"empty REF", vcf3("1 1 .  C . . . GT 0 0 0"), header + 1, "empty REF"},
		{"empty ALT allele", vcf3("1 1 . A C,,G . . . GT 0 0 0"), header + 1, "empty allele in ALT"},
		{"empty FORMAT", vcf3("1 1 . A C . . .  0 0 0"), header + 1, "empty FORMAT"},
		{"unsorted", vcf3("1 10 . A C . . . GT 0 0 0", "1 9 . A C . . . GT 0 0 0"), header + 2, "unsorted: position 9 after 10 on contig 1"},
		{"contig again", vcf3("1 10 . A C . . . GT 0 0 0", "X 1 . A C . . . GT 0 0 0", "1 11 . A C . . . GT 0 0 0"), header + 3, "contig 1 appears again after X"},
		{"no #CHROM", testMeta, metaLines, "no #CHROM header line"},
		{"text before #CHROM", "##fileformat=VCFv4.2\nfoo\n", 2, "expected a ## meta line or the #CHROM line"},
		{"bad #CHROM", "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\n", 2, "#CHROM line has 7 tab-separated columns"},
		{"bad column name", "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tGT\tA\n", 2, "column 9 is not FORMAT"},
		{"duplicate sample", "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tA\n", 2, "columns 10 and 12 have the same sample name"},
		{"bad contig length", "##fileformat=VCFv4.2\n##contig=<ID=1,length=x>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n", 2, "##contig length"},
		{"unterminated quote", "##fileformat=VCFv4.2\n##INFO=<ID=A,Description=\"x>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n", 2, "unterminated quoted value"},
		{"INFO without ID", "##fileformat=VCFv4.2\n##INFO=<Number=1>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n", 2, "##INFO without ID"},
		{"not VCF", "hello\n", 0, "neither VCF nor BCF"},
		{"empty input", "", 0, "neither VCF nor BCF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(t, tt.text, Options{Name: "in.vcf"})
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("error %q does not wrap ErrFormat", err)
			}
			prefix := "in.vcf: "
			if tt.line > 0 {
				prefix = fmt.Sprintf("in.vcf:%d: ", tt.line)
			}
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not start with %q", err, prefix)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestErrorsHideContent checks that errors about sample columns do not
// quote sample names, IDs, INFO or genotype text.
func TestErrorsHideContent(t *testing.T) {
	text := "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tSECRETNAME\tOTHER\n" +
		"1\t1\tSECRETID\tA\tC\t.\t.\tSECRETINFO\tGT:DP\t0/1:7\tSECRETGT:9\n"
	_, _, err := readAll(t, text, Options{KeepFormat: []string{"DP"}})
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error quotes content: %q", err)
	}
	text = strings.Replace(text, "SECRETGT:9", "1/1:SECRETDP", 1)
	_, _, err = readAll(t, text, Options{KeepFormat: []string{"DP"}})
	if err == nil || strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), "FORMAT DP value is not a number") {
		t.Errorf("error = %v", err)
	}
}

func TestKeepFormat(t *testing.T) {
	nan := float32(math.NaN())
	text := vcf3(
		"1 10 . A C . . . GT:DP:AD:PL 0/1:5:2,3:10,0,20 1/1:.:.:. 0/0",
		"1 11 . A C,G . . . AD:GT:DP 1,2,3:0/1:7 4:1/1:8 .:./.:9",
		"1 12 . A C . . . GT 0/1 1/1 0/0",
		"1 13 . A C . . . GT:GL:DP 0/1:-0.5,-1e-2,-3.25:1 ./.:.:2 0/0:-1,2.5,3,4:3",
	)
	_, recs, err := readAll(t, text, Options{KeepFormat: []string{"DP", "AD", "GL"}})
	if err != nil {
		t.Fatal(err)
	}
	type fv struct {
		width  int
		values []float32
	}
	want := [][3]fv{
		{{1, []float32{5, nan, nan}}, {2, []float32{2, 3, nan, nan, nan, nan}}, {1, []float32{nan, nan, nan}}},
		{{1, []float32{7, 8, 9}}, {3, []float32{1, 2, 3, 4, nan, nan, nan, nan, nan}}, {1, []float32{nan, nan, nan}}},
		{{1, []float32{nan, nan, nan}}, {1, []float32{nan, nan, nan}}, {1, []float32{nan, nan, nan}}},
		{{1, []float32{1, 2, 3}}, {1, []float32{nan, nan, nan}}, {4, []float32{-0.5, -0.01, -3.25, nan, nan, nan, nan, nan, -1, 2.5, 3, 4}}},
	}
	eq := func(a, b []float32) bool {
		return slices.EqualFunc(a, b, func(x, y float32) bool { return x == y || x != x && y != y })
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records", len(recs))
	}
	for i, rec := range recs {
		if len(rec.Kept) != 3 {
			t.Fatalf("record %d: %d kept fields", i, len(rec.Kept))
		}
		for k, key := range []string{"DP", "AD", "GL"} {
			got := rec.Kept[k]
			if got.Key != key || got.Width != want[i][k].width || !eq(got.Values, want[i][k].values) {
				t.Errorf("record %d %s = %d %v, want %d %v", i, key, got.Width, got.Values, want[i][k].width, want[i][k].values)
			}
		}
	}
	if rowText(&recs[1].GT) != "0/1 1/1 ./." {
		t.Errorf("GT with kept fields = %q", rowText(&recs[1].GT))
	}

	for _, tc := range []struct {
		keep []string
		want string
	}{
		{[]string{"FT"}, "FORMAT field FT is declared Type=String"},
		{[]string{"DP", "GT"}, "GT is decoded into Record.GT"},
	} {
		_, err := NewReader(strings.NewReader(vcf3()), Options{Name: "k.vcf", KeepFormat: tc.keep})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "k.vcf: ") {
			t.Errorf("KeepFormat %q: err = %v, want %q", tc.keep, err, tc.want)
		}
	}
}

func TestKeepFormatWidth(t *testing.T) {
	// A value list longer than the header's Number widens the field.
	text := vcf3("1 10 . A C . . . GT:DP 0/1:1,2,3,4,5 1/1:6 0/0:7,8")
	_, recs, err := readAll(t, text, Options{KeepFormat: []string{"DP", "XX"}})
	if err != nil {
		t.Fatal(err)
	}
	dp := recs[0].Kept[0]
	if dp.Width != 5 || dp.Values[0] != 1 || dp.Values[4] != 5 || dp.Values[5] != 6 || !math.IsNaN(float64(dp.Values[6])) || dp.Values[11] != 8 {
		t.Errorf("DP = %d %v", dp.Width, dp.Values)
	}
	if xx := recs[0].Kept[1]; xx.Key != "XX" || xx.Width != 1 || len(xx.Values) != 3 || !math.IsNaN(float64(xx.Values[2])) {
		t.Errorf("absent field = %+v", xx)
	}
}
