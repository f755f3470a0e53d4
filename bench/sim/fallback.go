package sim

import (
	"math/rand/v2"
	"slices"
	"sort"
)

// Random streams: every concern draws from its own PCG stream derived from
// the seed, so that turning one injection on or off leaves the others'
// draws unchanged.
const (
	streamPositions uint64 = iota + 1
	streamFallback
	streamBases
	streamMulti
	streamSymbolic
	streamMissing
	streamHalf
	streamHaploid
	streamUnphased
)

// splitmix is SplitMix64's finaliser: a good 64-bit mix of x.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// newRand returns the random stream for (seed, stream, index).
func newRand(seed, stream, index uint64) *rand.Rand {
	return rand.New(rand.NewPCG(splitmix(seed^splitmix(stream)), splitmix(index^splitmix(stream<<32))))
}

// fallback is the pure-Go generator used when scrm is not available:
// Sites independent sites at uniform positions, each with a derived allele
// count k drawn with probability ∝ 1/k on 1..nHap-1 (the neutral site
// frequency spectrum, so the AF distribution is ~1/x) and carried by k
// haplotypes chosen uniformly. It has the right frequencies but no linkage
// disequilibrium, which makes it harder to compress than real data: a
// benchmark on it is pessimistic for the store's size.
type fallback struct {
	seed  uint64
	nHap  int
	pos   []float64
	cum   []float64 // cum[k-1] = H_k = Σ_{i≤k} 1/i
	words []uint64
}

func newFallback(o *Options) *fallback {
	nHap := 2 * o.Samples
	f := &fallback{seed: o.Seed, nHap: nHap, words: make([]uint64, wordsFor(nHap))}
	r := newRand(o.Seed, streamPositions, 0)
	f.pos = make([]float64, o.Sites)
	for i := range f.pos {
		f.pos[i] = r.Float64()
	}
	slices.Sort(f.pos)
	maxK := max(nHap-1, 1)
	f.cum = make([]float64, maxK)
	h := 0.0
	for k := 1; k <= maxK; k++ {
		h += 1 / float64(k)
		f.cum[k-1] = h
	}
	return f
}

func (f *fallback) nSites() int            { return len(f.pos) }
func (f *fallback) position(i int) float64 { return f.pos[i] }

// site draws site i from its own stream, so any site can be produced in
// any order with the same result.
func (f *fallback) site(i int) []uint64 {
	r := newRand(f.seed, streamFallback, uint64(i))
	u := r.Float64() * f.cum[len(f.cum)-1]
	k := sort.SearchFloat64s(f.cum, u) + 1
	k = min(k, f.nHap)
	clear(f.words)
	flip := false
	if k > f.nHap/2 { // choose the complement
		k, flip = f.nHap-k, true
	}
	for n := 0; n < k; {
		h := r.IntN(f.nHap)
		w, b := h>>6, uint64(1)<<(h&63)
		if f.words[w]&b == 0 {
			f.words[w] |= b
			n++
		}
	}
	if flip {
		for w := range f.words {
			f.words[w] = ^f.words[w]
		}
		if tail := f.nHap & 63; tail != 0 {
			f.words[len(f.words)-1] &= 1<<tail - 1
		}
	}
	return f.words
}
