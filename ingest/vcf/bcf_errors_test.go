package vcf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
)

// bcfNextErr decodes records of data until an error, and returns it with
// the number of records decoded before it.
func bcfNextErr(t *testing.T, data []byte, opts Options) (int, error) {
	t.Helper()
	src, err := newBCFSource(bytes.NewReader(data), opts)
	if err != nil {
		return -1, err
	}
	var rec Record
	for n := 0; ; n++ {
		if err := src.next(&rec); err != nil {
			if err != io.EOF && rec.Line != int64(n+1) {
				t.Errorf("Record.Line %d at the failing record %d", rec.Line, n+1)
			}
			return n, err
		}
	}
}

// bcfCheckErr checks err wraps ErrFormat, names the file and the record,
// holds want, and quotes no sample name.
func bcfCheckErr(t *testing.T, err error, record, want string) {
	t.Helper()
	if !errors.Is(err, ErrFormat) {
		t.Fatalf("error %v does not wrap ErrFormat", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "t.bcf: ") || !strings.Contains(msg, record) || !strings.Contains(msg, want) {
		t.Errorf("error %q: want the file, %q and %q", msg, record, want)
	}
	for _, s := range []string{"S1", "S2", "S3", "S4"} {
		if strings.Contains(msg, s) {
			t.Errorf("error %q quotes a sample name", msg)
		}
	}
}

func TestBCFRecordErrors(t *testing.T) {
	good := bcfCase(bcfTestFmt(bkGT, 2, bcfInt8, 2, 4, 2, 2, 0, 0, 4, 4))
	with := func(f func(r *bcfTestRec)) bcfTestRec {
		r := bcfCase(bcfTestFmt(bkGT, 2, bcfInt8, 2, 4, 2, 2, 0, 0, 4, 4))
		f(&r)
		return r
	}
	shortShared := binary.LittleEndian.AppendUint32(nil, 0)
	tests := []struct {
		name string
		rec  bcfTestRec
		want string
	}{
		{"CHROM out of range", with(func(r *bcfTestRec) { r.Chrom = 2 }), "CHROM index 2"},
		{"negative CHROM", with(func(r *bcfTestRec) { r.Chrom = -1 }), "CHROM index -1"},
		{"negative POS", with(func(r *bcfTestRec) { r.Pos = -5 }), "negative POS"},
		{"FILTER index out of range", with(func(r *bcfTestRec) { r.Filters = []int32{bkPASS, 40} }), "FILTER"},
		{"INFO key out of range", with(func(r *bcfTestRec) { r.Info = [][]byte{bcfTestInfo(99, 1, bcfInt8, 1)} }), "INFO: key index"},
		{"INFO unknown type code", with(func(r *bcfTestRec) { r.Info = [][]byte{{0x11, bkDP, 0x14, 1, 2, 3, 4, 5, 6, 7, 8}} }), "unknown type code"},
		{"INFO reserved type code 6", with(func(r *bcfTestRec) { r.Info = [][]byte{{0x11, bkDP, 0x16, 1, 2, 3, 4}} }), "unknown type code"},
		{"INFO value overruns", with(func(r *bcfTestRec) { r.Info = [][]byte{{0x11, bkDP, 0x53, 1, 2, 3}} }), "overruns"},
		{"INFO key of two values", with(func(r *bcfTestRec) { r.Info = [][]byte{{0x21, bkDP, bkDP, 0x11, 1}} }), "key not a single integer"},
		{"negative overflow length", with(func(r *bcfTestRec) { r.Info = [][]byte{{0x11, bkDP, 0xf1, 0x11, 0xf0, 1}} }), "negative length"},
		{"allele overruns", with(func(r *bcfTestRec) { r.NAllele = 9 }), "allele"},
		{"ID not a string", with(func(r *bcfTestRec) { r.RawShared = bcfTestRawShared(r, []byte{0x11, 5}) }), "ID: not a character string"},
		{"too many alleles", with(func(r *bcfTestRec) { r.NAllele = 20000 }), "alleles, over"},
		{"sample count differs from the header", with(func(r *bcfTestRec) { r.NSample = 3 }), "3 samples"},
		{"GT allele index out of range", with(func(r *bcfTestRec) { r.Fmt = [][]byte{bcfTestFmt(bkGT, 2, bcfInt8, 2, 6, 2, 2, 0, 0, 4, 4)} }), "GT allele index out of range"},
		{"GT negative value", with(func(r *bcfTestRec) { r.Fmt = [][]byte{bcfTestFmt(bkGT, 2, bcfInt8, 2, 4, -5, 2, 0, 0, 4, 4)} }), "GT allele index out of range"},
		{"GT int16 too large", with(func(r *bcfTestRec) { r.Fmt = [][]byte{bcfTestFmt(bkGT, 2, bcfInt16, 2, 4, 2, 2, 0, 0, 4, 32000)} }), "GT allele index out of range"},
		{"GT int32 beyond int16", with(func(r *bcfTestRec) { r.Fmt = [][]byte{bcfTestFmt(bkGT, 1, bcfInt32, 2, 4, 2, 1<<20)} }), "GT allele index out of range"},
		{"GT ploidy over the limit", with(func(r *bcfTestRec) { r.Fmt = [][]byte{bcfTestFmt(bkGT, 9, bcfInt8, make([]int64, 36)...)} }), "GT ploidy 9"},
		{"GT of floats", with(func(r *bcfTestRec) { r.Fmt = [][]byte{bcfTestFmt(bkGT, 1, bcfFloat, 0, 0, 0, 0)} }), "GT: not an integer"},
		{"FORMAT block overruns", with(func(r *bcfTestRec) { r.Fmt = [][]byte{bcfTestFmt(bkGT, 2, bcfInt8, 2, 4, 2)} }), "FORMAT GT: overruns"},
		{"FORMAT key out of range", with(func(r *bcfTestRec) { r.Fmt = [][]byte{bcfTestFmt(77, 1, bcfInt8, 1, 2, 3, 4)} }), "FORMAT field 0: key index"},
		{"FORMAT count past the block", with(func(r *bcfTestRec) { r.Fmt = append(r.Fmt, nil); r.RawIndividual = r.Fmt[0] }), "FORMAT field 1: key overruns"},
		{"FORMAT huge width", with(func(r *bcfTestRec) { r.Fmt = [][]byte{{0x11, bkGT, 0xf1, 0x13, 0xff, 0xff, 0xff, 0x7f}} }), "overruns"},
		{"l_shared under the fixed part", bcfTestRec{RawShared: shortShared}, "l_shared 4"},
		{"l_shared over the limit", with(func(r *bcfTestRec) { r.HaveLShared, r.LShared = true, 0xfffffff0 }), "over the"},
		{"l_shared past the data", with(func(r *bcfTestRec) { r.HaveLShared, r.LShared = true, 1<<29 }), "truncated record"},
		{"l_indiv past the data", with(func(r *bcfTestRec) { r.HaveLIndiv, r.LIndiv = true, 900<<20 }), "truncated record"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := bcfNextErr(t, bcfTestFile(bcfCaseHeader, good, tc.rec, good), Options{Name: "t.bcf"})
			if n != 1 {
				t.Errorf("failed after %d records, want 1 (err %v)", n, err)
			}
			bcfCheckErr(t, err, "record 2", tc.want)
		})
	}
}

// bcfTestRawShared encodes r's fixed shared part followed by rest.
func bcfTestRawShared(r *bcfTestRec, rest []byte) []byte {
	full := r.encode(nil)[8:]
	return append(full[:bcfFixedShared:bcfFixedShared], rest...)
}

// Every cut of a file inside its second record is a truncated record 2.
func TestBCFTruncated(t *testing.T) {
	r := bcfCase(bcfTestFmt(bkGT, 2, bcfInt8, 2, 4, 2, 2, 0, 0, 4, 4))
	r.Info = [][]byte{bcfTestInfo(bkDP, 1, bcfInt8, 7)}
	file := bcfTestFile(bcfCaseHeader, r, r)
	one := len(bcfTestFile(bcfCaseHeader, r))
	for cut := one + 1; cut < len(file); cut++ {
		n, err := bcfNextErr(t, file[:cut], Options{Name: "t.bcf"})
		if n != 1 {
			t.Fatalf("cut at %d: failed after %d records", cut, n)
		}
		bcfCheckErr(t, err, "record 2", "truncated record")
	}
	if n, err := bcfNextErr(t, file[:one], Options{Name: "t.bcf"}); n != 1 || err != io.EOF {
		t.Errorf("cut at a record boundary: %d records, %v", n, err)
	}
	// A cut inside the header.
	for _, cut := range []int{3, 7, 40, len(bcfTestHeader(bcfCaseHeader)) - 1} {
		_, err := newBCFSource(bytes.NewReader(file[:cut]), Options{Name: "t.bcf"})
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "header") {
			t.Errorf("header cut at %d: %v", cut, err)
		}
	}
}

// A length field that overruns a short file costs about what the file
// holds, not what the field claims.
func TestBCFHostileLengthsAllocate(t *testing.T) {
	r := bcfCase()
	r.HaveLIndiv, r.LIndiv = true, bcfMaxRecordBytes-1000
	file := bcfTestFile(bcfCaseHeader, r)
	hdr := bcfTestHeader(bcfCaseHeader)
	binary.LittleEndian.PutUint32(hdr[5:], bcfMaxHeaderBytes)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if n, err := bcfNextErr(t, file, Options{Name: "t.bcf"}); n != 0 || !errors.Is(err, ErrFormat) {
		t.Errorf("huge l_indiv: %d records, %v", n, err)
	}
	if _, err := newBCFSource(bytes.NewReader(hdr[:200]), Options{Name: "t.bcf"}); !errors.Is(err, ErrFormat) {
		t.Errorf("huge l_text: %v", err)
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
		t.Errorf("allocated %d bytes for lengths the data does not back", got)
	}
	binary.LittleEndian.PutUint32(hdr[5:], bcfMaxHeaderBytes+1)
	if _, err := newBCFSource(bytes.NewReader(hdr), Options{Name: "t.bcf"}); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "limit") {
		t.Errorf("l_text over the limit: %v", err)
	}
}

func TestBCFHeaderErrors(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"not BCF", "BAM\x01\x00", "not a BCF"},
		{"BCF 1", "BCF\x04\x00\x00\x00\x00", "not a BCF"},
		{"no #CHROM", string(bcfTestHeader("##fileformat=VCFv4.2\n")), "no #CHROM"},
		{"text after #CHROM", string(bcfTestHeader(bcfCaseHeader + "chr1\t1\n")), "after the #CHROM"},
		{"duplicate sample", string(bcfTestHeader(strings.Replace(bcfCaseHeader, "S3", "S1", 1))), "columns 10 and 12 have the same sample name"},
		{"empty sample", string(bcfTestHeader(strings.Replace(bcfCaseHeader, "S3", "", 1))), "empty sample name in column 12"},
		{"conflicting IDX", string(bcfTestHeader("##INFO=<ID=A,Number=1,Type=Integer,IDX=3>\n##INFO=<ID=B,Number=1,Type=Integer,IDX=3>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")), "IDX=3 already used"},
		{"huge IDX", string(bcfTestHeader("##contig=<ID=c,IDX=2000000000>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")), "IDX=2000000000 over"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newBCFSource(strings.NewReader(tc.data), Options{Name: "t.bcf"})
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "t.bcf: header: ") {
				t.Errorf("got %v, want an ErrFormat with %q", err, tc.want)
			}
		})
	}
}

func TestBCFHeaderDictionaries(t *testing.T) {
	text := `##fileformat=VCFv4.3
##FILTER=<ID=PASS,Description="All filters passed",IDX=0>
##INFO=<ID=B,Number=1,Type=Integer,Description="b, \"quoted\"",IDX=5>
##FILTER=<ID=f1,Description="x",IDX=2>
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype",IDX=3>
##INFO=<ID=C,Number=.,Type=Float,Description="c">
##FORMAT=<ID=C,Number=2,Type=Integer,Description="the same ID as INFO C">
##contig=<ID=c2,length=20,IDX=1>
##contig=<ID=c1,length=10,IDX=0>
##contig=<ID=c3>
##source=a test
#CHROM	POS	ID	REF	ALT	QUAL	FILTER	INFO	FORMAT	x	y
`
	src, err := newBCFSource(strings.NewReader(string(bcfTestHeader(text))), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := src.(*bcfSource)
	wantIDs := []string{"PASS", "", "f1", "GT", "", "B", "C"}
	if strings.Join(s.dict.ids, ",") != strings.Join(wantIDs, ",") || s.dict.gt != 3 {
		t.Errorf("ids %q gt %d, want %q gt 3", s.dict.ids, s.dict.gt, wantIDs)
	}
	h := src.header()
	if got := []Contig{{"c1", 10}, {"c2", 20}, {"c3", 0}}; !bcfEqualContigs(h.Contigs, got) {
		t.Errorf("contigs %v, want %v", h.Contigs, got)
	}
	if h.FileFormat != "VCFv4.3" || strings.Join(h.Samples, ",") != "x,y" || strings.Join(h.Filters, ",") != "PASS,f1" {
		t.Errorf("header %+v", h)
	}
	if len(h.Info) != 2 || h.Info[0] != (Field{"B", "1", "Integer"}) || h.Info[1] != (Field{"C", ".", "Float"}) {
		t.Errorf("info %+v", h.Info)
	}
	if len(h.Format) != 2 || h.Format[1] != (Field{"C", "2", "Integer"}) {
		t.Errorf("format %+v", h.Format)
	}
	if len(h.Lines) != 11 || h.Lines[10] != "source=a test" {
		t.Errorf("lines %q", h.Lines)
	}
	// The gap at index 1 is not a filter; index 4 is not anything.
	r := bcfTestRec{Chrom: 2, Pos: 7, Qual: math.Float32bits(1), Alleles: []string{"A"}, Filters: []int32{1}, NSample: 2}
	if _, err := bcfNextErr(t, bcfTestFile(text, r), Options{Name: "t.bcf"}); !errors.Is(err, ErrFormat) {
		t.Errorf("FILTER at a dictionary gap: %v", err)
	}
	r.Filters = []int32{2, 0}
	r.Info = [][]byte{bcfTestInfo(5, 1, bcfInt8, 9), bcfTestInfo(6, 2, bcfFloat, bcfTestF(1.5), bcfTestF(-2))}
	src, _ = newBCFSource(bytes.NewReader(bcfTestFile(text, r)), Options{})
	var rec Record
	if err := src.next(&rec); err != nil {
		t.Fatal(err)
	}
	if rec.Chrom != "c3" || rec.Pos != 7 || rec.Filter != "f1;PASS" || rec.Info != "B=9;C=1.5,-2" {
		t.Errorf("record %s %d %s %s", rec.Chrom, rec.Pos, rec.Filter, rec.Info)
	}
}

func bcfEqualContigs(a, b []Contig) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBCFAppendG(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "-0"}, {1, "1"}, {-1, "-1"}, {0.5, "0.5"}, {59.2, "59.2"},
		{float64(float32(59.2)), "59.2"}, {269842.5, "269843"}, {100002.5, "100003"}, {999999, "999999"},
		{999999.5, "1e+06"}, {1e6, "1e+06"}, {1234567, "1.23457e+06"}, {0.0001, "0.0001"},
		{0.00012345678, "0.000123457"}, {0.00009999, "9.999e-05"}, {1e-20, "1e-20"}, {9.9999996, "10"},
		{0.099999999, "0.1"}, {123456.7, "123457"}, {12345.65, "12345.7"}, {3.14159265, "3.14159"},
		{math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {math.NaN(), "nan"}, {-0.25, "-0.25"}, {1e10, "1e+10"},
	}
	for _, tc := range tests {
		if got := string(bcfAppendG(nil, tc.in)); got != tc.want {
			t.Errorf("bcfAppendG(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
