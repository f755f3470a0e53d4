package bgzf

import (
	"bytes"
	stdflate "compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"

	biogo "github.com/biogo/hts/bgzf"
	"github.com/gentre/gentre/internal/testpeer"
)

// vcfLike makes about n bytes of VCF-shaped text (mostly 0/0 genotypes,
// which compress about as well as a real cohort's).
func vcfLike(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	calls := []string{"0/0", "0/0", "0/0", "0/0", "0/0", "0/0", "0/0", "0/1", "0/1", "1/1", "./."}
	var b bytes.Buffer
	b.Grow(n + 4096)
	b.WriteString("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS0\n")
	pos := 10000
	for b.Len() < n {
		pos += 1 + rng.IntN(300)
		fmt.Fprintf(&b, "chr1\t%d\trs%d\t%c\t%c\t%d\tPASS\tAF=0.%03d\tGT:DP", pos, rng.IntN(1e8), "ACGT"[rng.IntN(4)], "ACGT"[rng.IntN(4)], rng.IntN(100), rng.IntN(1000))
		for range 200 {
			fmt.Fprintf(&b, "\t%s:%d", calls[rng.IntN(len(calls))], rng.IntN(40))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// biogoBytes compresses data with biogo/hts's BGZF writer, ending a block
// (Flush) before each offset in cuts as well as whenever a block fills.
func biogoBytes(t testing.TB, data []byte, level int, cuts ...int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := biogo.NewWriterLevel(&buf, level, 2)
	if err != nil {
		t.Fatal(err)
	}
	last := 0
	for _, c := range append(cuts, len(data)) {
		if _, err := w.Write(data[last:c]); err != nil {
			t.Fatal(err)
		}
		if c < len(data) {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		last = c
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bgzipBytes compresses data with htslib's bgzip.
func bgzipBytes(t testing.TB, data []byte, args ...string) []byte {
	t.Helper()
	testpeer.Require(t, "bgzip")
	cmd := exec.Command("bgzip", append([]string{"-c"}, args...)...)
	cmd.Stdin = bytes.NewReader(data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bgzip %v: %v: %s", args, err, stderr.String())
	}
	return out
}

// blockEnds returns the offsets at which the blocks of a valid BGZF
// stream end.
func blockEnds(t testing.TB, z []byte) []int {
	t.Helper()
	var ends []int
	for off := 0; off < len(z); {
		if off+18 > len(z) {
			t.Fatalf("blockEnds: %d bytes left at %d", len(z)-off, off)
		}
		off += int(binary.LittleEndian.Uint16(z[off+16:])) + 1
		ends = append(ends, off)
	}
	return ends
}

// readAll reads the whole stream with threads workers in reads of at most
// chunk bytes, checking that Offset never goes back; it closes the reader.
func readAll(t testing.TB, z []byte, threads, chunk int, newInf func() (inflater, error)) ([]byte, error) {
	t.Helper()
	r := newReader(bytes.NewReader(z), threads, newInf)
	defer r.Close()
	var out bytes.Buffer
	buf := make([]byte, chunk)
	last := int64(0)
	for {
		n, err := r.Read(buf)
		out.Write(buf[:n])
		if off := r.Offset(); off < last || off > int64(len(z)) {
			t.Fatalf("Offset %d after %d (input %d bytes)", off, last, len(z))
		} else {
			last = off
		}
		if err == io.EOF {
			if last != int64(len(z)) {
				t.Fatalf("Offset %d at the end of %d bytes", last, len(z))
			}
			return out.Bytes(), nil
		}
		if err != nil {
			if r2, err2 := r.Read(buf); r2 != 0 || err2 != err {
				t.Fatalf("Read after error %v: %d, %v", err, r2, err2)
			}
			return out.Bytes(), err
		}
	}
}

// block builds one BGZF block around a raw deflate payload, with a
// correct BSIZE, CRC32 and ISIZE for data unless the caller patches them.
func rawBlock(payload, data []byte) []byte {
	b := []byte{31, 139, 8, 4, 0, 0, 0, 0, 0, 255, 6, 0, 'B', 'C', 2, 0, 0, 0}
	b = append(b, payload...)
	b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(data))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	binary.LittleEndian.PutUint16(b[16:], uint16(len(b)-1))
	return b
}

// storedDeflate is data as one stored (uncompressed) final deflate block.
func storedDeflate(data []byte) []byte {
	n := len(data)
	return append([]byte{1, byte(n), byte(n >> 8), ^byte(n), ^byte(n >> 8)}, data...)
}

// wantKind checks that err is an *Error of the given kind wrapping
// ErrCorrupt.
func wantKind(t testing.TB, err error, kind error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, kind) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v, want an *Error of kind %q", err, kind)
	}
	if (kind == ErrTruncated) != errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v: io.ErrUnexpectedEOF is %v", err, errors.Is(err, io.ErrUnexpectedEOF))
	}
	if !strings.HasPrefix(err.Error(), "bgzf: block at byte ") {
		t.Fatalf("err = %q", err)
	}
}

// testInflaters are the inflaters this build has (libdeflate's is added
// by inflate_libdeflate_test.go), and compress/flate's as a reference.
var testInflaters = []namedInflater{{"go", newGoInflater}, {"stdlib", newStdlibInflater}}

// newStdlibInflater is the pure-Go inflater over the standard library's
// compress/flate instead of klauspost/compress/flate.
func newStdlibInflater() (inflater, error) {
	g := &goInflater{spill: make([]byte, 4096)}
	fr := stdflate.NewReader(&g.src)
	g.fr = fr
	g.reset = func(r io.Reader) error { return fr.(stdflate.Resetter).Reset(r, nil) }
	return g, nil
}

type namedInflater struct {
	name string
	new  func() (inflater, error)
}
