package vcf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/gentre/gentre/engine/geno"
)

// textSource decodes VCF text (VCF 4.0–4.4) line by line.
//
// Decisions where the VCF specification leaves room:
//   - Empty lines are skipped (they still count in line numbers).
//   - A record may have 8 columns even when the header has samples: every
//     sample is then missing.
//   - A record whose FORMAT has no GT (or a sample column that stops before
//     its GT subfield) reads as missing calls of ploidy 1 (geno.Missing).
//   - FORMAT "." means no FORMAT fields.
//   - See parseGT for the genotype syntax accepted.
type textSource struct {
	name     string
	lr       *lineReader
	hdr      Header
	nSamples int
	hasFmt   bool // the #CHROM line has a FORMAT column

	keep     []string // Options.KeepFormat
	keepNum  []string // header Number of each kept key ("" when undeclared)
	lastFmt  []byte   // FORMAT column of the previous record
	fmtKeys  formatKeys
	ploidy   int    // ploidy of the previous record's row: the first guess for the next
	chromBuf string // the current contig name, reused while it does not change
	scratch  [geno.MaxPloidy]int16
	maxP     int   // largest ploidy in the row being decoded
	keptMax  []int // largest number of values of each kept field in the record
}

// formatKeys is the decoded FORMAT column of a record.
type formatKeys struct {
	n      int   // number of FORMAT fields
	gt     int   // index of GT, -1 when absent
	keptAt []int // keptAt[f] is the KeepFormat index of field f, or -1
	nKept  int   // number of kept fields present
	last   int   // index of the last field to decode (GT or kept), -1 when none
}

func newTextSource(r io.Reader, opts Options) (*textSource, error) {
	s := &textSource{
		name:   opts.Name,
		lr:     newLineReader(r),
		keep:   opts.KeepFormat,
		ploidy: 2,
	}
	if err := s.readHeader(); err != nil {
		return nil, err
	}
	s.keepNum = make([]string, len(s.keep))
	for k, key := range s.keep {
		for _, f := range s.hdr.Format {
			if f.ID == key {
				s.keepNum[k] = f.Number
				break
			}
		}
	}
	return s, nil
}

func (s *textSource) header() *Header { return &s.hdr }
func (s *textSource) offset() int64   { return 0 } // Reader counts compressed bytes itself

// errorf makes an error naming the file, the line and the reason.
func (s *textSource) errorf(line int64, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s: %w", s.name, line, fmt.Sprintf(format, args...), ErrFormat)
}

// readError reports a failed read while reading line s.lr.line+1.
func (s *textSource) readError(err error) error {
	line := s.lr.line + 1
	var se *streamError
	switch {
	case errors.As(err, &se):
		return s.errorf(line, "%s", se.reason)
	case err == errLineTooLong:
		return s.errorf(line, "%s", err.Error())
	}
	return fmt.Errorf("%s:%d: %w", s.name, line, err)
}

// readHeader reads the meta-information lines and the #CHROM line.
func (s *textSource) readHeader() error {
	for {
		line, err := s.lr.next()
		if err == io.EOF {
			return s.errorf(s.lr.line, "no #CHROM header line")
		}
		if err != nil {
			return s.readError(err)
		}
		switch {
		case len(line) == 0:
			continue
		case bytes.HasPrefix(line, []byte("##")):
			if err := s.metaLine(string(line[2:])); err != nil {
				return err
			}
		case bytes.HasPrefix(line, []byte("#CHROM")):
			return s.columnLine(string(line))
		default:
			return s.errorf(s.lr.line, "expected a ## meta line or the #CHROM line")
		}
	}
}

// metaLine parses one "##key=value" line (without "##").
func (s *textSource) metaLine(line string) error {
	s.hdr.Lines = append(s.hdr.Lines, line)
	key, value, ok := strings.Cut(line, "=")
	if !ok {
		return nil // free text: kept in Lines only
	}
	if key == "fileformat" {
		s.hdr.FileFormat = value
		return nil
	}
	switch key {
	case "contig", "INFO", "FORMAT", "FILTER":
	default:
		return nil
	}
	kv, err := parseStructured(value)
	if err != nil {
		return s.errorf(s.lr.line, "##%s: %v", key, err)
	}
	id := kv.get("ID")
	if id == "" {
		return s.errorf(s.lr.line, "##%s without ID", key)
	}
	switch key {
	case "contig":
		c := Contig{Name: id}
		if l := kv.get("length"); l != "" {
			n, err := strconv.ParseInt(l, 10, 64)
			if err != nil || n < 0 {
				return s.errorf(s.lr.line, "##contig length is not a non-negative integer")
			}
			c.Length = n
		}
		s.hdr.Contigs = append(s.hdr.Contigs, c)
	case "INFO":
		s.hdr.Info = append(s.hdr.Info, Field{ID: id, Number: kv.get("Number"), Type: kv.get("Type")})
	case "FORMAT":
		s.hdr.Format = append(s.hdr.Format, Field{ID: id, Number: kv.get("Number"), Type: kv.get("Type")})
	case "FILTER":
		s.hdr.Filters = append(s.hdr.Filters, id)
	}
	return nil
}

// keyValues are the pairs of a structured meta line, in order.
type keyValues []string // key, value, key, value ...

func (kv keyValues) get(key string) string {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == key {
			return kv[i+1]
		}
	}
	return ""
}

// parseStructured parses "<ID=x,Number=1,Description="a, b > c">". Quoted
// values may hold commas and '>' and backslash escapes.
func parseStructured(v string) (keyValues, error) {
	v = strings.TrimRight(v, " \t") // some writers leave trailing spaces
	if len(v) < 2 || v[0] != '<' || v[len(v)-1] != '>' {
		return nil, errors.New("value is not <...>")
	}
	v = v[1 : len(v)-1]
	var kv keyValues
	for len(v) > 0 {
		eq := strings.IndexByte(v, '=')
		if eq <= 0 {
			return nil, errors.New("key without =value")
		}
		key := strings.TrimSpace(v[:eq])
		v = v[eq+1:]
		var val string
		if len(v) > 0 && v[0] == '"' {
			var b strings.Builder
			i := 1
			for ; i < len(v) && v[i] != '"'; i++ {
				if v[i] == '\\' && i+1 < len(v) {
					i++
				}
				b.WriteByte(v[i])
			}
			if i == len(v) {
				return nil, errors.New("unterminated quoted value")
			}
			val = b.String()
			v = v[i+1:]
			if len(v) > 0 && v[0] != ',' {
				return nil, errors.New("text after a quoted value")
			}
		} else {
			end := strings.IndexByte(v, ',')
			if end < 0 {
				end = len(v)
			}
			val = v[:end]
			v = v[end:]
		}
		if len(v) > 0 { // skip the ','
			v = v[1:]
		}
		kv = append(kv, key, val)
	}
	return kv, nil
}

// fixedColumns are the names of the 8 fixed columns.
var fixedColumns = [...]string{"#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"}

// columnLine parses the "#CHROM ..." line.
func (s *textSource) columnLine(line string) error {
	cols := strings.Split(line, "\t")
	if len(cols) < len(fixedColumns) {
		return s.errorf(s.lr.line, "#CHROM line has %d tab-separated columns, want at least 8", len(cols))
	}
	for i, want := range fixedColumns {
		if cols[i] != want {
			return s.errorf(s.lr.line, "#CHROM line: column %d is not %s", i+1, want)
		}
	}
	if len(cols) > 8 {
		if cols[8] != "FORMAT" {
			return s.errorf(s.lr.line, "#CHROM line: column 9 is not FORMAT")
		}
		s.hasFmt = true
	}
	if len(cols) > 9 {
		s.hdr.Samples = cols[9:]
		seen := make(map[string]int, len(s.hdr.Samples))
		for i, name := range s.hdr.Samples {
			if name == "" {
				return s.errorf(s.lr.line, "#CHROM line: empty sample name in column %d", 10+i)
			}
			if j, dup := seen[name]; dup {
				return s.errorf(s.lr.line, "#CHROM line: columns %d and %d have the same sample name", 10+j, 10+i)
			}
			seen[name] = i
		}
	}
	s.nSamples = len(s.hdr.Samples)
	return nil
}

// next reads the next record into rec.
func (s *textSource) next(rec *Record) error {
	for {
		line, err := s.lr.next()
		if err == io.EOF {
			return io.EOF
		}
		if err != nil {
			return s.readError(err)
		}
		if len(line) == 0 {
			continue
		}
		rec.Line = s.lr.line
		return s.parseRecord(line, rec)
	}
}

// parseRecord decodes one data line.
func (s *textSource) parseRecord(line []byte, rec *Record) error {
	// Find the 8 fixed columns.
	var ends [8]int
	p := 0
	for c := 0; c < 8; c++ {
		i := bytes.IndexByte(line[p:], '\t')
		if i < 0 {
			if c < 7 {
				return s.columnCountError(line, rec.Line)
			}
			i = len(line) - p
		}
		ends[c] = p + i
		p += i + 1
	}
	// One string for the fixed columns; the Record's strings are views of it.
	fixed := string(line[:ends[7]])
	col := func(c int) string {
		start := 0
		if c > 0 {
			start = ends[c-1] + 1
		}
		return fixed[start:ends[c]]
	}

	chrom := col(0)
	if chrom == "" {
		return s.errorf(rec.Line, "empty CHROM")
	}
	if chrom != s.chromBuf {
		s.chromBuf = strings.Clone(chrom) // do not pin the line's string
	}
	rec.Chrom = s.chromBuf

	pos, ok := parsePos(col(1))
	if !ok {
		return s.errorf(rec.Line, "POS is not an integer")
	}
	rec.Pos = pos
	rec.ID = col(2)
	rec.Ref = col(3)
	if rec.Ref == "" {
		return s.errorf(rec.Line, "empty REF")
	}
	if err := s.parseAlt(col(4), rec); err != nil {
		return err
	}
	if q := col(5); q == "." {
		rec.Qual = float32(math.NaN())
	} else {
		f, err := strconv.ParseFloat(q, 32)
		if err != nil {
			return s.errorf(rec.Line, "QUAL is not a number")
		}
		rec.Qual = float32(f)
	}
	rec.Filter = col(6)
	rec.Info = col(7)
	if rec.Filter == "" || rec.Info == "" || rec.ID == "" {
		return s.errorf(rec.Line, "empty ID, FILTER or INFO column (use \".\")")
	}

	nAlleles := 1 + len(rec.Alt)
	s.resetKept(rec, nAlleles)
	if err := s.parseGenotypes(line, ends[7], rec, nAlleles); err != nil {
		return err
	}
	s.finishKept(rec)
	return nil
}

// parseGenotypes decodes the FORMAT and sample columns, which follow the
// INFO column ending at line[infoEnd].
func (s *textSource) parseGenotypes(line []byte, infoEnd int, rec *Record, nAlleles int) error {
	if infoEnd == len(line) { // 8 columns: no genotypes
		s.allMissing(rec, nAlleles)
		return nil
	}
	if !s.hasFmt {
		return s.columnCountError(line, rec.Line)
	}
	p := infoEnd + 1
	i := bytes.IndexByte(line[p:], '\t')
	if i < 0 {
		i = len(line) - p
	}
	if s.nSamples == 0 && p+i != len(line) || s.nSamples > 0 && p+i == len(line) {
		return s.columnCountError(line, rec.Line)
	}
	if err := s.parseFormat(line[p:p+i], rec.Line); err != nil {
		return err
	}
	if s.nSamples == 0 {
		s.allMissing(rec, nAlleles)
		return nil
	}
	return s.parseSamples(line, p+i+1, rec, nAlleles)
}

// columnCountError reports a line with the wrong number of columns.
func (s *textSource) columnCountError(line []byte, lineNo int64) error {
	got := bytes.Count(line, []byte{'\t'}) + 1
	want := 8
	if s.hasFmt {
		want = 9 + s.nSamples
	}
	if want == 8 {
		return s.errorf(lineNo, "%d columns, want 8 (the #CHROM line has no FORMAT column)", got)
	}
	return s.errorf(lineNo, "%d columns, want %d (8 fixed, FORMAT and %d samples) or 8", got, want, s.nSamples)
}

// parsePos parses a decimal POS.
func parsePos(b string) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + int64(d)
	}
	return n, true
}

// parseAlt splits the ALT column into rec.Alt.
func (s *textSource) parseAlt(alt string, rec *Record) error {
	rec.Alt = rec.Alt[:0]
	if alt == "." {
		return nil
	}
	for {
		i := strings.IndexByte(alt, ',')
		a := alt
		if i >= 0 {
			a = alt[:i]
		}
		if a == "" {
			return s.errorf(rec.Line, "empty allele in ALT")
		}
		rec.Alt = append(rec.Alt, a)
		if len(rec.Alt) >= geno.MaxAlleles {
			return s.errorf(rec.Line, "more than %d alleles", geno.MaxAlleles)
		}
		if i < 0 {
			return nil
		}
		alt = alt[i+1:]
	}
}

// parseFormat decodes the FORMAT column, reusing the previous record's
// result when the column is the same.
func (s *textSource) parseFormat(f []byte, lineNo int64) error {
	if bytes.Equal(f, s.lastFmt) && s.lastFmt != nil {
		return nil
	}
	if len(f) == 0 {
		return s.errorf(lineNo, "empty FORMAT column (use \".\")")
	}
	s.lastFmt = append(s.lastFmt[:0], f...)
	k := &s.fmtKeys
	k.n, k.gt, k.nKept, k.last = 0, -1, 0, -1
	k.keptAt = k.keptAt[:0]
	if string(f) == "." {
		return nil
	}
	for field := range bytes.SplitSeq(f, []byte{':'}) {
		kept := -1
		if string(field) == "GT" {
			if k.gt < 0 {
				k.gt = k.n
			}
		} else {
			for j, key := range s.keep {
				if string(field) == key && !k.hasKept(j) {
					kept = j
					k.nKept++
					break
				}
			}
		}
		k.keptAt = append(k.keptAt, kept)
		if kept >= 0 || k.gt == k.n {
			k.last = k.n
		}
		k.n++
	}
	return nil
}

func (k *formatKeys) hasKept(j int) bool {
	for _, x := range k.keptAt {
		if x == j {
			return true
		}
	}
	return false
}

// allMissing sets every sample's call to missing (ploidy 1).
func (s *textSource) allMissing(rec *Record, nAlleles int) {
	ploidy := 1
	if s.nSamples == 0 {
		ploidy = 0
	}
	row := &rec.GT
	row.NAlleles = nAlleles
	row.Ploidy = ploidy
	row.GT = resizeGT(row.GT, s.nSamples*ploidy)
	for i := range row.GT {
		row.GT[i] = geno.Missing
	}
	row.Phased = resizePhased(row.Phased, s.nSamples)
	clear(row.Phased)
}
