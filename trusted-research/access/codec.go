package access

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Records are stored as
//
//	kind (1 byte) | version (1 byte) | fields ... | CRC-32C of all before (4 bytes, little-endian)
//
// where a string or byte field is a uvarint length and the bytes, an
// integer a varint, and a time a varint of Unix nanoseconds (0 for none).
// docs/access.md lists the fields of each kind.
const (
	kindUser    byte = 'U'
	kindProject byte = 'P'
	kindToken   byte = 'T'

	recordVersion byte = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type encoder struct{ b []byte }

func newEncoder(kind byte) *encoder {
	return &encoder{b: append(make([]byte, 0, 128), kind, recordVersion)}
}

func (e *encoder) bytes(p []byte) {
	e.b = binary.AppendUvarint(e.b, uint64(len(p)))
	e.b = append(e.b, p...)
}

func (e *encoder) str(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) int(v int64) { e.b = binary.AppendVarint(e.b, v) }

func (e *encoder) finish() []byte {
	return binary.LittleEndian.AppendUint32(e.b, crc32.Checksum(e.b, castagnoli))
}

// decoder reads fields in order; the first failure sticks and is reported
// by err.
type decoder struct {
	b   []byte
	bad bool
}

// newDecoder checks the kind, version and checksum of rec. The decoder's
// slices alias rec, which bbolt owns only for the transaction.
func newDecoder(kind byte, rec []byte) (decoder, error) {
	if len(rec) < 6 || rec[0] != kind {
		return decoder{}, fmt.Errorf("%w: wrong kind or too short", ErrCorrupt)
	}
	if rec[1] != recordVersion {
		return decoder{}, fmt.Errorf("%w: record version %d, want %d", ErrCorrupt, rec[1], recordVersion)
	}
	body := rec[:len(rec)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(rec[len(rec)-4:]) {
		return decoder{}, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	return decoder{b: body[2:]}, nil
}

func (d *decoder) bytes() []byte {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > uint64(len(d.b)-k) {
		d.bad = true
		d.b = nil
		return nil
	}
	p := d.b[k : k+int(n)]
	d.b = d.b[k+int(n):]
	return p
}

func (d *decoder) str() string { return string(d.bytes()) }

func (d *decoder) int() int64 {
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.bad = true
		d.b = nil
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) err() error {
	if d.bad || len(d.b) != 0 {
		return fmt.Errorf("%w: malformed fields", ErrCorrupt)
	}
	return nil
}
