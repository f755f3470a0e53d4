package vcf

import (
	"encoding/binary"
	"math"
)

// A small BCF encoder for tests: it writes the uncompressed stream the
// decoder reads (the Reader decompresses before it), and can write what no
// well-behaved tool would, to test the decoder's checks.

// bcfTestHeader returns the magic, l_text and NUL-terminated header text.
func bcfTestHeader(text string) []byte {
	b := []byte("BCF\x02\x02")
	b = binary.LittleEndian.AppendUint32(b, uint32(len(text)+1))
	b = append(b, text...)
	return append(b, 0)
}

// bcfTestDesc appends a type descriptor for n values of type typ.
func bcfTestDesc(b []byte, n int, typ uint8) []byte {
	if n < 15 {
		return append(b, byte(n)<<4|typ)
	}
	b = append(b, 15<<4|typ)
	return bcfTestTypedInt(b, int32(n))
}

// bcfTestTypedInt appends a typed integer in its smallest type.
func bcfTestTypedInt(b []byte, v int32) []byte {
	switch {
	case v >= -120 && v <= 127:
		return append(b, 1<<4|bcfInt8, byte(int8(v)))
	case v >= -32760 && v <= 32767:
		b = append(b, 1<<4|bcfInt16)
		return binary.LittleEndian.AppendUint16(b, uint16(int16(v)))
	}
	b = append(b, 1<<4|bcfInt32)
	return binary.LittleEndian.AppendUint32(b, uint32(v))
}

// bcfTestStr appends a typed character string.
func bcfTestStr(b []byte, s string) []byte {
	return append(bcfTestDesc(b, len(s), bcfChar), s...)
}

// bcfTestVals appends raw values of type typ (no descriptor): ints are
// truncated to the type's width; floats are given as bit patterns.
func bcfTestVals(b []byte, typ uint8, vals ...int64) []byte {
	for _, v := range vals {
		switch typ {
		case bcfInt8:
			b = append(b, byte(v))
		case bcfInt16:
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case bcfInt32, bcfFloat:
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		case bcfChar:
			b = append(b, byte(v))
		}
	}
	return b
}

// bcfTestF returns the bit pattern of f, for bcfTestVals.
func bcfTestF(f float32) int64 { return int64(math.Float32bits(f)) }

// GT value of allele a (-1 missing), phased or not; bcfTestEnd8 etc. pad.
func bcfTestGT(a int, phased bool) int64 {
	v := int64(a+1) << 1
	if phased {
		v |= 1
	}
	return v
}

const (
	bcfTestEnd8   = -127
	bcfTestMiss8  = -128
	bcfTestEnd16  = -32767
	bcfTestEnd32  = math.MinInt32 + 1
	bcfTestMissF  = bcfFloatMissing
	bcfTestEndF   = bcfFloatEnd
	bcfTestMiss16 = -32768
)

// bcfTestRec is one record to encode. Info and Fmt hold already encoded
// key+value pairs (see bcfTestInfo, bcfTestFmt).
type bcfTestRec struct {
	Chrom, Pos int32
	Qual       uint32
	ID         string
	Alleles    []string
	Filters    []int32
	Info       [][]byte
	NSample    int
	Fmt        [][]byte

	// Overrides for hostile records.
	NAllele       int // when > 0, written instead of len(Alleles)
	LShared       int64
	LIndiv        int64
	HaveLShared   bool
	HaveLIndiv    bool
	RawShared     []byte // when set, written as the shared block as is
	RawIndividual []byte // when set, written as the per-sample block as is
}

// bcfTestInfo encodes an INFO pair: key index, descriptor, values.
func bcfTestInfo(key int32, n int, typ uint8, vals ...int64) []byte {
	b := bcfTestTypedInt(nil, key)
	b = bcfTestDesc(b, n, typ)
	return bcfTestVals(b, typ, vals...)
}

// bcfTestFmt encodes a FORMAT field: key index, descriptor of width
// values a sample, then the values of all samples.
func bcfTestFmt(key int32, width int, typ uint8, vals ...int64) []byte {
	return bcfTestInfo(key, width, typ, vals...)
}

// encode appends the record's l_shared, l_indiv and blocks to b.
func (r *bcfTestRec) encode(b []byte) []byte {
	shared := r.RawShared
	if shared == nil {
		qual := r.Qual
		nAllele := len(r.Alleles)
		if r.NAllele > 0 {
			nAllele = r.NAllele
		}
		shared = binary.LittleEndian.AppendUint32(shared, uint32(r.Chrom))
		shared = binary.LittleEndian.AppendUint32(shared, uint32(r.Pos-1))
		shared = binary.LittleEndian.AppendUint32(shared, 1)
		shared = binary.LittleEndian.AppendUint32(shared, qual)
		shared = binary.LittleEndian.AppendUint32(shared, uint32(nAllele)<<16|uint32(len(r.Info)))
		shared = binary.LittleEndian.AppendUint32(shared, uint32(len(r.Fmt))<<24|uint32(r.NSample))
		if r.ID == "" {
			shared = bcfTestDesc(shared, 0, bcfChar)
		} else {
			shared = bcfTestStr(shared, r.ID)
		}
		for _, a := range r.Alleles {
			shared = bcfTestStr(shared, a)
		}
		shared = bcfTestDesc(shared, len(r.Filters), bcfInt8)
		for _, f := range r.Filters {
			shared = append(shared, byte(f))
		}
		for _, kv := range r.Info {
			shared = append(shared, kv...)
		}
	}
	indiv := r.RawIndividual
	if indiv == nil {
		for _, f := range r.Fmt {
			indiv = append(indiv, f...)
		}
	}
	ls, li := int64(len(shared)), int64(len(indiv))
	if r.HaveLShared {
		ls = r.LShared
	}
	if r.HaveLIndiv {
		li = r.LIndiv
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(ls))
	b = binary.LittleEndian.AppendUint32(b, uint32(li))
	b = append(b, shared...)
	return append(b, indiv...)
}

// bcfTestFile encodes a whole uncompressed BCF stream.
func bcfTestFile(header string, recs ...bcfTestRec) []byte {
	b := bcfTestHeader(header)
	for i := range recs {
		b = recs[i].encode(b)
	}
	return b
}
