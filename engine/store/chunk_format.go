package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// A chunk file (.gtc) holds the genotypes of up to Options.ChunkVariants
// consecutive variants of one contig from one batch, with everything needed
// to process it alone: the batch's sample list (global indices), the sites'
// positions and alleles, and the encoded genotype rows. Layout (docs/format.md):
//
//	magic "\x89GTC\r\n\x1a\n" | version u16 LE | nsections u16 LE
//	section × nsections: tag u8 | codec u8 | rawLen u32 | dataLen u32 | crc32c(data) u32 | data
//	trailer: "GTCEND\x00\x00" | crc32c(everything before the trailer) u32
const (
	chunkMagic   = "\x89GTC\r\n\x1a\n"
	chunkTrailer = "GTCEND\x00\x00"
	// chunkVersion 2 added the phase reference section 'P', version 3
	// the split rows section 'T'; older files are read as before.
	chunkVersion = 3

	secHeader   = 'H' // batch, contig, samples, variant count
	secSites    = 'S' // positions and alleles
	secPhase    = 'P' // the batch's phase reference (engine/geno SetPhaseRef)
	secGenotype = 'G' // row lengths then encoded rows (engine/geno)
	secSplit    = 'T' // split rows' missing calls and carriers, sample-major
	secFormat   = 'F' // one kept FORMAT field

	codecRaw  = 0
	codecZstd = 1

	sectionHeaderLen = 14
	// maxSectionRaw bounds the decompressed size of one section, so a
	// corrupt length cannot make a reader allocate without limit.
	maxSectionRaw = 1 << 31
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

var zstdDecoders = sync.Pool{New: func() any {
	d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxSectionRaw))
	if err != nil {
		panic(err) // only on invalid options
	}
	return d
}}

type section struct {
	tag  byte
	data []byte // decompressed
}

// appendSection compresses raw with enc (nil: stored raw) and appends the
// section to dst.
func appendSection(dst []byte, tag byte, raw []byte, enc *zstd.Encoder) []byte {
	codec := byte(codecRaw)
	data := raw
	if enc != nil && len(raw) > 64 {
		data = enc.EncodeAll(raw, nil)
		codec = codecZstd
	}
	var h [sectionHeaderLen]byte
	h[0], h[1] = tag, codec
	binary.LittleEndian.PutUint32(h[2:], uint32(len(raw)))
	binary.LittleEndian.PutUint32(h[6:], uint32(len(data)))
	binary.LittleEndian.PutUint32(h[10:], crc32.Checksum(data, crcTable))
	dst = append(dst, h[:]...)
	return append(dst, data...)
}

func chunkStart(nsections int) []byte {
	b := append([]byte(nil), chunkMagic...)
	b = binary.LittleEndian.AppendUint16(b, chunkVersion)
	return binary.LittleEndian.AppendUint16(b, uint16(nsections))
}

func chunkFinish(b []byte) []byte {
	b = append(b, chunkTrailer...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
}

// parseSections checks a whole chunk file and returns its sections,
// decompressed; want selects which tags to decompress (others are skipped
// after their checksum is verified).
func parseSections(name string, b []byte, want func(tag byte) bool) ([]section, error) {
	return parseSectionsInto(name, b, want, nil, nil)
}

// parseSectionsInto is parseSections reusing secs and the decompression
// buffers in *bufs (one per zstd section, grown as needed) when not nil.
func parseSectionsInto(name string, b []byte, want func(tag byte) bool, secs []section, bufs *[][]byte) ([]section, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s: %w", name, fmt.Sprintf(format, args...), ErrCorrupt)
	}
	if len(b) < len(chunkMagic)+4+len(chunkTrailer)+4 || string(b[:len(chunkMagic)]) != chunkMagic {
		return nil, bad("not a chunk file")
	}
	version := binary.LittleEndian.Uint16(b[8:])
	if version < 1 || version > chunkVersion {
		return nil, bad("chunk version %d, this gentre reads versions 1 to %d", version, chunkVersion)
	}
	tail := len(b) - len(chunkTrailer) - 4
	if string(b[tail:tail+len(chunkTrailer)]) != chunkTrailer {
		return nil, bad("truncated (no trailer)")
	}
	if crc32.Checksum(b[:tail+len(chunkTrailer)], crcTable) != binary.LittleEndian.Uint32(b[tail+len(chunkTrailer):]) {
		return nil, bad("file checksum mismatch")
	}
	n := int(binary.LittleEndian.Uint16(b[10:]))
	off := 12
	secs = secs[:0]
	nbuf := 0
	for i := 0; i < n; i++ {
		if off+sectionHeaderLen > tail {
			return nil, bad("section %d overruns the file", i)
		}
		h := b[off : off+sectionHeaderLen]
		tag, codec := h[0], h[1]
		rawLen := binary.LittleEndian.Uint32(h[2:])
		dataLen := binary.LittleEndian.Uint32(h[6:])
		off += sectionHeaderLen
		if uint64(off)+uint64(dataLen) > uint64(tail) || uint64(rawLen) > maxSectionRaw {
			return nil, bad("section %d length out of range", i)
		}
		// The file's checksum, checked above, covers every section; each
		// section's own checksum (written for a reader of one section
		// alone) would only check the same bytes again.
		data := b[off : off+int(dataLen)]
		off += int(dataLen)
		if tag == secPhase && version < 2 {
			return nil, bad("phase reference section in a version 1 chunk")
		}
		if tag == secSplit && version < 3 {
			return nil, bad("split rows section in a version %d chunk", version)
		}
		if want != nil && !want(tag) {
			continue
		}
		switch codec {
		case codecRaw:
			if uint32(len(data)) != rawLen {
				return nil, bad("section %d length mismatch", i)
			}
		case codecZstd:
			var dst []byte
			if bufs != nil {
				if nbuf == len(*bufs) {
					*bufs = append(*bufs, nil)
				}
				if cap((*bufs)[nbuf]) < int(rawLen) {
					// Room for the next chunks' sections, which vary in size.
					(*bufs)[nbuf] = make([]byte, 0, int(rawLen)+int(rawLen)/4)
				}
				dst = (*bufs)[nbuf][:0]
				nbuf++
			} else {
				dst = make([]byte, 0, rawLen)
			}
			d := zstdDecoders.Get().(*zstd.Decoder)
			out, err := d.DecodeAll(data, dst)
			zstdDecoders.Put(d)
			if err != nil || uint32(len(out)) != rawLen {
				return nil, bad("section %d does not decompress to its length", i)
			}
			data = out
		default:
			return nil, bad("section %d has unknown codec %d", i, codec)
		}
		secs = append(secs, section{tag: tag, data: data})
	}
	if off != tail {
		return nil, bad("%d stray bytes after the sections", tail-off)
	}
	return secs, nil
}

// decoder reads the little varint-based encodings of the sections.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = fmt.Errorf("bad varint")
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a uvarint that counts items of at least minBytes each still
// to come, and rejects counts the remaining bytes cannot hold.
func (d *decoder) count(minBytes int) int {
	v := d.uvarint()
	if d.err == nil && (v > math.MaxInt32 || int(v)*minBytes > len(d.b)) {
		d.err = fmt.Errorf("count %d exceeds the data", v)
		d.b = nil
		return 0
	}
	return int(v)
}

func (d *decoder) bytes() []byte {
	n := d.count(1)
	if d.err != nil {
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	return s
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}
