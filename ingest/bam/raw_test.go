package bam

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/biogo/hts/bgzf"
)

// rawRef and rawRec build BAM bytes by hand, for inputs biogo/hts's writer
// will not make (errors, CG tags, zero-length contigs).
type rawRef struct {
	name   string
	length int32
}

type rawRec struct {
	refID, pos         int32
	name               string
	mapQ               uint8
	flag               uint16
	cigar              []uint32 // op | len<<4
	lSeq               int32    // -1: len(seq)
	seq                string
	qual               []byte
	mateRefID, matePos int32
	aux                []byte
	blockSize          int32 // 0: computed
}

func cig(op uint32, n uint32) uint32 { return n<<4 | op }

// rawHeader returns the uncompressed BAM header.
func rawHeader(text string, refs []rawRef) []byte {
	le := binary.LittleEndian
	b := []byte("BAM\x01")
	b = le.AppendUint32(b, uint32(len(text)))
	b = append(b, text...)
	b = le.AppendUint32(b, uint32(len(refs)))
	for _, r := range refs {
		b = le.AppendUint32(b, uint32(len(r.name)+1))
		b = append(b, r.name...)
		b = append(b, 0)
		b = le.AppendUint32(b, uint32(r.length))
	}
	return b
}

// bytes returns the record's uncompressed bytes, block_size included.
func (r rawRec) bytes() []byte {
	le := binary.LittleEndian
	lSeq := r.lSeq
	if lSeq == -1 {
		lSeq = int32(len(r.seq))
	}
	name := r.name
	if name == "" {
		name = "r"
	}
	var body []byte
	body = le.AppendUint32(body, uint32(r.refID))
	body = le.AppendUint32(body, uint32(r.pos))
	body = append(body, byte(len(name)+1), r.mapQ)
	body = le.AppendUint16(body, 4680) // bin: not checked
	body = le.AppendUint16(body, uint16(len(r.cigar)))
	body = le.AppendUint16(body, r.flag)
	body = le.AppendUint32(body, uint32(lSeq))
	body = le.AppendUint32(body, uint32(r.mateRefID))
	body = le.AppendUint32(body, uint32(r.matePos))
	body = le.AppendUint32(body, 0) // tlen
	body = append(body, name...)
	body = append(body, 0)
	for _, c := range r.cigar {
		body = le.AppendUint32(body, c)
	}
	packed := make([]byte, (len(r.seq)+1)/2)
	for i := range r.seq {
		code := byte(bytes.IndexByte([]byte("=ACMGRSVTWYHKDBN"), r.seq[i]))
		packed[i/2] |= code << (4 * (1 - i%2))
	}
	body = append(body, packed...)
	qual := r.qual
	if qual == nil {
		qual = bytes.Repeat([]byte{0xff}, len(r.seq))
	}
	body = append(body, qual...)
	body = append(body, r.aux...)
	size := r.blockSize
	if size == 0 {
		size = int32(len(body))
	}
	return append(le.AppendUint32(nil, uint32(size)), body...)
}

// mapped returns a mapped, unpaired record of n M bases at pos.
func mapped(refID, pos int32, n int) rawRec {
	return rawRec{
		refID: refID, pos: pos, mapQ: 60, cigar: []uint32{cig(opM, uint32(n))},
		lSeq: -1, seq: string(bytes.Repeat([]byte("A"), n)), mateRefID: -1, matePos: -1,
	}
}

// bgzfCompress compresses raw as BGZF (with the end-of-file block).
func bgzfCompress(t testing.TB, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := bgzf.NewWriter(&buf, 1)
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawBAM returns a BGZF-compressed BAM of the header and records.
func rawBAM(t testing.TB, refs []rawRef, recs ...rawRec) []byte {
	t.Helper()
	raw := rawHeader("@HD\tVN:1.6\tSO:coordinate\n", refs)
	for _, r := range recs {
		raw = append(raw, r.bytes()...)
	}
	return bgzfCompress(t, raw)
}
