package store

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gentre/gentre/engine/geno"
)

// Chunk is a decoded chunk file: sites and encoded genotype rows of
// consecutive variants of one contig from one batch. Byte slices are views
// into the chunk's decompressed sections.
type Chunk struct {
	Name   string
	Batch  uint32
	Contig string
	// Samples holds the global sample index of each column of the batch.
	Samples []uint32
	// Pos holds each variant's 1-based position.
	Pos []int64
	// alleles[alleleOff[i]:alleleOff[i+1]] are variant i's alleles, REF first.
	alleles   [][]byte
	alleleOff []int32
	rows      [][]byte
	Kept      []KeptField
	// PhaseRef is the batch's phase reference, which rows that store their
	// phase flags relative to it need for geno.View.Decode (SetPhaseRef);
	// nil when the chunk has none.
	PhaseRef []uint64
	// Split, set only by Store.ReadChunkInto, is the chunk's split rows
	// (section T): Row(i) of a row it lists is then a stub, whose counts
	// plus those of its samples' events in Split are the row's. Chunks
	// from ReadChunk and DecodeChunk have whole rows and a nil Split.
	Split *SplitRows

	split   SplitRows     // Split's storage
	scratch *chunkScratch // Store.ReadChunkInto's buffers
}

// KeptField holds one FORMAT field's values, kept at ingest by request.
type KeptField struct {
	Key string
	// Width[i] is the number of values per sample of variant i; Values[i]
	// holds len(Samples)*Width[i] values (NaN when missing).
	Width  []int
	Values [][]float32
}

// Len returns the number of variants in the chunk.
func (c *Chunk) Len() int { return len(c.Pos) }

// Alleles returns variant i's alleles, REF first.
func (c *Chunk) Alleles(i int) [][]byte { return c.alleles[c.alleleOff[i]:c.alleleOff[i+1]] }

// Row returns variant i's encoded genotype row (engine/geno).
func (c *Chunk) Row(i int) []byte { return c.rows[i] }

// ChunkParts selects what DecodeChunk decodes beyond the header and sites.
type ChunkParts uint8

const (
	PartGenotypes ChunkParts = 1 << iota
	PartFormat
)

// DecodeChunk checks and decodes a chunk file's bytes.
func DecodeChunk(name string, b []byte, parts ChunkParts) (*Chunk, error) {
	c := &Chunk{}
	if err := c.decode(name, b, parts, nil); err != nil {
		return nil, err
	}
	return c, nil
}

// chunkScratch is the storage a Chunk read by Store.ReadChunkInto keeps for
// the next read: the file's bytes and the decompressed sections.
type chunkScratch struct {
	file []byte
	bufs [][]byte
	secs []section
	lens []int
}

// decode decodes b into c, reusing c's storage (and scr's buffers when not
// nil); on error c is left in an unspecified state.
func (c *Chunk) decode(name string, b []byte, parts ChunkParts, scr *chunkScratch) error {
	want := func(tag byte) bool {
		switch tag {
		case secGenotype, secPhase, secSplit:
			return parts&PartGenotypes != 0
		case secFormat:
			return parts&PartFormat != 0
		}
		return true
	}
	var secs []section
	var err error
	var lens []int
	if scr != nil {
		secs, err = parseSectionsInto(name, b, want, scr.secs, &scr.bufs)
		scr.secs = secs
		lens = scr.lens
	} else {
		secs, err = parseSections(name, b, want)
	}
	if err != nil {
		return err
	}
	c.Name = name
	c.Samples, c.Pos = c.Samples[:0], c.Pos[:0]
	c.alleles, c.alleleOff = c.alleles[:0], c.alleleOff[:0]
	c.rows, c.Kept, c.PhaseRef = c.rows[:0], nil, c.PhaseRef[:0]
	haveRows, haveSplit := false, false
	c.Split = nil
	haveHeader, haveSites := false, false
	nVariants := 0
	for _, s := range secs {
		d := &decoder{b: s.data}
		switch s.tag {
		case secHeader:
			c.Batch = uint32(d.uvarint())
			c.Contig = string(d.bytes())
			ns := d.count(1)
			if d.err == nil {
				c.Samples = grow(c.Samples, ns)
			}
			prev := int64(0)
			for i := 0; i < ns && d.err == nil; i++ {
				v := int64(d.uvarint())
				prev += (v >> 1) ^ -(v & 1) // zigzag delta
				if prev < 0 || prev > math.MaxUint32 {
					d.err = fmt.Errorf("sample index out of range")
				}
				c.Samples[i] = uint32(prev)
			}
			nVariants = int(d.uvarint())
			haveHeader = true
		case secSites:
			if !haveHeader {
				return fmt.Errorf("%s: sites before header: %w", name, ErrCorrupt)
			}
			n := d.count(2)
			if d.err == nil && n != nVariants {
				d.err = fmt.Errorf("%d sites for %d variants", n, nVariants)
			}
			if d.err == nil {
				c.Pos = grow(c.Pos, n)
				c.alleleOff = grow(c.alleleOff, n+1)
				c.alleleOff[0] = 0
			}
			pos := int64(0)
			for i := 0; i < n && d.err == nil; i++ {
				pos += int64(d.uvarint())
				c.Pos[i] = pos
				na := d.count(1)
				for j := 0; j < na && d.err == nil; j++ {
					c.alleles = append(c.alleles, d.bytes())
				}
				c.alleleOff[i+1] = int32(len(c.alleles))
			}
			haveSites = true
		case secPhase:
			if !haveHeader {
				return fmt.Errorf("%s: phase reference before header: %w", name, ErrCorrupt)
			}
			words := (len(c.Samples) + 63) / 64
			if len(d.b) != 8*words {
				d.err = fmt.Errorf("phase reference of %d bytes for %d samples", len(d.b), len(c.Samples))
				break
			}
			c.PhaseRef = grow(c.PhaseRef, words)
			for i := range c.PhaseRef {
				c.PhaseRef[i] = binary.LittleEndian.Uint64(d.b[8*i:])
			}
			if r := len(c.Samples) % 64; r != 0 && c.PhaseRef[words-1]>>uint(r) != 0 {
				d.err = fmt.Errorf("phase reference has bits beyond the last sample")
			}
			d.b = nil
		case secGenotype:
			n := d.count(1)
			if d.err == nil && n != nVariants {
				d.err = fmt.Errorf("%d genotype rows for %d variants", n, nVariants)
			}
			lens = grow(lens, n)
			if scr != nil {
				scr.lens = lens
			}
			total := 0
			for i := 0; i < n && d.err == nil; i++ {
				lens[i] = int(d.uvarint())
				total += lens[i]
				if total > len(s.data) {
					d.err = fmt.Errorf("genotype rows overrun the section")
				}
			}
			if d.err == nil && total != len(d.b) {
				d.err = fmt.Errorf("genotype rows are %d bytes, section holds %d", total, len(d.b))
			}
			if d.err == nil {
				c.rows = grow(c.rows, n)
				haveRows = true
				off := 0
				for i, l := range lens {
					c.rows[i] = d.b[off : off+l : off+l]
					off += l
				}
			}
		case secSplit:
			if !haveHeader {
				return fmt.Errorf("%s: split rows before header: %w", name, ErrCorrupt)
			}
			parseSplit(d, &c.split, nVariants, len(c.Samples))
			haveSplit = true
		case secFormat:
			var kf KeptField
			kf.Key = string(d.bytes())
			ns := len(c.Samples)
			for i := 0; i < nVariants && d.err == nil; i++ {
				w := d.count(0)
				if d.err == nil && (w > 1<<16 || w*ns*4 > len(d.b)) {
					d.err = fmt.Errorf("format field width out of range")
					break
				}
				vals := make([]float32, w*ns)
				for k := range vals {
					vals[k] = math.Float32frombits(binary.LittleEndian.Uint32(d.b[4*k:]))
				}
				d.b = d.b[4*len(vals):]
				kf.Width = append(kf.Width, w)
				kf.Values = append(kf.Values, vals)
			}
			c.Kept = append(c.Kept, kf)
		default:
			return fmt.Errorf("%s: unknown section %q: %w", name, s.tag, ErrCorrupt)
		}
		if d.err == nil && len(d.b) != 0 && s.tag != secGenotype {
			d.err = fmt.Errorf("%d stray bytes", len(d.b))
		}
		if d.err != nil {
			return fmt.Errorf("%s: section %c: %v: %w", name, s.tag, d.err, ErrCorrupt)
		}
	}
	if !haveHeader || !haveSites {
		return fmt.Errorf("%s: missing header or sites section: %w", name, ErrCorrupt)
	}
	if parts&PartGenotypes != 0 && !haveRows && nVariants > 0 {
		return fmt.Errorf("%s: no genotype section: %w", name, ErrCorrupt)
	}
	if !haveRows {
		c.rows = nil
	}
	if haveSplit && haveRows {
		if scr != nil {
			c.Split = &c.split
		} else {
			if err := c.join(&c.split); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			c.split = SplitRows{} // the rows no longer need it: let it go
		}
	} else if haveSplit {
		return fmt.Errorf("%s: split rows without genotype rows: %w", name, ErrCorrupt)
	}
	if len(c.PhaseRef) == 0 {
		c.PhaseRef = nil
	}
	return nil
}

// grow returns s resized to n elements, reusing its storage when it can
// (the elements are not cleared).
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// chunkBuilder accumulates the variants of one chunk before it is written.
type chunkBuilder struct {
	batch    uint32
	contig   string
	samples  []uint32
	pos      []int64
	sites    []byte // per variant: pos delta, nalleles, alleles
	rowLens  []int
	rows     []byte
	keptKeys []string
	kept     [][]byte // per key: per variant width then values
	lastPos  int64
	phaseRef []uint64 // the rows' phase reference (nil: none)
	noSplit  bool     // tests: write every row whole, as version 2 did
	scr      splitScratch
}

func (cb *chunkBuilder) reset(batch uint32, contig string, samples []uint32, keptKeys []string) {
	cb.batch, cb.contig, cb.samples, cb.keptKeys = batch, contig, samples, keptKeys
	cb.pos, cb.sites, cb.rowLens, cb.rows = cb.pos[:0], cb.sites[:0], cb.rowLens[:0], cb.rows[:0]
	cb.kept = cb.kept[:0]
	for range keptKeys {
		cb.kept = append(cb.kept, nil)
	}
	cb.lastPos = 0
	cb.phaseRef = nil
}

func (cb *chunkBuilder) len() int { return len(cb.pos) }

func (cb *chunkBuilder) addSite(pos int64, ref string, alts []string) {
	cb.sites = binary.AppendUvarint(cb.sites, uint64(pos-cb.lastPos))
	cb.lastPos = pos
	cb.sites = binary.AppendUvarint(cb.sites, uint64(1+len(alts)))
	cb.sites = appendString(cb.sites, ref)
	for _, a := range alts {
		cb.sites = appendString(cb.sites, a)
	}
	cb.pos = append(cb.pos, pos)
}

func (cb *chunkBuilder) addKept(k int, width int, values []float32) {
	b := binary.AppendUvarint(cb.kept[k], uint64(width))
	for _, v := range values {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	cb.kept[k] = b
}

// encode returns the chunk file's bytes.
func (cb *chunkBuilder) encode(encs *sectionEncoders) ([]byte, error) {
	enc := encs.forSamples(len(cb.samples))
	if encs != nil && encs.err != nil {
		return nil, encs.err
	}
	var h []byte
	h = binary.AppendUvarint(h, uint64(cb.batch))
	h = appendString(h, cb.contig)
	h = binary.AppendUvarint(h, uint64(len(cb.samples)))
	prev := int64(0)
	for _, s := range cb.samples {
		d := int64(s) - prev
		h = binary.AppendUvarint(h, uint64((d<<1)^(d>>63)))
		prev = int64(s)
	}
	h = binary.AppendUvarint(h, uint64(len(cb.pos)))

	sites := binary.AppendUvarint(nil, uint64(len(cb.pos)))
	sites = append(sites, cb.sites...)

	g, t, err := cb.genotypes()
	if err != nil {
		return nil, err
	}

	nsec := 3 + len(cb.keptKeys)
	if cb.phaseRef != nil {
		nsec++
	}
	if t != nil {
		nsec++
	}
	out := chunkStart(nsec)
	out = appendSection(out, secHeader, h, enc)
	out = appendSection(out, secSites, sites, enc)
	if cb.phaseRef != nil {
		p := make([]byte, 0, 8*len(cb.phaseRef))
		for _, w := range cb.phaseRef {
			p = binary.LittleEndian.AppendUint64(p, w)
		}
		out = appendSection(out, secPhase, p, enc)
	}
	out = appendSection(out, secGenotype, g, enc)
	if t != nil {
		out = appendSection(out, secSplit, t, enc)
	}
	for k, key := range cb.keptKeys {
		f := appendString(nil, key)
		f = append(f, cb.kept[k]...)
		out = appendSection(out, secFormat, f, enc)
	}
	return chunkFinish(out), nil
}

// genotypes returns the G section and the T section (nil when no row is
// split): each sparse Simple row's missing set, exceptions and carriers are
// taken out of it (geno.SplitSparse), its stub goes in G, and the split
// samples' calls go in T, column by column (docs/format.md, "Split rows").
func (cb *chunkBuilder) genotypes() (g, t []byte, err error) {
	n := len(cb.samples)
	sc := &cb.scr
	stubs := sc.stubs[:0]
	lens := grow(sc.lens, len(cb.rowLens))
	slots, tot, ev, exc := sc.slots[:0], sc.tot[:0], sc.ev[:0], sc.exc[:0]
	off := 0
	for i, l := range cb.rowLens {
		row := cb.rows[off : off+l]
		off += l
		before := len(stubs)
		slot := uint64(len(slots))
		var miss, het, hom int
		var ok bool
		if !cb.noSplit {
			stubs, ok, err = sc.splitter.SplitSparse(stubs, row, n, func(col int, code uint8) {
				switch {
				case code >= geno.SplitException:
					exc = append(exc, uint64(col)<<32|slot<<4|uint64(code-geno.SplitException))
					return
				case code == geno.SplitMissing:
					miss++
				case code == geno.SplitHom:
					hom++
				default:
					het++
				}
				ev = append(ev, uint64(col)<<32|slot<<2|uint64(code))
			})
			if err != nil {
				return nil, nil, fmt.Errorf("genotype row %d: %w", i, err)
			}
		}
		if ok {
			slots = append(slots, i)
			tot = append(tot, miss, het, hom)
		} else {
			stubs = append(stubs, row...)
		}
		lens[i] = len(stubs) - before
	}
	sc.stubs, sc.lens, sc.slots, sc.tot, sc.ev, sc.exc = stubs, lens, slots, tot, ev, exc
	g = binary.AppendUvarint(sc.g[:0], uint64(len(lens)))
	for _, l := range lens {
		g = binary.AppendUvarint(g, uint64(l))
	}
	g = append(g, stubs...)
	sc.g = g
	if len(slots) == 0 {
		return g, nil, nil
	}

	// Events, then exceptions, column by column; within a column they stay
	// in slot order (a counting sort by column is stable).
	evData, evLen := sc.byColumn(ev, n, sc.evData[:0], sc.evLen, 2, false)
	excData, excLen := sc.byColumn(exc, n, sc.excData[:0], sc.excLen, 4, true)
	sc.evData, sc.evLen, sc.excData, sc.excLen = evData, evLen, excData, excLen
	t = binary.AppendUvarint(sc.t[:0], uint64(len(slots)))
	prev := -1
	for _, r := range slots {
		t = binary.AppendUvarint(t, uint64(r-prev-1))
		prev = r
	}
	for _, x := range tot {
		t = binary.AppendUvarint(t, uint64(x))
	}
	t = binary.AppendUvarint(t, uint64(n))
	for _, l := range evLen {
		t = binary.AppendUvarint(t, uint64(l))
	}
	for _, l := range excLen {
		t = binary.AppendUvarint(t, uint64(l))
	}
	t = append(t, evData...)
	t = append(t, excData...)
	sc.t = t
	return g, t, nil
}

// byColumn appends to data the items (column<<32 | slot<<shift | low),
// column by column, each as a uvarint of its slot gap: shifted left by
// shift with low in the low bits (events), or followed by low as a byte
// (exceptions, lowByte). It returns data and each column's length in bytes
// (in colLen's storage).
func (sc *splitScratch) byColumn(items []uint64, n int, data []byte, colLen []int, shift uint, lowByte bool) ([]byte, []int) {
	start := grow(sc.start, n+1)
	clear(start)
	for _, x := range items {
		start[x>>32+1]++
	}
	for c := range n {
		start[c+1] += start[c]
	}
	byCol := grow(sc.byCol, len(items))
	next := append(sc.next[:0], start[:n]...)
	for _, x := range items {
		c := x >> 32
		byCol[next[c]] = x
		next[c]++
	}
	sc.start, sc.byCol, sc.next = start, byCol, next
	colLen = grow(colLen, n)
	lowMask := uint64(1)<<shift - 1
	for c := range n {
		before, prev := len(data), -1
		for _, x := range byCol[start[c]:start[c+1]] {
			slot, low := int(x&(1<<32-1)>>shift), x&lowMask
			gap := uint64(slot - prev - 1)
			if lowByte {
				data = append(binary.AppendUvarint(data, gap), byte(low))
			} else {
				data = binary.AppendUvarint(data, gap<<shift|low)
			}
			prev = slot
		}
		colLen[c] = len(data) - before
	}
	return data, colLen
}

// splitScratch is chunkBuilder.genotypes' storage, kept for the next chunk
// (builders are reused).
type splitScratch struct {
	stubs, g, t, evData, excData []byte
	lens, slots, tot             []int
	start, next, evLen, excLen   []int
	ev, exc, byCol               []uint64
	splitter                     geno.Splitter
}
