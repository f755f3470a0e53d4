package vcf

import (
	"math"
	"strconv"
	"unsafe"
)

// Limits on kept FORMAT values, against corrupt input blowing up memory.
const (
	maxKeptWidth  = 1 << 16 // values per sample of one field
	maxKeptValues = 1 << 28 // values of one field in one record
)

var nan32 = float32(math.NaN())

// resetKept sizes rec.Kept for this record: one FormatValues per
// KeepFormat key, every value missing, Width the header's expectation
// (Number=A, R, G or a count); finishKept trims Width to what was seen.
func (s *textSource) resetKept(rec *Record, nAlleles int) {
	if len(s.keep) == 0 {
		rec.Kept = rec.Kept[:0]
		return
	}
	if cap(rec.Kept) < len(s.keep) {
		rec.Kept = make([]FormatValues, len(s.keep))
	}
	rec.Kept = rec.Kept[:len(s.keep)]
	if len(s.keptMax) != len(s.keep) {
		s.keptMax = make([]int, len(s.keep))
	}
	for k, key := range s.keep {
		fv := &rec.Kept[k]
		fv.Key = key
		// The previous record's width is a good guess for undeclared fields.
		fv.Width = max(expectedWidth(s.keepNum[k], nAlleles), min(fv.Width, 64))
		fv.Values = resizeValues(fv.Values, s.nSamples*fv.Width)
		fillNaN(fv.Values)
		s.keptMax[k] = 0
	}
}

// finishKept trims each kept field to the largest number of values seen in
// the record (at least 1).
func (s *textSource) finishKept(rec *Record) {
	for k := range rec.Kept {
		fv := &rec.Kept[k]
		w := max(s.keptMax[k], 1)
		if w >= fv.Width {
			continue
		}
		for i := 0; i < s.nSamples; i++ {
			copy(fv.Values[i*w:i*w+w], fv.Values[i*fv.Width:i*fv.Width+w])
		}
		fv.Values = fv.Values[:s.nSamples*w]
		fv.Width = w
	}
}

// expectedWidth is the number of values a FORMAT field's header Number
// announces (clamped to 1..64; more values widen the field as they come).
func expectedWidth(number string, nAlleles int) int {
	w := 1
	switch number {
	case "A":
		w = nAlleles - 1
	case "R":
		w = nAlleles
	case "G":
		w = nAlleles * (nAlleles + 1) / 2
	default:
		if n, ok := parsePos(number); ok && len(number) < 6 {
			w = int(n)
		}
	}
	return min(max(w, 1), 64)
}

// keptField parses the numeric subfield at line[p:] into sample i of kept
// field kk and returns the position of its terminator.
func (s *textSource) keptField(line []byte, p, i, kk int, rec *Record) (int, error) {
	fv := &rec.Kept[kk]
	vals, w := fv.Values, fv.Width // locals: stores to vals cannot alias them
	j := 0
	for {
		// Non-negative integers (most values) are decoded while scanning.
		q := p
		var n int64
		for q < len(line) && line[q]-'0' < 10 && q-p < 18 {
			n = n*10 + int64(line[q]-'0')
			q++
		}
		v := float32(n)
		if q == p || q < len(line) && line[q] != ',' && line[q] != ':' && line[q] != '\t' {
			for q < len(line) && line[q] != ',' && line[q] != ':' && line[q] != '\t' {
				q++
			}
			var ok bool
			if v, ok = parseNum(line[p:q]); !ok {
				return 0, s.errorf(rec.Line, "sample column %d: FORMAT %s value is not a number", 10+i, fv.Key)
			}
		}
		if j >= w {
			if j >= maxKeptWidth || s.nSamples*(j+1) > maxKeptValues {
				return 0, s.errorf(rec.Line, "sample column %d: FORMAT %s has too many values", 10+i, fv.Key)
			}
			widenValues(fv, s.nSamples, max(j+1, 2*w))
			vals, w = fv.Values, fv.Width
		}
		vals[i*w+j] = v
		j++
		p = q
		if p < len(line) && line[p] == ',' {
			p++
			continue
		}
		break
	}
	s.keptMax[kk] = max(s.keptMax[kk], j)
	return p, nil
}

// widenValues re-lays fv out with w (> Width) values per sample, padding
// with NaN.
func widenValues(fv *FormatValues, n, w int) {
	old, oldW := fv.Values, fv.Width
	vals := old
	if cap(vals) >= n*w {
		vals = vals[:n*w]
	} else {
		vals = make([]float32, n*w)
	}
	for s := n - 1; s >= 0; s-- { // backwards: in place, nothing is overwritten before it moves
		copy(vals[s*w:s*w+oldW], old[s*oldW:s*oldW+oldW])
		fillNaN(vals[s*w+oldW : s*w+w])
	}
	fv.Values, fv.Width = vals, w
}

// parseNum parses a FORMAT number: "." or empty is missing (NaN).
func parseNum(b []byte) (float32, bool) {
	if len(b) == 0 || len(b) == 1 && b[0] == '.' {
		return nan32, true
	}
	// Integers (DP, AD, GQ, PL...) without strconv.
	if len(b) <= 18 {
		neg := b[0] == '-'
		digits := b
		if neg {
			digits = b[1:]
		}
		var n int64
		ok := len(digits) > 0
		for _, c := range digits {
			if c-'0' > 9 {
				ok = false
				break
			}
			n = n*10 + int64(c-'0')
		}
		if ok {
			if neg {
				n = -n
			}
			return float32(n), true
		}
	}
	// The string is a view of the line used only during the call (strconv
	// copies it into any error it returns, and that error is dropped).
	f, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 32)
	if err != nil {
		return 0, false
	}
	return float32(f), true
}

func resizeValues(v []float32, n int) []float32 {
	if cap(v) < n {
		return make([]float32, n)
	}
	return v[:n]
}

func fillNaN(v []float32) {
	for i := range v {
		v[i] = nan32
	}
}
