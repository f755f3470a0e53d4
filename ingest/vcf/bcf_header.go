package vcf

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// bcfMaxIDX bounds an explicit IDX= in the header, so that a hostile
// header cannot make the dictionaries allocate without end.
const bcfMaxIDX = 1 << 20

// bcfMetaLine is one parsed "##key=value" or "##key=<k=v,...>" line.
type bcfMetaLine struct {
	key   string
	value string    // the raw value after '='
	attrs []bcfAttr // the k=v pairs of a structured line, unquoted
}

type bcfAttr struct{ k, v string }

func (m *bcfMetaLine) attr(k string) (string, bool) {
	for _, a := range m.attrs {
		if a.k == k {
			return a.v, true
		}
	}
	return "", false
}

// parseBCFHeaderText parses the VCF header text of a BCF file (meta lines
// and the #CHROM line) into a Header, and returns the parsed meta lines for
// building the dictionaries.
//
// TODO(lead): merge with the text VCF header parser once it exists.
func parseBCFHeaderText(text string) (*Header, []bcfMetaLine, error) {
	h := &Header{Filters: []string{"PASS"}}
	var metas []bcfMetaLine
	seenChrom := false
	infoSeen := map[string]bool{}
	fmtSeen := map[string]bool{}
	for n := 1; len(text) > 0; n++ {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		line = strings.TrimSuffix(line, "\r")
		switch {
		case line == "":
			continue
		case seenChrom:
			return nil, nil, fmt.Errorf("header line %d: text after the #CHROM line", n)
		case strings.HasPrefix(line, "##"):
			m := parseBCFMeta(line[2:])
			h.Lines = append(h.Lines, line[2:])
			metas = append(metas, m)
			id, hasID := m.attr("ID")
			switch m.key {
			case "fileformat":
				if h.FileFormat == "" {
					h.FileFormat = m.value
				}
			case "contig":
				if hasID {
					length, _ := strconv.ParseInt(m.get("length"), 10, 64)
					h.Contigs = append(h.Contigs, Contig{Name: id, Length: max(length, 0)})
				}
			case "FILTER":
				if hasID && !slices.Contains(h.Filters, id) {
					h.Filters = append(h.Filters, id)
				}
			case "INFO", "FORMAT":
				seen := infoSeen
				if m.key == "FORMAT" {
					seen = fmtSeen
				}
				if !hasID || seen[id] {
					continue
				}
				seen[id] = true
				f := Field{ID: id, Number: m.get("Number"), Type: m.get("Type")}
				if m.key == "INFO" {
					h.Info = append(h.Info, f)
				} else {
					h.Format = append(h.Format, f)
				}
			}
		case strings.HasPrefix(line, "#CHROM"):
			seenChrom = true
			cols := strings.Split(line, "\t")
			if len(cols) < 8 {
				return nil, nil, fmt.Errorf("header line %d: #CHROM line has %d columns, want at least 8", n, len(cols))
			}
			if len(cols) > 9 {
				h.Samples = cols[9:]
			}
			seen := make(map[string]int, len(h.Samples))
			for i, name := range h.Samples {
				// Columns, not names: a sample name may identify a person.
				if name == "" {
					return nil, nil, fmt.Errorf("header line %d: empty sample name in column %d", n, 10+i)
				}
				if j, dup := seen[name]; dup {
					return nil, nil, fmt.Errorf("header line %d: columns %d and %d have the same sample name", n, 10+j, 10+i)
				}
				seen[name] = i
			}
		default:
			return nil, nil, fmt.Errorf("header line %d: not a meta-information or #CHROM line", n)
		}
	}
	if !seenChrom {
		return nil, nil, fmt.Errorf("no #CHROM line")
	}
	return h, metas, nil
}

func (m *bcfMetaLine) get(k string) string {
	v, _ := m.attr(k)
	return v
}

// parseBCFMeta parses the text of a meta line after "##", as htslib's
// bcf_hdr_parse_line does: a structured value "<k=v,k="quoted, \"v\"",...>"
// gives attrs; anything else is a plain value.
func parseBCFMeta(s string) bcfMetaLine {
	eq := strings.IndexByte(s, '=')
	if eq < 0 {
		return bcfMetaLine{key: s}
	}
	m := bcfMetaLine{key: s[:eq], value: s[eq+1:]}
	v := m.value
	if !strings.HasPrefix(v, "<") {
		return m
	}
	v = v[1:]
	for len(v) > 0 {
		v = strings.TrimLeft(v, " ")
		eq := strings.IndexByte(v, '=')
		if eq <= 0 {
			break
		}
		k := strings.TrimRight(v[:eq], " ")
		v = strings.TrimLeft(v[eq+1:], " ")
		var val string
		if strings.HasPrefix(v, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(v) && v[i] != '"'; i++ {
				if v[i] == '\\' && i+1 < len(v) {
					i++
				}
				b.WriteByte(v[i])
			}
			val = b.String()
			v = v[min(i+1, len(v)):]
		} else {
			depth, i := 1, 0
		scan:
			for ; i < len(v); i++ {
				switch v[i] {
				case '<':
					depth++
				case '>':
					depth--
					if depth == 0 {
						break scan
					}
				case ',':
					if depth == 1 {
						break scan
					}
				}
			}
			val = strings.TrimRight(v[:i], " ")
			v = v[i:]
		}
		m.attrs = append(m.attrs, bcfAttr{k, val})
		if !strings.HasPrefix(v, ",") {
			break // '>' or the end
		}
		v = v[1:]
	}
	return m
}

// bcfDict holds the two BCF dictionaries: the string dictionary (FILTER,
// INFO and FORMAT IDs, PASS at 0) and the contig dictionary. An index with
// no entry (a gap left by explicit IDX=) holds "".
type bcfDict struct {
	ids     []string
	contigs []string
	gt      int64   // dictionary index of GT, -1 when the header has none
	keep    []int64 // dictionary index of each Options.KeepFormat key, or -1
}

// newBCFDict builds the dictionaries as htslib's bcf_hdr_register_hrec
// does: PASS first, then each FILTER/INFO/FORMAT ID (or contig) at its
// IDX= when given, else at the next free index; an ID seen before keeps its
// index.
func newBCFDict(metas []bcfMetaLine) (bcfDict, error) {
	d := bcfDict{gt: -1}
	idIndex := map[string]int{}
	ctgIndex := map[string]int{}
	if _, err := bcfDictAdd(&d.ids, idIndex, "PASS", -1); err != nil {
		return d, err
	}
	for i := range metas {
		m := &metas[i]
		var list *[]string
		var index map[string]int
		switch m.key {
		case "FILTER", "INFO", "FORMAT":
			list, index = &d.ids, idIndex
		case "contig":
			list, index = &d.contigs, ctgIndex
		default:
			continue
		}
		id, ok := m.attr("ID")
		if !ok {
			continue
		}
		idx := -1
		if s, ok := m.attr("IDX"); ok {
			v, err := strconv.Atoi(s)
			if err != nil || v < 0 {
				continue // htslib warns and skips the line
			}
			if v > bcfMaxIDX {
				return d, fmt.Errorf("%s %s: IDX=%d over the %d limit", m.key, id, v, bcfMaxIDX)
			}
			idx = v
		}
		if _, err := bcfDictAdd(list, index, id, idx); err != nil {
			return d, fmt.Errorf("%s %s: %w", m.key, id, err)
		}
	}
	if i, ok := idIndex["GT"]; ok {
		d.gt = int64(i)
	}
	return d, nil
}

func bcfDictAdd(list *[]string, index map[string]int, id string, idx int) (int, error) {
	if i, ok := index[id]; ok {
		return i, nil
	}
	if idx < 0 {
		idx = len(*list)
	} else if idx < len(*list) && (*list)[idx] != "" {
		return 0, fmt.Errorf("IDX=%d already used", idx)
	}
	for len(*list) <= idx {
		*list = append(*list, "")
	}
	(*list)[idx] = id
	index[id] = idx
	return idx, nil
}

// contigList returns the contig dictionary as Header.Contigs: entry i is
// contig index i, with the length of its ##contig line.
func (d *bcfDict) contigList(h *Header) []Contig {
	length := make(map[string]int64, len(h.Contigs))
	for _, c := range h.Contigs {
		if _, ok := length[c.Name]; !ok {
			length[c.Name] = c.Length
		}
	}
	out := make([]Contig, len(d.contigs))
	for i, name := range d.contigs {
		out[i] = Contig{Name: name, Length: length[name]}
	}
	return out
}

// setKeep resolves Options.KeepFormat against the string dictionary; a key
// the header does not define reads as missing in every record. (Reader
// rejects keys declared with a non-numeric type, for both formats.)
func (d *bcfDict) setKeep(keys []string) {
	d.keep = make([]int64, len(keys))
	for k, key := range keys {
		d.keep[k] = -1
		for i, id := range d.ids {
			if id == key {
				d.keep[k] = int64(i)
				break
			}
		}
	}
}

// bcfLookup returns entry i of a dictionary, or false when there is none.
func bcfLookup(list []string, i int64) (string, bool) {
	if i < 0 || i >= int64(len(list)) || list[i] == "" {
		return "", false
	}
	return list[i], true
}
