package bgzf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrCorrupt is wrapped by every error about the stream's content: a
// truncated block, a bad header, a checksum or size mismatch, bad deflate
// data, a missing end-of-file block, or input that is not BGZF at all. The
// kind of error is one of the sentinels below, each of which wraps
// ErrCorrupt; a truncation also matches io.ErrUnexpectedEOF.
var ErrCorrupt = errors.New("bgzf: corrupt stream")

// The kinds of corruption (each wraps ErrCorrupt).
var (
	ErrTruncated = &kindError{"truncated block"}
	ErrHeader    = &kindError{"bad block header"}
	ErrChecksum  = &kindError{"CRC32 mismatch"}
	ErrSize      = &kindError{"ISIZE mismatch"}
	ErrDeflate   = &kindError{"bad deflate data"}
	ErrNoEOF     = &kindError{"no end-of-file block (truncated file)"}
	// ErrNotBGZF: the first block is not a BGZF block (it may still be
	// plain gzip; the caller decides).
	ErrNotBGZF = &kindError{"not BGZF"}
)

type kindError struct{ msg string }

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return ErrCorrupt }

// Error is a corruption found in the block starting at compressed byte
// Offset.
type Error struct {
	Offset int64
	Kind   error  // one of the sentinels above
	Detail string // what exactly, or ""
}

func (e *Error) Error() string {
	s := fmt.Sprintf("bgzf: block at byte %d: %s", e.Offset, e.Kind)
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Unwrap returns the kind and, for a truncation, io.ErrUnexpectedEOF.
func (e *Error) Unwrap() []error {
	if e.Kind == ErrTruncated {
		return []error{e.Kind, io.ErrUnexpectedEOF}
	}
	return []error{e.Kind}
}

func corrupt(off int64, kind error, format string, args ...any) error {
	return &Error{Offset: off, Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// Block layout (SAM spec §4.1): a gzip member with FEXTRA and a "BC"
// subfield holding BSIZE, the total block size minus 1.
const (
	fixedHeader = 12      // ID1 ID2 CM FLG MTIME(4) XFL OS XLEN(2)
	trailerSize = 8       // CRC32 ISIZE
	maxBlock    = 1 << 16 // BSIZE+1 ≤ 65536
	maxISize    = 1 << 16 // a block inflates to at most 64 KiB
	flagExtra   = 1 << 2
	flagText    = 1 << 0
)

// eofBlock is the BGZF end-of-file marker, an empty block (SAM spec
// §4.1.2).
const eofBlock = "\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00\x42\x43\x02\x00\x1b\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00"

// block locates one BGZF block inside a batch's compressed buffer.
type block struct {
	start   int   // first byte in batch.comp
	payload int   // first deflate byte in batch.comp
	end     int   // one past the trailer in batch.comp
	offset  int64 // compressed offset of the block in the stream
	crc     uint32
	isize   int
	outOff  int // first byte in batch.out
}

// readBlock appends the next whole block from in to *buf and describes it.
// At a clean end of input (no byte of a new block) it returns io.EOF.
func readBlock(in *bufio.Reader, buf *[]byte, off int64) (block, error) {
	b := *buf
	start := len(b)
	if cap(b)-start < maxBlock {
		nb := make([]byte, start, max(2*cap(b), start+maxBlock))
		copy(nb, b)
		b = nb
	}
	*buf = b
	hdr := b[start : start+fixedHeader]
	if n, err := io.ReadFull(in, hdr); err != nil {
		if err == io.EOF {
			return block{}, io.EOF
		}
		return block{}, readError(off, err, "in the header, %d of %d bytes", n, fixedHeader)
	}
	if hdr[0] != 31 || hdr[1] != 139 || hdr[2] != 8 || hdr[3]&flagExtra == 0 {
		kind := ErrHeader
		if off == 0 {
			kind = ErrNotBGZF
		}
		return block{}, corrupt(off, kind, "not a gzip member with an extra field")
	}
	if hdr[3]&^(flagExtra|flagText) != 0 {
		return block{}, corrupt(off, ErrHeader, "FLG %#x: BGZF allows only FEXTRA", hdr[3])
	}
	xlen := int(binary.LittleEndian.Uint16(hdr[10:]))
	if fixedHeader+xlen+trailerSize > maxBlock {
		return block{}, corrupt(off, ErrHeader, "XLEN %d too large", xlen)
	}
	extra := b[start+fixedHeader : start+fixedHeader+xlen]
	if n, err := io.ReadFull(in, extra); err != nil {
		return block{}, readError(off, err, "in the extra field, %d of %d bytes", n, xlen)
	}
	bsize, err := findBSIZE(extra)
	if err != nil {
		kind := ErrHeader
		if off == 0 {
			kind = ErrNotBGZF
		}
		return block{}, corrupt(off, kind, "%v", err)
	}
	size := bsize + 1
	if size < fixedHeader+xlen+trailerSize {
		return block{}, corrupt(off, ErrHeader, "BSIZE %d is smaller than the header and trailer", bsize)
	}
	rest := b[start+fixedHeader+xlen : start+size]
	if n, err := io.ReadFull(in, rest); err != nil {
		return block{}, readError(off, err, "%d of %d bytes", fixedHeader+xlen+n, size)
	}
	*buf = b[:start+size]
	tr := b[start+size-trailerSize : start+size]
	blk := block{
		start:   start,
		payload: start + fixedHeader + xlen,
		end:     start + size,
		offset:  off,
		crc:     binary.LittleEndian.Uint32(tr),
		isize:   int(binary.LittleEndian.Uint32(tr[4:])),
	}
	if isize := binary.LittleEndian.Uint32(tr[4:]); isize > maxISize {
		return block{}, corrupt(off, ErrHeader, "ISIZE %d is over 64 KiB", isize)
	}
	return blk, nil
}

// findBSIZE finds the one BC subfield in a gzip extra field.
func findBSIZE(extra []byte) (int, error) {
	bsize := -1
	for len(extra) > 0 {
		if len(extra) < 4 {
			return 0, errors.New("extra subfield header cut short")
		}
		slen := int(binary.LittleEndian.Uint16(extra[2:]))
		if 4+slen > len(extra) {
			return 0, errors.New("extra subfield overruns XLEN")
		}
		if extra[0] == 'B' && extra[1] == 'C' {
			if slen != 2 || bsize >= 0 {
				return 0, errors.New("malformed or repeated BC subfield")
			}
			bsize = int(binary.LittleEndian.Uint16(extra[4:]))
		}
		extra = extra[4+slen:]
	}
	if bsize < 0 {
		return 0, errors.New("no BC subfield")
	}
	return bsize, nil
}

// readError reports a failed read inside a block: a truncation if the
// input ended, else the input's own error.
func readError(off int64, err error, format string, args ...any) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return corrupt(off, ErrTruncated, format, args...)
	}
	return fmt.Errorf("bgzf: reading the block at byte %d: %w", off, err)
}
