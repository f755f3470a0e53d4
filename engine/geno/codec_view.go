package geno

import (
	"math/bits"
)

// View is a zero-copy view of one encoded row. Reset points it at the
// bytes, which must stay unchanged while the view is used; a View may be
// Reset again for every row, so one View serves a whole scan.
type View struct {
	b        []byte
	n, words int
	tag      byte // 0: not a valid view
	nAlleles int
	ploidy   int // allele slots per sample (Row.Ploidy)
	k, klo   int // plane ploidy and low ploidy; klo < k iff mixed
	mixed    bool
	phased   bool // default phase
	shift    uint // carrier entry: bits below the gap

	f, s, m, mlo sampleSet

	x        []byte // exception entries
	nx       int
	car      []byte // sparse: carrier entries
	ncar     int
	present  []byte // dense, NAlleles > 2: present ALT gap list
	npresent int
	planes   []byte // dense: npresent*k planes of 8*words bytes

	scratch  []uint64 // Carriers' ploidy set
	relPhase bool     // F is relative to the phase reference
	v2       bool     // a version 2 row: its lists are checked by Decode
	phaseRef []uint64 // SetPhaseRef; kept across Reset
}

// Reset points v at the encoded row b of nSamples samples and checks its
// header, sample sets, exception list, and (dense rows) the ALT list, the
// plane sizes and padding bits. It does not copy b. The sparse carrier
// entries and the bit-level consistency between planes and sets, which
// cost as much as counting, are checked by Decode: the store's chunk
// checksums catch corruption, and Count, Count2 and Carriers never panic
// or index out of range on any row Reset accepts, and equal CountRow of
// the decoded row whenever Decode accepts it. On error v is left empty.
func (v *View) Reset(b []byte, nSamples int) error {
	scratch, ref := v.scratch, v.phaseRef
	*v = View{scratch: scratch, phaseRef: ref}
	if err := v.parse(b, nSamples); err != nil {
		*v = View{scratch: scratch, phaseRef: ref}
		return err
	}
	return nil
}

func (v *View) parse(b []byte, nSamples int) error {
	if nSamples < 0 {
		return corrupt("negative sample count")
	}
	if len(b) == 0 {
		return corrupt("empty row")
	}
	tag := b[0]
	switch tag {
	case tagSparse, tagDense:
	case tagSparse2, tagDense2:
		v.v2 = true
		tag -= 1 << 4 // the version 1 tag of the same body
	default:
		return corrupt("unknown row tag %#x", tag)
	}
	set := parseSet
	if v.v2 {
		set = parseSet2
	}
	p := b[1:]
	n, k := uvarint(p)
	if k <= 0 || n != uint64(nSamples) {
		return corrupt("sample count does not match the batch")
	}
	p = p[k:]
	na, k := uvarint(p)
	if k <= 0 || na < 1 || na > MaxAlleles {
		return corrupt("bad allele count")
	}
	p = p[k:]
	if len(p) < 2 {
		return corrupt("truncated header")
	}
	v.b, v.tag, v.n, v.words, v.nAlleles = b, tag, nSamples, (nSamples+63)/64, int(na)
	v.ploidy, v.k = int(p[0]>>4), int(p[0]&15)
	v.klo, v.phased, v.relPhase = int(p[1]>>4), p[1]&flagPhased != 0, p[1]&flagRelPhase != 0
	if v.ploidy > MaxPloidy || v.k > v.ploidy || v.klo > v.k || p[1]&15&^(flagPhased|flagRelPhase) != 0 {
		return corrupt("bad ploidy byte")
	}
	v.mixed = v.klo < v.k
	v.shift = uint(v.k)
	if v.mixed {
		v.shift++
	}
	p = p[2:]
	var err error
	if p, err = set(p, v.n, v.words, &v.f); err != nil {
		return err
	}
	if v.mixed {
		if p, err = set(p, v.n, v.words, &v.s); err != nil {
			return err
		}
	}
	if p, err = set(p, v.n, v.words, &v.m); err != nil {
		return err
	}
	if v.k == 0 && !v.m.empty() {
		return corrupt("missing set at ploidy 0")
	}
	if v.mixed {
		if p, err = set(p, v.n, v.words, &v.mlo); err != nil {
			return err
		}
		if v.klo == 0 && !v.mlo.empty() {
			return corrupt("missing set at ploidy 0")
		}
	}
	if p, err = v.parseX(p); err != nil {
		return err
	}
	if tag == tagSparse {
		return v.parseSparse(p)
	}
	return v.parseDense(p)
}

// parseX checks the exception list: count, then per entry the sample gap
// and Ploidy codes (code+2).
func (v *View) parseX(p []byte) ([]byte, error) {
	nx, k := uvarint(p)
	if k <= 0 || nx > uint64(v.n) {
		return nil, corrupt("bad exception count")
	}
	p = p[k:]
	start, prev := p, -1
	maxCode := uint64(v.nAlleles + 1)
	for range nx {
		g, k := uvarint(p)
		if k <= 0 || g >= uint64(v.n-prev-1) {
			return nil, corrupt("exception sample out of range")
		}
		prev += int(g) + 1
		p = p[k:]
		for range v.ploidy {
			c, k := uvarint(p)
			if k <= 0 || c > maxCode {
				return nil, corrupt("bad exception allele")
			}
			p = p[k:]
		}
	}
	v.x, v.nx = start[:len(start)-len(p)], int(nx)
	return p, nil
}

// parseSparse reads the carrier count; the entries, the rest of the row,
// are checked by checkSparse (Decode) only: Reset stays cheap, and the
// counting loops guard their own indexing.
func (v *View) parseSparse(p []byte) error {
	nc, k := uvarint(p)
	if k <= 0 || nc > uint64(v.n) || (nc > 0 && v.nAlleles < 2) {
		return corrupt("bad carrier count")
	}
	v.car, v.ncar = p[k:], int(nc)
	return nil
}

// checkSparse checks the carrier entries: per entry the uvarint
// gap<<shift | low<<k | mask and, with more than one ALT, one ALT index
// (allele-1) per mask bit; nothing may follow them.
func (v *View) checkSparse() error {
	p, prev := v.car, -1
	full := uint64(1)<<uint(v.k) - 1
	for range v.ncar {
		x, k := uvarint(p)
		if k <= 0 {
			return corrupt("truncated carrier")
		}
		p = p[k:]
		g := x >> v.shift
		if g >= uint64(v.n-prev-1) {
			return corrupt("carrier sample out of range")
		}
		prev += int(g) + 1
		mask := x & full
		if mask == 0 || (v.mixed && x>>uint(v.k)&1 != 0 && mask>>uint(v.klo) != 0) {
			return corrupt("bad carrier mask")
		}
		if v.nAlleles > 2 {
			for range bits.OnesCount64(mask) {
				a, k := uvarint(p)
				if k <= 0 || a >= uint64(v.nAlleles-1) {
					return corrupt("bad carrier allele")
				}
				p = p[k:]
			}
		}
	}
	if len(p) != 0 {
		return corrupt("%d trailing bytes", len(p))
	}
	return nil
}

// parseDense checks the present-ALT list (NAlleles > 2 only) and that the
// planes fill the rest of the row with zero padding bits.
func (v *View) parseDense(p []byte) error {
	if v.nAlleles < 2 {
		return corrupt("dense row without ALT alleles")
	}
	v.npresent = 1
	if v.nAlleles > 2 {
		np, k := uvarint(p)
		if k <= 0 || np > uint64(v.nAlleles-1) {
			return corrupt("bad present-ALT count")
		}
		p = p[k:]
		start, prev := p, -1
		for range np {
			g, k := uvarint(p)
			if k <= 0 || g >= uint64(v.nAlleles-1-prev-1) {
				return corrupt("present ALT out of range")
			}
			prev += int(g) + 1
			p = p[k:]
		}
		v.present, v.npresent = start[:len(start)-len(p)], int(np)
	}
	planeBytes := 8 * v.words
	if len(p) != v.npresent*v.k*planeBytes {
		return corrupt("planes of %d bytes, want %d", len(p), v.npresent*v.k*planeBytes)
	}
	v.planes = p
	if planeBytes > 0 {
		tail := tailMask(v.n)
		for off := planeBytes - 8; off < len(p); off += planeBytes {
			if le64(p[off:])&^tail != 0 {
				return corrupt("plane bits beyond the last sample")
			}
		}
	}
	return nil
}

// NAlleles returns the number of alleles at the site.
func (v *View) NAlleles() int { return v.nAlleles }

// NSamples returns the number of samples of the row.
func (v *View) NSamples() int { return v.n }

// Ploidy returns the row's allele slots per sample (Row.Ploidy).
func (v *View) Ploidy() int { return v.ploidy }

// Dense reports whether the row is stored as bit planes (else as a sparse
// carrier list).
func (v *View) Dense() bool { return v.tag == tagDense }

// eachAlt calls fn(alt, planes) for every ALT with planes in a dense row:
// alt is the ALT index (allele-1), planes the k planes of 8*words bytes.
func (v *View) eachAlt(fn func(alt int, planes []byte)) {
	size := v.k * 8 * v.words
	if v.nAlleles == 2 {
		fn(0, v.planes[:size])
		return
	}
	alt, d := -1, v.present
	for g := 0; len(d) > 0; g++ {
		x, k := uvarint(d)
		if k <= 0 {
			return
		}
		d = d[k:]
		alt += int(x) + 1
		fn(alt, v.planes[g*size:(g+1)*size])
	}
}
