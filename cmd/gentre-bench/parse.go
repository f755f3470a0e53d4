package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// freqRow is one alt allele of one site: a row of `gentre query 'freq ...'`
// or of the bcftools peer pipeline (which has no af/het/hom_alt/missing:
// HasGenotypeCounts is false and those fields are zero).
type freqRow struct {
	Chrom             string
	Pos               int64
	Ref, Alt          string
	AC, AN            int
	AF                float64 // NaN when not given or not a number
	Het, HomAlt       int
	Missing           int
	HasGenotypeCounts bool
}

// lines calls fn for every non-empty line of r with its 1-based number.
func lines(r io.Reader, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<28)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		if err := fn(n, line); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	return sc.Err()
}

func atoi(field, name string) (int, error) {
	v, err := strconv.Atoi(field)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not an integer", name, field)
	}
	return v, nil
}

// parseBcftoolsQuery reads the output of
// `bcftools query -f '%CHROM\t%POS\t%REF\t%ALT\t%AC\t%AN\n'` after
// `bcftools norm -m-` (one ALT a row).
func parseBcftoolsQuery(r io.Reader) ([]freqRow, error) {
	var rows []freqRow
	err := lines(r, func(_ int, line string) error {
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			return fmt.Errorf("bcftools query: %d fields, want 6", len(f))
		}
		row := freqRow{Chrom: f[0], Ref: f[2], Alt: f[3], AF: math.NaN()}
		var err error
		if row.Pos, err = strconv.ParseInt(f[1], 10, 64); err != nil {
			return fmt.Errorf("bcftools query: POS %q", f[1])
		}
		if strings.Contains(f[3], ",") || strings.Contains(f[4], ",") {
			return fmt.Errorf("bcftools query: several ALTs in one row (missing norm -m-?)")
		}
		if row.AC, err = atoi(f[4], "AC"); err != nil {
			return err
		}
		if row.AN, err = atoi(f[5], "AN"); err != nil {
			return err
		}
		rows = append(rows, row)
		return nil
	})
	return rows, err
}

// gentreFreqColumns are the columns `gentre query 'freq REGION'` must
// print (DESIGN.md), in any order after a header line.
var gentreFreqColumns = []string{"chrom", "pos", "ref", "alt", "ac", "an", "af", "het", "hom_alt", "missing"}

// parseGentreFreq reads gentre's freq TSV: a header of lower-case names
// (no '#'), then one row per alt allele.
func parseGentreFreq(r io.Reader) ([]freqRow, error) {
	var rows []freqRow
	col := map[string]int{}
	err := lines(r, func(n int, line string) error {
		f := strings.Split(line, "\t")
		if len(col) == 0 {
			for i, name := range f {
				col[name] = i
			}
			for _, want := range gentreFreqColumns {
				if _, ok := col[want]; !ok {
					return fmt.Errorf("gentre freq: header %q lacks column %q", line, want)
				}
			}
			return nil
		}
		if len(f) < len(col) {
			return fmt.Errorf("gentre freq: %d fields, header has %d", len(f), len(col))
		}
		get := func(name string) string { return f[col[name]] }
		row := freqRow{Chrom: get("chrom"), Ref: get("ref"), Alt: get("alt"), HasGenotypeCounts: true}
		var err error
		if row.Pos, err = strconv.ParseInt(get("pos"), 10, 64); err != nil {
			return fmt.Errorf("gentre freq: pos %q", get("pos"))
		}
		for _, c := range []struct {
			name string
			dst  *int
		}{{"ac", &row.AC}, {"an", &row.AN}, {"het", &row.Het}, {"hom_alt", &row.HomAlt}, {"missing", &row.Missing}} {
			if *c.dst, err = atoi(get(c.name), c.name); err != nil {
				return err
			}
		}
		row.AF, err = strconv.ParseFloat(get("af"), 64)
		if err != nil {
			row.AF = math.NaN()
		}
		rows = append(rows, row)
		return nil
	})
	if err == nil && len(col) == 0 {
		err = fmt.Errorf("gentre freq: empty output (no header)")
	}
	return rows, err
}

// afreqRow is one variant of a PLINK 2 .afreq file (multi-allelic
// variants list their ALTs and frequencies comma-separated).
type afreqRow struct {
	Chrom string
	Pos   int64 // 0 unless the file has a POS column (--freq cols=+pos)
	ID    string
	Ref   string
	Alts  []string
	Freqs []float64
	Obs   int // OBS_CT: allele observations
}

// parseAfreq reads `plink2 --freq` output: a "#CHROM ..." header naming
// the columns (ID, REF, ALT, ALT_FREQS, OBS_CT required), then one
// variant a line. An ALT_FREQS of "NA" (no observations) parses as NaN.
func parseAfreq(r io.Reader) ([]afreqRow, error) {
	var rows []afreqRow
	col := map[string]int{}
	err := lines(r, func(_ int, line string) error {
		f := strings.Split(line, "\t")
		if len(col) == 0 {
			if !strings.HasPrefix(line, "#") {
				return fmt.Errorf("afreq: no header line")
			}
			f[0] = strings.TrimPrefix(f[0], "#")
			for i, name := range f {
				col[name] = i
			}
			for _, want := range []string{"CHROM", "ID", "REF", "ALT", "ALT_FREQS", "OBS_CT"} {
				if _, ok := col[want]; !ok {
					return fmt.Errorf("afreq: header lacks %s", want)
				}
			}
			return nil
		}
		if len(f) < len(col) {
			return fmt.Errorf("afreq: %d fields, header has %d", len(f), len(col))
		}
		row := afreqRow{Chrom: f[col["CHROM"]], ID: f[col["ID"]], Ref: f[col["REF"]],
			Alts: strings.Split(f[col["ALT"]], ",")}
		if i, ok := col["POS"]; ok {
			p, err := strconv.ParseInt(f[i], 10, 64)
			if err != nil {
				return fmt.Errorf("afreq: POS %q", f[i])
			}
			row.Pos = p
		}
		for _, s := range strings.Split(f[col["ALT_FREQS"]], ",") {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				if s != "NA" {
					return fmt.Errorf("afreq: ALT_FREQS %q", s)
				}
				v = math.NaN()
			}
			row.Freqs = append(row.Freqs, v)
		}
		if len(row.Freqs) != len(row.Alts) {
			return fmt.Errorf("afreq: %d ALTs, %d frequencies", len(row.Alts), len(row.Freqs))
		}
		var err error
		if row.Obs, err = atoi(f[col["OBS_CT"]], "OBS_CT"); err != nil {
			return err
		}
		rows = append(rows, row)
		return nil
	})
	return rows, err
}

// pvarRow is one variant of a .pvar file (the positions --freq leaves out
// by default; its rows are in the same order as .afreq's).
type pvarRow struct {
	Chrom string
	Pos   int64
	Ref   string
	Alts  []string
}

// parsePvar reads a plain-text .pvar: "##" meta lines, a "#CHROM" header
// (CHROM, POS, REF, ALT required), then one variant a line.
func parsePvar(r io.Reader) ([]pvarRow, error) {
	var rows []pvarRow
	col := map[string]int{}
	err := lines(r, func(_ int, line string) error {
		if strings.HasPrefix(line, "##") {
			return nil
		}
		f := strings.Split(line, "\t")
		if len(col) == 0 {
			if !strings.HasPrefix(line, "#CHROM") {
				return fmt.Errorf("pvar: no #CHROM header (a headerless .pvar is not supported)")
			}
			f[0] = "CHROM"
			for i, name := range f {
				col[name] = i
			}
			for _, want := range []string{"POS", "REF", "ALT"} {
				if _, ok := col[want]; !ok {
					return fmt.Errorf("pvar: header lacks %s", want)
				}
			}
			return nil
		}
		if len(f) < len(col) {
			return fmt.Errorf("pvar: %d fields, header has %d", len(f), len(col))
		}
		p, err := strconv.ParseInt(f[col["POS"]], 10, 64)
		if err != nil {
			return fmt.Errorf("pvar: POS %q", f[col["POS"]])
		}
		rows = append(rows, pvarRow{Chrom: f[col["CHROM"]], Pos: p, Ref: f[col["REF"]], Alts: strings.Split(f[col["ALT"]], ",")})
		return nil
	})
	return rows, err
}
