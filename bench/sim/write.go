package sim

import (
	"bufio"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"strconv"
)

// intPositions maps positions in [0,1) to 1-based integer positions on a
// contig of the given length: floor(x×length)+1, then nudged to be strictly
// increasing (a tie moves right, and the tail moves left from the contig's
// end). It needs len(pos) ≤ length.
func intPositions(src haplotypes, length int64) []int64 {
	n := src.nSites()
	p := make([]int64, n)
	prev := int64(0)
	for i := range p {
		v := int64(src.position(i)*float64(length)) + 1
		v = max(v, prev+1)
		p[i], prev = v, v
	}
	next := length + 1
	for i := n - 1; i >= 0; i-- {
		if p[i] >= next {
			p[i] = next - 1
		}
		next = p[i]
	}
	return p
}

// events yields the indices hit by a Bernoulli(p) process over 0, 1, 2, ...
// by drawing geometric gaps: one draw per hit rather than per trial.
type events struct {
	r    *rand.Rand
	logq float64
	next int64
}

func newEvents(r *rand.Rand, p float64) *events {
	e := &events{r: r, logq: math.Log1p(-p), next: -1}
	if p <= 0 {
		e.next = math.MaxInt64
		return e
	}
	e.advance()
	return e
}

func (e *events) advance() {
	if e.next == math.MaxInt64 {
		return
	}
	u := 1 - e.r.Float64() // (0, 1]
	gap := math.Floor(math.Log(u) / e.logq)
	if math.IsInf(e.logq, -1) || gap < 0 {
		gap = 0
	}
	if gap > float64(math.MaxInt64/2) {
		e.next = math.MaxInt64
		return
	}
	e.next += 1 + int64(gap)
}

// skip advances past every hit before index g.
func (e *events) skip(g int64) {
	for e.next < g {
		e.advance()
	}
}

var bases = [4]byte{'A', 'C', 'G', 'T'}

// writer streams one cohort to w.
type writer struct {
	o        *Options
	src      haplotypes
	pos      []int64
	w        *bufio.Writer
	nSamples int
	haploid  []bool
	unphased []bool
	alle     []uint8 // per haplotype: allele index at the current record
	line     []byte
	gts      []byte
	st       SiteStats
	counts   Counts
	// simRecords counts simulated records (not planted ones): the
	// injection streams are indexed by it, so planting sites leaves the
	// simulated records' injections unchanged.
	simRecords int
	planted    []PlantedSite // sorted by position; the next to write first
}

func sampleName(i, n int) string {
	width := max(6, len(strconv.Itoa(n)))
	return fmt.Sprintf("S%0*d", width, i+1)
}

// write writes the header and every record.
func (wr *writer) write(source string) error {
	o := wr.o
	rHap := newRand(o.Seed, streamHaploid, 0)
	rUnph := newRand(o.Seed, streamUnphased, 0)
	wr.haploid = make([]bool, wr.nSamples)
	wr.unphased = make([]bool, wr.nSamples)
	for s := range wr.nSamples {
		if rHap.Float64() < o.Inject.Haploid {
			wr.haploid[s] = true
			wr.counts.Haploid++
		}
		if rUnph.Float64() < o.Inject.Unphased {
			wr.unphased[s] = true
			wr.counts.Unphased++
		}
	}
	if err := wr.header(source); err != nil {
		return err
	}
	rMulti := newRand(o.Seed, streamMulti, 0)
	rBases := newRand(o.Seed, streamBases, 0)
	rSym := newRand(o.Seed, streamSymbolic, 0)
	missing := newEvents(newRand(o.Seed, streamMissing, 0), o.Inject.Missing)
	half := newEvents(newRand(o.Seed, streamHalf, 0), o.Inject.HalfCall)
	rHalfSide := newRand(o.Seed, streamHalf, 1)
	wr.alle = make([]uint8, 2*wr.nSamples)
	n := wr.src.nSites()
	wr.counts.RawSites = n
	var alts [3]string
	for i := 0; i < n; {
		// Two draws a record whatever the rate, so the stream stays aligned.
		u, v := rMulti.Float64(), rMulti.Float64()
		k := 1
		if u < o.Inject.MultiAllelic {
			k = 2
			if v < 1.0/3 {
				k = 3
			}
		}
		k = min(k, n-i)
		clear(wr.alle)
		for j := 0; j < k; j++ {
			for w, word := range wr.src.site(i + j) {
				for word != 0 {
					wr.alle[w<<6+bits.TrailingZeros64(word)] = uint8(j + 1)
					word &= word - 1
				}
			}
		}
		ref := rBases.IntN(4)
		perm := rBases.Perm(3)
		for j := 0; j < k; j++ {
			alts[j] = string(bases[(ref+1+perm[j])%4])
		}
		if rSym.Float64() < o.Inject.Symbolic {
			wr.counts.Symbolic++
			if k == 1 {
				alts[0] = "<DEL>"
			} else {
				alts[k-1] = "*"
			}
		}
		if k > 1 {
			wr.counts.MultiAllelic++
		}
		if err := wr.plantBefore(wr.pos[i]); err != nil {
			return err
		}
		if err := wr.record(wr.pos[i], string(bases[ref]), alts[:k], missing, half, rHalfSide); err != nil {
			return err
		}
		i += k
	}
	if err := wr.plantBefore(math.MaxInt64); err != nil {
		return err
	}
	return wr.w.Flush()
}

// plantBefore writes the planted sites before position pos.
func (wr *writer) plantBefore(pos int64) error {
	for len(wr.planted) > 0 && wr.planted[0].Pos < pos {
		if err := wr.writePlanted(&wr.planted[0]); err != nil {
			return err
		}
		wr.planted = wr.planted[1:]
	}
	return nil
}

func (wr *writer) header(source string) error {
	o := wr.o
	fmt.Fprintf(wr.w, "##fileformat=VCFv4.2\n")
	fmt.Fprintf(wr.w, "##FILTER=<ID=PASS,Description=\"All filters passed\">\n")
	fmt.Fprintf(wr.w, "##source=%s\n", source)
	fmt.Fprintf(wr.w, "##contig=<ID=%s,length=%d>\n", o.Contig, o.ContigLength)
	fmt.Fprintf(wr.w, "##ALT=<ID=DEL,Description=\"Deletion\">\n")
	fmt.Fprintf(wr.w, "##INFO=<ID=AC,Number=A,Type=Integer,Description=\"Allele count in genotypes, for each ALT allele\">\n")
	fmt.Fprintf(wr.w, "##INFO=<ID=AN,Number=1,Type=Integer,Description=\"Total number of alleles in called genotypes\">\n")
	fmt.Fprintf(wr.w, "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n")
	wr.w.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT")
	for s := range wr.nSamples {
		wr.w.WriteByte('\t')
		if o.SampleNames != nil {
			wr.w.WriteString(o.SampleNames[s])
		} else {
			wr.w.WriteString(sampleName(s, wr.nSamples))
		}
	}
	_, err := wr.w.WriteString("\n")
	return err
}

// record writes one VCF line and reports its SiteStats.
func (wr *writer) record(pos int64, ref string, alts []string, missing, half *events, rSide *rand.Rand) error {
	st := &wr.st
	na := len(alts)
	st.Chrom, st.Pos, st.Ref = wr.o.Contig, pos, ref
	st.Alt = append(st.Alt[:0], alts...)
	st.AC = resetInts(st.AC, na)
	st.Het = resetInts(st.Het, na)
	st.HomAlt = resetInts(st.HomAlt, na)
	st.HalfAC = resetInts(st.HalfAC, na)
	st.AN, st.Missing, st.HalfCalls = 0, 0, 0

	base := int64(wr.simRecords) * int64(wr.nSamples)
	gts := wr.gts[:0]
	for s := 0; s < wr.nSamples; s++ {
		g := base + int64(s)
		missing.skip(g)
		isMissing := missing.next == g
		if isMissing {
			missing.advance()
		}
		half.skip(g)
		isHalf := half.next == g
		if isHalf {
			half.advance()
		}
		a0 := wr.alle[2*s]
		if wr.haploid[s] {
			if isMissing {
				gts = append(gts, '\t', '.')
				st.Missing++
				wr.counts.Missing++
				continue
			}
			gts = append(gts, '\t', '0'+a0)
			st.AN++
			if a0 > 0 {
				st.AC[a0-1]++
				st.HomAlt[a0-1]++
			}
			continue
		}
		a1 := wr.alle[2*s+1]
		switch {
		case isMissing:
			gts = append(gts, '\t', '.', '/', '.')
			st.Missing++
			wr.counts.Missing++
		case isHalf:
			called := a0
			if rSide.IntN(2) == 0 {
				gts = append(gts, '\t', '.', '/', '0'+a1)
				called = a1
			} else {
				gts = append(gts, '\t', '0'+a0, '/', '.')
			}
			st.Missing++
			st.HalfCalls++
			st.AN++
			if called > 0 {
				st.AC[called-1]++
				st.HalfAC[called-1]++
			}
			wr.counts.HalfCalls++
		default:
			sep := byte('|')
			if wr.unphased[s] {
				sep = '/'
			}
			gts = append(gts, '\t', '0'+a0, sep, '0'+a1)
			st.AN += 2
			switch {
			case a0 == a1:
				if a0 > 0 {
					st.AC[a0-1] += 2
					st.HomAlt[a0-1]++
				}
			default:
				if a0 > 0 {
					st.AC[a0-1]++
					st.Het[a0-1]++
				}
				if a1 > 0 {
					st.AC[a1-1]++
					st.Het[a1-1]++
				}
			}
		}
	}
	wr.gts = gts
	wr.counts.Records++
	wr.simRecords++
	wr.counts.Genotypes += int64(wr.nSamples)
	return wr.emit(pos, ".", ref, alts)
}

// emit writes the record line for wr.st and wr.gts and reports wr.st.
func (wr *writer) emit(pos int64, id, ref string, alts []string) error {
	st := &wr.st
	l := wr.line[:0]
	l = append(l, st.Chrom...)
	l = append(l, '\t')
	l = strconv.AppendInt(l, pos, 10)
	l = append(l, '\t')
	l = append(l, id...)
	l = append(l, '\t')
	l = append(l, ref...)
	l = append(l, '\t')
	for j, a := range alts {
		if j > 0 {
			l = append(l, ',')
		}
		l = append(l, a...)
	}
	l = append(l, "\t.\tPASS\tAC="...)
	for j, c := range st.AC {
		if j > 0 {
			l = append(l, ',')
		}
		l = strconv.AppendInt(l, int64(c), 10)
	}
	l = append(l, ";AN="...)
	l = strconv.AppendInt(l, int64(st.AN), 10)
	l = append(l, "\tGT"...)
	wr.line = l
	wr.w.Write(l)
	wr.w.Write(wr.gts)
	if err := wr.w.WriteByte('\n'); err != nil {
		return err
	}
	if wr.o.OnSite != nil {
		wr.o.OnSite(st)
	}
	return nil
}

func resetInts(s []int, n int) []int {
	if cap(s) < n {
		s = make([]int, n)
	}
	s = s[:n]
	clear(s)
	return s
}
