package sim

import (
	"fmt"
	"slices"
	"strings"
)

// PlantedSite is a biallelic record whose genotypes the caller chooses,
// written among the simulated records at its position (for example a
// variant associated with a trait in synthetic care records).
type PlantedSite struct {
	// Pos is the 1-based position (1 ≤ Pos ≤ ContigLength). Planted sites
	// must have distinct positions; simulated sites are moved off them.
	Pos int64
	// ID is the ID column ("" writes ".").
	ID string
	// Ref and Alt are the two alleles (non-empty, no tab, comma or space).
	Ref, Alt string
	// Genotype returns the two allele codes of VCF column sample (0-based):
	// 0 = REF, 1 = ALT, -1 = missing. A haploid sample (Inject.Haploid)
	// is written with its first allele only. Calls are phased ('|')
	// unless the sample is unphased (Inject.Unphased) or the call has a
	// missing allele. Planted records take no injected missing or half
	// calls: Genotype decides them.
	Genotype func(sample int) (a, b int8)
}

// validatePlanted checks o.Planted (after the other checks of Validate).
func (o *Options) validatePlanted() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrOptions}, a...)...)
	}
	if len(o.Planted) == 0 {
		return nil
	}
	if int64(o.Sites)+int64(len(o.Planted)) > o.ContigLength {
		return bad("contig length %d < sites %d + planted sites %d", o.ContigLength, o.Sites, len(o.Planted))
	}
	seen := make(map[int64]bool, len(o.Planted))
	for i := range o.Planted {
		p := &o.Planted[i]
		switch {
		case p.Pos < 1 || p.Pos > o.ContigLength:
			return bad("planted site %d: position %d outside 1..%d", i, p.Pos, o.ContigLength)
		case seen[p.Pos]:
			return bad("planted site %d: position %d used twice", i, p.Pos)
		case !alleleOK(p.Ref) || !alleleOK(p.Alt) || p.Ref == p.Alt:
			return bad("planted site %d: bad alleles", i)
		case strings.ContainsAny(p.ID, "\t\n\r ;"):
			return bad("planted site %d: bad ID", i)
		case p.Genotype == nil:
			return bad("planted site %d: no Genotype function", i)
		}
		seen[p.Pos] = true
	}
	return nil
}

func alleleOK(s string) bool { return s != "" && !strings.ContainsAny(s, "\t\n\r ,;") }

// validateNames checks o.SampleNames.
func (o *Options) validateNames() error {
	if o.SampleNames == nil {
		return nil
	}
	if len(o.SampleNames) != o.Samples {
		return fmt.Errorf("%w: %d sample names for %d samples", ErrOptions, len(o.SampleNames), o.Samples)
	}
	seen := make(map[string]bool, len(o.SampleNames))
	for i, n := range o.SampleNames {
		if n == "" || strings.ContainsAny(n, "\t\n\r ") || seen[n] {
			return fmt.Errorf("%w: sample name %d is empty, repeated or has white space", ErrOptions, i+1)
		}
		seen[n] = true
	}
	return nil
}

// sortedPlanted returns the planted sites ordered by position.
func sortedPlanted(p []PlantedSite) []PlantedSite {
	s := slices.Clone(p)
	slices.SortFunc(s, func(a, b PlantedSite) int {
		switch {
		case a.Pos < b.Pos:
			return -1
		case a.Pos > b.Pos:
			return 1
		}
		return 0
	})
	return s
}

// avoidPlanted moves simulated positions (strictly increasing, within
// 1..length) off the planted ones, keeping them strictly increasing and
// within the contig: a collision moves right (and what follows with it),
// and the tail moves left from the contig's end. It needs len(pos) +
// len(planted) ≤ length.
func avoidPlanted(pos []int64, planted []PlantedSite, length int64) error {
	if len(planted) == 0 {
		return nil
	}
	taken := make(map[int64]bool, len(planted))
	for _, p := range planted {
		taken[p.Pos] = true
	}
	prev := int64(0)
	for i, v := range pos {
		v = max(v, prev+1)
		for taken[v] {
			v++
		}
		pos[i], prev = v, v
	}
	next := length + 1
	for i := len(pos) - 1; i >= 0; i-- {
		if pos[i] >= next {
			v := next - 1
			for taken[v] {
				v--
			}
			pos[i] = v
		}
		next = pos[i]
	}
	if len(pos) > 0 && pos[0] < 1 {
		return fmt.Errorf("%w: no room for %d sites and %d planted sites", ErrOptions, len(pos), len(planted))
	}
	return nil
}

// writePlanted writes one planted record and reports its SiteStats.
func (wr *writer) writePlanted(p *PlantedSite) error {
	st := &wr.st
	st.Chrom, st.Pos, st.Ref = wr.o.Contig, p.Pos, p.Ref
	st.Alt = append(st.Alt[:0], p.Alt)
	st.AC = resetInts(st.AC, 1)
	st.Het = resetInts(st.Het, 1)
	st.HomAlt = resetInts(st.HomAlt, 1)
	st.HalfAC = resetInts(st.HalfAC, 1)
	st.AN, st.Missing, st.HalfCalls = 0, 0, 0
	code := func(a int8) byte {
		switch a {
		case 0:
			return '0'
		case 1:
			return '1'
		}
		return '.'
	}
	gts := wr.gts[:0]
	for s := 0; s < wr.nSamples; s++ {
		a, b := p.Genotype(s)
		if a < -1 || a > 1 || b < -1 || b > 1 {
			return fmt.Errorf("planted site at %d: sample %d: allele code out of range", p.Pos, s)
		}
		if wr.haploid[s] {
			gts = append(gts, '\t', code(a))
			if a < 0 {
				st.Missing++
				wr.counts.Missing++
				continue
			}
			st.AN++
			if a == 1 {
				st.AC[0]++
				st.HomAlt[0]++
			}
			continue
		}
		sep := byte('|')
		if wr.unphased[s] || a < 0 || b < 0 {
			sep = '/'
		}
		gts = append(gts, '\t', code(a), sep, code(b))
		switch {
		case a < 0 && b < 0:
			st.Missing++
			wr.counts.Missing++
		case a < 0 || b < 0:
			called := max(a, b)
			st.Missing++
			st.HalfCalls++
			wr.counts.HalfCalls++
			st.AN++
			if called == 1 {
				st.AC[0]++
				st.HalfAC[0]++
			}
		default:
			st.AN += 2
			st.AC[0] += int(a + b)
			switch {
			case a+b == 1:
				st.Het[0]++
			case a+b == 2:
				st.HomAlt[0]++
			}
		}
	}
	wr.gts = gts
	wr.counts.Records++
	wr.counts.Planted++
	wr.counts.Genotypes += int64(wr.nSamples)
	id := p.ID
	if id == "" {
		id = "."
	}
	return wr.emit(p.Pos, id, p.Ref, st.Alt)
}
