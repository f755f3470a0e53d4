package vcf

import (
	"encoding/binary"
	"math"
	"strconv"
)

// BCF type codes (the low nibble of a type descriptor byte).
const (
	bcfNull  = 0 // "MISSING": no values
	bcfInt8  = 1
	bcfInt16 = 2
	bcfInt32 = 3
	bcfFloat = 5
	bcfChar  = 7
)

// bcfTypeSize is the size in bytes of one value of each type code; -1
// marks codes this decoder does not accept (int64 and the reserved ones).
var bcfTypeSize = [16]int8{0, 1, 2, 4, -1, 4, -1, 1, -1, -1, -1, -1, -1, -1, -1, -1}

// Missing and vector-end sentinels of the integer and float types.
const (
	bcfInt8Missing    = -128
	bcfInt8End        = -127
	bcfInt16Missing   = -32768
	bcfInt16End       = -32767
	bcfInt32Missing   = math.MinInt32
	bcfInt32End       = math.MinInt32 + 1
	bcfFloatMissing   = 0x7F800001
	bcfFloatEnd       = 0x7F800002
	bcfStrMissingChar = 0x07 // htslib 1.16 prints this char as '.'
)

// bcfInt returns value j of an integer vector of type typ (1, 2 or 4
// bytes, little-endian), with the type's missing and vector-end sentinels
// mapped onto the int32 ones.
func bcfInt(typ uint8, data []byte, j int) int32 {
	switch typ {
	case bcfInt8:
		v := int32(int8(data[j]))
		if v == bcfInt8Missing || v == bcfInt8End {
			v += bcfInt32Missing - bcfInt8Missing
		}
		return v
	case bcfInt16:
		v := int32(int16(binary.LittleEndian.Uint16(data[2*j:])))
		if v == bcfInt16Missing || v == bcfInt16End {
			v += bcfInt32Missing - bcfInt16Missing
		}
		return v
	default:
		return int32(binary.LittleEndian.Uint32(data[4*j:]))
	}
}

// bcfAppendChars appends a character vector as htslib's bcf_fmt_array
// does: up to the first NUL.
func bcfAppendChars(dst, data []byte) []byte {
	for _, c := range data {
		if c == 0 {
			break
		}
		if c == bcfStrMissingChar {
			c = '.'
		}
		dst = append(dst, c)
	}
	return dst
}

// bcfAppendArray appends n values of type typ as htslib's bcf_fmt_array
// does: comma-separated, '.' for missing, stopping at vector-end, and '.'
// for an empty vector. It reports false for a type it cannot print.
func bcfAppendArray(dst []byte, n int, typ uint8, data []byte) ([]byte, bool) {
	if n == 0 {
		return append(dst, '.'), true
	}
	switch typ {
	case bcfChar:
		return bcfAppendChars(dst, data[:n]), true
	case bcfInt8, bcfInt16, bcfInt32:
		for j := 0; j < n; j++ {
			v := bcfInt(typ, data, j)
			if v == bcfInt32End {
				break
			}
			if j > 0 {
				dst = append(dst, ',')
			}
			if v == bcfInt32Missing {
				dst = append(dst, '.')
			} else {
				dst = strconv.AppendInt(dst, int64(v), 10)
			}
		}
	case bcfFloat:
		for j := 0; j < n; j++ {
			u := binary.LittleEndian.Uint32(data[4*j:])
			if u == bcfFloatEnd {
				break
			}
			if j > 0 {
				dst = append(dst, ',')
			}
			if u == bcfFloatMissing {
				dst = append(dst, '.')
			} else {
				dst = bcfAppendG(dst, float64(math.Float32frombits(u)))
			}
		}
	default:
		return dst, false
	}
	return dst, true
}

// bcfAppendInfo1 appends a one-value INFO field as htslib's vcf_format
// does: only the missing value is special (a lone vector-end prints as a
// number), and a character is printed as it is.
func bcfAppendInfo1(dst []byte, typ uint8, data []byte) ([]byte, bool) {
	switch typ {
	case bcfInt8, bcfInt16, bcfInt32:
		var v int32
		switch typ {
		case bcfInt8:
			v = int32(int8(data[0]))
			if v == bcfInt8Missing {
				return append(dst, '.'), true
			}
		case bcfInt16:
			v = int32(int16(binary.LittleEndian.Uint16(data)))
			if v == bcfInt16Missing {
				return append(dst, '.'), true
			}
		default:
			v = int32(binary.LittleEndian.Uint32(data))
			if v == bcfInt32Missing {
				return append(dst, '.'), true
			}
		}
		return strconv.AppendInt(dst, int64(v), 10), true
	case bcfFloat:
		u := binary.LittleEndian.Uint32(data)
		if u == bcfFloatMissing {
			return append(dst, '.'), true
		}
		return bcfAppendG(dst, float64(math.Float32frombits(u))), true
	case bcfChar:
		return append(dst, data[0]), true
	}
	return dst, false
}

// bcfPow10 are the scales of htslib's kputd.
var bcfPow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

// bcfAppendG appends d formatted as htslib's kputd, its fast "%g": six
// significant digits, trailing zeros removed. Between 0.0001 and 999999 it
// scales d to a six-digit integer and rounds half up, which differs from
// printf's exact round-half-even on ties (269842.5 prints as 269843, as
// bcftools 1.16 prints it); elsewhere it is printf's %g.
func bcfAppendG(dst []byte, d float64) []byte {
	switch {
	case d == 0:
		if math.Signbit(d) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	case math.IsNaN(d):
		if math.Signbit(d) {
			return append(dst, "-nan"...)
		}
		return append(dst, "nan"...)
	}
	if d < 0 {
		dst = append(dst, '-')
		d = -d
	}
	if !(d >= 0.0001 && d <= 999999) {
		if math.IsInf(d, 0) {
			return append(dst, "inf"...)
		}
		return strconv.AppendFloat(dst, d, 'g', 6, 64)
	}
	// k decimal places leave six significant digits.
	var k int
	switch {
	case d < 0.001:
		k = 9
	case d < 0.01:
		k = 8
	case d < 0.1:
		k = 7
	case d < 1:
		k = 6
	case d < 10:
		k = 5
	case d < 100:
		k = 4
	case d < 1000:
		k = 3
	case d < 10000:
		k = 2
	case d < 100000:
		k = 1
	}
	i := uint64(d*bcfPow10[k] + 0.5)
	scale := uint64(bcfPow10[k])
	dst = strconv.AppendUint(dst, i/scale, 10)
	frac := i % scale
	if frac == 0 {
		return dst
	}
	for frac%10 == 0 {
		frac /= 10
		k--
	}
	dst = append(dst, '.')
	var digits [9]byte
	for j := k - 1; j >= 0; j-- {
		digits[j] = byte('0' + frac%10)
		frac /= 10
	}
	return append(dst, digits[:k]...)
}
