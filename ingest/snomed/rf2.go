package snomed

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gentre/gentre/engine/concept"
)

// RF2Header is the header line of an RF2 relationship file, tab-separated.
var RF2Header = []string{
	"id", "effectiveTime", "active", "moduleId", "sourceId", "destinationId",
	"relationshipGroup", "typeId", "characteristicTypeId", "modifierId",
}

// Column positions in a relationship row.
const (
	colID = iota
	colEffectiveTime
	colActive
	colModule
	colSource
	colDestination
	colGroup
	colType
	colCharType
	colModifier
	nColumns
)

// maxLine is the longest line the reader accepts (a relationship row is about
// 110 bytes).
const maxLine = 64 << 10

// Stats counts what ParseRF2 read and kept.
type Stats struct {
	Rows       int // data rows (the header excluded)
	Inactive   int // is-a relationships whose latest version is inactive (active = 0)
	OtherType  int // rows of another typeId than is-a (active or not)
	Superseded int // rows replaced by a later version of the same id (full release)
	Duplicate  int // active is-a rows repeating an edge already kept
	Edges      int // distinct active is-a edges in the hierarchy
	Concepts   int // concepts named by those edges
	Release    int // latest effectiveTime of any row, YYYYMMDD
}

// ParseRF2File reads the RF2 relationship file at path (see ParseRF2). Errors
// name the file by its base name.
func ParseRF2File(path string) (*Hierarchy, Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Stats{}, err
	}
	defer f.Close()
	return ParseRF2(f, filepath.Base(path))
}

// ParseRF2 reads an RF2 relationship file (sct2_Relationship_Snapshot_*.txt,
// or the Full file; a Delta alone holds only the changes) and builds the is-a hierarchy of its active is-a
// rows (typeId 116680003): sourceId is-a destinationId. name is used in
// error messages, which have the form "name:line: column: reason" and wrap
// ErrFormat.
//
// Every row is validated: ten tab-separated columns under the exact RF2
// header; id an SCTID with relationship partition (02/12); moduleId, sourceId,
// destinationId, typeId, characteristicTypeId and modifierId SCTIDs with
// concept partition (00/10), each 6 to 18 digits with a valid Verhoeff check
// digit; effectiveTime a calendar date YYYYMMDD; active 0 or 1;
// relationshipGroup a non-negative integer. Lines may end in LF or CRLF.
//
// A snapshot holds one row per relationship id. A full release holds every
// version of each relationship; ParseRF2 keeps, for each id, the row with the
// latest effectiveTime (whatever its typeId), so a relationship inactivated
// later is dropped. Two rows with the same id and effectiveTime are an
// error. The concepts of the hierarchy are exactly those named by the kept
// active is-a rows; repeated edges (e.g. the same link in two relationship
// groups) count once. An is-a cycle is an error naming one concept on it,
// wrapping ErrCycle and ErrFormat.
func ParseRF2(r io.Reader, name string) (*Hierarchy, Stats, error) {
	p := rf2Parser{name: name}
	if err := p.read(r); err != nil {
		return nil, Stats{}, err
	}
	edges, lines := p.edgeList, p.edgeLines
	h, cyc, err := concept.BuildCycle(edges)
	if err != nil {
		if cyc >= 0 {
			return nil, Stats{}, fmt.Errorf("%s:%d: sourceId: is-a cycle through concept %d: %w: %w",
				name, lines[cyc], edges[cyc].Child, ErrCycle, ErrFormat)
		}
		return nil, Stats{}, err
	}
	h.SetRelease(p.stats.Release)
	p.stats.Duplicate = len(edges) - h.Edges()
	p.stats.Edges = h.Edges()
	p.stats.Concepts = h.Len()
	return h, p.stats, nil
}

// isaRow is what the parser keeps of an is-a row.
type isaRow struct {
	src, dst int64
	active   bool
}

// version is one row of a relationship id: its effectiveTime, line, and
// index into rf2Parser.isa (-1 for a row of another type).
type version struct {
	time, line, isa int32
}

type rf2Parser struct {
	name  string
	line  int
	stats Stats

	relIDs   []uint64  // relationship id of each row
	versions []version // the rest of each row
	isa      []isaRow

	edgeList  []Edge
	edgeLines []int32

	// Last validated value of the columns that repeat on every row.
	cache [nColumns]struct {
		text []byte
		v    int64
	}
}

func (p *rf2Parser) errorf(col int, format string, args ...any) error {
	reason := fmt.Sprintf(format, args...)
	if col >= 0 {
		reason = RF2Header[col] + ": " + reason
	}
	return fmt.Errorf("%s:%d: %s: %w", p.name, p.line, reason, ErrFormat)
}

func (p *rf2Parser) read(r io.Reader) error {
	br := bufio.NewReaderSize(r, maxLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) == 0 && err == io.EOF {
			break
		}
		p.line++
		if errors.Is(err, bufio.ErrBufferFull) {
			return p.errorf(-1, "line longer than %d bytes", maxLine)
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s:%d: %w", p.name, p.line, err)
		}
		line = bytes.TrimSuffix(line, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if p.line == 1 {
			if err := p.header(line); err != nil {
				return err
			}
		} else if err := p.row(line); err != nil {
			return err
		}
		if err == io.EOF {
			break
		}
	}
	if p.line == 0 {
		p.line = 1
		return p.errorf(-1, "empty file: missing RF2 header (%s)", strings.Join(RF2Header, " "))
	}
	return p.resolve()
}

func headerText() string {
	var b []byte
	for i, c := range RF2Header {
		if i > 0 {
			b = append(b, '\t')
		}
		b = append(b, c...)
	}
	return string(b)
}

func (p *rf2Parser) header(line []byte) error {
	line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")) // tolerate a UTF-8 BOM
	cols := bytes.Split(line, []byte{'\t'})
	if len(cols) != nColumns {
		return p.errorf(-1, "missing or wrong RF2 relationship header: %d columns, want %d (%s)",
			len(cols), nColumns, strings.Join(RF2Header, " "))
	}
	for i, c := range cols {
		if string(c) != RF2Header[i] {
			return p.errorf(-1, "wrong RF2 relationship header: column %d is %s, want %s",
				i+1, quote(c), RF2Header[i])
		}
	}
	return nil
}

// quote renders a field for an error message, cut to 40 bytes.
func quote(b []byte) string {
	if len(b) > 40 {
		return strconv.Quote(string(b[:40])) + "..."
	}
	return strconv.Quote(string(b))
}

// splitRow cuts line into its columns without allocating. n is the number of
// columns found (it may exceed nColumns: counting stops after one more).
func splitRow(line []byte, cols *[nColumns][]byte) (n int) {
	for n < nColumns {
		i := bytes.IndexByte(line, '\t')
		if i < 0 {
			cols[n] = line
			return n + 1
		}
		cols[n] = line[:i]
		line = line[i+1:]
		n++
	}
	return n + 1 // a tab after the last column
}

func (p *rf2Parser) row(line []byte) error {
	var cols [nColumns][]byte
	if n := splitRow(line, &cols); n != nColumns {
		if n > nColumns {
			return p.errorf(-1, "more than %d tab-separated columns (last is modifierId)", nColumns)
		}
		return p.errorf(-1, "%d tab-separated columns, want %d (%s is missing)", n, nColumns, RF2Header[n])
	}
	p.stats.Rows++
	id, err := p.sctid(cols[:], colID, PartRelationship)
	if err != nil {
		return err
	}
	t, err := p.date(cols[colEffectiveTime])
	if err != nil {
		return err
	}
	var active bool
	switch string(cols[colActive]) {
	case "1":
		active = true
	case "0":
	default:
		return p.errorf(colActive, "%s is not 0 or 1", quote(cols[colActive]))
	}
	var ids [nColumns]int64
	for _, c := range [...]int{colModule, colSource, colDestination, colType, colCharType, colModifier} {
		if ids[c], err = p.sctid(cols[:], c, PartConcept); err != nil {
			return err
		}
	}
	if g := cols[colGroup]; len(g) == 0 || len(g) > 9 || !allDigits(g) {
		return p.errorf(colGroup, "%s is not a non-negative integer", quote(g))
	}
	if int(t) > p.stats.Release {
		p.stats.Release = int(t)
	}
	v := version{time: t, line: int32(p.line), isa: -1}
	if ids[colType] == IsA {
		v.isa = int32(len(p.isa))
		p.isa = append(p.isa, isaRow{src: ids[colSource], dst: ids[colDestination], active: active})
	} else {
		p.stats.OtherType++
	}
	p.relIDs = append(p.relIDs, uint64(id))
	p.versions = append(p.versions, v)
	return nil
}

// resolve keeps the latest version of each relationship id, whatever its
// type (a snapshot has one version of each; a full release has all), and
// makes the edges of those that are active is-a rows, in relationship id
// order.
func (p *rf2Parser) resolve() error {
	order := make([]uint32, len(p.relIDs))
	for i := range order {
		order[i] = uint32(i)
	}
	concept.SortKeys(p.relIDs, order) // stable: equal ids stay in file order
	p.edgeList = make([]Edge, 0, len(p.isa))
	for i := 0; i < len(order); {
		j, latest := i+1, p.versions[order[i]]
		for ; j < len(order) && p.relIDs[j] == p.relIDs[i]; j++ {
			v := p.versions[order[j]]
			for k := i; k < j; k++ { // groups are a few versions long
				if w := p.versions[order[k]]; w.time == v.time {
					p.line = int(v.line)
					return p.errorf(colEffectiveTime, "relationship id %d repeated with the same effectiveTime %d (first at line %d)",
						p.relIDs[i], v.time, w.line)
				}
			}
			if v.time > latest.time {
				latest = v
			}
		}
		p.stats.Superseded += j - i - 1
		if latest.isa >= 0 {
			if r := p.isa[latest.isa]; r.active {
				p.edgeList = append(p.edgeList, Edge{Child: r.src, Parent: r.dst})
				p.edgeLines = append(p.edgeLines, latest.line)
			} else {
				p.stats.Inactive++
			}
		}
		i = j
	}
	p.relIDs, p.versions, p.isa = nil, nil, nil
	return nil
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// sctid validates column c of cols as an SCTID of the given partition. The
// columns that repeat on every row (moduleId, typeId, ...) are checked once per
// distinct value.
func (p *rf2Parser) sctid(cols [][]byte, c, part int) (int64, error) {
	s := cols[c]
	cached := &p.cache[c]
	if c != colID && c != colSource && c != colDestination && bytes.Equal(s, cached.text) && cached.text != nil {
		return cached.v, nil
	}
	v, reason := concept.SCTIDReason(s, part)
	if reason != "" {
		return 0, p.errorf(c, "%s: %s", quote(s), reason)
	}
	cached.text = append(cached.text[:0], s...)
	cached.v = v
	return v, nil
}

// date parses an RF2 effectiveTime (YYYYMMDD, a real calendar date).
func (p *rf2Parser) date(b []byte) (int32, error) {
	if len(b) != 8 || !allDigits(b) {
		return 0, p.errorf(colEffectiveTime, "%s is not a date YYYYMMDD", quote(b))
	}
	v := 0
	for _, c := range b {
		v = v*10 + int(c-'0')
	}
	y, m, d := v/10000, v/100%100, v%100
	if y < 1900 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, p.errorf(colEffectiveTime, "%s is not a calendar date YYYYMMDD", quote(b))
	}
	return int32(v), nil
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
