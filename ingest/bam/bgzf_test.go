package bam

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/biogo/hts/bgzf"
)

// inflateAll decompresses a whole BGZF stream with our reader.
func inflateAll(data []byte, threads int) ([]byte, error) {
	z := newBGZFReader(bytes.NewReader(data), threads)
	defer z.close()
	var out bytes.Buffer
	buf := make([]byte, 10007) // not a multiple of the block size
	for {
		n, err := z.Read(buf)
		out.Write(buf[:n])
		if err == io.EOF {
			return out.Bytes(), nil
		}
		if err != nil {
			return out.Bytes(), err
		}
	}
}

// TestBGZFMatchesBiogo checks our BGZF reader against biogo/hts's on every
// BAM at hand and on simulated ones.
func TestBGZFMatchesBiogo(t *testing.T) {
	inputs := map[string][]byte{}
	for i, o := range simCases {
		data, _, _ := simBAM(t, o)
		inputs[fmt.Sprintf("sim%d", i)] = data
	}
	for _, root := range []string{htslibTests, rsamtools} {
		if _, err := os.Stat(root); err != nil {
			continue
		}
		for _, p := range findFiles(t, root, ".bam") {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			inputs[p] = b
		}
	}
	for name, data := range inputs {
		r, err := bgzf.NewReader(bytes.NewReader(data), 1)
		if err != nil {
			t.Fatalf("%s: biogo: %v", name, err)
		}
		want, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: biogo: %v", name, err)
		}
		for _, threads := range []int{1, 2, 5} {
			got, err := inflateAll(data, threads)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s, %d threads: %d bytes (%v), biogo %d", name, threads, len(got), err, len(want))
			}
		}
	}
}

// member builds one BGZF member of data with the given extra subfields
// before BC.
func member(t *testing.T, data []byte, extraBefore []byte) []byte {
	t.Helper()
	var c bytes.Buffer
	fw, _ := flate.NewWriter(&c, flate.DefaultCompression)
	fw.Write(data)
	fw.Close()
	xlen := len(extraBefore) + 6
	total := 12 + xlen + c.Len() + 8
	b := []byte{0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff}
	b = binary.LittleEndian.AppendUint16(b, uint16(xlen))
	b = append(b, extraBefore...)
	b = append(b, 'B', 'C', 2, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(total-1))
	b = append(b, c.Bytes()...)
	b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(data))
	return binary.LittleEndian.AppendUint32(b, uint32(len(data)))
}

func TestBGZFBlocks(t *testing.T) {
	eof := []byte(bgzfEOF)
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	hello, world := []byte("hello, "), []byte("world")
	tests := []struct {
		name string
		in   []byte
		want string // output, or the error's text
		err  bool
	}{
		{"plain", join(member(t, hello, nil), member(t, world, nil), eof), "hello, world", false},
		{"subfield before BC", join(member(t, hello, []byte("XY\x02\x00ab")), eof), "hello, ", false},
		{"empty block mid-stream", join(member(t, hello, nil), eof, member(t, world, nil), eof), "hello, world", false},
		{"empty but not the marker", join(member(t, hello, nil), member(t, nil, nil)), errNoEOFBlock.Error(), true},
		{"no BC", join([]byte{0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 'X', 'Y', 2, 0, 0, 0}, eof), errNotBGZF.Error(), true},
		{"no FEXTRA", join([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 6, 0, 'B', 'C', 2, 0, 0, 0}, eof), errNotBGZF.Error(), true},
		{"crc", func() []byte {
			m := member(t, hello, nil)
			m[len(m)-8] ^= 1
			return join(m, eof)
		}(), errBlockCRC.Error(), true},
		{"isize too small", func() []byte {
			m := member(t, hello, nil)
			m[len(m)-4]--
			return join(m, eof)
		}(), errBlockLen.Error(), true},
		{"isize too big", func() []byte {
			m := member(t, hello, nil)
			m[len(m)-4]++
			return join(m, eof)
		}(), errBlockLen.Error(), true},
		{"isize over 64k", func() []byte {
			m := member(t, hello, nil)
			binary.LittleEndian.PutUint32(m[len(m)-4:], 1<<20)
			return join(m, eof)
		}(), errBlockSize.Error(), true},
		{"bsize too small", func() []byte {
			m := member(t, hello, nil)
			binary.LittleEndian.PutUint16(m[16:], 10)
			return join(m, eof)
		}(), errBlockSize.Error(), true},
		{"xlen too big", join([]byte("\x1f\x8b\b7000000\xff\xff000000"), eof), errBlockSize.Error(), true}, // a fuzz crasher
		{"cut", member(t, hello, nil)[:20], errTruncated.Error(), true},
		{"empty", nil, errEmptyInput.Error(), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, threads := range []int{1, 3} {
				got, err := inflateAll(tc.in, threads)
				if tc.err {
					if err == nil || !strings.Contains(err.Error(), tc.want) {
						t.Fatalf("threads %d: got %q, %v; want error %q", threads, got, err, tc.want)
					}
					if !errors.Is(bgzfError("x", err), ErrFormat) {
						t.Fatalf("%v is not a format error", err)
					}
					continue
				}
				if err != nil || string(got) != tc.want {
					t.Fatalf("threads %d: got %q, %v; want %q", threads, got, err, tc.want)
				}
			}
		})
	}
}

// TestBGZFStopsEarly: closing before the end stops the goroutines without
// reading the rest.
func TestBGZFStopsEarly(t *testing.T) {
	data, _, _ := simBAM(t, simOptions{Seed: 1, Lengths: []int{100000}, Reads: 20000, ReadLen: 100})
	for range 20 {
		z := newBGZFReader(bytes.NewReader(data), 3)
		buf := make([]byte, 1000)
		if _, err := z.Read(buf); err != nil {
			t.Fatal(err)
		}
		z.close()
	}
}

// errReader fails after some bytes: an I/O error is passed on, not
// reported as a format error.
type errReader struct {
	r io.Reader
	n int
}

var errDisk = errors.New("disk on fire")

func (e *errReader) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, errDisk
	}
	p = p[:min(len(p), e.n)]
	n, err := e.r.Read(p)
	e.n -= n
	return n, err
}

func TestReadIOError(t *testing.T) {
	data, _, _ := simBAM(t, simOptions{Seed: 1, Lengths: []int{100000}, Reads: 2000, ReadLen: 100})
	for _, threads := range []int{1, 2} {
		_, err := Read(&errReader{r: bytes.NewReader(data), n: len(data) / 2}, Options{Threads: threads})
		if !errors.Is(err, errDisk) || errors.Is(err, ErrFormat) {
			t.Fatalf("threads %d: got %v, want the I/O error, not ErrFormat", threads, err)
		}
	}
}
