package vcf

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biogo/hts/bgzf"
)

// genVCF makes a VCF text of n sites and s samples with a little of
// everything (multi-allelic sites, haploid and missing calls).
func genVCF(n, s int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b strings.Builder
	b.WriteString("##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n")
	b.WriteString("##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n")
	b.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT")
	for i := range s {
		fmt.Fprintf(&b, "\tS%d", i)
	}
	b.WriteByte('\n')
	calls := []string{"0/0", "0/0", "0/0", "0/1", "1/1", "./.", "0|1", "1", "./1", "1/2", "0/1/1", "."}
	for i := range n {
		alt, nAlleles := "C", 2
		if i%7 == 3 {
			alt, nAlleles = "C,G", 3
		}
		fmt.Fprintf(&b, "chr%d\t%d\t.\tA\t%s\t50\tPASS\t.\tGT:DP", 1+i/(n/2+1), 100+i, alt)
		for range s {
			c := calls[rng.IntN(len(calls))]
			if nAlleles == 2 && c == "1/2" {
				c = "0/0"
			}
			fmt.Fprintf(&b, "\t%s:%d", c, rng.IntN(50))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func bgzfBytes(t testing.TB, text string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := bgzf.NewWriter(&buf, 1)
	if _, err := w.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gzipBytes compresses text as one plain gzip member, with a gzip extra
// field that is not BGZF's ("BX" instead of "BC") to check detection.
func gzipBytes(t testing.TB, text string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Extra = []byte("BX\x02\x00\x10\x00")
	if _, err := w.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// digest reads every record and renders them, with the error.
func digest(r *Reader) (string, error) {
	var b strings.Builder
	for r.Next() {
		rec := r.Record()
		fmt.Fprintf(&b, "%d %s %d %s %s %v %s\n", rec.Line, rec.Chrom, rec.Pos, rec.Ref, rec.Alt, rec.Qual, rowText(&rec.GT))
	}
	return b.String(), r.Err()
}

func TestCompression(t *testing.T) {
	text := genVCF(400, 60, 1) // ~200 kB: several BGZF blocks
	bg := bgzfBytes(t, text)
	if !bytes.HasSuffix(bg, []byte(bgzfEOF)) {
		t.Fatal("test BGZF has no EOF block")
	}
	gz := gzipBytes(t, text)
	if isBGZF(gz) || !isBGZF(bg) {
		t.Fatal("isBGZF is wrong on the test files")
	}
	want, err := digest(mustReader(t, []byte(text), 1))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(want, "\n") != 400 {
		t.Fatalf("plain text: %d records", strings.Count(want, "\n"))
	}
	for _, threads := range []int{1, 3} {
		for name, data := range map[string][]byte{"bgzf": bg, "gzip": gz} {
			t.Run(fmt.Sprintf("%s/threads=%d", name, threads), func(t *testing.T) {
				r := mustReader(t, data, threads)
				got, err := digest(r)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Error("records differ from the plain text's")
				}
				if r.Offset() != int64(len(data)) {
					t.Errorf("Offset = %d at end, want %d", r.Offset(), len(data))
				}
				if err := r.Close(); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

func mustReader(t *testing.T, data []byte, threads int) *Reader {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), Options{Name: "x.vcf.gz", Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// blockEnds returns the offsets at which the BGZF blocks of data end.
func blockEnds(data []byte) []int {
	var ends []int
	for off := 0; off+18 <= len(data); {
		size := int(data[off+16]) | int(data[off+17])<<8 + 1
		off += size
		ends = append(ends, off)
	}
	return ends
}

func TestTruncated(t *testing.T) {
	text := genVCF(400, 60, 2)
	bg := bgzfBytes(t, text)
	ends := blockEnds(bg)
	if len(ends) < 4 || ends[len(ends)-1] != len(bg) {
		t.Fatalf("block ends %v of %d bytes", ends, len(bg))
	}
	gz := gzipBytes(t, text)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"bgzf mid-block", bg[:len(bg)/2], "truncated or corrupt BGZF data (unexpected end of file)"},
		{"bgzf no EOF block", bg[:len(bg)-len(bgzfEOF)], "truncated BGZF file (no end-of-file block)"},
		{"bgzf at a block boundary", bg[:ends[1]], "truncated BGZF file (no end-of-file block)"},
		{"bgzf in a block header", bg[:ends[1]+9], "truncated or corrupt BGZF data (unexpected end of file)"},
		{"bgzf in the EOF block", bg[:len(bg)-3], "truncated or corrupt BGZF data"},
		{"bgzf first block", bg[:ends[0]-100], "truncated or corrupt BGZF data"},
		{"bgzf corrupt", corrupt(bg, ends[1]+40), "truncated or corrupt BGZF data"},
		{"gzip", gz[:len(gz)*2/3], "truncated or corrupt gzip data (unexpected end of file)"},
		{"gzip trailer", gz[:len(gz)-4], "truncated or corrupt gzip data (unexpected end of file)"},
	}
	for _, c := range cases {
		for _, threads := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/threads=%d", c.name, threads), func(t *testing.T) {
				r, err := NewReader(bytes.NewReader(c.data), Options{Name: "cut.vcf.gz", Threads: threads})
				if err == nil {
					_, err = digest(r)
					r.Close()
				}
				if err == nil {
					t.Fatal("no error")
				}
				if !errors.Is(err, ErrFormat) || !strings.HasPrefix(err.Error(), "cut.vcf.gz") || !strings.Contains(err.Error(), c.want) {
					t.Errorf("err = %v, want ErrFormat naming the file and %q", err, c.want)
				}
			})
		}
	}
}

func corrupt(data []byte, at int) []byte {
	c := bytes.Clone(data)
	for i := at; i < at+16; i++ {
		c[i] ^= 0x55
	}
	return c
}

// TestOpenTruncatedReal cuts a real BGZF-compressed VCF and reads it with Open.
func TestOpenTruncatedReal(t *testing.T) {
	const real = "/usr/lib/R/site-library/VariantAnnotation/extdata/chr22.vcf.gz"
	data, err := os.ReadFile(real)
	if err != nil {
		t.Skipf("%s not installed", real)
	}
	dir := t.TempDir()
	full := filepath.Join(dir, "full.vcf.gz")
	cut := filepath.Join(dir, "cut.vcf.gz")
	os.WriteFile(full, data, 0o600)
	os.WriteFile(cut, data[:len(data)*3/4], 0o600)

	r, err := Open(full, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r.Next() {
		n++
	}
	if r.Err() != nil || n == 0 || r.Offset() != int64(len(data)) {
		t.Errorf("full file: %d records, Offset %d of %d, err %v", n, r.Offset(), len(data), r.Err())
	}
	r.Close()

	r, err = Open(cut, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := 0
	for r.Next() {
		m++
	}
	if err := r.Err(); !errors.Is(err, ErrFormat) || !strings.HasPrefix(err.Error(), "cut.vcf.gz:") {
		t.Errorf("truncated file: after %d of %d records, err = %v", m, n, err)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "unsorted.vcf")
	text := vcf3("1 10 . A C . . . GT 0 0 0", "1 9 . A C . . . GT 0 0 0")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = digest(r)
	if err == nil || !strings.HasPrefix(err.Error(), "unsorted.vcf:") {
		t.Errorf("err = %v, want it to name the base name", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := Open(filepath.Join(dir, "missing.vcf"), Options{}); err == nil {
		t.Error("Open of a missing file: no error")
	}
}

func TestDetectBCF(t *testing.T) {
	// BCF magic is routed to the BCF decoder (whatever it makes of this
	// header-less stub, it must not be read as VCF text or unknown).
	for _, magic := range []string{"BCF\x02\x02", "BCF\x02\x01"} {
		_, err := NewReader(strings.NewReader(magic+"\x00\x00\x00\x00"), Options{Name: "x.bcf"})
		if err == nil || strings.Contains(err.Error(), "neither VCF nor BCF") {
			t.Errorf("%q: err = %v", magic, err)
		}
	}
}

// TestCloseEarly closes readers part-way, with parallel decompression
// running ahead.
func TestCloseEarly(t *testing.T) {
	bg := bgzfBytes(t, genVCF(1500, 100, 5))
	for _, stop := range []int{0, 1, 50} {
		r, err := NewReader(bytes.NewReader(bg), Options{Threads: 4})
		if err != nil {
			t.Fatal(err)
		}
		last := r.Offset()
		for i := 0; i < stop && r.Next(); i++ {
			if r.Offset() < last {
				t.Errorf("Offset went back from %d to %d", last, r.Offset())
			}
			last = r.Offset()
		}
		if last <= 0 || last >= int64(len(bg)) && stop < 50 {
			t.Errorf("after %d records: Offset %d of %d", stop, last, len(bg))
		}
		if err := r.Close(); err != nil {
			t.Errorf("Close after %d records: %v", stop, err)
		}
	}
}
