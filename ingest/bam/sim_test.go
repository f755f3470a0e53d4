package bam

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/biogo/hts/bam"
	"github.com/biogo/hts/sam"
)

// simOptions shape a simulated BAM written with biogo/hts.
type simOptions struct {
	Seed    uint64
	Lengths []int // reference lengths (>= 1)
	Idle    []int // indices of contigs that get no reads
	Reads   int   // placed reads (spread over the other contigs)
	ReadLen int
	// Weird adds every feature: clips, indels, ref skips, =/X, duplicates,
	// secondary, supplementary, QC-fail, unmapped (placed and not),
	// mates elsewhere, SEQ "*", missing qualities, reads over the end.
	Weird    bool
	Unplaced int // unmapped reads without a position, at the end
	// Skew: the fraction of reads on the first contig (the rest
	// elsewhere); 0 spreads them evenly.
	Skew float64
	// KeepSeq never drops SEQ to "*" in Weird mode: samtools depth -q N
	// (N > 0) reads past the end of such a record's qualities (its
	// unrolled loop does not check the sequence length), so its answer is
	// undefined there.
	KeepSeq bool
}

var baseCodes = []byte("ACGT")

// simRecords returns coordinate-sorted records and the header.
func simRecords(t testing.TB, o simOptions) (*sam.Header, []*sam.Record) {
	t.Helper()
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	var refs []*sam.Reference
	for i, l := range o.Lengths {
		ref, err := sam.NewReference(fmt.Sprintf("chr%d", i+1), "", "", l, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ref)
	}
	h, err := sam.NewHeader(nil, refs)
	if err != nil {
		t.Fatal(err)
	}
	var nonEmpty []int
	for i := range o.Lengths {
		if !slices.Contains(o.Idle, i) {
			nonEmpty = append(nonEmpty, i)
		}
	}
	var recs []*sam.Record
	for i := 0; i < o.Reads && len(nonEmpty) > 0; i++ {
		ri := nonEmpty[rng.IntN(len(nonEmpty))]
		if o.Skew > 0 && rng.Float64() < o.Skew {
			ri = nonEmpty[0]
		}
		recs = append(recs, simRead(t, rng, o, refs, ri, i))
	}
	for i := 0; i < o.Unplaced; i++ {
		r := mustRecord(t, fmt.Sprintf("u%d", i), nil, nil, -1, -1, 0, nil, randSeq(rng, o.ReadLen), randQual(rng, o.ReadLen))
		r.Flags = sam.Unmapped
		if rng.IntN(2) == 0 {
			r.Flags |= sam.Paired | sam.MateUnmapped | sam.Read1
		}
		if o.Weird && rng.IntN(5) == 0 {
			r.Flags |= sam.QCFail
		}
		recs = append(recs, r)
	}
	sort.SliceStable(recs, func(i, j int) bool {
		a, b := recs[i], recs[j]
		ai, bi := refIndex(a), refIndex(b)
		if ai != bi {
			return ai < bi
		}
		return a.Pos < b.Pos
	})
	return h, recs
}

func refIndex(r *sam.Record) int {
	if r.Ref == nil {
		return 1 << 30
	}
	return r.Ref.ID()
}

func randSeq(rng *rand.Rand, n int) []byte {
	s := make([]byte, n)
	for i := range s {
		s[i] = baseCodes[rng.IntN(4)]
	}
	return s
}

func randQual(rng *rand.Rand, n int) []byte {
	q := make([]byte, n)
	for i := range q {
		q[i] = byte(rng.IntN(42))
	}
	return q
}

func mustRecord(t testing.TB, name string, ref, mref *sam.Reference, pos, mpos int, mapq byte, cig []sam.CigarOp, seq, qual []byte) *sam.Record {
	t.Helper()
	noSeq := len(seq) == 0
	if noSeq { // NewRecord refuses SEQ "*": build, then clear it
		seq, qual = []byte("A"), nil
	}
	r, err := sam.NewRecord(name, ref, mref, pos, mpos, 0, mapq, cig, seq, qual, nil)
	if err != nil {
		t.Fatal(err)
	}
	if noSeq {
		r.Seq, r.Qual = sam.Seq{}, nil
	}
	return r
}

// simCigar returns a CIGAR consuming qlen query bases.
func simCigar(rng *rand.Rand, qlen int, weird bool) []sam.CigarOp {
	if !weird {
		if rng.IntN(20) == 0 && qlen > 10 {
			// An occasional small deletion or insertion.
			a := 1 + rng.IntN(qlen-5)
			if rng.IntN(2) == 0 {
				return []sam.CigarOp{sam.NewCigarOp(sam.CigarMatch, a), sam.NewCigarOp(sam.CigarDeletion, 1+rng.IntN(3)), sam.NewCigarOp(sam.CigarMatch, qlen-a)}
			}
			return []sam.CigarOp{sam.NewCigarOp(sam.CigarMatch, a), sam.NewCigarOp(sam.CigarInsertion, 2), sam.NewCigarOp(sam.CigarMatch, qlen-a-2)}
		}
		return []sam.CigarOp{sam.NewCigarOp(sam.CigarMatch, qlen)}
	}
	var ops []sam.CigarOp
	if rng.IntN(4) == 0 {
		ops = append(ops, sam.NewCigarOp(sam.CigarHardClipped, 1+rng.IntN(20)))
	}
	left := qlen
	if rng.IntN(3) == 0 && left > 2 {
		n := 1 + rng.IntN(left/2)
		ops = append(ops, sam.NewCigarOp(sam.CigarSoftClipped, n))
		left -= n
	}
	rclip := 0
	if rng.IntN(3) == 0 && left > 2 {
		rclip = 1 + rng.IntN(left/2)
		left -= rclip
	}
	matchOps := []sam.CigarOpType{sam.CigarMatch, sam.CigarMatch, sam.CigarEqual, sam.CigarMismatch}
	for left > 0 {
		n := 1 + rng.IntN(left)
		ops = append(ops, sam.NewCigarOp(matchOps[rng.IntN(len(matchOps))], n))
		left -= n
		if left == 0 {
			break
		}
		switch rng.IntN(6) {
		case 0:
			k := 1 + rng.IntN(min(left, 5))
			ops = append(ops, sam.NewCigarOp(sam.CigarInsertion, k))
			left -= k
		case 1:
			ops = append(ops, sam.NewCigarOp(sam.CigarDeletion, 1+rng.IntN(10)))
		case 2:
			ops = append(ops, sam.NewCigarOp(sam.CigarSkipped, 1+rng.IntN(300)))
		case 3:
			ops = append(ops, sam.NewCigarOp(sam.CigarPadded, 1+rng.IntN(3)))
		}
	}
	if rclip > 0 {
		ops = append(ops, sam.NewCigarOp(sam.CigarSoftClipped, rclip))
	}
	if rng.IntN(4) == 0 {
		ops = append(ops, sam.NewCigarOp(sam.CigarHardClipped, 1+rng.IntN(20)))
	}
	return ops
}

// simRead returns one placed read on refs[ri].
func simRead(t testing.TB, rng *rand.Rand, o simOptions, refs []*sam.Reference, ri, i int) *sam.Record {
	ref := refs[ri]
	length := o.Lengths[ri]
	qlen := o.ReadLen
	if o.Weird {
		qlen = 1 + rng.IntN(2*o.ReadLen)
	}
	pos := rng.IntN(length)
	seq, qual := randSeq(rng, qlen), randQual(rng, qlen)
	if o.Weird {
		switch rng.IntN(12) {
		case 0:
			if !o.KeepSeq {
				seq, qual = nil, nil // SEQ "*"
			}
		case 1:
			qual = nil // QUAL "*" (0xff)
		}
		if rng.IntN(10) == 0 {
			pos = max(0, length-1-rng.IntN(min(length, 20))) // hangs over the end
		}
	}
	cig := simCigar(rng, qlen, o.Weird)
	var flags sam.Flags
	mref, mpos := (*sam.Reference)(nil), -1
	if rng.IntN(10) < 8 { // paired
		flags |= sam.Paired
		if rng.IntN(2) == 0 {
			flags |= sam.Read1
		} else {
			flags |= sam.Read2
		}
		if rng.IntN(4) != 0 {
			flags |= sam.ProperPair
		}
		mref, mpos = ref, rng.IntN(length)
		if o.Weird {
			switch rng.IntN(8) {
			case 0:
				flags |= sam.MateUnmapped
			case 1:
				mref = refs[rng.IntN(len(refs))]
				mpos = rng.IntN(o.Lengths[mref.ID()] + 1)
			}
		}
	}
	if o.Weird {
		for _, f := range []sam.Flags{sam.Duplicate, sam.Secondary, sam.Supplementary, sam.QCFail, sam.Unmapped, sam.Reverse} {
			if rng.IntN(12) == 0 {
				flags |= f
			}
		}
		if flags&sam.Unmapped != 0 && rng.IntN(2) == 0 {
			cig = nil // a placed unmapped read usually has no CIGAR
		}
		if rng.IntN(30) == 0 {
			cig = nil // mapped but no CIGAR
		}
	}
	mapq := byte(rng.IntN(61))
	r := mustRecord(t, fmt.Sprintf("r%d", i), ref, mref, pos, mpos, mapq, cig, seq, qual)
	r.Flags = flags
	return r
}

// writeBAM writes the records with biogo/hts's BAM writer.
func writeBAM(t testing.TB, w io.Writer, h *sam.Header, recs []*sam.Record) {
	t.Helper()
	bw, err := bam.NewWriter(w, h, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := bw.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
}

// simBAM returns the bytes of a simulated BAM and its records.
func simBAM(t testing.TB, o simOptions) ([]byte, *sam.Header, []*sam.Record) {
	t.Helper()
	h, recs := simRecords(t, o)
	var buf bytes.Buffer
	writeBAM(t, &buf, h, recs)
	return buf.Bytes(), h, recs
}
