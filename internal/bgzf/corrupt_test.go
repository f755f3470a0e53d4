package bgzf

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
)

// smallBlocks is a BGZF file of about 6 small blocks (and the EOF block)
// with its text and block ends.
func smallBlocks(t *testing.T) (data, z []byte, ends []int) {
	t.Helper()
	data = vcfLike(10_000, 9)[:10_000]
	z = biogoBytes(t, data, gzip.DefaultCompression, 2000, 4000, 6000, 8000)
	return data, z, blockEnds(t, z)
}

// checkPrefix checks that what was read before the error is exactly the
// data of the blocks before the bad one.
func checkPrefix(t *testing.T, got, data []byte, blockIndex int) {
	t.Helper()
	want := data[:min(blockIndex*2000, len(data))]
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes before the error, want the %d bytes of the blocks before it", len(got), len(want))
	}
}

// TestCorruptBytes flips, one at a time, every byte of a middle block
// (header, payload, CRC, ISIZE) two ways, and checks the error's kind and
// place and that the data before it came through intact.
func TestCorruptBytes(t *testing.T) {
	data, z, ends := smallBlocks(t)
	const k = 2 // the block to corrupt
	start, end := ends[k-1], ends[k]
	step := 1
	if testing.Short() {
		step = 7
	}
	for i := start; i < end; i += step {
		rel := i - start
		for _, mask := range []byte{0x01, 0xff} {
			bad := bytes.Clone(z)
			bad[i] ^= mask
			var kinds []error // nil: still valid
			switch {
			case rel <= 2 || rel >= 12 && rel <= 15:
				kinds = []error{ErrHeader}
			case rel == 3 && mask == 0x01: // FTEXT, a harmless hint
			case rel == 3:
				kinds = []error{ErrHeader}
			case rel <= 9: // MTIME, XFL, OS: not checked
			case rel <= 11 || rel == 16 || rel == 17: // XLEN, BSIZE
				kinds = []error{ErrHeader, ErrDeflate, ErrSize, ErrChecksum, ErrTruncated}
			case i < end-8:
				kinds = []error{ErrDeflate, ErrSize, ErrChecksum}
			case i < end-4:
				kinds = []error{ErrChecksum}
			default:
				kinds = []error{ErrSize}
				if binary.LittleEndian.Uint32(bad[end-4:]) > maxISize {
					kinds = []error{ErrHeader}
				}
			}
			for _, inf := range testInflaters {
				for _, threads := range []int{1, 3} {
					got, err := readAll(t, bad, threads, 1<<16, inf.new)
					name := fmt.Sprintf("%s threads=%d byte %d of block %d ^%#x", inf.name, threads, rel, k, mask)
					if kinds == nil {
						if err != nil || !bytes.Equal(got, data) {
							t.Fatalf("%s: err %v", name, err)
						}
						continue
					}
					var e *Error
					if !errors.As(err, &e) || e.Offset != int64(start) || !isOneOf(err, kinds) {
						t.Fatalf("%s: err = %v, want one of %v at byte %d", name, err, kinds, start)
					}
					wantKind(t, err, e.Kind)
					checkPrefix(t, got, data, k)
				}
			}
		}
	}
}

func isOneOf(err error, kinds []error) bool {
	for _, k := range kinds {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// TestTruncate cuts the file at every byte: at a block boundary it is a
// missing EOF block, elsewhere a truncated block.
func TestTruncate(t *testing.T) {
	data, z, ends := smallBlocks(t)
	block := 0
	step := 1
	if testing.Short() {
		step = 7
	}
	for cut := 0; cut < len(z); cut += step {
		for cut >= ends[block] {
			block++
		}
		start := 0
		if block > 0 {
			start = ends[block-1]
		}
		for _, inf := range testInflaters {
			for _, threads := range []int{1, 4} {
				got, err := readAll(t, z[:cut], threads, 1<<16, inf.new)
				var e *Error
				if !errors.As(err, &e) || e.Offset != int64(start) {
					t.Fatalf("cut at %d (block %d at %d) %s threads=%d: err %v", cut, block, start, inf.name, threads, err)
				}
				if cut == start {
					wantKind(t, err, ErrNoEOF)
				} else {
					wantKind(t, err, ErrTruncated)
				}
				checkPrefix(t, got, data, block)
			}
		}
	}
}

// TestHostileHeaders tries header values a broken or hostile writer could
// produce, after one good block and as the first block.
func TestHostileHeaders(t *testing.T) {
	good := []byte("good block\n")
	goodBlock := rawBlock(storedDeflate(good), good)
	text := []byte("hello, hostile world\n")
	payload := storedDeflate(text)
	withBSIZE := func(bsize int) []byte {
		b := rawBlock(payload, text)
		binary.LittleEndian.PutUint16(b[16:], uint16(bsize))
		return b
	}
	withExtra := func(flg byte, extra []byte) []byte {
		b := []byte{31, 139, 8, flg, 0, 0, 0, 0, 0, 255, byte(len(extra)), byte(len(extra) >> 8)}
		b = append(b, extra...)
		b = append(b, rawBlock(payload, text)[18:]...)
		if i := bytes.Index(extra, []byte("BC\x02\x00")); i >= 0 {
			binary.LittleEndian.PutUint16(b[12+i+4:], uint16(len(b)-1))
		}
		return b
	}
	zeros := make([]byte, maxISize)
	var fz bytes.Buffer
	fw, _ := flate.NewWriter(&fz, flate.BestCompression)
	fw.Write(zeros)
	fw.Close()
	pad := bytes.Repeat([]byte{0x55}, 70_000)
	cases := []struct {
		name  string
		block []byte
		kind  error // nil: valid
	}{
		{"BSIZE 0", withBSIZE(0), ErrHeader},
		{"BSIZE 1", withBSIZE(1), ErrHeader},
		{"BSIZE 17", withBSIZE(17), ErrHeader},
		{"BSIZE 24", withBSIZE(24), ErrHeader},
		{"BSIZE 25 (no payload)", rawBlock(nil, text), ErrDeflate},
		{"BSIZE one short", withBSIZE(len(rawBlock(payload, text)) - 2), ErrDeflate},
		{"BSIZE one long", append(withBSIZE(len(rawBlock(payload, text))), 0), ErrSize}, // the trailer is read one byte on
		{"BSIZE 65535, file ends", withBSIZE(65535), ErrTruncated},
		{"BSIZE 65535, garbage after", append(withBSIZE(65535), pad...), ErrHeader},
		{"XLEN 65535", withExtra(4, append([]byte("BC\x02\x00\x00\x00"), make([]byte, 65529)...)), ErrHeader},
		{"XLEN 5", withExtra(4, []byte("BC\x02\x00\x00")), ErrHeader},
		{"no BC", withExtra(4, []byte("BX\x02\x00\x00\x00")), ErrHeader},
		{"BC SLEN 4", withExtra(4, []byte("BC\x04\x00\x00\x00\x00\x00")), ErrHeader},
		{"two BC", withExtra(4, []byte("BC\x02\x00\x00\x00BC\x02\x00\x00\x00")), ErrHeader},
		{"subfield overruns", withExtra(4, []byte("BC\x02\x00\x00\x00XY\x09\x00\x00")), ErrHeader},
		{"other subfields", withExtra(4, []byte("XY\x03\x00abcBC\x02\x00\x00\x00Z\x00\x00\x00")), nil},
		{"FTEXT", withExtra(5, []byte("BC\x02\x00\x00\x00")), nil},
		{"FNAME", withExtra(4|8, []byte("BC\x02\x00\x00\x00")), ErrHeader},
		{"FHCRC", withExtra(4|2, []byte("BC\x02\x00\x00\x00")), ErrHeader},
		{"reserved FLG bit", withExtra(4|0x80, []byte("BC\x02\x00\x00\x00")), ErrHeader},
		{"no FEXTRA", withExtra(0, []byte("BC\x02\x00\x00\x00")), ErrHeader},
		{"CM 7", func() []byte { b := rawBlock(payload, text); b[2] = 7; return b }(), ErrHeader},
		{"ISIZE 65536", rawBlock(fz.Bytes(), zeros), nil},
		{"ISIZE 65537", func() []byte {
			b := rawBlock(fz.Bytes(), zeros)
			binary.LittleEndian.PutUint32(b[len(b)-4:], maxISize+1)
			return b
		}(), ErrHeader},
		{"ISIZE 2^32-1", func() []byte {
			b := rawBlock(payload, text)
			binary.LittleEndian.PutUint32(b[len(b)-4:], 1<<32-1)
			return b
		}(), ErrHeader},
		{"trailing bytes in payload", rawBlock(append(bytes.Clone(payload), 0), text), ErrDeflate},
		{"two deflate streams", rawBlock(append(bytes.Clone(payload), payload...), text), ErrDeflate},
		{"not final deflate block", rawBlock(append([]byte{0}, payload[1:]...), text), ErrDeflate},
		{"empty payload ISIZE 0", rawBlock(nil, nil), ErrDeflate},
	}
	for _, c := range cases {
		for _, first := range []bool{false, true} {
			var z []byte
			want := text
			if !first {
				z = append(z, goodBlock...)
				want = append(bytes.Clone(good), text...)
			}
			z = append(z, c.block...)
			if bytes.Equal(c.block, rawBlock(fz.Bytes(), zeros)) {
				want = append(want[:len(want)-len(text)], zeros...)
			}
			z = append(z, eofBlock...)
			for _, inf := range testInflaters {
				name := fmt.Sprintf("%s (first %v, %s)", c.name, first, inf.name)
				got, err := readAll(t, z, 2, 1<<16, inf.new)
				if c.kind == nil {
					if err != nil || !bytes.Equal(got, want) {
						t.Errorf("%s: err %v, got %q", name, err, got)
					}
					continue
				}
				kind := c.kind
				if first && kind == ErrHeader && errors.Is(err, ErrNotBGZF) {
					kind = ErrNotBGZF // a bad first header says "not BGZF"
				}
				var e *Error
				if !errors.Is(err, kind) || !errors.As(err, &e) || e.Offset != int64(len(z)-len(c.block)-len(eofBlock)) {
					t.Errorf("%s: err = %v, want %v at byte %d", name, err, kind, len(z)-len(c.block)-len(eofBlock))
					continue
				}
				wantKind(t, err, kind)
				if !first && !bytes.Equal(got, good) {
					t.Errorf("%s: read %q before the error", name, got)
				}
			}
		}
	}
}

// TestNotBGZF: plain gzip, text and nothing at all.
func TestNotBGZF(t *testing.T) {
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte("plain gzip\n"))
	w.Close()
	var gzx bytes.Buffer
	w = gzip.NewWriter(&gzx)
	w.Extra = []byte("BX\x02\x00\x10\x00")
	w.Write([]byte("plain gzip\n"))
	w.Close()
	cases := []struct {
		name string
		in   []byte
		kind error
	}{
		{"gzip", gz.Bytes(), ErrNotBGZF},
		{"gzip with another extra field", gzx.Bytes(), ErrNotBGZF},
		{"text", []byte("##fileformat=VCFv4.2\n"), ErrNotBGZF},
		{"empty", nil, ErrNoEOF},
		{"5 bytes", []byte("\x1f\x8b\x08\x04\x00"), ErrTruncated},
		{"EOF block then a gzip member", append([]byte(eofBlock), gz.Bytes()...), ErrHeader},
		{"EOF block then a zero", append([]byte(eofBlock), 0), ErrTruncated},
		{"EOF block then zeros", append([]byte(eofBlock), make([]byte, 100)...), ErrHeader},
	}
	for _, c := range cases {
		for _, inf := range testInflaters {
			_, err := readAll(t, c.in, 1, 1<<16, inf.new)
			if !errors.Is(err, c.kind) {
				t.Errorf("%s %s: err = %v, want %v", c.name, inf.name, err, c.kind)
				continue
			}
			wantKind(t, err, c.kind)
		}
	}
	if _, err := readAll(t, []byte(eofBlock), 2, 10, newInflater); err != nil {
		t.Errorf("the EOF block alone: %v", err)
	}
}
