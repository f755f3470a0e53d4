package vcf

import (
	"encoding/binary"
	"math"

	"github.com/gentre/gentre/engine/geno"
)

// Reasons a typed value is bad (returned by the readers below and put into
// errors by the caller, which adds what was being read).
const (
	bcfBadOverrun = "overruns the record"
	bcfBadType    = "unknown type code"
	bcfBadInt     = "not a single integer"
	bcfBadLength  = "negative length"
)

// bcfTypedInt reads a typed integer of one value (a dictionary key or an
// overflow length) at b[off:].
func bcfTypedInt(b []byte, off int) (v int64, next int, bad string) {
	if off >= len(b) {
		return 0, off, bcfBadOverrun
	}
	desc := b[off]
	typ := desc & 0xf
	if desc>>4 != 1 || typ < bcfInt8 || typ > bcfInt32 {
		return 0, off, bcfBadInt
	}
	size := int(bcfTypeSize[typ])
	if off+1+size > len(b) {
		return 0, off, bcfBadOverrun
	}
	return int64(bcfInt(typ, b[off+1:], 0)), off + 1 + size, ""
}

// bcfTypedSize reads a type descriptor at b[off:]: the number of values
// (from the high nibble, or the typed integer after it when the nibble is
// 15) and the type code. It checks that the n values fit in b.
func bcfTypedSize(b []byte, off int) (n int, typ uint8, next int, bad string) {
	if off >= len(b) {
		return 0, 0, off, bcfBadOverrun
	}
	desc := b[off]
	typ = desc & 0xf
	if bcfTypeSize[typ] < 0 {
		return 0, typ, off, bcfBadType
	}
	n, next = int(desc>>4), off+1
	if n == 15 {
		v, nx, bad := bcfTypedInt(b, next)
		if bad != "" {
			return 0, typ, off, bad
		}
		if v < 0 {
			return 0, typ, off, bcfBadLength
		}
		n, next = int(v), nx
	}
	if int64(n)*int64(bcfTypeSize[typ]) > int64(len(b)-next) {
		return 0, typ, off, bcfBadOverrun
	}
	return n, typ, next, ""
}

// bcfTypedChars reads a typed string (ID, an allele) and returns its bytes
// up to the first NUL.
func bcfTypedChars(b []byte, off int) (s []byte, next int, bad string) {
	n, typ, next, bad := bcfTypedSize(b, off)
	if bad != "" {
		return nil, off, bad
	}
	if typ != bcfChar && typ != bcfNull {
		return nil, off, "not a character string"
	}
	if typ == bcfNull {
		return nil, next, ""
	}
	s = b[next : next+n]
	for i, c := range s {
		if c == 0 {
			s = s[:i]
			break
		}
	}
	return s, next + n, ""
}

// bcfByteStrings holds every one-byte string, so that the common one-base
// alleles cost no allocation.
var bcfByteStrings = func() (t [256]string) {
	for i := range t {
		t[i] = string([]byte{byte(i)})
	}
	return t
}()

// bcfStr returns the VCF text of a character vector: "." when empty.
func bcfStr(b []byte) string {
	switch len(b) {
	case 0:
		return "."
	case 1:
		if b[0] == bcfStrMissingChar {
			return "."
		}
		return bcfByteStrings[b[0]]
	}
	return string(bcfAppendChars(make([]byte, 0, len(b)), b))
}

// decode decodes one record from its shared and per-sample blocks.
func (s *bcfSource) decode(rec *Record, shared, indiv []byte) error {
	le := binary.LittleEndian
	chrom := int64(int32(le.Uint32(shared[0:])))
	pos := int32(le.Uint32(shared[4:]))
	qual := le.Uint32(shared[12:])
	nInfo := int(le.Uint16(shared[16:]))
	nAllele := int(le.Uint16(shared[18:]))
	nSample := int(le.Uint32(shared[20:]) & 0xffffff)
	nFmt := int(shared[23])

	name, ok := bcfLookup(s.dict.contigs, chrom)
	if !ok {
		return s.errf("CHROM index %d not in the contig dictionary", chrom)
	}
	rec.Chrom = name
	if pos < -1 {
		return s.errf("negative POS")
	}
	rec.Pos = int64(pos) + 1
	rec.Qual = math.Float32frombits(qual)
	if qual == bcfFloatMissing {
		rec.Qual = float32(math.NaN())
	}
	if nAllele > geno.MaxAlleles {
		return s.errf("%d alleles, over the %d limit", nAllele, geno.MaxAlleles)
	}
	if nSample != len(s.hdr.Samples) {
		return s.errf("record has %d samples, the header %d", nSample, len(s.hdr.Samples))
	}

	off := bcfFixedShared
	id, off, bad := bcfTypedChars(shared, off)
	if bad != "" {
		return s.errf("ID: %s", bad)
	}
	rec.ID = bcfStr(id)
	rec.Ref = "."
	rec.Alt = rec.Alt[:0]
	for i := 0; i < nAllele; i++ {
		var a []byte
		if a, off, bad = bcfTypedChars(shared, off); bad != "" {
			return s.errf("allele %d: %s", i, bad)
		}
		if i == 0 {
			rec.Ref = bcfStr(a)
		} else {
			rec.Alt = append(rec.Alt, bcfStr(a))
		}
	}
	if off, bad = s.decodeFilter(rec, shared, off); bad != "" {
		return s.errf("FILTER: %s", bad)
	}
	if bad = s.decodeInfo(rec, shared, off, nInfo); bad != "" {
		return s.errf("INFO: %s", bad)
	}
	return s.decodeFormat(rec, indiv, nSample, nFmt)
}

// decodeFilter reads the FILTER vector of dictionary indices.
func (s *bcfSource) decodeFilter(rec *Record, b []byte, off int) (int, string) {
	n, typ, off, bad := bcfTypedSize(b, off)
	if bad != "" {
		return off, bad
	}
	if n == 0 || typ == bcfNull {
		rec.Filter = "."
		return off, ""
	}
	if typ < bcfInt8 || typ > bcfInt32 {
		return off, "not an integer vector"
	}
	data := b[off:]
	s.info = s.info[:0]
	for j := 0; j < n; j++ {
		name, ok := bcfLookup(s.dict.ids, int64(bcfInt(typ, data, j)))
		if !ok {
			return off, "index not in the dictionary"
		}
		if n == 1 {
			rec.Filter = name
			break
		}
		if j > 0 {
			s.info = append(s.info, ';')
		}
		s.info = append(s.info, name...)
	}
	if n > 1 {
		rec.Filter = string(s.info)
	}
	return off + n*int(bcfTypeSize[typ]), ""
}

// decodeInfo renders the INFO key/value pairs as VCF text, as htslib's
// vcf_format prints them.
func (s *bcfSource) decodeInfo(rec *Record, b []byte, off, nInfo int) string {
	if nInfo == 0 {
		rec.Info = "."
		return ""
	}
	out := s.info[:0]
	for i := 0; i < nInfo; i++ {
		key, next, bad := bcfTypedInt(b, off)
		if bad != "" {
			return "key " + bad
		}
		name, ok := bcfLookup(s.dict.ids, key)
		if !ok {
			return "key index not in the dictionary"
		}
		n, typ, next, bad := bcfTypedSize(b, next)
		if bad != "" {
			return name + ": " + bad
		}
		data := b[next : next+n*int(bcfTypeSize[typ])]
		off = next + len(data)
		if i > 0 {
			out = append(out, ';')
		}
		out = append(out, name...)
		if n == 0 {
			continue
		}
		out = append(out, '=')
		if n == 1 {
			out, ok = bcfAppendInfo1(out, typ, data)
		} else {
			out, ok = bcfAppendArray(out, n, typ, data)
		}
		if !ok {
			return name + ": values of no type"
		}
	}
	s.info = out
	rec.Info = string(out)
	return ""
}
