package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/biogo/hts/bgzf"

	"github.com/gentre/gentre/bench/sim"
)

// The harness's own count of the cohort's genotypes, straight from the VCF
// text: a third answer besides gentre's and the peers', in the conventions
// of the engine's reference counter geno.CountRow (a sample with any missing
// allele is missing, and neither het nor hom_alt), with the half calls
// counted apart so that PLINK 2's answer (half calls as missing) can be
// checked on every site. It is slow and simple on purpose.

// watchVariant is a variant whose carriers are counted among linked samples
// (the `count carrier(V)` and `carriers V` checks).
type watchVariant struct {
	Chrom    string
	Pos      int64
	Ref, Alt string
}

func (v watchVariant) String() string {
	return fmt.Sprintf("%s:%d:%s:%s", v.Chrom, v.Pos, v.Ref, v.Alt)
}

// vcfTally is what tallyVCF counted.
type vcfTally struct {
	Samples int // sample columns in the VCF
	Records int
	// Sets holds, for each sample set asked for, one SiteStats a record.
	Sets [][]sim.SiteStats
	// Carriers holds, for each watched variant, the number of distinct
	// people (by the linked map's values) with a sample holding its ALT in
	// at least one allele slot, as the engine's carrier(V); -1 when the
	// variant is not in the file.
	Carriers []int
}

const linkedBit = 1 << 7 // colMask bit of linked samples (at most 7 sets)

// tallyVCFFile opens a BGZF-compressed (or plain) VCF and tallies it.
func tallyVCFFile(path string, sets []map[string]bool, linked map[string]string, watch []watchVariant) (*vcfTally, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		bg, err := bgzf.NewReader(f, 2)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		defer bg.Close()
		r = bg
	}
	t, err := tallyVCF(r, sets, linked, watch)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// tallyVCF counts, for every record, the genotypes of the samples in each
// set (by sample ID; a nil set is every sample), and the carriers of the watched variants among the
// linked samples (sample ID -> person).
func tallyVCF(r io.Reader, sets []map[string]bool, linked map[string]string, watch []watchVariant) (*vcfTally, error) {
	if len(sets) > 7 {
		return nil, errors.New("tallyVCF: at most 7 sample sets")
	}
	t := &vcfTally{Sets: make([][]sim.SiteStats, len(sets)), Carriers: make([]int, len(watch))}
	carriers := make([]map[string]bool, len(watch))
	for i := range carriers {
		carriers[i] = map[string]bool{}
		t.Carriers[i] = -1
	}
	br := bufio.NewReaderSize(r, 1<<20)
	var (
		line    []byte
		mask    []uint8  // per column: set bits, and linkedBit
		person  []string // per column: the linked person, or ""
		lineNo  int
		gt      [16]int16
		counted []*sim.SiteStats
	)
	for {
		var err error
		line, err = readLine(br, line[:0])
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		lineNo++
		if len(line) == 0 || bytes.HasPrefix(line, []byte("##")) {
			continue
		}
		if line[0] == '#' {
			cols := strings.Split(string(line), "\t")
			if len(cols) < 9 {
				return nil, fmt.Errorf("line %d: header has no sample columns", lineNo)
			}
			names := cols[9:]
			t.Samples = len(names)
			mask, person = make([]uint8, len(names)), make([]string, len(names))
			for i, n := range names {
				for s, set := range sets {
					if set == nil || set[n] {
						mask[i] |= 1 << s
					}
				}
				if p, ok := linked[n]; ok {
					mask[i] |= linkedBit
					person[i] = p
				}
			}
			continue
		}
		if mask == nil {
			return nil, fmt.Errorf("line %d: record before the #CHROM header", lineNo)
		}
		// The 9 fixed columns.
		var fixed [9][]byte
		rest := line
		for k := range fixed {
			i := bytes.IndexByte(rest, '\t')
			if i < 0 {
				if k == 8 && t.Samples == 0 {
					fixed[k], rest = rest, nil
					break
				}
				return nil, fmt.Errorf("line %d: %d columns", lineNo, k+1)
			}
			fixed[k], rest = rest[:i], rest[i+1:]
		}
		if !bytes.Equal(fixed[8], []byte("GT")) && !bytes.HasPrefix(fixed[8], []byte("GT:")) {
			return nil, fmt.Errorf("line %d: FORMAT %q does not start with GT", lineNo, fixed[8])
		}
		pos, err := strconv.ParseInt(string(fixed[1]), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: POS %q", lineNo, fixed[1])
		}
		var alts []string
		if string(fixed[4]) != "." {
			alts = strings.Split(string(fixed[4]), ",")
		}
		nAlt := len(alts)
		chrom, ref := string(fixed[0]), string(fixed[3])
		counted = counted[:0]
		for s := range sets {
			t.Sets[s] = append(t.Sets[s], sim.SiteStats{Chrom: chrom, Pos: pos, Ref: ref, Alt: alts,
				AC: make([]int, nAlt), Het: make([]int, nAlt), HomAlt: make([]int, nAlt), HalfAC: make([]int, nAlt)})
			counted = append(counted, &t.Sets[s][len(t.Sets[s])-1])
		}
		watched, watchAlt := -1, 0
		for w, v := range watch {
			if v.Pos == pos && normChrom(v.Chrom) == normChrom(chrom) && v.Ref == ref {
				for j, a := range alts {
					if a == v.Alt {
						watched, watchAlt = w, j+1
						t.Carriers[w] = 0
					}
				}
			}
		}
		need := uint8(1<<len(sets)) - 1
		if watched >= 0 {
			need |= linkedBit
		}
		for col := 0; col < t.Samples; col++ {
			end := bytes.IndexByte(rest, '\t')
			if end < 0 {
				if col != t.Samples-1 {
					return nil, fmt.Errorf("line %d: %d sample columns, header has %d", lineNo, col+1, t.Samples)
				}
				end = len(rest)
			}
			field := rest[:end]
			if end < len(rest) {
				rest = rest[end+1:]
			} else {
				rest = nil
			}
			m := mask[col] & need
			if m == 0 {
				continue
			}
			if i := bytes.IndexByte(field, ':'); i >= 0 {
				field = field[:i]
			}
			n, err := parseGT(field, gt[:], nAlt)
			if err != nil {
				return nil, fmt.Errorf("line %d: sample column %d: %w", lineNo, col+1, err)
			}
			for s, st := range counted {
				if m&(1<<s) != 0 {
					tallyGT(gt[:n], st)
				}
			}
			if m&linkedBit != 0 && watched >= 0 {
				for _, a := range gt[:n] {
					if int(a) == watchAlt {
						carriers[watched][person[col]] = true
						break
					}
				}
			}
		}
		if len(rest) > 0 {
			return nil, fmt.Errorf("line %d: more sample columns than the header's %d", lineNo, t.Samples)
		}
		t.Records++
	}
	for w := range watch {
		if t.Carriers[w] >= 0 {
			t.Carriers[w] = len(carriers[w])
		}
	}
	return t, nil
}

// readLine appends the next line of br (without its newline) to buf.
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(buf) > 0:
			return bytes.TrimRight(buf, "\r"), nil
		case err != nil:
			return buf, err
		}
		return bytes.TrimRight(buf[:len(buf)-1], "\r"), nil
	}
}

// parseGT parses a VCF GT value ("0/1", "1|2", "./.", ".", "1") into
// allele codes (-1 for '.') and returns how many there are.
func parseGT(b []byte, dst []int16, nAlt int) (int, error) {
	n := 0
	for i := 0; i <= len(b); {
		if n == len(dst) {
			return 0, fmt.Errorf("GT %q: ploidy above %d", b, len(dst))
		}
		if i < len(b) && b[i] == '.' {
			dst[n] = -1
			i++
		} else {
			v, j := 0, i
			for j < len(b) && b[j] >= '0' && b[j] <= '9' {
				v = v*10 + int(b[j]-'0')
				j++
			}
			if j == i || v > nAlt {
				return 0, fmt.Errorf("GT %q: bad allele", b)
			}
			dst[n] = int16(v)
			i = j
		}
		n++
		if i == len(b) {
			return n, nil
		}
		if b[i] != '/' && b[i] != '|' {
			return 0, fmt.Errorf("GT %q: bad separator", b)
		}
		i++
	}
	return 0, fmt.Errorf("GT %q: empty allele", b)
}

// tallyGT adds one sample's alleles to st, as geno.CountRow counts them
// (a diploid half call is missing, not het, not hom_alt), and records a
// half call (some alleles called, some missing).
func tallyGT(gt []int16, st *sim.SiteStats) {
	called, missing := 0, false
	first, allSame := int16(-3), true
	for _, a := range gt {
		if a < 0 {
			missing = true
			continue
		}
		called++
		st.AN++
		if a > 0 {
			st.AC[a-1]++
		}
		if first == -3 {
			first = a
		} else if a != first {
			allSame = false
		}
	}
	if missing {
		st.Missing++
		if called > 0 {
			st.HalfCalls++
			for _, a := range gt {
				if a > 0 {
					st.HalfAC[a-1]++
				}
			}
		}
	}
	if called == 0 {
		return
	}
	if allSame {
		if !missing && first > 0 {
			st.HomAlt[first-1]++
		}
		return
	}
	for i, a := range gt {
		if a <= 0 {
			continue
		}
		dup := false
		for _, b := range gt[:i] {
			dup = dup || b == a
		}
		if !dup {
			st.Het[a-1]++
		}
	}
}
