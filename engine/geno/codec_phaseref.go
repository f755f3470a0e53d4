package geno

import (
	"fmt"
	"math/bits"
)

// Phase references.
//
// In a batch that mixes phased and unphased samples (cohorts merged from
// phased and unphased call sets), which samples are phased is mostly a
// property of the sample, not of the site: every row's phase set F would
// list the same thousand samples again. An encoder given a phase reference
// (one flag per sample, the batch's usual phase) may instead store F
// relative to it: flagRelPhase set, and a sample is phased when
//
//	default XOR (sample in F) XOR reference[sample]
//
// The reference lives once per chunk (the store's chunk section 'P'), so
// rows stay small and Reset has almost nothing to parse. Counting never
// looks at phase; only Decode needs the reference (View.SetPhaseRef).

// flagRelPhase in the header's flag nibble: F is relative to the phase
// reference.
const flagRelPhase = 2

// SetPhaseRef makes the encoder store phase sets relative to ref (one flag
// per sample; nil: no reference) whenever that is smaller. ref is copied.
// Rows encoded with it must be decoded with the same reference
// (View.SetPhaseRef), which PhaseRefBitmap returns in the View's form.
func (e *Encoder) SetPhaseRef(ref []bool) {
	if ref == nil {
		e.ref = nil
		return
	}
	e.ref = append(e.ref[:0], boolBytes(ref)...)
}

// PhaseRefBitmap returns ref as a bitmap of ceil(len(ref)/64) words, sample
// i at bit i%64 of word i/64.
func PhaseRefBitmap(ref []bool) []uint64 {
	w := make([]uint64, (len(ref)+63)/64)
	for i, ph := range ref {
		if ph {
			w[i>>6] |= 1 << (uint(i) & 63)
		}
	}
	return w
}

// SetPhaseRef gives the view the phase reference of the rows it will view
// (a bitmap as PhaseRefBitmap makes; nil: none). It stays across Reset.
// Decode of a row whose phase set is relative fails without it.
func (v *View) SetPhaseRef(ref []uint64) { v.phaseRef = ref }

// relPhase rewrites the phase set of the row just appended at dst[start:]
// relative to the encoder's reference when that is shorter. r is the row
// it encodes.
func (e *Encoder) relPhase(dst []byte, start int, r *Row) ([]byte, error) {
	if e.ref == nil {
		return dst, nil
	}
	n := len(r.Phased)
	if len(e.ref) != n {
		return dst[:start], invalidRow("phase reference has %d samples, the row %d", len(e.ref), n)
	}
	// The F field follows the tag, N, NAlleles and the two ploidy bytes.
	p := dst[start+1:]
	_, k1 := uvarint(p)
	_, k2 := uvarint(p[k1:])
	hdr := start + 1 + k1 + k2 // the ploidy byte
	fStart := hdr + 2
	if dst[fStart] == 0 {
		return dst, nil // F is empty already
	}
	var set sampleSet
	rest, err := parseSet(dst[fStart:], n, (n+63)/64, &set)
	if err != nil {
		panic("geno: encoder wrote a bad phase set: " + err.Error())
	}
	fEnd := len(dst) - len(rest)

	// d = phase XOR reference, packed 8 flags a byte; nd its members.
	nb := 8 * ((n + 63) / 64)
	if cap(e.relBits) < nb {
		e.relBits = make([]byte, nb)
	}
	d := e.relBits[:nb]
	clear(d)
	pb := boolBytes(r.Phased)
	nd, j := 0, 0
	for ; j+8 <= n; j += 8 {
		x := le64(pb[j:]) ^ le64(e.ref[j:])
		d[j>>3] = phaseBits(x)
		nd += bits.OnesCount64(x)
	}
	for ; j < n; j++ {
		if pb[j] != e.ref[j] {
			d[j>>3] |= 1 << (uint(j) & 7)
			nd++
		}
	}
	def, nF, flip := false, nd, uint64(0)
	if 2*nd > n {
		def, nF, flip = true, n-nd, ^uint64(0)
	}
	e.tmpF = appendSetBits(e.tmpF[:0], d, flip, nF, n)
	if len(e.tmpF) >= fEnd-fStart {
		return dst, nil // the absolute form is no longer
	}
	flags := dst[hdr+1] &^ (flagPhased | flagRelPhase)
	flags |= flagRelPhase
	if def {
		flags |= flagPhased
	}
	dst[hdr+1] = flags
	tail := len(dst) - fEnd
	nl := fStart + len(e.tmpF) + tail
	copy(dst[fStart+len(e.tmpF):], dst[fEnd:])
	copy(dst[fStart:], e.tmpF)
	return dst[:nl], nil
}

// invalidRow is an ErrInvalidRow error.
func invalidRow(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRow}, args...)...)
}
