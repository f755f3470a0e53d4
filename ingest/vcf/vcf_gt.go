package vcf

import (
	"bytes"
	"encoding/binary"

	"github.com/gentre/gentre/engine/geno"
)

// parseSamples decodes the sample columns, which start at line[p:], into
// rec.GT (and rec.Kept). It scans the bytes once, without allocating.
//
// The row is laid out with the previous record's ploidy as a guess; a
// sample of higher ploidy widens the layout of the samples already decoded
// (widenGT), and a row whose largest ploidy is lower than the guess is
// compacted at the end (shrinkGT).
func (s *textSource) parseSamples(line []byte, p int, rec *Record, nAlleles int) error {
	n := s.nSamples
	k := &s.fmtKeys
	if k.gt < 0 && k.nKept == 0 {
		if bytes.Count(line[p:], []byte{'\t'}) != n-1 {
			return s.columnCountError(line, rec.Line)
		}
		s.allMissing(rec, nAlleles)
		return nil
	}

	row := &rec.GT
	row.NAlleles = nAlleles
	row.Ploidy = max(s.ploidy, 1)
	row.GT = resizeGT(row.GT, n*row.Ploidy)
	row.Phased = resizePhased(row.Phased, n)
	s.maxP = 0
	sawDiploid := false

	// The fast path decodes a diploid call of single-digit alleles
	// ("0/0", "0|1", ...) from one 32-bit load when GT is the first FORMAT
	// field and no other field is kept.
	fast := k.gt == 0 && k.nKept == 0
	maxDigit := byte(min(nAlleles, 10))
	for i := 0; i < n; i++ {
		if fast && row.Ploidy == 2 && p+4 <= len(line) {
			w := binary.LittleEndian.Uint32(line[p:])
			a0, sep, a1, term := byte(w)-'0', byte(w>>8), byte(w>>16)-'0', byte(w>>24)
			if a0 < maxDigit && a1 < maxDigit && (sep == '/' || sep == '|') {
				if term == '\t' {
					gt := row.GT[2*i : 2*i+2]
					gt[0], gt[1] = int16(a0), int16(a1)
					row.Phased[i] = sep == '|'
					sawDiploid = true
					p += 4
					continue
				}
				if term == ':' {
					gt := row.GT[2*i : 2*i+2]
					gt[0], gt[1] = int16(a0), int16(a1)
					row.Phased[i] = sep == '|'
					sawDiploid = true
					p = skipColumn(line, p+4)
					continue
				}
			}
		}
		var err error
		if p, err = s.sample(line, p, i, rec); err != nil {
			return err
		}
	}
	if p != len(line)+1 {
		return s.columnCountError(line, rec.Line)
	}
	if sawDiploid {
		s.maxP = max(s.maxP, 2)
	}
	if s.maxP < row.Ploidy {
		shrinkGT(row, s.maxP)
	}
	s.ploidy = row.Ploidy
	return nil
}

// sample decodes sample column i, which starts at line[p], and returns the
// position after its terminating tab (len(line)+1 at the end of the line).
func (s *textSource) sample(line []byte, p, i int, rec *Record) (int, error) {
	if p > len(line) {
		return 0, s.columnCountError(line, rec.Line)
	}
	k := &s.fmtKeys
	gotGT := false
	for f := 0; ; f++ {
		var err error
		switch {
		case f == k.gt:
			p, err = s.gtField(line, p, i, rec)
			gotGT = true
		case f < k.n && k.keptAt[f] >= 0:
			p, err = s.keptField(line, p, i, k.keptAt[f], rec)
		default:
			for p < len(line) && line[p] != ':' && line[p] != '\t' {
				p++
			}
		}
		if err != nil {
			return 0, err
		}
		if p == len(line) {
			p++
			break
		}
		if line[p] == '\t' {
			p++
			break
		}
		p++ // ':'
		if f == k.last {
			// Nothing more to decode in this column: jump to its end.
			p = skipColumn(line, p)
			break
		}
	}
	if !gotGT {
		// FORMAT has no GT, or this column stops before it.
		s.setGT(&rec.GT, i, missingCall[:], false)
	}
	return p, nil
}

// skipColumn returns the position after the next tab at or after p, or
// len(line)+1 when there is none. (bytes.IndexByte beats a byte loop even
// for short columns: measured.)
func skipColumn(line []byte, p int) int {
	if j := bytes.IndexByte(line[p:], '\t'); j >= 0 {
		return p + j + 1
	}
	return len(line) + 1
}

// gtField parses the GT subfield at line[p:] into sample i and returns the
// position of its terminator (':', '\t' or len(line)).
//
// Accepted: alleles (decimal indices below NAlleles, or '.') separated by
// '/' or '|', at most geno.MaxPloidy of them, optionally preceded by a
// VCF 4.4 phasing prefix ('/' or '|'). A call is phased when it has two or
// more alleles and every separator, the prefix included, is '|' (mixed
// "0/1|2" is unphased); a haploid call is unphased even with a '|' prefix,
// as geno.Row requires.
func (s *textSource) gtField(line []byte, p, i int, rec *Record) (int, error) {
	nAl := rec.GT.NAlleles
	if row := &rec.GT; row.Ploidy == 2 && p+4 <= len(line) {
		// Fast path: a diploid call of single-digit alleles.
		w := binary.LittleEndian.Uint32(line[p:])
		a0, sep, a1, term := byte(w)-'0', byte(w>>8), byte(w>>16)-'0', byte(w>>24)
		if int(a0) < nAl && a0 < 10 && int(a1) < nAl && a1 < 10 && (sep == '/' || sep == '|') && (term == ':' || term == '\t') {
			gt := row.GT[2*i : 2*i+2]
			gt[0], gt[1] = int16(a0), int16(a1)
			row.Phased[i] = sep == '|'
			s.maxP = max(s.maxP, 2)
			return p + 3, nil
		}
	}
	al := &s.scratch
	k := 0
	phased := true
	q := p
	if q < len(line) && (line[q] == '|' || line[q] == '/') {
		phased = line[q] == '|'
		q++
	}
	for {
		if q >= len(line) {
			return 0, s.gtError(rec.Line, i, "GT is empty or ends with a separator")
		}
		c := line[q]
		var a int
		switch {
		case c == '.':
			a = -1
			q++
		case c-'0' < 10:
			a = int(c - '0')
			q++
			for q < len(line) && line[q]-'0' < 10 {
				a = min(a*10+int(line[q]-'0'), geno.MaxAlleles)
				q++
			}
			if a >= nAl {
				if a >= geno.MaxAlleles {
					return 0, s.gtError(rec.Line, i, "GT allele out of range (%d alleles)", nAl)
				}
				return 0, s.gtError(rec.Line, i, "GT allele %d out of range (%d alleles)", a, nAl)
			}
		default:
			return 0, s.gtError(rec.Line, i, "GT is not alleles separated by / or |")
		}
		if k == geno.MaxPloidy {
			return 0, s.gtError(rec.Line, i, "GT ploidy above %d", geno.MaxPloidy)
		}
		al[k] = int16(a)
		k++
		if q == len(line) {
			break
		}
		c = line[q]
		if c == '/' {
			phased = false
			q++
			continue
		}
		if c == '|' {
			q++
			continue
		}
		if c == ':' || c == '\t' {
			break
		}
		return 0, s.gtError(rec.Line, i, "GT is not alleles separated by / or |")
	}
	s.setGT(&rec.GT, i, al[:k], phased && k > 1)
	return q, nil
}

// gtError names the line, the sample column (1-based file column) and the
// reason, never the call itself.
func (s *textSource) gtError(line int64, sample int, format string, args ...any) error {
	return s.errorf(line, "sample column %d: "+format, append([]any{10 + sample}, args...)...)
}

// missingCall is the call of a sample without GT.
var missingCall = [1]int16{geno.Missing}

// setGT stores sample i's alleles, widening the row when they exceed its
// ploidy and padding lower ploidies with geno.End.
func (s *textSource) setGT(row *geno.Row, i int, al []int16, phased bool) {
	if len(al) > row.Ploidy {
		widenGT(row, i, len(al))
	}
	s.maxP = max(s.maxP, len(al))
	p := row.Ploidy
	g := row.GT[i*p : i*p+p]
	for j := range g { // not copy: memmove is slow for a few elements
		if j < len(al) {
			g[j] = al[j]
		} else {
			g[j] = geno.End
		}
	}
	row.Phased[i] = phased
}

// widenGT re-lays the first i samples of row out with ploidy p (> Ploidy),
// padding with End, and sizes the row for p.
func widenGT(row *geno.Row, i, p int) {
	n := len(row.Phased)
	old, oldP := row.GT, row.Ploidy
	gt := old
	if cap(gt) >= n*p {
		gt = gt[:n*p]
	} else {
		gt = make([]int16, n*p)
	}
	for s := i - 1; s >= 0; s-- { // backwards: in place, nothing is overwritten before it moves
		copy(gt[s*p:s*p+oldP], old[s*oldP:s*oldP+oldP])
		for j := oldP; j < p; j++ {
			gt[s*p+j] = geno.End
		}
	}
	row.GT, row.Ploidy = gt, p
}

// shrinkGT compacts row to ploidy p (< Ploidy; every sample has at most p
// alleles).
func shrinkGT(row *geno.Row, p int) {
	n := len(row.Phased)
	oldP := row.Ploidy
	for s := 0; s < n; s++ {
		copy(row.GT[s*p:s*p+p], row.GT[s*oldP:s*oldP+p])
	}
	row.GT, row.Ploidy = row.GT[:n*p], p
}

func resizeGT(gt []int16, n int) []int16 {
	if cap(gt) < n {
		return make([]int16, n, n+n/4)
	}
	return gt[:n]
}

func resizePhased(ph []bool, n int) []bool {
	if cap(ph) < n {
		return make([]bool, n)
	}
	return ph[:n]
}
