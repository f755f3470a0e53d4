package vcf

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gentre/gentre/engine/geno"
)

// bcfFuzzFixture is the BCF whose header the fuzz target decodes with and
// whose records seed it.
const bcfFuzzFixture = "testdata/bcf/cases.bcf"

// bcfSplitFile decompresses a BCF file and returns its header block (magic,
// l_text, text) and its records, each with its two length words.
func bcfSplitFile(t testing.TB, path string) (header []byte, records [][]byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	end := 9 + int(binary.LittleEndian.Uint32(data[5:]))
	header, data = data[:end], data[end:]
	for len(data) >= 8 {
		n := 8 + int(binary.LittleEndian.Uint32(data)) + int(binary.LittleEndian.Uint32(data[4:]))
		records = append(records, data[:n])
		data = data[n:]
	}
	return header, records
}

// FuzzBCFRecord decodes arbitrary record streams after the header of
// testdata/bcf/cases.bcf. It must never panic, and every record it accepts
// must be a well-formed Row and Kept.
func FuzzBCFRecord(f *testing.F) {
	header, records := bcfSplitFile(f, bcfFuzzFixture)
	var all []byte
	for _, r := range records {
		f.Add(r)
		all = append(all, r...)
	}
	f.Add(all)
	// Records of the other fixtures (other dictionaries and sample counts).
	others, _ := filepath.Glob("testdata/bcf/*.bcf")
	for _, path := range others {
		if path != bcfFuzzFixture {
			_, recs := bcfSplitFile(f, path)
			for _, r := range recs {
				f.Add(r)
			}
		}
	}
	opts := Options{Name: "fuzz.bcf", KeepFormat: []string{"DP", "GQ", "AD"}}
	tmpl, err := newBCFSource(bytes.NewReader(header), opts)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// A copy of the template source, past the header: parsing the
		// header on every run would dominate the fuzzer's time.
		src := *tmpl.(*bcfSource)
		src.r = bytes.NewReader(data)
		src.buf, src.info, src.kept = nil, nil, make([]bool, len(opts.KeepFormat))
		nSample := len(src.header().Samples)
		var rec Record
		for n := int64(1); ; n++ {
			err := src.next(&rec)
			if err == io.EOF {
				return
			}
			if err != nil {
				if rec.Line != n {
					t.Fatalf("error at record %d names Line %d", n, rec.Line)
				}
				return
			}
			bcfCheckRecord(t, &rec, nSample, len(opts.KeepFormat))
		}
	})
}

// bcfCheckRecord checks the invariants of a decoded record.
func bcfCheckRecord(t *testing.T, rec *Record, nSample, nKept int) {
	t.Helper()
	row := &rec.GT
	if row.NAlleles != 1+len(rec.Alt) || row.NSamples() != nSample || len(row.Phased) != nSample {
		t.Fatalf("NAlleles %d for %d ALTs, %d samples for %d", row.NAlleles, len(rec.Alt), row.NSamples(), nSample)
	}
	if nSample > 0 && (row.Ploidy < 1 || row.Ploidy > geno.MaxPloidy || len(row.GT) != nSample*row.Ploidy) {
		t.Fatalf("ploidy %d, %d slots for %d samples", row.Ploidy, len(row.GT), nSample)
	}
	for i := 0; i < nSample; i++ {
		s := row.Sample(i)
		if s[0] == geno.End {
			t.Fatalf("sample %d starts with End", i)
		}
		ended := false
		for _, a := range s {
			switch {
			case a == geno.End:
				ended = true
			case ended:
				t.Fatalf("sample %d: allele after End: %v", i, s)
			case a < geno.Missing || int(a) >= row.NAlleles:
				t.Fatalf("sample %d: allele code %d with %d alleles", i, a, row.NAlleles)
			}
		}
	}
	if len(rec.Kept) != nKept {
		t.Fatalf("%d kept fields, want %d", len(rec.Kept), nKept)
	}
	for _, k := range rec.Kept {
		if k.Width < 1 || len(k.Values) != k.Width*nSample {
			t.Fatalf("kept %s: width %d, %d values", k.Key, k.Width, len(k.Values))
		}
	}
	if rec.Info == "" || rec.Filter == "" || rec.ID == "" || rec.Ref == "" || rec.Chrom == "" {
		t.Fatalf("empty text field: %+v", rec)
	}
}
