package coverage

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Binary form of a Sample (docs/coverage.md), version 1:
//
//	magic "\x89GCV\r\n\x1a\n" | version u16 | codec u8 | 0 u8 | rawLen u64 | payload | crc32c(all bytes before) u32
//
// codec 0: payload is the raw body (len = rawLen); codec 1: one zstd frame
// that decompresses to exactly rawLen bytes. Integers are little-endian.
// The raw body, with uvarint as in encoding/binary:
//
//	32 × uvarint               the Flagstat counts, field order, [0] then [1]
//	uvarint nContigs
//	per contig:
//	  uvarint len · name bytes
//	  uvarint length · uvarint reads · uvarint nRuns
//	  nRuns × (uvarint run length − 1 · uvarint zigzag(depth − previous depth))
const (
	magic        = "\x89GCV\r\n\x1a\n"
	version      = 1
	headerLen    = 8 + 2 + 1 + 1 + 8
	codecStored  = 0
	codecZstd    = 1
	maxRaw       = 1 << 40 // bytes of raw body a reader accepts
	maxRatio     = 4096    // raw/compressed bound a reader accepts (the writer stores raw beyond it)
	ratioSlack   = 1 << 20
	maxNameBytes = 1 << 16
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

var (
	encOnce sync.Once
	encoder *zstd.Encoder
)

func zstdEncoder() *zstd.Encoder {
	encOnce.Do(func() {
		var err error
		encoder, err = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
		if err != nil {
			panic(err) // only for invalid options
		}
	})
	return encoder
}

// Encode returns the binary form of s (zstd-compressed inside: the store
// keeps the bytes as they are).
func Encode(s *Sample) []byte {
	raw := encodeBody(s)
	codec := byte(codecZstd)
	payload := zstdEncoder().EncodeAll(raw, nil)
	if len(payload) >= len(raw) || !ratioOK(uint64(len(raw)), len(payload)) {
		codec, payload = codecStored, raw
	}
	out := make([]byte, 0, headerLen+len(payload)+4)
	out = append(out, magic...)
	out = binary.LittleEndian.AppendUint16(out, version)
	out = append(out, codec, 0)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(raw)))
	out = append(out, payload...)
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, crcTable))
}

func ratioOK(raw uint64, compressed int) bool {
	return raw <= uint64(compressed)*maxRatio+ratioSlack
}

func encodeBody(s *Sample) []byte {
	n := 64
	for _, c := range s.contigs {
		n += len(c.name) + 16 + 4*len(c.ends)
	}
	b := make([]byte, 0, n)
	for _, v := range s.Flagstat.fields() {
		b = binary.AppendUvarint(b, uint64(v[0]))
		b = binary.AppendUvarint(b, uint64(v[1]))
	}
	b = binary.AppendUvarint(b, uint64(len(s.contigs)))
	for _, c := range s.contigs {
		b = binary.AppendUvarint(b, uint64(len(c.name)))
		b = append(b, c.name...)
		b = binary.AppendUvarint(b, uint64(c.length))
		b = binary.AppendUvarint(b, uint64(c.reads))
		b = binary.AppendUvarint(b, uint64(len(c.ends)))
		var prevEnd, prevDepth uint32
		for i, e := range c.ends {
			d := c.depths[i]
			b = binary.AppendUvarint(b, uint64(e-prevEnd-1))
			b = binary.AppendUvarint(b, zigzag(int64(d)-int64(prevDepth)))
			prevEnd, prevDepth = e, d
		}
	}
	return b
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
}

// Decode parses the binary form made by Encode. Any damage is an error
// wrapping ErrCorrupt; Decode never panics and allocates in proportion to
// the input (and its declared, bounded, decompressed size).
func Decode(b []byte) (*Sample, error) {
	if len(b) < headerLen+4 {
		return nil, corrupt("%d bytes is too short", len(b))
	}
	if string(b[:8]) != magic {
		return nil, corrupt("bad magic number")
	}
	body, tail := b[:len(b)-4], b[len(b)-4:]
	if crc32.Checksum(body, crcTable) != binary.LittleEndian.Uint32(tail) {
		return nil, corrupt("checksum mismatch")
	}
	if v := binary.LittleEndian.Uint16(b[8:]); v != version {
		return nil, corrupt("unsupported version %d", v)
	}
	codec, reserved := b[10], b[11]
	rawLen := binary.LittleEndian.Uint64(b[12:])
	payload := body[headerLen:]
	if reserved != 0 {
		return nil, corrupt("reserved byte is %d", reserved)
	}
	var raw []byte
	switch codec {
	case codecStored:
		if rawLen != uint64(len(payload)) {
			return nil, corrupt("stored body is %d bytes, header says %d", len(payload), rawLen)
		}
		raw = payload
	case codecZstd:
		if rawLen > maxRaw || !ratioOK(rawLen, len(payload)) {
			return nil, corrupt("implausible decompressed size %d", rawLen)
		}
		var err error
		if raw, err = unzstd(payload, rawLen); err != nil {
			return nil, err
		}
	default:
		return nil, corrupt("unknown codec %d", codec)
	}
	return decodeBody(raw)
}

func unzstd(payload []byte, rawLen uint64) ([]byte, error) {
	// A decoder per call: its memory limit is this body's declared size
	// (at least 1 MiB, for the window of a small frame).
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxMemory(max(rawLen, 1<<20)), zstd.WithDecoderLowmem(true))
	if err != nil {
		return nil, corrupt("zstd: %v", err)
	}
	defer dec.Close()
	raw, err := dec.DecodeAll(payload, make([]byte, 0, min(rawLen, 1<<20)))
	if err != nil {
		return nil, corrupt("zstd: %v", err)
	}
	if uint64(len(raw)) != rawLen {
		return nil, corrupt("body decompresses to %d bytes, header says %d", len(raw), rawLen)
	}
	return raw, nil
}

// reader reads uvarints from a body, remembering the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = corrupt("bad or truncated %s", what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a count of items each taking at least minBytes bytes.
func (r *reader) count(what string, minBytes int) int {
	v := r.uvarint(what)
	if r.err == nil && v > uint64(len(r.b)/minBytes) {
		r.err = corrupt("%s %d exceeds the remaining data", what, v)
		return 0
	}
	return int(v)
}

func decodeBody(raw []byte) (*Sample, error) {
	r := &reader{b: raw}
	var fs Flagstat
	for _, v := range fs.fields() {
		for k := range v {
			u := r.uvarint("flagstat count")
			if u > math.MaxInt64 {
				return nil, corrupt("flagstat count out of range")
			}
			v[k] = int64(u)
		}
	}
	n := r.count("contig count", 4)
	if r.err != nil {
		return nil, r.err
	}
	contigs := make([]*Contig, 0, n)
	for i := 0; i < n; i++ {
		c, err := decodeContig(r, i)
		if err != nil {
			return nil, err
		}
		contigs = append(contigs, c)
	}
	if len(r.b) != 0 {
		return nil, corrupt("%d bytes after the last contig", len(r.b))
	}
	s, err := NewSample(contigs, fs)
	if err != nil {
		return nil, corrupt("%v", err)
	}
	return s, nil
}

func decodeContig(r *reader, i int) (*Contig, error) {
	nameLen := r.count("name length", 1)
	if r.err != nil {
		return nil, fmt.Errorf("contig %d: %w", i, r.err)
	}
	if nameLen > maxNameBytes {
		return nil, corrupt("contig %d: name of %d bytes", i, nameLen)
	}
	name := string(r.b[:nameLen])
	r.b = r.b[nameLen:]
	length := r.uvarint("contig length")
	reads := r.uvarint("read count")
	nRuns := r.count("run count", 2)
	if r.err != nil {
		return nil, fmt.Errorf("contig %d: %w", i, r.err)
	}
	if length > MaxLength || reads > math.MaxInt64 || uint64(nRuns) > length {
		return nil, corrupt("contig %d: length %d, %d reads, %d runs", i, length, reads, nRuns)
	}
	ends := make([]uint32, nRuns)
	depths := make([]uint32, nRuns)
	var end uint64
	var depth int64
	for k := range ends {
		step := r.uvarint("run length")
		delta := unzigzag(r.uvarint("run depth"))
		if r.err != nil {
			return nil, fmt.Errorf("contig %d: %w", i, r.err)
		}
		if step >= length-end || delta < -depth || delta > math.MaxUint32-depth {
			return nil, corrupt("contig %d: run %d out of range", i, k)
		}
		end += step + 1
		depth += delta
		ends[k], depths[k] = uint32(end), uint32(depth)
	}
	c, err := NewContig(name, int64(length), ends, depths, int64(reads))
	if err != nil {
		return nil, corrupt("contig %d: %v", i, err)
	}
	return c, nil
}
