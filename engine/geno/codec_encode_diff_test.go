package geno

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// realisticRows draws rows like those of `gentre ingest vcf` on a
// simulated (scrm) cohort: n phased diploid samples, biallelic sites whose
// ALT haplotype count follows the neutral 1/x spectrum, 0.5% of the samples
// missing (half of them "./.", unphased), 0.05% half calls.
func realisticRows(n, rows int, seed uint64) []Row {
	rng := rand.New(rand.NewPCG(seed, 11))
	h := 2 * n
	out := make([]Row, rows)
	for k := range out {
		i := max(1, min(h-1, int(math.Exp(rng.Float64()*math.Log(float64(h))))))
		realisticRow(rng, n, float64(i)/float64(h), 0.005, 0.0005, &out[k])
	}
	return out
}

// realisticRow fills r with one realistic row of allele frequency af.
func realisticRow(rng *rand.Rand, n int, af, missing, half float64, r *Row) {
	r.Reset(2, n, 2)
	for i := range n {
		g := r.GT[2*i : 2*i+2]
		r.Phased[i] = true
		for s := range g {
			g[s] = 0
			if rng.Float64() < af {
				g[s] = 1
			}
		}
		switch x := rng.Float64(); {
		case x < missing:
			g[0], g[1] = Missing, Missing
			r.Phased[i] = rng.IntN(2) == 0
		case x < missing+half:
			g[rng.IntN(2)] = Missing
		}
	}
}

// diffSpec draws a row family aimed at the diploid fast paths: every
// sample count up to a few words, allele frequencies, missing and half
// call rates and phase mixes spread log-uniformly so that the set and body
// form choices land on both sides of their thresholds, and now and then an
// odd sample (End, another ploidy, a big allele) that forces the general
// path.
func diffSpec(rng *rand.Rand) (rowSpec, float64) {
	logU := func(lo float64) float64 {
		if rng.IntN(8) == 0 {
			return 0
		}
		return math.Exp(math.Log(lo) * rng.Float64())
	}
	n := rng.IntN(300)
	if rng.IntN(4) == 0 {
		n = []int{0, 1, 2, 3, 4, 7, 8, 9, 63, 64, 65, 127, 128, 129, 191, 192, 193, 255, 256, 257, 1000, 4096, 4097}[rng.IntN(23)]
	}
	sp := rowSpec{n: n, nAlleles: 2, ploidies: []int{2}}
	if rng.IntN(6) == 0 {
		sp.nAlleles = []int{1, 3, 4, 300}[rng.IntN(4)]
	}
	sp.af = min(1, logU(1e-4)*[]float64{1, 1, 2}[rng.IntN(3)])
	sp.missing = logU(1e-3)
	sp.half = logU(1e-3) / 4
	sp.phase = rng.IntN(3)
	odd := 0.0
	if rng.IntN(5) == 0 {
		odd = logU(1e-3)
	}
	return sp, odd
}

// oddify puts odd samples into a diploid row with probability p each: End
// layouts, a haploid or empty sample, alleles the site may not have.
func oddify(rng *rand.Rand, r *Row, p float64) {
	if r.Ploidy != 2 {
		return
	}
	for i := range len(r.Phased) {
		if rng.Float64() >= p {
			continue
		}
		g := r.GT[2*i : 2*i+2]
		switch rng.IntN(6) {
		case 0:
			g[1] = End
		case 1:
			g[0] = End
		case 2:
			g[0], g[1] = End, End
		case 3:
			g[0], g[1] = Missing, End
		case 4:
			g[rng.IntN(2)] = int16(rng.IntN(r.NAlleles))
		default:
			g[rng.IntN(2)] = int16(rng.IntN(3)) + 1 // maybe out of range
		}
	}
}

// checkSame fails unless the encoder and the reference agree on r: the
// same bytes appended to the same prefix, or both an error with dst
// unchanged.
func checkSame(t *testing.T, e *Encoder, ref *refEncoder, r *Row, what string) {
	t.Helper()
	prefix := []byte{0xAB, 0xCD}
	want, werr := ref.appendChecked(bytes.Clone(prefix), r)
	if werr == nil {
		// The reference writes version 1; the encoder converts its own
		// version 1 bytes the same way.
		var conv Encoder
		want = conv.toV2(want, len(prefix))
	}
	got, gerr := e.AppendChecked(bytes.Clone(prefix), r)
	if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
		t.Fatalf("%s: error %v, reference %v", what, gerr, werr)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < min(len(got), len(want)) && got[i] == want[i] {
			i++
		}
		t.Fatalf("%s: %d bytes differ from the reference's %d at byte %d\n got % x\nwant % x",
			what, len(got), len(want), i, got[i:min(len(got), i+24)], want[i:min(len(want), i+24)])
	}
	if werr == nil {
		// Append into a buffer with spare capacity must agree too.
		buf := make([]byte, 1, len(want)+64)
		buf[0] = 0xAB
		if got := e.Append(buf, r); !bytes.Equal(got[1:], want[len(prefix):]) {
			t.Fatalf("%s: Append into spare capacity differs", what)
		}
	}
}

// TestEncodeMatchesReference compares the encoder with the reference
// encoder byte for byte on every row family the other tests draw, on rows
// aimed at the diploid fast paths and on realistic rows. One encoder of
// each kind serves every row, so stale scratch space would show.
func TestEncodeMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	var e Encoder
	var ref refEncoder
	var r Row
	iters := 60
	if testing.Short() {
		iters = 10
	}
	for _, n := range testSizes {
		specs := fixedSpecs(n)
		for range iters {
			specs = append(specs, randSpec(rng, n))
		}
		for _, sp := range specs {
			randRow(rng, sp, &r)
			checkSame(t, &e, &ref, &r, sp.String())
		}
	}
	for range 100 * iters {
		sp, odd := diffSpec(rng)
		randRow(rng, sp, &r)
		oddify(rng, &r, odd)
		checkSame(t, &e, &ref, &r, fmt.Sprintf("%v odd=%.4f", sp, odd))
	}
	for _, n := range []int{1, 64, 100, 2000, 10000} {
		for i, row := range realisticRows(n, iters, uint64(n)) {
			checkSame(t, &e, &ref, &row, fmt.Sprintf("realistic n=%d row %d", n, i))
		}
	}
	// Realistic rows around the thresholds: the body form (carriers vs
	// planes), the M and F forms (list vs bitmap) and the default phase.
	for range 20 * iters {
		n := 1 + rng.IntN(3000)
		af := math.Exp(math.Log(1e-4) * rng.Float64())
		realisticRow(rng, n, af, math.Exp(math.Log(1e-3)*rng.Float64())/2, 0.001*rng.Float64(), &r)
		if rng.IntN(3) == 0 {
			m := rng.IntN(n + 1)
			if rng.IntN(2) == 0 {
				m = n / 2
			}
			for i := range r.Phased {
				r.Phased[i] = i < m
			}
			if rng.IntN(2) == 0 {
				rng.Shuffle(n, func(i, j int) { r.Phased[i], r.Phased[j] = r.Phased[j], r.Phased[i] })
			}
		}
		checkSame(t, &e, &ref, &r, fmt.Sprintf("realistic n=%d af=%g", n, af))
	}
}

// TestEncodeMatchesReferenceEdges covers hand-made diploid rows: each
// class alone in one position of a word, and invalid codes in every slot.
func TestEncodeMatchesReferenceEdges(t *testing.T) {
	var e Encoder
	var ref refEncoder
	var r Row
	codes := []int16{-3, End, Missing, 0, 1, 2, 3, 0x7fff, -0x8000}
	for _, n := range []int{1, 2, 7, 8, 9, 63, 64, 65, 130} {
		for _, nAlleles := range []int{1, 2, 3} {
			for _, pos := range []int{0, 1, n / 2, n - 1} {
				if pos >= n {
					continue
				}
				for _, a := range codes {
					for _, b := range codes {
						for _, phase := range []int{0, 1, 2} {
							r.Reset(nAlleles, n, 2)
							for i := range n {
								r.GT[2*i], r.GT[2*i+1] = 0, 0
								r.Phased[i] = phase == 1 || (phase == 2 && i%3 == 0)
							}
							r.GT[2*pos], r.GT[2*pos+1] = a, b
							checkSame(t, &e, &ref, &r, fmt.Sprintf("n=%d alleles=%d sample %d = %d,%d phase %d", n, nAlleles, pos, a, b, phase))
						}
					}
				}
			}
		}
	}
}

// BenchmarkEncodeRealistic encodes chunks of realistic rows (see
// realisticRows: phased diploid, 1/x spectrum, 0.5% missing, 0.05% half
// calls), after checking them against the reference encoder.
func BenchmarkEncodeRealistic(b *testing.B) {
	for _, tc := range []struct{ n, rows int }{{2000, 500}, {10_000, 100}} {
		rows := realisticRows(tc.n, tc.rows, 1)
		var e Encoder
		var ref refEncoder
		var buf, want []byte
		var conv Encoder
		for i := range rows {
			buf = e.Append(buf, &rows[i])
			n := len(want)
			want = conv.toV2(ref.append(want, &rows[i]), n)
		}
		if !bytes.Equal(buf, want) {
			b.Fatal("encoding differs from the reference")
		}
		genotypes := float64(tc.n * tc.rows)
		b.Run(fmt.Sprintf("n=%d", tc.n), func(b *testing.B) {
			p := startPerf(b)
			for b.Loop() {
				buf = buf[:0]
				for i := range rows {
					buf = e.Append(buf, &rows[i])
				}
			}
			b.ReportMetric(float64(len(buf))/genotypes, "B/genotype")
			p.report(genotypes)
		})
		b.Run(fmt.Sprintf("n=%d/reference", tc.n), func(b *testing.B) {
			p := startPerf(b)
			for b.Loop() {
				want = want[:0]
				for i := range rows {
					want = ref.append(want, &rows[i])
				}
			}
			p.report(genotypes)
		})
	}
}

// TestAppend2Rejects checks that the diploid fast path takes exactly the
// rows whose codes are all -1, 0 or 1, whatever the other codes' bits.
func TestAppend2Rejects(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	odd := []int16{End, -3, 2, 3, 0xff, 0x100, 0x4000, 0x7fff, -0x8000, -0x7fff, -0x100, 0x7ffe, -0x4001}
	var e Encoder
	var r Row
	for range 20000 {
		n := 1 + rng.IntN(40)
		r.Reset(2, n, 2)
		want := true
		for i := range r.GT {
			r.GT[i] = int16(rng.IntN(3)) - 1
			if rng.IntN(4*n) == 0 {
				r.GT[i] = odd[rng.IntN(len(odd))]
				want = false
			}
		}
		if _, ok := e.append2(nil, &r); ok != want {
			t.Fatalf("%v: append2 ok = %v", r.GT, ok)
		}
	}
}

// FuzzEncodeMatchesReference builds a row from arbitrary bytes (mostly
// valid codes, some not) and checks that the encoder and the reference
// agree on it byte for byte.
func FuzzEncodeMatchesReference(f *testing.F) {
	f.Add(uint8(1), uint8(2), []byte{1, 0, 0, 0, 1, 1, 0, 0, 0})
	f.Add(uint8(1), uint8(2), bytes.Repeat([]byte{0, 2, 2, 1, 3, 2, 0, 2, 1}, 30))
	f.Add(uint8(2), uint8(2), []byte{1, 4, 3, 0, 1, 2, 1, 2, 0})
	f.Add(uint8(1), uint8(1), []byte{1, 0, 0, 3, 0, 1, 0, 2})
	f.Add(uint8(1), uint8(3), []byte{0, 2, 2, 0, 1, 3, 3, 3, 0})
	f.Fuzz(func(t *testing.T, nAlleles, ploidy uint8, data []byte) {
		var r Row
		na := 1 + int(nAlleles%4)
		if nAlleles >= 250 {
			na = 300
		}
		p := int(ploidy % 5)
		n := len(data) / (p + 1)
		r.Reset(na, n, p)
		for i := range n {
			d := data[i*(p+1) : (i+1)*(p+1)]
			r.Phased[i] = d[0]&1 != 0
			for s, c := range d[1:] {
				code := int16(c%uint8(min(na+2, 250))) - 2
				if c >= 0xf8 {
					code = int16(int8(c)) * 0x1111 // odd bit patterns
				}
				r.GT[i*p+s] = code
			}
		}
		var e Encoder
		var ref refEncoder
		checkSame(t, &e, &ref, &r, fmt.Sprintf("%d alleles, ploidy %d, %v %v", na, p, r.GT, r.Phased))
	})
}

// TestEncodeNoAlloc checks that an encoder in its steady state does not
// allocate.
func TestEncodeNoAlloc(t *testing.T) {
	rows := realisticRows(2000, 50, 3)
	var e Encoder
	buf := make([]byte, 0, 1<<20)
	for i := range rows {
		buf = e.Append(buf[:0], &rows[i])
	}
	if a := testing.AllocsPerRun(5, func() {
		for i := range rows {
			buf = e.Append(buf[:0], &rows[i])
		}
	}); a != 0 {
		t.Errorf("%v allocations per chunk", a)
	}
}
