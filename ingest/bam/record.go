package bam

import (
	"encoding/binary"
	"errors"
)

// SAM FLAG bits.
const (
	flagPaired        = 0x1
	flagProperPair    = 0x2
	flagUnmapped      = 0x4
	flagMateUnmapped  = 0x8
	flagRead1         = 0x40
	flagRead2         = 0x80
	flagSecondary     = 0x100
	flagQCFail        = 0x200
	flagDuplicate     = 0x400
	flagSupplementary = 0x800

	// depthSkip are the flags samtools depth skips by default (0x704).
	depthSkip = flagUnmapped | flagSecondary | flagQCFail | flagDuplicate
)

// CIGAR operations.
const (
	opM    = 0 // alignment match
	opI    = 1
	opD    = 2
	opN    = 3
	opS    = 4
	opH    = 5
	opP    = 6
	opEq   = 7
	opX    = 8
	opLast = opX
)

// record is a view of one alignment record, decoded in place: its slices
// point into the stream buffer and are valid until the next read.
type record struct {
	refID, pos int32
	mapQ       uint8
	flag       uint16
	lSeq       int32
	mateRefID  int32
	matePos    int32
	cigar      []byte // n × uint32 little-endian
	qual       []byte // lSeq bytes
	aux        []byte
}

// fixedLen is the size of a record's fixed fields after block_size.
const fixedLen = 32

var (
	errShortBlock = errors.New("block shorter than the fixed fields")
	errNameLen    = errors.New("empty read name")
	errFieldsLen  = errors.New("variable-length fields overrun the record")
	errSeqLen     = errors.New("negative sequence length")
	errCigarOp    = errors.New("invalid CIGAR operation")
	errCigarSeq   = errors.New("CIGAR and sequence lengths differ")
)

// decode parses the record body b (the block after block_size), checking
// what htslib's bam_read1 checks: the variable-length fields fit, and for a
// mapped record with a sequence, the CIGAR's query length equals it. A
// CIGAR stored in the CG tag (SAM spec §4.2.2) replaces the placeholder.
func (rec *record) decode(b []byte) error {
	if len(b) < fixedLen {
		return errShortBlock
	}
	le := binary.LittleEndian
	rec.refID = int32(le.Uint32(b[0:]))
	rec.pos = int32(le.Uint32(b[4:]))
	lName := int(b[8])
	rec.mapQ = b[9]
	nCigar := int(le.Uint16(b[12:]))
	rec.flag = le.Uint16(b[14:])
	rec.lSeq = int32(le.Uint32(b[16:]))
	rec.mateRefID = int32(le.Uint32(b[20:]))
	rec.matePos = int32(le.Uint32(b[24:]))
	if lName < 1 {
		return errNameLen
	}
	if rec.lSeq < 0 {
		return errSeqLen
	}
	lSeq := int(rec.lSeq)
	off := fixedLen + lName
	end := off + 4*nCigar + (lSeq+1)/2 + lSeq
	if end > len(b) {
		return errFieldsLen
	}
	rec.cigar = b[off : off+4*nCigar]
	off += 4*nCigar + (lSeq+1)/2
	rec.qual = b[off : off+lSeq]
	rec.aux = b[end:]
	rec.cigarFromTag()
	return rec.checkCigar()
}

// cigarFromTag applies htslib's bam_tag2cigar: a mapped-position record
// whose CIGAR starts with a soft clip of the whole sequence and that has a
// CG:B,I (or B,i) tag at least as long holds its real CIGAR in the tag.
func (rec *record) cigarFromTag() {
	if len(rec.cigar) == 0 || rec.refID < 0 || rec.pos < 0 {
		return
	}
	c0 := binary.LittleEndian.Uint32(rec.cigar)
	if c0&0xf != opS || int64(c0>>4) != int64(rec.lSeq) {
		return
	}
	v, ok := findCG(rec.aux)
	if !ok {
		return
	}
	n := binary.LittleEndian.Uint32(v[2:])
	if n < uint32(len(rec.cigar)/4) || n >= 1<<29 || uint64(len(v)-6) < 4*uint64(n) {
		return
	}
	rec.cigar = v[6 : 6+4*n]
}

// findCG returns the value of a CG tag of type B with subtype I or i
// (starting at the 'B'), walking the aux fields as htslib does; a
// malformed aux block simply has no CG tag.
func findCG(aux []byte) ([]byte, bool) {
	for len(aux) >= 3 {
		tag0, tag1, typ := aux[0], aux[1], aux[2]
		size := auxSize(aux[2:])
		if size < 0 {
			return nil, false
		}
		if tag0 == 'C' && tag1 == 'G' {
			v := aux[2 : 2+size]
			if typ == 'B' && len(v) >= 6 && (v[1] == 'I' || v[1] == 'i') {
				return v, true
			}
			return nil, false
		}
		aux = aux[2+size:]
	}
	return nil, false
}

// auxSize returns the size of the aux value starting at its type byte
// (type included), or -1 when it overruns v.
func auxSize(v []byte) int {
	fixed := func(n int) int {
		if 1+n > len(v) {
			return -1
		}
		return 1 + n
	}
	switch v[0] {
	case 'A', 'c', 'C':
		return fixed(1)
	case 's', 'S':
		return fixed(2)
	case 'i', 'I', 'f':
		return fixed(4)
	case 'd':
		return fixed(8)
	case 'Z', 'H':
		for i := 1; i < len(v); i++ {
			if v[i] == 0 {
				return i + 1
			}
		}
		return -1
	case 'B':
		if len(v) < 6 {
			return -1
		}
		var w uint64
		switch v[1] {
		case 'c', 'C':
			w = 1
		case 's', 'S':
			w = 2
		case 'i', 'I', 'f':
			w = 4
		default:
			return -1
		}
		n := 6 + w*uint64(binary.LittleEndian.Uint32(v[2:]))
		if n > uint64(len(v)) {
			return -1
		}
		return int(n)
	}
	return -1
}

// checkCigar rejects CIGAR operations other than MIDNSHP=X (samtools depth
// fails on them) and, like htslib, a mapped record with a sequence whose
// CIGAR consumes a different number of query bases.
func (rec *record) checkCigar() error {
	var qlen int64
	for i := 0; i < len(rec.cigar); i += 4 {
		c := binary.LittleEndian.Uint32(rec.cigar[i:])
		op, n := c&0xf, int64(c>>4)
		if op > opLast {
			return errCigarOp
		}
		switch op {
		case opM, opI, opS, opEq, opX:
			qlen += n
		}
	}
	if len(rec.cigar) > 0 && rec.lSeq > 0 && rec.flag&flagUnmapped == 0 && qlen != int64(rec.lSeq) {
		return errCigarSeq
	}
	return nil
}
