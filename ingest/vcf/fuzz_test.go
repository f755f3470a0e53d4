package vcf

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gentre/gentre/engine/geno"
)

// FuzzVCFText feeds arbitrary VCF text to the reader: it must never panic,
// every error must wrap ErrFormat, and every decoded row must be well
// formed.
func FuzzVCFText(f *testing.F) {
	seeds := []string{
		vcf3("1 10 . A C . . . GT 0/0 0/1 1/1"),
		vcf3("1 10 rs1 A C,G 5 PASS DP=3 GT:DP:AD 0|1:3:1,2 1/2:.:. ./.", "1 11 . A . . . . GT 0 . 0/0/0"),
		vcf3("1 10 . A C . . . DP:GT:PL 3:0/1:0,1,2 4 .:1|1", "X 1 . A <DEL> . . . GT |0 /1 1|0|1"),
		vcf3("1 10 . A C . . .", "1 11 . A C . . . . . . ."),
		"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t1\t.\tA\tC\t.\t.\t.\n",
		"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\n1\t1\t.\tA\tC\t.\t.\t.\tGT\t0/1\r\n",
		vcf3("1 10 . A C . . . GT 0/0 0/1"),
		vcf3("1 10 . A C . . . GT 12/1 0/x 0//1"),
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	// Inputs that do not start with '#' are records: they get a header, so
	// that the fuzzer spends its time in the record parser.
	for _, s := range []string{"1\t10\t.\tA\tC\t.\t.\t.\tGT:DP\t0/1:3\t1\t./.:.\n", "1\t1\t.\tA\tC,G\t.\t.\t.\tAD:GT\t1,2:0|2\t3:1/2/1\t.\n"} {
		f.Add([]byte(s))
	}
	header := []byte(testMeta + cols3)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 0 && data[0] != '#' && data[0] != 0x1f && data[0] != 'B' {
			data = append(header[:len(header):len(header)], data...)
		}
		r, err := NewReader(bytes.NewReader(data), Options{Name: "fuzz.vcf", Threads: 1, KeepFormat: []string{"DP", "AD"}})
		if err != nil {
			if !errors.Is(err, ErrFormat) && !bytes.HasPrefix(data, []byte("BCF")) {
				t.Fatalf("error does not wrap ErrFormat: %v", err)
			}
			return
		}
		defer r.Close()
		n := len(r.Header().Samples)
		for r.Next() {
			checkRecord(t, r.Record(), n)
		}
		if err := r.Err(); err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("error does not wrap ErrFormat: %v", err)
		}
	})
}

// checkRecord checks the invariants of a decoded record.
func checkRecord(t *testing.T, rec *Record, nSamples int) {
	t.Helper()
	row := &rec.GT
	if row.NAlleles != 1+len(rec.Alt) || row.NSamples() != nSamples || len(row.Phased) != nSamples {
		t.Fatalf("row shape: NAlleles %d (%d ALT), %d samples of %d, %d phase flags",
			row.NAlleles, len(rec.Alt), row.NSamples(), nSamples, len(row.Phased))
	}
	if nSamples > 0 && (row.Ploidy < 1 || row.Ploidy > geno.MaxPloidy || len(row.GT) != nSamples*row.Ploidy) {
		t.Fatalf("ploidy %d with %d slots for %d samples", row.Ploidy, len(row.GT), nSamples)
	}
	widest := 0
	for i := 0; i < row.NSamples(); i++ {
		called := 0
		ended := false
		for j, a := range row.Sample(i) {
			switch {
			case a == geno.End:
				if j == 0 {
					t.Fatalf("sample %d starts with End", i)
				}
				ended = true
			case ended:
				t.Fatalf("sample %d: allele after End", i)
			case a < geno.Missing || int(a) >= row.NAlleles:
				t.Fatalf("sample %d: allele %d of %d", i, a, row.NAlleles)
			default:
				called = j + 1
			}
		}
		widest = max(widest, called)
		if row.Phased[i] && called < 2 {
			t.Fatalf("sample %d: phased call of ploidy %d", i, called)
		}
	}
	if nSamples > 0 && widest != row.Ploidy {
		t.Fatalf("Ploidy %d but the widest call has %d alleles", row.Ploidy, widest)
	}
	for _, k := range rec.Kept {
		if k.Width < 1 || len(k.Values) != k.Width*nSamples {
			t.Fatalf("kept %s: width %d, %d values for %d samples", k.Key, k.Width, len(k.Values), nSamples)
		}
	}
	if rec.Pos < 1 {
		t.Fatalf("Pos %d", rec.Pos)
	}
}
