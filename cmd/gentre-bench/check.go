package main

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gentre/gentre/bench/sim"
)

// check is the outcome of comparing one tool's answer with another's.
type check struct {
	Name       string
	Compared   int    // how many Unit were compared
	Unit       string // "alleles" (freq rows) or "variants" (plink2 rows)
	Mismatches int
	Examples   []string // the first few mismatches
	Skipped    string   // why the check was not run, when it was not
}

func (c *check) OK() bool { return c.Skipped != "" || c.Mismatches == 0 }

// tsvValue is the check's value in the reports' .tsv: its outcome and what
// was compared.
func (c *check) tsvValue() string {
	v := "agree"
	switch {
	case c.Skipped != "":
		v = "skipped"
	case c.Mismatches > 0:
		v = fmt.Sprintf("DISAGREE(%d)", c.Mismatches)
	}
	return fmt.Sprintf("%s, %d %s compared", v, c.Compared, c.Unit)
}

// writeChecks writes checks as a Markdown table under heading (nothing when
// there are none); pf prints to the report.
func writeChecks(pf func(format string, a ...any), heading string, checks []check) {
	if len(checks) == 0 {
		return
	}
	pf("\n%s\n\n| check | compared | mismatches | result |\n|---|---:|---:|---|\n", heading)
	for _, ch := range checks {
		res := "agree"
		switch {
		case ch.Skipped != "":
			res = "skipped: " + ch.Skipped
		case ch.Mismatches > 0:
			res = "**DISAGREE**: " + strings.Join(ch.Examples, "; ")
		}
		compared, mism := commas(int64(ch.Compared))+" "+ch.Unit, commas(int64(ch.Mismatches))
		if ch.Skipped != "" {
			compared, mism = "—", "—"
		}
		pf("| %s | %s | %s | %s |\n", mdEscape(ch.Name), compared, mism, mdEscape(res))
	}
}

const maxExamples = 5

func (c *check) fail(format string, a ...any) {
	c.Mismatches++
	if len(c.Examples) < maxExamples {
		c.Examples = append(c.Examples, fmt.Sprintf(format, a...))
	}
}

// normChrom drops a "chr" prefix: plink2 writes "22" for "chr22", and
// DESIGN.md makes the prefix optional in queries.
func normChrom(c string) string { return strings.TrimPrefix(c, "chr") }

func siteKey(chrom string, pos int64, ref, alt string) string {
	return fmt.Sprintf("%s:%d:%s:%s", normChrom(chrom), pos, ref, alt)
}

// cloneSite deep-copies a SiteStats handed to sim's OnSite callback.
func cloneSite(s *sim.SiteStats) sim.SiteStats {
	c := *s
	c.Alt = slices.Clone(s.Alt)
	c.AC, c.Het, c.HomAlt, c.HalfAC = slices.Clone(s.AC), slices.Clone(s.Het), slices.Clone(s.HomAlt), slices.Clone(s.HalfAC)
	return c
}

// truthRows expands the simulator's per-site truth into one row per ALT,
// as `freq` prints them.
func truthRows(sites []sim.SiteStats) []freqRow {
	var rows []freqRow
	for _, s := range sites {
		for a, alt := range s.Alt {
			af := math.NaN()
			if s.AN > 0 {
				af = float64(s.AC[a]) / float64(s.AN)
			}
			rows = append(rows, freqRow{Chrom: s.Chrom, Pos: s.Pos, Ref: s.Ref, Alt: alt,
				AC: s.AC[a], AN: s.AN, AF: af, Het: s.Het[a], HomAlt: s.HomAlt[a], Missing: s.Missing,
				HasGenotypeCounts: true})
		}
	}
	return rows
}

// afClose reports whether a printed allele frequency matches ac/an, allowing
// for rounding to a few digits. An AN of 0 accepts anything (NaN, NA, 0).
func afClose(af float64, ac, an int) bool {
	if an == 0 {
		return true
	}
	want := float64(ac) / float64(an)
	d := math.Abs(af - want)
	return d <= 5e-5 || d <= 1e-3*want
}

// compareFreq compares got (a tool's rows) with want (the reference),
// allele by allele, by chrom:pos:ref:alt (chrom without "chr"), and checks
// got is in want's order. Het, hom_alt and missing are compared when both
// sides have them; got's af is checked against its own and want's AC/AN.
func compareFreq(name string, got, want []freqRow) check {
	c := check{Name: name, Unit: "alleles"}
	idx := make(map[string]int, len(want))
	for i, w := range want {
		idx[siteKey(w.Chrom, w.Pos, w.Ref, w.Alt)] = i
	}
	seen := make([]bool, len(want))
	last := -1
	ordered := true
	for _, g := range got {
		k := siteKey(g.Chrom, g.Pos, g.Ref, g.Alt)
		i, ok := idx[k]
		if !ok {
			c.fail("%s: extra row (not in the reference)", k)
			continue
		}
		if seen[i] {
			c.fail("%s: row repeated", k)
			continue
		}
		seen[i] = true
		if i < last {
			ordered = false
		}
		last = i
		c.Compared++
		w := want[i]
		switch {
		case g.AC != w.AC || g.AN != w.AN:
			c.fail("%s: ac/an %d/%d, want %d/%d", k, g.AC, g.AN, w.AC, w.AN)
		case g.HasGenotypeCounts && w.HasGenotypeCounts &&
			(g.Het != w.Het || g.HomAlt != w.HomAlt || g.Missing != w.Missing):
			c.fail("%s: het/hom_alt/missing %d/%d/%d, want %d/%d/%d", k, g.Het, g.HomAlt, g.Missing, w.Het, w.HomAlt, w.Missing)
		case g.HasGenotypeCounts && !afClose(g.AF, g.AC, g.AN):
			c.fail("%s: af %g is not ac/an = %d/%d", k, g.AF, g.AC, g.AN)
		}
	}
	for i, s := range seen {
		if !s {
			w := want[i]
			c.fail("%s: row missing", siteKey(w.Chrom, w.Pos, w.Ref, w.Alt))
		}
	}
	if !ordered {
		c.fail("rows not in file order (position, then ALT order)")
	}
	return c
}

// compareAfreq compares PLINK 2's --freq answer with the simulator's truth
// in PLINK's conventions: with --vcf-half-call m a half call is missing, so
// OBS_CT = AN - half calls and ALT a's count is AC[a] - HalfAC[a]. pvar gives
// the positions when the .afreq has no POS column (the default). Haploid
// calls on an autosome are read by plink2 as homozygous diploid: the caller
// skips this check for files with haploid samples.
func compareAfreq(name string, af []afreqRow, pvar []pvarRow, truth []sim.SiteStats) check {
	c := check{Name: name, Unit: "variants"}
	if len(af) != len(truth) {
		c.fail("%d variants, want %d", len(af), len(truth))
		return c
	}
	for i, r := range af {
		t := truth[i]
		pos := r.Pos
		if pos == 0 && i < len(pvar) {
			pos = pvar[i].Pos
		}
		k := siteKey(t.Chrom, t.Pos, t.Ref, strings.Join(t.Alt, ","))
		if normChrom(r.Chrom) != normChrom(t.Chrom) || pos != t.Pos || r.Ref != t.Ref || !slices.Equal(r.Alts, t.Alt) {
			c.fail("variant %d: %s:%d:%s:%s, want %s", i+1, r.Chrom, pos, r.Ref, strings.Join(r.Alts, ","), k)
			continue
		}
		c.Compared++
		obs := t.AN - t.HalfCalls
		if r.Obs != obs {
			c.fail("%s: OBS_CT %d, want %d (AN %d - %d half calls)", k, r.Obs, obs, t.AN, t.HalfCalls)
			continue
		}
		for a, f := range r.Freqs {
			want := t.AC[a] - t.HalfAC[a]
			if obs == 0 {
				continue
			}
			est := f * float64(obs)
			if math.IsNaN(f) || math.Abs(est-float64(want)) > 0.5+est*1e-5 {
				c.fail("%s: ALT %s freq %g × OBS_CT %d = %.2f copies, want %d", k, r.Alts[a], f, obs, est, want)
				break
			}
		}
	}
	return c
}

// compareGentrePlink is the direct check of gentre against PLINK 2 on the
// sites where their conventions agree (no half calls): gentre's AN must be
// OBS_CT and its AC must be ALT_FREQS × OBS_CT, allele by allele.
func compareGentrePlink(gentre []freqRow, af []afreqRow, pvar []pvarRow, truth []sim.SiteStats) check {
	c := check{Name: "gentre vs plink2 (ac, an on sites without half calls)", Unit: "alleles"}
	byKey := make(map[string]freqRow, len(gentre))
	for _, g := range gentre {
		byKey[siteKey(g.Chrom, g.Pos, g.Ref, g.Alt)] = g
	}
	if len(af) != len(truth) {
		c.fail("plink2 has %d variants, the file %d", len(af), len(truth))
		return c
	}
	for i, r := range af {
		if truth[i].HalfCalls > 0 {
			continue
		}
		pos := r.Pos
		if pos == 0 && i < len(pvar) {
			pos = pvar[i].Pos
		}
		for a, alt := range r.Alts {
			k := siteKey(r.Chrom, pos, r.Ref, alt)
			g, ok := byKey[k]
			if !ok {
				c.fail("%s: in plink2, not in gentre", k)
				continue
			}
			c.Compared++
			est := r.Freqs[a] * float64(r.Obs)
			if g.AN != r.Obs || (r.Obs > 0 && math.Abs(est-float64(g.AC)) > 0.5+est*1e-5) {
				c.fail("%s: gentre ac/an %d/%d, plink2 ALT_FREQS %g OBS_CT %d", k, g.AC, g.AN, r.Freqs[a], r.Obs)
			}
		}
	}
	return c
}
