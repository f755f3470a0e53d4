package bam

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gentre/gentre/internal/testpeer"
)

var twoRefs = []rawRef{{"chr1", 1000}, {"chr2", 500}}

func TestRecordErrors(t *testing.T) {
	secret := "SECRETREADNAME"
	withName := func(r rawRec) rawRec { r.name = secret; return r }
	tests := []struct {
		name string
		recs []rawRec
		want string // in the message, after "record N: "
	}{
		{"out of order pos", []rawRec{mapped(0, 10, 5), mapped(0, 20, 5), withName(mapped(0, 19, 5))},
			"record 3: records out of coordinate order"},
		{"out of order ref", []rawRec{mapped(1, 10, 5), withName(mapped(0, 20, 5))},
			"record 2: records out of coordinate order"},
		{"placed after unplaced", []rawRec{mapped(0, 10, 5), {refID: -1, pos: -1, flag: flagUnmapped, lSeq: -1, mateRefID: -1, matePos: -1}, withName(mapped(1, 0, 5))},
			"record 3: records out of coordinate order"},
		{"refID too big", []rawRec{withName(mapped(2, 10, 5))}, "record 1: reference id 2 out of range"},
		{"refID negative", []rawRec{withName(mapped(-2, 10, 5))}, "record 1: reference id -2 out of range"},
		{"mate refID", []rawRec{func() rawRec { r := withName(mapped(0, 1, 5)); r.mateRefID = 7; return r }()},
			"record 1: mate reference id 7 out of range"},
		{"pos beyond end", []rawRec{mapped(0, 1, 5), withName(mapped(1, 500, 5))},
			"record 2: position 501 beyond the end of reference 1"},
		{"pos below -1", []rawRec{withName(mapped(0, -5, 5))}, "record 1: position -4 out of range"},
		{"mapped without position", []rawRec{withName(mapped(0, -1, 5))}, "record 1: mapped record without a position"},
		{"cigar vs seq", []rawRec{func() rawRec { r := withName(mapped(0, 1, 5)); r.seq = "ACGTACGT"; return r }()},
			"record 1: CIGAR and sequence lengths differ"},
		{"cigar op", []rawRec{func() rawRec { r := withName(mapped(0, 1, 5)); r.cigar = []uint32{cig(9, 5)}; return r }()},
			"record 1: invalid CIGAR operation"},
		{"short block", []rawRec{mapped(0, 1, 5), func() rawRec { r := withName(mapped(0, 1, 5)); r.blockSize = 20; return r }()},
			"record 2: block shorter than the fixed fields"},
		{"zero block", []rawRec{func() rawRec { r := withName(mapped(0, 1, 5)); r.blockSize = -3; return r }()},
			"record 1: block shorter than the fixed fields"},
		{"fields overrun", []rawRec{func() rawRec { r := withName(mapped(0, 1, 5)); r.lSeq = 5000; return r }()},
			"record 1: variable-length fields overrun the record"},
		{"negative seq length", []rawRec{func() rawRec { r := withName(mapped(0, 1, 5)); r.lSeq = -7; r.seq = ""; r.cigar = nil; return r }()},
			"record 1: negative sequence length"},
		{"truncated record", []rawRec{mapped(0, 1, 5), func() rawRec { r := withName(mapped(0, 1, 5)); r.blockSize = 4000; return r }()},
			"record 2: truncated record"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := rawBAM(t, twoRefs, tc.recs...)
			_, err := Read(bytes.NewReader(data), Options{Name: "in.bam"})
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("got %v, want an ErrFormat error", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "bam: in.bam: ") || !strings.Contains(msg, tc.want) {
				t.Fatalf("error %q, want it to name in.bam and contain %q", msg, tc.want)
			}
			if strings.Contains(msg, secret) || strings.Contains(msg, "AAAAA") {
				t.Fatalf("error %q quotes the record", msg)
			}
		})
	}
}

func TestValidEdgeCases(t *testing.T) {
	unplaced := rawRec{refID: -1, pos: -1, flag: flagUnmapped, lSeq: -1, seq: "ACGT", mateRefID: -1, matePos: -1}
	placedUnmapped := rawRec{refID: 0, pos: 5, flag: flagUnmapped | flagPaired, lSeq: -1, seq: "ACGTAC", mateRefID: 0, matePos: 5,
		cigar: []uint32{cig(opM, 3)}} // an unmapped record's CIGAR is not checked against SEQ
	noCigar := mapped(0, 7, 0)
	noCigar.cigar = nil
	noCigar.seq = "ACG"
	mappedNoPosUnmapped := rawRec{refID: 1, pos: -1, flag: flagUnmapped, lSeq: -1, mateRefID: -1, matePos: -1}
	data := rawBAM(t, []rawRef{{"a", 100}, {"b", 10}, {"empty", 0}},
		mapped(0, 0, 10), placedUnmapped, noCigar, mapped(0, 95, 10), mappedNoPosUnmapped, mapped(1, 0, 10), unplaced, unplaced)
	s, err := Read(bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, b, empty := s.Contig("a"), s.Contig("b"), s.Contig("empty")
	if a.Reads() != 3 || b.Reads() != 1 || empty.Reads() != 0 || empty.Length() != 0 || empty.NumRuns() != 0 {
		t.Fatalf("reads a=%d b=%d empty=%d (length %d, %d runs)", a.Reads(), b.Reads(), empty.Reads(), empty.Length(), empty.NumRuns())
	}
	want := make([]uint32, 100)
	for i := range 10 {
		want[i]++
	}
	for i := 95; i < 100; i++ { // the rest hangs over the end
		want[i]++
	}
	if err := diffDepth("a", expand(a), want); err != nil {
		t.Fatal(err)
	}
	if got := s.Flagstat.Total[0]; got != 8 {
		t.Fatalf("total %d, want 8", got)
	}
	if got := s.Flagstat.Mapped[0]; got != 4 {
		t.Fatalf("mapped %d, want 4", got)
	}
}

// TestCGTag checks a CIGAR stored in the CG tag (SAM spec §4.2.2), as
// htslib reads it, against samtools.
func TestCGTag(t *testing.T) {
	// Real CIGAR 5M3D5M at pos 10; placeholder 10S13N.
	le := func(v ...uint32) []byte {
		var b []byte
		for _, x := range v {
			b = append(b, byte(x), byte(x>>8), byte(x>>16), byte(x>>24))
		}
		return b
	}
	aux := append([]byte("XAZhello\x00CGBI"), le(3, cig(opM, 5), cig(opD, 3), cig(opM, 5))...)
	r := mapped(0, 10, 10)
	r.cigar = []uint32{cig(opS, 10), cig(opN, 13)}
	r.aux = aux
	data := rawBAM(t, twoRefs, r)
	s, err := Read(bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Contig("chr1")
	for pos, want := range map[int64]uint32{10: 0, 11: 1, 15: 1, 16: 0, 18: 0, 19: 1, 23: 1, 24: 0} {
		if got, _ := c.DepthAt(pos); got != want {
			t.Errorf("depth at %d = %d, want %d", pos, got, want)
		}
	}
	// And a CG of the wrong type is ignored: the placeholder stands.
	r.aux = append([]byte("CGZx\x00"), aux[9:]...)
	if s, err = Read(bytes.NewReader(rawBAM(t, twoRefs, r)), Options{}); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Contig("chr1").SumDepth(1, 1000); got != 0 {
		t.Errorf("placeholder CIGAR covered %d bases", got)
	}
}

func TestHeaderErrors(t *testing.T) {
	le := func(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name string
		raw  []byte
		want string
	}{
		{"no refs", rawHeader("@HD\tVN:1.6\n@RG\tID:x\tSM:SECRETSAMPLE\n", nil), "no reference sequences"},
		{"bad magic", []byte("BAM\x02\x00\x00\x00\x00"), "bad magic"},
		{"short", []byte("BAM"), "too short"},
		{"negative text", join([]byte("BAM\x01"), le(0xffffffff)), "negative text length"},
		{"huge text", join([]byte("BAM\x01"), le(0x7fffffff), []byte("abc")), "truncated header text"},
		{"negative nref", join([]byte("BAM\x01"), le(0), le(0x80000000)), "negative reference count"},
		{"huge nref", join([]byte("BAM\x01"), le(0), le(0x7fffffff)), "reference 0: truncated"},
		{"name length", join([]byte("BAM\x01"), le(0), le(1), le(0)), "bad name length"},
		{"name not NUL", join([]byte("BAM\x01"), le(0), le(1), le(2), []byte("ab"), le(5)), "not NUL-terminated"},
		{"empty name", join([]byte("BAM\x01"), le(0), le(1), le(1), []byte{0}, le(5)), "empty name"},
		{"negative length", rawHeader("", []rawRef{{"a", -1}}), "negative length"},
		{"duplicate", rawHeader("", []rawRef{{"a", 5}, {"a", 6}}), "reference 1: duplicate name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(bgzfCompress(t, tc.raw)), Options{Name: "h.bam"})
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "bam: h.bam: ") {
				t.Fatalf("got %v, want an ErrFormat error naming h.bam with %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "SECRETSAMPLE") {
				t.Fatalf("error %q quotes the header", err)
			}
		})
	}
}

func TestStreamErrors(t *testing.T) {
	good, _, _ := simBAM(t, simOptions{Seed: 9, Lengths: []int{20000}, Reads: 3000, ReadLen: 100})
	if _, err := Read(bytes.NewReader(good), Options{}); err != nil {
		t.Fatal(err)
	}
	blocks := blockOffsets(t, good)
	if len(blocks) < 4 {
		t.Fatalf("only %d BGZF blocks", len(blocks))
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "BGZF"},
		{"not gzip", []byte("@HD\tVN:1.6\n"), "BGZF"},
		{"missing EOF block", good[:len(good)-len(bgzfEOF)], "no end-of-file block"},
		{"cut at a block boundary", good[:blocks[2]], "no end-of-file block"},
		{"cut inside a block", good[:blocks[2]+100], "truncated or corrupt BGZF"},
		{"cut in the first block", good[:blocks[1]-10], "BGZF"},
		{"corrupt deflate", corruptAt(good, blocks[2]+40), "BGZF"},
		{"garbage after EOF block", append(append([]byte(nil), good...), "junk"...), "BGZF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, threads := range []int{1, 2, 4} {
				_, err := Read(bytes.NewReader(tc.data), Options{Name: "s.bam", Threads: threads})
				if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "bam: s.bam: ") {
					t.Fatalf("threads %d: got %v, want an ErrFormat error naming s.bam with %q", threads, err, tc.want)
				}
			}
		})
	}
}

// blockOffsets returns the offsets of the BGZF blocks of b.
func blockOffsets(t *testing.T, b []byte) []int {
	var out []int
	for off := 0; off+18 <= len(b); {
		out = append(out, off)
		size := int(b[off+16]) | int(b[off+17])<<8
		off += size + 1
	}
	return out
}

func corruptAt(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	for k := i; k < i+16 && k < len(c); k++ {
		c[k] ^= 0x5a
	}
	return c
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{{MinMapQ: -1}, {MinMapQ: 256}, {MinBaseQ: -1}, {MinBaseQ: 300}} {
		if _, err := Read(bytes.NewReader(nil), o); err == nil || errors.Is(err, ErrFormat) {
			t.Errorf("%+v: got %v, want an options error", o, err)
		}
	}
}

// TestRawVsSamtools compares hand-made files (CG tags, placed unmapped
// reads, mapped reads without CIGAR, zero-length contigs) with samtools.
func TestRawVsSamtools(t *testing.T) {
	testpeer.Require(t, "samtools")
	cgAux := []byte("CGBI\x03\x00\x00\x00")
	for _, c := range []uint32{cig(opM, 5), cig(opD, 3), cig(opM, 5)} {
		cgAux = binary.LittleEndian.AppendUint32(cgAux, c)
	}
	cg := mapped(0, 10, 10)
	cg.cigar, cg.aux = []uint32{cig(opS, 10), cig(opN, 13)}, cgAux
	placedUnmapped := rawRec{refID: 0, pos: 12, flag: flagUnmapped | flagPaired | flagRead2, lSeq: -1, seq: "ACGTAC", mateRefID: 0, matePos: 12}
	noCigar := mapped(0, 14, 0)
	noCigar.cigar, noCigar.seq = nil, "ACG"
	noSeq := mapped(1, 3, 0)
	noSeq.cigar = []uint32{cig(opH, 4), cig(opM, 6), cig(opN, 2), cig(opEq, 3), cig(opP, 2), cig(opX, 1)}
	unplaced := rawRec{refID: -1, pos: -1, flag: flagUnmapped | flagQCFail, lSeq: -1, seq: "ACGT", mateRefID: -1, matePos: -1}
	files := map[string][]byte{
		"cg": rawBAM(t, []rawRef{{"a", 100}, {"b", 10}, {"empty", 0}, {"c", 7}},
			mapped(0, 0, 10), cg, placedUnmapped, noCigar, mapped(0, 95, 10), noSeq, mapped(1, 8, 4), mapped(3, 6, 1), unplaced),
	}
	for name, data := range files {
		path := filepath.Join(t.TempDir(), name+".bam")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		compareWithSamtools(t, path, Options{})
	}
}
