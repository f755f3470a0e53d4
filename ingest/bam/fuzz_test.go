package bam

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gentre/gentre/engine/coverage"
)

// fuzzRefs is the header every mode-0 fuzz input gets.
var fuzzRefs = []rawRef{{"a", 300}, {"b", 40}, {"z", 0}}

// FuzzBAMRecord: Read never panics and every error wraps ErrFormat. With
// mode even, data is the uncompressed record stream after a valid header
// (compressed here); with mode odd, data is a whole file (seeds: small real
// and simulated BAMs, which the fuzzer corrupts). What Read accepts obeys
// the sample's invariants and survives the binary form.
func FuzzBAMRecord(f *testing.F) {
	recs := [][]rawRec{
		{mapped(0, 0, 10), mapped(0, 5, 20), mapped(1, 30, 20)},
		{{refID: 0, pos: 3, mapQ: 9, flag: flagPaired | flagRead1 | flagProperPair, lSeq: -1, seq: "ACGTACGTAC",
			cigar: []uint32{cig(opS, 2), cig(opM, 3), cig(opI, 1), cig(opD, 4), cig(opM, 2), cig(opN, 50), cig(opEq, 2)}, mateRefID: 1, matePos: 4},
			{refID: -1, pos: -1, flag: flagUnmapped, lSeq: -1, seq: "AC", mateRefID: -1, matePos: -1}},
	}
	for _, rs := range recs {
		var b []byte
		for _, r := range rs {
			b = append(b, r.bytes()...)
		}
		f.Add(byte(0), b)
	}
	cg := mapped(0, 10, 10)
	cg.cigar = []uint32{cig(opS, 10), cig(opN, 13)}
	cg.aux = append([]byte("CGBI\x01\x00\x00\x00"), byte(10<<4), 0, 0, 0)
	f.Add(byte(0), cg.bytes())
	data, _, _ := simBAM(f, simOptions{Seed: 11, Lengths: []int{300, 100}, Reads: 30, ReadLen: 30, Weird: true, Unplaced: 2})
	f.Add(byte(1), data)
	for _, name := range []string{"example_from_SAM_Spec.bam", "tiny.bam", "revbins.bam"} {
		if b, err := os.ReadFile(filepath.Join(rsamtools, name)); err == nil {
			f.Add(byte(1), b)
		}
	}
	header := rawHeader("@HD\tVN:1.6\n", fuzzRefs)
	f.Fuzz(func(t *testing.T, mode byte, data []byte) {
		in := data
		if mode&1 == 0 {
			in = bgzfCompress(t, append(append([]byte(nil), header...), data...))
		}
		opts := Options{Threads: 1 + int(mode>>1&1), MinBaseQ: int(mode>>2) & 31}
		s, err := Read(bytes.NewReader(in), opts)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		var reads int64
		for _, c := range s.Contigs() {
			checkRuns(t, c)
			reads += c.Reads()
		}
		if total := s.Flagstat.Total[0] + s.Flagstat.Total[1]; reads > total {
			t.Fatalf("%d reads counted in depth, %d records", reads, total)
		}
		back, err := coverage.Decode(coverage.Encode(s))
		if err != nil {
			t.Fatal(err)
		}
		if back.Flagstat != s.Flagstat || len(back.Contigs()) != len(s.Contigs()) {
			t.Fatal("binary form differs")
		}
	})
}
