package geno

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// withPhasePattern gives r the phase flags of a batch that mixes phased and
// unphased samples: sample i follows pattern[i], except with probability
// noise.
func withPhasePattern(rng *rand.Rand, r *Row, pattern []bool, noise float64) {
	for i := range r.Phased {
		r.Phased[i] = pattern[i]
		if rng.Float64() < noise {
			r.Phased[i] = !r.Phased[i]
		}
	}
}

func randPattern(rng *rand.Rand, n int, phasedFrac float64) []bool {
	p := make([]bool, n)
	for i := range p {
		p[i] = rng.Float64() < phasedFrac
	}
	return p
}

// TestPhaseRefRoundTrip: with a phase reference, every row decodes exactly
// (given the reference), is never longer than without it, and counts the
// same; a row that used the reference cannot be decoded without it.
func TestPhaseRefRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	var plain, withRef Encoder
	var r, got Row
	used := 0
	for _, n := range testSizes {
		for _, frac := range []float64{0, 0.1, 0.5, 0.9, 1} {
			pattern := randPattern(rng, n, frac)
			withRef.SetPhaseRef(pattern)
			bm := PhaseRefBitmap(pattern)
			specs := fixedSpecs(n)
			for range 10 {
				specs = append(specs, randSpec(rng, n))
			}
			for _, sp := range specs {
				randRow(rng, sp, &r)
				noise := []float64{0, 0, 0.001, 0.05, 0.5, 1}[rng.IntN(6)]
				withPhasePattern(rng, &r, pattern, noise)
				a := plain.Append(nil, &r)
				b := withRef.Append(nil, &r)
				if len(b) > len(a) {
					t.Fatalf("%v frac=%.1f noise=%g: %d bytes with the reference, %d without", sp, frac, noise, len(b), len(a))
				}
				var v View
				if err := v.Reset(b, n); err != nil {
					t.Fatalf("%v: Reset: %v", sp, err)
				}
				if v.relPhase {
					used++
					if err := v.Decode(&got); !errors.Is(err, ErrCorrupt) {
						t.Fatalf("%v: Decode without the reference: %v, want ErrCorrupt", sp, err)
					}
				}
				v.SetPhaseRef(bm)
				if err := v.Reset(b, n); err != nil {
					t.Fatalf("%v: Reset: %v", sp, err)
				}
				if err := v.Decode(&got); err != nil {
					t.Fatalf("%v: Decode: %v", sp, err)
				}
				if !rowsEqual(&r, &got) {
					t.Fatalf("%v frac=%.1f noise=%g: round trip differs\n got %v\nwant %v", sp, frac, noise, got.Phased, r.Phased)
				}
				// Everything but the phase set and flag is the same bytes,
				// so the kernels see the same row.
				var ca, cb Counts
				var va View
				if err := va.Reset(a, n); err != nil {
					t.Fatal(err)
				}
				va.Count(nil, &ca)
				v.Count(nil, &cb)
				if !countsEqual(&ca, &cb) {
					t.Fatalf("%v: counts differ with the reference: %s vs %s", sp, fmtCounts(&cb), fmtCounts(&ca))
				}
				checkKernels(t, rng, &withRef, &r, sp.String()+" (phase reference)")
			}
		}
	}
	if used == 0 {
		t.Fatal("no row used the phase reference")
	}
	t.Logf("%d rows stored their phase relative to the reference", used)
}

// TestPhaseRefShrinks: in a batch whose samples are consistently phased or
// not, the phase set vanishes from every row.
func TestPhaseRefShrinks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 10_000
	pattern := randPattern(rng, n, 0.9)
	var plain, withRef Encoder
	withRef.SetPhaseRef(pattern)
	var r Row
	sp := rowSpec{n: n, nAlleles: 2, ploidies: []int{2}, af: 0.001, missing: 0.005}
	randRow(rng, sp, &r)
	withPhasePattern(rng, &r, pattern, 0)
	a, b := plain.Append(nil, &r), withRef.Append(nil, &r)
	if len(a) < 1000 || len(b) > len(a)/4 {
		t.Fatalf("rare variant row: %d bytes without the reference, %d with; want the ~1 KiB phase set gone", len(a), len(b))
	}
}

// TestPhaseRefWrongLength: a reference for another number of samples is an
// invalid-row error, and dst is unchanged.
func TestPhaseRefWrongLength(t *testing.T) {
	var e Encoder
	e.SetPhaseRef(make([]bool, 10))
	var r Row
	r.Reset(2, 11, 2)
	for i := range r.GT {
		r.GT[i] = 0
	}
	r.Phased[3] = true
	dst := []byte{7}
	out, err := e.AppendChecked(dst, &r)
	if !errors.Is(err, ErrInvalidRow) || len(out) != 1 {
		t.Fatalf("AppendChecked = %d bytes, %v; want ErrInvalidRow and dst unchanged", len(out), err)
	}
}
