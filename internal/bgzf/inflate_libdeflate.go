//go:build cgo && libdeflate

package bgzf

/*
#cgo LDFLAGS: -ldeflate
#include <libdeflate.h>
*/
import "C"

import (
	"errors"
	"unsafe"
)

// Implementation names the inflater this build uses: "libdeflate" here,
// "go" (compress/flate) without cgo or the libdeflate build tag.
const Implementation = "libdeflate"

func newInflater() (inflater, error) { return newLibdeflateInflater() }

// libdeflateInflater inflates whole blocks with libdeflate (one
// decompressor per worker; libdeflate decompressors are not thread-safe).
type libdeflateInflater struct {
	d       *C.struct_libdeflate_decompressor
	scratch *[1]byte // an output address for empty blocks (apart: cgo may not see Go pointers)
	slow    inflater // classifies failures exactly as the Go inflater does
}

func newLibdeflateInflater() (*libdeflateInflater, error) {
	d := C.libdeflate_alloc_decompressor()
	if d == nil {
		return nil, errors.New("bgzf: libdeflate_alloc_decompressor failed")
	}
	return &libdeflateInflater{d: d, scratch: new([1]byte)}, nil
}

func (l *libdeflateInflater) inflate(out, in []byte) error {
	if len(in) == 0 {
		return errDeflate
	}
	outp := unsafe.Pointer(&l.scratch[0])
	if len(out) > 0 {
		outp = unsafe.Pointer(&out[0])
	}
	var inUsed, outUsed C.size_t
	res := C.libdeflate_deflate_decompress_ex(l.d,
		unsafe.Pointer(&in[0]), C.size_t(len(in)),
		outp, C.size_t(len(out)), &inUsed, &outUsed)
	if res != C.LIBDEFLATE_SUCCESS {
		// libdeflate stops at the first overflow or bad code, whichever
		// it meets first; decode the whole stream to say which it is.
		if l.slow == nil {
			l.slow, _ = newGoInflater()
		}
		if err := l.slow.inflate(out, in); err != nil {
			return err
		}
		return errDeflate // Go accepts what libdeflate does not (never seen)
	}
	if int(outUsed) != len(out) {
		return errSize
	}
	if int(inUsed) != len(in) {
		return errTrailing
	}
	return nil
}

func (l *libdeflateInflater) crc32(p []byte) uint32 {
	if len(p) == 0 {
		return 0
	}
	return uint32(C.libdeflate_crc32(0, unsafe.Pointer(&p[0]), C.size_t(len(p))))
}

func (l *libdeflateInflater) close() {
	if l.d != nil {
		C.libdeflate_free_decompressor(l.d)
		l.d = nil
	}
}
