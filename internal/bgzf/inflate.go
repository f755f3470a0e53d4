package bgzf

import (
	"bytes"
	"errors"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/flate"
)

// An inflater decompresses one block's raw deflate payload. Each worker
// owns one; it is not safe for concurrent use.
type inflater interface {
	// inflate decompresses in into out, which is exactly as long as the
	// block's ISIZE. Its errors, in this order: errDeflate if in does not
	// start with a valid deflate stream; errSize if the stream inflates
	// to more or fewer than len(out) bytes; errTrailing if bytes follow
	// the stream. (All inflaters must agree, so a failure is classified
	// by decoding the whole stream, see goInflater.)
	inflate(out, in []byte) error
	// crc32 is the IEEE CRC-32 of p.
	crc32(p []byte) uint32
	close()
}

var (
	errSize     = errors.New("inflates to a different size")
	errDeflate  = errors.New("invalid deflate stream")
	errTrailing = errors.New("bytes after the end of the deflate stream")
)

// goInflater is the pure-Go inflater, always built. It uses
// klauspost/compress/flate, a drop-in for compress/flate that inflates
// these blocks about a third faster (BenchmarkBGZFRead); the tests also
// run it against compress/flate.
type goInflater struct {
	src   bytes.Reader
	fr    io.ReadCloser // a flate decompressor reading src
	reset func(r io.Reader) error
	spill []byte // what inflates past ISIZE
}

func newGoInflater() (inflater, error) {
	g := &goInflater{spill: make([]byte, 4096)}
	fr := flate.NewReader(&g.src)
	g.fr = fr
	g.reset = func(r io.Reader) error { return fr.(flate.Resetter).Reset(r, nil) }
	return g, nil
}

func (g *goInflater) inflate(out, in []byte) error {
	g.src.Reset(in)
	if err := g.reset(&g.src); err != nil {
		return errDeflate
	}
	n := 0
	for n < len(out) {
		m, err := g.fr.Read(out[n:])
		n += m
		if err == io.EOF {
			break
		}
		if err != nil {
			return errDeflate
		}
	}
	if n == len(out) {
		// Past ISIZE, the stream must end; if it does not, read on to
		// tell a longer stream from a corrupt one (hostile input can make
		// this up to about 1032 × 64 KiB of work, on the error path only).
		for {
			m, err := g.fr.Read(g.spill[:])
			n += m
			if err == io.EOF {
				break
			}
			if err != nil {
				return errDeflate
			}
		}
	}
	if n != len(out) {
		return errSize
	}
	if g.src.Len() != 0 {
		return errTrailing
	}
	return nil
}

func (g *goInflater) crc32(p []byte) uint32 { return crc32.ChecksumIEEE(p) }
func (g *goInflater) close()                {}
