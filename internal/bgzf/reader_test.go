package bgzf

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"testing"
)

// TestRoundTrip reads files written by biogo/hts and by htslib's bgzip,
// single- and multi-block, with every inflater and 1 to 4 workers, in
// large and odd-sized reads.
func TestRoundTrip(t *testing.T) {
	big := vcfLike(1<<20, 1)
	sizes := []int{0, 1, 100, 65279, 65280, 65536, 65537, 200_000, len(big)}
	type file struct {
		name string
		data []byte
		z    func(t *testing.T) []byte
	}
	var files []file
	for _, n := range sizes {
		data := big[:n]
		files = append(files,
			file{fmt.Sprintf("biogo/%d", n), data, func(t *testing.T) []byte { return biogoBytes(t, data, gzip.DefaultCompression) }},
			file{fmt.Sprintf("biogo-level1/%d", n), data, func(t *testing.T) []byte { return biogoBytes(t, data, gzip.BestSpeed) }},
			file{fmt.Sprintf("biogo-stored/%d", n), data, func(t *testing.T) []byte { return biogoBytes(t, data, gzip.NoCompression) }},
			file{fmt.Sprintf("bgzip/%d", n), data, func(t *testing.T) []byte { return bgzipBytes(t, data) }},
			file{fmt.Sprintf("bgzip-l9-threads/%d", n), data, func(t *testing.T) []byte { return bgzipBytes(t, data, "-l", "9", "-@", "2") }},
			file{fmt.Sprintf("bgzip-l0/%d", n), data, func(t *testing.T) []byte { return bgzipBytes(t, data, "-l", "0") }},
		)
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			z := f.z(t)
			if n := len(blockEnds(t, z)); len(f.data) > 2*maxISize && n < 4 {
				t.Fatalf("only %d blocks", n)
			}
			for _, inf := range testInflaters {
				for _, threads := range []int{1, 2, 4} {
					for _, chunk := range []int{1 << 20, 4093} {
						got, err := readAll(t, z, threads, chunk, inf.new)
						if err != nil || !bytes.Equal(got, f.data) {
							t.Fatalf("%s threads=%d chunk=%d: %d bytes, err %v; want %d bytes", inf.name, threads, chunk, len(got), err, len(f.data))
						}
					}
				}
			}
		})
	}
}

// TestBlockBoundaries puts a block boundary at every position of a small
// text, one at a time and all at once (a block per byte).
func TestBlockBoundaries(t *testing.T) {
	data := vcfLike(700, 2)[:700]
	all := make([]int, 0, len(data))
	for i := 0; i <= len(data); i++ {
		z := biogoBytes(t, data, gzip.DefaultCompression, i)
		for _, inf := range testInflaters {
			got, err := readAll(t, z, 2, 1<<16, inf.new)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s, boundary at %d: err %v, got %q", inf.name, i, err, got)
			}
		}
		if i > 0 && i < len(data) {
			all = append(all, i)
		}
	}
	z := biogoBytes(t, data, gzip.DefaultCompression, all...)
	if n := len(blockEnds(t, z)); n != len(data)+1 {
		t.Fatalf("%d blocks, want %d", n, len(data)+1)
	}
	for _, inf := range testInflaters {
		for _, threads := range []int{1, 4} {
			for _, chunk := range []int{1, 3, 1 << 16} {
				got, err := readAll(t, z, threads, chunk, inf.new)
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("%s threads=%d chunk=%d, a block per byte: err %v, got %q", inf.name, threads, chunk, err, got)
				}
			}
		}
	}
}

// TestThreadsIdentical: the output and the error do not depend on the
// number of workers, for good and corrupt input alike.
func TestThreadsIdentical(t *testing.T) {
	data := vcfLike(3<<20, 3)
	z := biogoBytes(t, data, gzip.DefaultCompression)
	ends := blockEnds(t, z)
	bad := bytes.Clone(z)
	bad[ends[30]+100] ^= 0xff
	inputs := map[string][]byte{"good": z, "corrupt": bad, "cut": z[:ends[40]+7], "no EOF": z[:ends[len(ends)-2]]}
	for name, in := range inputs {
		for _, inf := range testInflaters {
			want, wantErr := readAll(t, in, 1, 1<<16, inf.new)
			for _, threads := range []int{2, 3, 4, 8} {
				got, err := readAll(t, in, threads, 1<<16, inf.new)
				if !bytes.Equal(got, want) || fmt.Sprint(err) != fmt.Sprint(wantErr) {
					t.Errorf("%s %s threads=%d: %d bytes, %v; threads=1: %d bytes, %v", name, inf.name, threads, len(got), err, len(want), wantErr)
				}
			}
		}
	}
}

// TestConcatenated: an end-of-file block in the middle (cat of two BGZF
// files) is an empty block, not the end.
func TestConcatenated(t *testing.T) {
	a, b := vcfLike(100_000, 4), vcfLike(150_000, 5)
	z := append(biogoBytes(t, a, gzip.DefaultCompression), biogoBytes(t, b, gzip.DefaultCompression)...)
	for _, inf := range testInflaters {
		got, err := readAll(t, z, 3, 1<<16, inf.new)
		if err != nil || !bytes.Equal(got, append(bytes.Clone(a), b...)) {
			t.Fatalf("%s: %d bytes, err %v", inf.name, len(got), err)
		}
	}
}

// TestClose closes readers at every stage; Read after Close fails.
func TestClose(t *testing.T) {
	z := biogoBytes(t, vcfLike(2<<20, 6), gzip.DefaultCompression)
	for _, reads := range []int{0, 1, 5, 1000} {
		r := NewReader(bytes.NewReader(z), 4)
		buf := make([]byte, 10_000)
		for range reads {
			if _, err := r.Read(buf); err != nil {
				break
			}
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Read(buf); err == nil {
			t.Fatal("Read after Close: no error")
		}
	}
	r := NewReader(bytes.NewReader(z), 2)
	io.Copy(io.Discard, r)
	r.Close()
	if _, err := r.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("Read after the end and Close: %v", err)
	}
}

// TestOffset: Offset is the end of the block Read last took data from.
func TestOffset(t *testing.T) {
	data := vcfLike(500_000, 8)
	z := biogoBytes(t, data, gzip.DefaultCompression)
	ends := blockEnds(t, z)
	r := NewReader(bytes.NewReader(z), 2)
	defer r.Close()
	if r.Offset() != 0 {
		t.Fatalf("Offset %d before reading", r.Offset())
	}
	buf := make([]byte, 1)
	if _, err := r.Read(buf); err != nil || r.Offset() != int64(ends[0]) {
		t.Fatalf("after one byte: Offset %d, err %v; first block ends at %d", r.Offset(), err, ends[0])
	}
	if _, err := io.ReadFull(r, make([]byte, maxISize)); err != nil || r.Offset() != int64(ends[1]) {
		t.Fatalf("after 64 KiB + 1: Offset %d, err %v; second block ends at %d", r.Offset(), err, ends[1])
	}
}
