package audit

import (
	"bufio"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
)

// File names inside the audit folder.
const (
	EntriesFile     = "entries"
	CheckpointsFile = "checkpoints"
	PublicKeyFile   = "audit.pub"
	// PrivateKeyFile is the signing key's name inside the secrets folder.
	PrivateKeyFile = "audit.key"
)

// Each file starts with an 8-byte magic and a big-endian uint32 version.
const (
	headerSize    = 12
	formatVersion = 1
)

var (
	entriesMagic     = [8]byte{'G', 'T', 'A', 'U', 'D', 'E', 'N', 'T'}
	checkpointsMagic = [8]byte{'G', 'T', 'A', 'U', 'D', 'C', 'K', 'P'}
)

func fileHeader(magic [8]byte) []byte {
	h := make([]byte, headerSize)
	copy(h, magic[:])
	binary.BigEndian.PutUint32(h[8:], formatVersion)
	return h
}

// A frame is: uint32 payload length (big-endian), uint32 CRC-32C of the
// payload (big-endian), payload.
const frameOverhead = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendFrame appends payload, framed, to dst.
func appendFrame(dst, payload []byte) []byte {
	var h [frameOverhead]byte
	binary.BigEndian.PutUint32(h[0:], uint32(len(payload)))
	binary.BigEndian.PutUint32(h[4:], crc32.Checksum(payload, castagnoli))
	dst = append(dst, h[:]...)
	return append(dst, payload...)
}

// Frame reading outcomes other than a payload.
var (
	// errTorn: the file ends inside a frame (a partial header or payload).
	errTorn = errors.New("file ends inside a record")
	// errLength: the length field is 0 or above the file's maximum.
	errLength = errors.New("record length out of range")
	// errCRC: the payload does not match its CRC-32C.
	errCRC = errors.New("record checksum mismatch")
)

// frameReader reads frames sequentially, tracking byte offsets. The
// payload returned by next is valid until the following call.
type frameReader struct {
	r   *bufio.Reader
	off int64 // offset of the next unread byte
	max int   // largest payload accepted
	buf []byte
}

// newFrameReader reads frames from r, whose first byte is at offset off;
// sizeHint (the file's size) bounds the read buffer, to between 64 KiB
// and 1 MiB.
func newFrameReader(r io.Reader, off int64, maxPayload int, sizeHint int64) *frameReader {
	n := 1 << 20
	if sizeHint < int64(n) {
		n = max(int(sizeHint), 64<<10)
	}
	return &frameReader{r: bufio.NewReaderSize(r, n), off: off, max: maxPayload}
}

// readHeader reads and checks a file header; it returns errTorn or
// ErrCorrupt-wrapped errors with no offset (the header is at 0).
func (f *frameReader) readHeader(magic [8]byte) error {
	var h [headerSize]byte
	n, err := io.ReadFull(f.r, h[:])
	f.off += int64(n)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return errTorn
		}
		return err
	}
	want := fileHeader(magic)
	for i := range h {
		if h[i] != want[i] {
			return errBadHeader
		}
	}
	return nil
}

var errBadHeader = errors.New("bad file header (magic or version)")

// next returns the next frame's payload and its start offset. At a clean
// end of file it returns io.EOF; errTorn, errLength and errCRC describe a
// bad frame starting at start. After an error the reader's position is
// unspecified.
func (f *frameReader) next() (payload []byte, start int64, err error) {
	start = f.off
	var h [frameOverhead]byte
	n, err := io.ReadFull(f.r, h[:])
	f.off += int64(n)
	if err != nil {
		if err == io.EOF {
			return nil, start, io.EOF
		}
		if err == io.ErrUnexpectedEOF {
			return nil, start, errTorn
		}
		return nil, start, err
	}
	size := binary.BigEndian.Uint32(h[0:])
	if size == 0 || uint64(size) > uint64(f.max) {
		return nil, start, errLength
	}
	if cap(f.buf) < int(size) {
		f.buf = make([]byte, size)
	}
	p := f.buf[:size]
	n, err = io.ReadFull(f.r, p)
	f.off += int64(n)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, start, errTorn
		}
		return nil, start, err
	}
	if crc32.Checksum(p, castagnoli) != binary.BigEndian.Uint32(h[4:]) {
		return nil, start, errCRC
	}
	return p, start, nil
}

// isFrameErr reports whether err is a framing problem (as opposed to an
// I/O error).
func isFrameErr(err error) bool {
	return err == errTorn || err == errLength || err == errCRC
}
