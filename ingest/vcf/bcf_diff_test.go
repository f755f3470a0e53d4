package vcf

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gentre/gentre/engine/geno"
)

// bcfUpdate regenerates testdata/bcf/*.bcf and their golden query output
// from the *.vcf fixtures, with bcftools.
var bcfUpdate = flag.Bool("update-bcf", false, "regenerate testdata/bcf with bcftools")

// bcfQueryFormat is what the differential tests ask bcftools for; the
// decoder's records are rendered the same way by bcfQueryLine.
const (
	bcfQueryFormat     = `%CHROM\t%POS\t%ID\t%REF\t%ALT\t%QUAL\t%FILTER\t%INFO[\t%GT]\n`
	bcfQueryFormatNoGT = `%CHROM\t%POS\t%ID\t%REF\t%ALT\t%QUAL\t%FILTER\t%INFO\n`
)

// Extra VCFs converted to BCF for the differential tests, when present.
var bcfExtraVCFDirs = []string{
	"/usr/share/htslib-test/test",
	"/usr/lib/R/site-library/VariantAnnotation/extdata",
}

func bcfToolOrSkip(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("bcftools")
	if err != nil {
		t.Skip("bcftools not on PATH")
	}
	return p
}

// bcfOpenDecompressed opens a BGZF (or plain gzip) BCF file and returns a
// source driven directly, without Reader.
func bcfOpenDecompressed(t testing.TB, path string, opts Options) (source, error) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = bytes.NewReader(raw)
	if len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		gz, err := gzip.NewReader(r) // BGZF is multi-member gzip
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	return newBCFSource(r, opts)
}

// bcfQueryLine renders rec as bcftools query -f bcfQueryFormat prints it,
// with GT normalised by bcfNormGT.
func bcfQueryLine(rec *Record, withGT bool) string {
	var b strings.Builder
	alt := "."
	if len(rec.Alt) > 0 {
		alt = strings.Join(rec.Alt, ",")
	}
	qual := "."
	if !QualMissing(rec.Qual) {
		qual = string(bcfAppendG(nil, float64(rec.Qual)))
	}
	fmt.Fprintf(&b, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s", rec.Chrom, rec.Pos, rec.ID, rec.Ref, alt, qual, rec.Filter, rec.Info)
	if withGT {
		for i := 0; i < rec.GT.NSamples(); i++ {
			b.WriteByte('\t')
			b.WriteString(bcfGTText(&rec.GT, i))
		}
	}
	return b.String()
}

// bcfGTText renders sample i's call: alleles up to the first End, joined
// by '|' when phased, else '/'.
func bcfGTText(row *geno.Row, i int) string {
	sep := "/"
	if row.Phased[i] {
		sep = "|"
	}
	var parts []string
	for _, a := range row.Sample(i) {
		if a == geno.End {
			break
		}
		if a == geno.Missing {
			parts = append(parts, ".")
		} else {
			parts = append(parts, strconv.Itoa(int(a)))
		}
	}
	if len(parts) == 0 {
		return "."
	}
	return strings.Join(parts, sep)
}

// bcfNormGT normalises the GT columns of a bcftools query line: a call with
// any '/' is unphased, and Row keeps one phase flag a sample.
func bcfNormGT(line string, nFixed int) string {
	cols := strings.Split(line, "\t")
	for i := nFixed; i < len(cols); i++ {
		if strings.Contains(cols[i], "/") {
			cols[i] = strings.ReplaceAll(cols[i], "|", "/")
		}
	}
	return strings.Join(cols, "\t")
}

// bcfRunQuery runs bcftools query on path, with GT when the file allows.
func bcfRunQuery(t testing.TB, bcftools, path string) (lines []string, withGT bool, err error) {
	t.Helper()
	for _, f := range []string{bcfQueryFormat, bcfQueryFormatNoGT} {
		out, err := exec.Command(bcftools, "query", "-f", f, path).Output()
		if err != nil {
			continue
		}
		s := strings.TrimSuffix(string(out), "\n")
		if s == "" {
			return nil, f == bcfQueryFormat, nil
		}
		return strings.Split(s, "\n"), f == bcfQueryFormat, nil
	}
	return nil, false, errors.New("bcftools query failed")
}

// bcfDecodeAll renders every record of src; it stops at the first error.
func bcfDecodeAll(src source, withGT bool) ([]string, error) {
	var lines []string
	var rec Record
	for {
		err := src.next(&rec)
		if err == io.EOF {
			return lines, nil
		}
		if err != nil {
			return lines, err
		}
		lines = append(lines, bcfQueryLine(&rec, withGT))
	}
}

func bcfCompareLines(t *testing.T, got, want []string) {
	t.Helper()
	bad := 0
	for i := 0; i < min(len(got), len(want)); i++ {
		w := bcfNormGT(want[i], 8)
		if got[i] != w {
			t.Errorf("record %d:\n got %q\nwant %q", i+1, got[i], w)
			if bad++; bad == 5 {
				t.Fatal("too many differences")
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d records, want %d", len(got), len(want))
	}
}

// TestBCFGolden decodes the committed fixtures and compares them with the
// committed bcftools query output: it needs no bcftools.
func TestBCFGolden(t *testing.T) {
	if *bcfUpdate {
		bcfRegenerate(t)
	}
	files, _ := filepath.Glob("testdata/bcf/*.bcf")
	if len(files) == 0 {
		t.Fatal("no testdata/bcf/*.bcf fixtures")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			golden, err := os.ReadFile(path + ".txt")
			if err != nil {
				t.Fatal(err)
			}
			withGT := !bytes.HasPrefix(golden, []byte("#noGT\n"))
			want := strings.Split(strings.TrimSuffix(strings.TrimPrefix(string(golden), "#noGT\n"), "\n"), "\n")
			if len(want) == 1 && want[0] == "" {
				want = nil
			}
			src, err := bcfOpenDecompressed(t, path, Options{Name: path})
			if err != nil {
				t.Fatal(err)
			}
			got, err := bcfDecodeAll(src, withGT)
			if err != nil {
				t.Fatal(err)
			}
			bcfCompareLines(t, got, want)
			bcfCompareReader(t, path, got, withGT)
		})
	}
}

// bcfCompareReader reads path through the public Reader and checks it
// yields the same records as the source driven directly. A Reader stopped
// by its order checks (an unsorted test file) is compared up to there.
func bcfCompareReader(t *testing.T, path string, direct []string, withGT bool) {
	t.Helper()
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	var got []string
	for r.Next() {
		got = append(got, bcfQueryLine(r.Record(), withGT))
	}
	if err := r.Err(); err != nil {
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "unsorted") && !strings.Contains(err.Error(), "appears again") {
			t.Fatalf("Reader: %v", err)
		}
		t.Logf("Reader stopped by its order checks after %d records: %v", len(got), err)
		direct = direct[:min(len(got), len(direct))]
	}
	if len(got) != len(direct) {
		t.Fatalf("Reader gave %d records, the source %d", len(got), len(direct))
	}
	for i := range got {
		if got[i] != direct[i] {
			t.Fatalf("record %d: Reader %q, source %q", i+1, got[i], direct[i])
		}
	}
}

// bcfRegenerate remakes testdata/bcf/X.bcf from X.vcf and X.bcf.txt from
// bcftools query.
func bcfRegenerate(t *testing.T) {
	bcftools := bcfToolOrSkip(t)
	vcfs, _ := filepath.Glob("testdata/bcf/*.vcf")
	for _, v := range vcfs {
		out := strings.TrimSuffix(v, ".vcf") + ".bcf"
		if b, err := exec.Command(bcftools, "view", "--no-version", "-Ob", "-o", out, v).CombinedOutput(); err != nil {
			t.Fatalf("bcftools view %s: %v\n%s", v, err, b)
		}
		lines, withGT, err := bcfRunQuery(t, bcftools, out)
		if err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		var buf bytes.Buffer
		if !withGT {
			buf.WriteString("#noGT\n")
		}
		for _, l := range lines {
			buf.WriteString(l + "\n")
		}
		if err := os.WriteFile(out+".txt", buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBCFDifferential compares the decoder with bcftools, record by record,
// on every BCF of the htslib test suite and on BCFs made with bcftools from
// the test suite's and VariantAnnotation's VCFs.
func TestBCFDifferential(t *testing.T) {
	bcftools := bcfToolOrSkip(t)
	var bcfs []string
	filepath.WalkDir("/usr/share/htslib-test/test", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".bcf") {
			bcfs = append(bcfs, p)
		}
		return nil
	})
	tmp := t.TempDir()
	for _, dir := range bcfExtraVCFDirs {
		vcfs, _ := filepath.Glob(filepath.Join(dir, "*.vcf"))
		gz, _ := filepath.Glob(filepath.Join(dir, "*.vcf.gz"))
		for _, v := range append(vcfs, gz...) {
			out := filepath.Join(tmp, strings.NewReplacer("/", "_").Replace(strings.TrimPrefix(v, "/"))+".bcf")
			if err := exec.Command(bcftools, "view", "--no-version", "-Ob", "-o", out, v).Run(); err != nil {
				t.Logf("skip %s: bcftools cannot convert it", v)
				continue
			}
			bcfs = append(bcfs, out)
		}
	}
	if len(bcfs) == 0 {
		t.Skip("no test BCFs")
	}
	for _, path := range bcfs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want, withGT, err := bcfRunQuery(t, bcftools, path)
			if err != nil {
				t.Skip("bcftools cannot read it")
			}
			src, err := bcfOpenDecompressed(t, path, Options{Name: path})
			if err != nil {
				t.Fatal(err)
			}
			got, err := bcfDecodeAll(src, withGT)
			if err != nil {
				t.Fatal(err)
			}
			bcfCompareLines(t, got, want)
			bcfCompareReader(t, path, got, withGT)
		})
	}
}

// bcfHandmade are records no tool writes from VCF text (a vector-end first,
// a lone vector-end in INFO, the 0x07 "missing string" byte, a phase bit on
// the first allele, int16 and int32 GT) for comparing with bcftools.
// Not here: the int8 missing value as a GT allele, which bcftools prints as
// "-65" and the decoder reads as a missing allele.
func bcfHandmade() []bcfTestRec {
	gt := bcfTestGT
	var recs []bcfTestRec
	add := func(id string, info [][]byte, fmts ...[]byte) {
		r := bcfCase(fmts...)
		r.Pos = int32(10 * (len(recs) + 1))
		r.ID, r.Info = id, info
		recs = append(recs, r)
	}
	add("x\x07y", [][]byte{
		bcfTestInfo(bkST, 4, bcfChar, 'a', 7, 'b', 'c'),
		bcfTestInfo(bkCH, 1, bcfChar, 7),
		bcfTestInfo(bkDP, 1, bcfInt8, bcfTestEnd8),
		bcfTestInfo(bkAF, 1, bcfFloat, bcfTestEndF),
		bcfTestInfo(bkAF, 3, bcfFloat, bcfTestF(-0.5), bcfTestMissF, bcfTestEndF),
		bcfTestInfo(bkDP, 3, bcfInt32, math.MinInt32, 70000, bcfTestEnd32),
		bcfTestInfo(bkDB, 0, bcfNull),
	}, bcfTestFmt(bkGT, 2, bcfInt8, bcfTestEnd8, bcfTestEnd8, 0, bcfTestEnd8, 1, 1, gt(0, true), gt(1, false)))
	add("", nil, bcfTestFmt(bkDP, 1, bcfInt8, 1, 2, 3, 4),
		bcfTestFmt(bkGT, 3, bcfInt16, gt(0, false), gt(1, true), bcfTestEnd16, gt(1, false), gt(0, true), gt(1, true),
			0, 1, gt(1, false), gt(1, false), bcfTestEnd16, bcfTestEnd16))
	add("", nil, bcfTestFmt(bkGT, 2, bcfInt32, gt(1, false), gt(1, true), bcfTestEnd32, bcfTestEnd32,
		gt(0, false), 1, 0, gt(0, true)))
	add("", nil, bcfTestFmt(bkGT, 1, bcfInt8, gt(1, true), 0, bcfTestEnd8, gt(0, false)))
	add("", nil)
	return recs
}

func TestBCFDifferentialHandmade(t *testing.T) {
	bcftools := bcfToolOrSkip(t)
	path := filepath.Join(t.TempDir(), "hand.bcf")
	if err := os.WriteFile(path, bcfTestFile(bcfCaseHeader, bcfHandmade()...), 0o644); err != nil {
		t.Fatal(err)
	}
	want, withGT, err := bcfRunQuery(t, bcftools, path)
	if err != nil || !withGT {
		t.Fatalf("bcftools query: %v (GT %v)", err, withGT)
	}
	src, err := bcfOpenDecompressed(t, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := bcfDecodeAll(src, true)
	if err != nil {
		t.Fatal(err)
	}
	bcfCompareLines(t, got, want)
}

// TestBCFDifferentialFloats checks float printing (QUAL, INFO) against
// bcftools on random values of every magnitude and on rounding ties.
func TestBCFDifferentialFloats(t *testing.T) {
	bcftools := bcfToolOrSkip(t)
	rng := rand.New(rand.NewPCG(3, 4))
	var b strings.Builder
	b.WriteString("##fileformat=VCFv4.2\n##contig=<ID=1>\n" +
		"##INFO=<ID=FL,Number=.,Type=Float,Description=\"floats\">\n" +
		"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
	value := func() string {
		switch rng.IntN(3) {
		case 0: // a tie at the sixth significant digit
			return strconv.FormatFloat((float64(rng.IntN(900000)+100000)+0.5)/math.Pow10(rng.IntN(6)), 'g', -1, 64)
		case 1:
			return strconv.FormatFloat(rng.Float64()*math.Pow10(rng.IntN(14)-6), 'g', -1, 64)
		}
		return strconv.FormatFloat(-rng.Float64()*math.Pow10(rng.IntN(8)-2), 'g', -1, 64)
	}
	for i := 1; i <= 1500; i++ {
		fmt.Fprintf(&b, "1\t%d\t.\tA\tG\t%s\t.\tFL=%s,%s,%s\n", i, strings.TrimPrefix(value(), "-"), value(), value(), value())
	}
	dir := t.TempDir()
	vcf, out := filepath.Join(dir, "f.vcf"), filepath.Join(dir, "f.bcf")
	if err := os.WriteFile(vcf, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command(bcftools, "view", "--no-version", "-Ob", "-o", out, vcf).CombinedOutput(); err != nil {
		t.Fatalf("bcftools view: %v\n%s", err, msg)
	}
	want, _, err := bcfRunQuery(t, bcftools, out)
	if err != nil {
		t.Fatal(err)
	}
	src, err := bcfOpenDecompressed(t, out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := bcfDecodeAll(src, false)
	if err != nil {
		t.Fatal(err)
	}
	bcfCompareLines(t, got, want)
}
