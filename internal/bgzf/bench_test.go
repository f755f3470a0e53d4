package bgzf

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"hash/crc32"
	"io"
	"sync"
	"testing"

	biogo "github.com/biogo/hts/bgzf"
)

var benchFile struct {
	once sync.Once
	data []byte // ~50 MB of VCF-like text
	z    []byte // it, BGZF-compressed by biogo/hts at the default level
	crc  uint32
}

func benchInput(b *testing.B) ([]byte, []byte, uint32) {
	benchFile.once.Do(func() {
		benchFile.data = vcfLike(50<<20, 42)
		benchFile.z = biogoBytes(b, benchFile.data, gzip.DefaultCompression)
		benchFile.crc = crc32.ChecksumIEEE(benchFile.data)
	})
	return benchFile.data, benchFile.z, benchFile.crc
}

// BenchmarkBGZFRead decompresses a ~50 MB VCF-like BGZF file with
// biogo/hts/bgzf and with this package (each inflater of the build), with
// 1 and 2 workers; MB/s is of decompressed output. Each run first checks
// its output.
func BenchmarkBGZFRead(b *testing.B) {
	data, z, want := benchInput(b)
	type impl struct {
		name string
		open func(r io.Reader, threads int) (io.ReadCloser, error)
	}
	impls := []impl{{"biogo", func(r io.Reader, threads int) (io.ReadCloser, error) {
		return biogo.NewReader(r, threads)
	}}}
	for _, inf := range testInflaters {
		impls = append(impls, impl{inf.name, func(r io.Reader, threads int) (io.ReadCloser, error) {
			return newReader(r, threads, inf.new), nil
		}})
	}
	b.Logf("%d MB in %d MB of BGZF", len(data)>>20, len(z)>>20)
	for _, im := range impls {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", im.name, threads), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				buf := make([]byte, 64<<10)
				for i := 0; b.Loop(); i++ {
					r, err := im.open(bytes.NewReader(z), threads)
					if err != nil {
						b.Fatal(err)
					}
					h := crc32.NewIEEE()
					n, err := io.CopyBuffer(h, r, buf)
					r.Close()
					if err != nil || n != int64(len(data)) || h.Sum32() != want {
						b.Fatalf("read %d of %d bytes, err %v", n, len(data), err)
					}
				}
			})
		}
	}
}
