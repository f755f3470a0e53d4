package vcf

import (
	"encoding/binary"
	"math"

	"github.com/gentre/gentre/engine/geno"
)

// bcfBadAllele is the allele code of a GT value that is no allele (a
// negative value other than the missing and vector-end sentinels, or an
// index too large for int16). It is larger than any valid index, so one
// comparison of the row's largest code against NAlleles catches it.
const bcfBadAllele int16 = math.MaxInt16

// bcfGT8 maps an int8 GT value to its allele code: (allele+1)<<1|phased,
// 0 and 1 (and the int8 missing value) are a missing allele, and the
// vector-end value is geno.End.
var bcfGT8 = func() (t [256]int16) {
	for b := range t {
		t[b] = bcfGTCode(int32(int8(b)), bcfInt8Missing, bcfInt8End)
	}
	return t
}()

// bcfGTCode decodes one GT value whose type has the given sentinels.
func bcfGTCode(v, missing, end int32) int16 {
	switch {
	case v == end:
		return geno.End
	case v == missing:
		return geno.Missing
	case v < 0:
		return bcfBadAllele
	case v>>1 == 0:
		return geno.Missing
	case v>>1-1 >= int32(bcfBadAllele):
		return bcfBadAllele
	}
	return int16(v>>1 - 1)
}

// bcfSizeRow sizes row for n samples of the given ploidy, reusing its
// storage without clearing it: the decoder writes every slot.
func bcfSizeRow(row *geno.Row, nAlleles, n, ploidy int) {
	row.NAlleles, row.Ploidy = nAlleles, ploidy
	if need := n * ploidy; cap(row.GT) >= need {
		row.GT = row.GT[:need]
	} else {
		row.GT = make([]int16, need)
	}
	if cap(row.Phased) >= n {
		row.Phased = row.Phased[:n]
	} else {
		row.Phased = make([]bool, n)
	}
}

// decodeFormat reads the per-sample block: GT into rec.GT, the kept fields
// into rec.Kept; other fields are skipped.
func (s *bcfSource) decodeFormat(rec *Record, b []byte, nSample, nFmt int) error {
	nAlleles := 1 + len(rec.Alt)
	if cap(rec.Kept) >= len(s.keep) {
		rec.Kept = rec.Kept[:len(s.keep)]
	} else {
		rec.Kept = make([]FormatValues, len(s.keep))
	}
	clear(s.kept)
	haveGT := false
	off := 0
	for f := 0; f < nFmt; f++ {
		key, next, bad := bcfTypedInt(b, off)
		if bad != "" {
			return s.errf("FORMAT field %d: key %s", f, bad)
		}
		if _, ok := bcfLookup(s.dict.ids, key); !ok {
			return s.errf("FORMAT field %d: key index not in the dictionary", f)
		}
		// bcfTypedSize checks one sample's n values; the block holds nSample.
		n, typ, next, bad := bcfTypedSize(b, next)
		if bad != "" {
			return s.errf("FORMAT %s: %s", s.dict.ids[key], bad)
		}
		size := int64(n) * int64(bcfTypeSize[typ]) * int64(nSample)
		if size > int64(len(b)-next) {
			return s.errf("FORMAT %s: %s", s.dict.ids[key], bcfBadOverrun)
		}
		data := b[next : next+int(size)]
		off = next + int(size)
		if key == s.dict.gt && !haveGT {
			haveGT = true
			if err := s.decodeGT(&rec.GT, data, n, typ, nAlleles, nSample); err != nil {
				return err
			}
		}
		for k, kk := range s.dict.keep {
			if kk == key && !s.kept[k] {
				s.kept[k] = true
				if !bcfDecodeKept(&rec.Kept[k], data, n, typ, nSample) {
					return s.errf("FORMAT %s: not numeric", s.dict.ids[key])
				}
			}
		}
	}
	if !haveGT || nSample == 0 {
		bcfMissingRow(&rec.GT, nAlleles, nSample)
	}
	for k, key := range s.keep {
		rec.Kept[k].Key = key
		if !s.kept[k] {
			bcfFillNaN(&rec.Kept[k], 1, nSample)
		}
	}
	return nil
}

// bcfMissingRow makes row a haploid row of missing calls (ploidy 0 when
// there are no samples), as the text source does for a record without GT.
func bcfMissingRow(row *geno.Row, nAlleles, nSample int) {
	bcfSizeRow(row, nAlleles, nSample, min(nSample, 1))
	for i := range row.GT {
		row.GT[i] = geno.Missing
	}
	clear(row.Phased)
}

// decodeGT decodes the GT vectors of all samples into row: width values a
// sample, each (allele+1)<<1|phased, 0 a missing allele, vector-end padding
// a sample of lower ploidy. A sample whose vector starts with vector-end
// (no alleles; htslib prints ".") reads as one missing allele; values after
// a vector-end are ignored, as htslib does. A sample is phased when every
// allele after the first carries the phase bit (htslib ignores the first
// allele's).
func (s *bcfSource) decodeGT(row *geno.Row, data []byte, width int, typ uint8, nAlleles, nSample int) error {
	if typ == bcfNull || width == 0 {
		bcfMissingRow(row, nAlleles, nSample)
		return nil
	}
	if width > geno.MaxPloidy {
		return s.errf("GT ploidy %d over the %d limit", width, geno.MaxPloidy)
	}
	bcfSizeRow(row, nAlleles, nSample, width)
	var top int16
	switch {
	case typ == bcfInt8 && width == 2:
		top = bcfGTDiploid8(data, row.GT, row.Phased)
	case typ == bcfInt8 || typ == bcfInt16 || typ == bcfInt32:
		top = bcfGTAny(data, typ, width, row.GT, row.Phased)
	default:
		return s.errf("GT: not an integer vector")
	}
	if int(top) >= nAlleles {
		return s.errf("GT allele index out of range for %d alleles", nAlleles)
	}
	return nil
}

// bcfGTDiploid8 decodes int8 GT vectors of width 2 (the common case). It
// returns the largest allele code written.
func bcfGTDiploid8(src []byte, gt []int16, phased []bool) int16 {
	top := geno.Missing
	n := len(phased)
	src, gt = src[:2*n], gt[:2*n]
	for i := 0; i < n; i++ {
		b0, b1 := src[2*i], src[2*i+1]
		a0, a1 := bcfGT8[b0], bcfGT8[b1]
		if a0 == geno.End {
			a0, a1 = geno.Missing, geno.End
		}
		gt[2*i], gt[2*i+1] = a0, a1
		top = max(top, a0, a1)
		phased[i] = b1&1 != 0 && a1 != geno.End
	}
	return top
}

// bcfGTAny decodes GT vectors of any width and integer type. It returns
// the largest allele code written.
func bcfGTAny(data []byte, typ uint8, width int, gt []int16, phased []bool) int16 {
	top := geno.Missing
	for i := range phased {
		base := i * width
		ended, ph, called := false, true, 0
		for j := 0; j < width; j++ {
			if ended {
				gt[base+j] = geno.End
				continue
			}
			v := bcfInt(typ, data, base+j)
			a := bcfGTCode(v, bcfInt32Missing, bcfInt32End)
			if a == geno.End {
				ended = true
				if j == 0 {
					a = geno.Missing
				}
				gt[base+j] = a
				continue
			}
			gt[base+j] = a
			top = max(top, a)
			if j > 0 && v&1 == 0 {
				ph = false
			}
			called++
		}
		phased[i] = ph && called >= 2
	}
	return top
}

// bcfDecodeKept decodes a numeric FORMAT field into fv: missing and
// vector-end values become NaN. It reports false for a character field.
func bcfDecodeKept(fv *FormatValues, data []byte, width int, typ uint8, nSample int) bool {
	if typ == bcfChar {
		return false
	}
	if typ == bcfNull || width == 0 {
		bcfFillNaN(fv, 1, nSample)
		return true
	}
	fv.Width = width
	need := width * nSample
	if cap(fv.Values) >= need {
		fv.Values = fv.Values[:need]
	} else {
		fv.Values = make([]float32, need)
	}
	nan := float32(math.NaN())
	vals := fv.Values
	switch typ {
	case bcfInt8:
		for j := range vals {
			v := int8(data[j])
			vals[j] = float32(v)
			if v == bcfInt8Missing || v == bcfInt8End {
				vals[j] = nan
			}
		}
	case bcfInt16, bcfInt32:
		for j := range vals {
			v := bcfInt(typ, data, j)
			vals[j] = float32(v)
			if v == bcfInt32Missing || v == bcfInt32End {
				vals[j] = nan
			}
		}
	case bcfFloat:
		for j := range vals {
			u := binary.LittleEndian.Uint32(data[4*j:])
			vals[j] = math.Float32frombits(u)
			if u == bcfFloatMissing || u == bcfFloatEnd {
				vals[j] = nan
			}
		}
	}
	return true
}

// bcfFillNaN sets fv to width missing values a sample.
func bcfFillNaN(fv *FormatValues, width, nSample int) {
	fv.Width = width
	need := width * nSample
	if cap(fv.Values) >= need {
		fv.Values = fv.Values[:need]
	} else {
		fv.Values = make([]float32, need)
	}
	nan := float32(math.NaN())
	for j := range fv.Values {
		fv.Values[j] = nan
	}
}
