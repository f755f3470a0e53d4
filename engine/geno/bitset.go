package geno

import "math/bits"

// Bitset is a fixed-size set of sample indices, one bit each, in 64-bit
// words: the form the counting kernels AND with genotype planes.
type Bitset struct {
	Words []uint64
	N     int
}

// NewBitset returns an empty set over n samples.
func NewBitset(n int) *Bitset {
	return &Bitset{Words: make([]uint64, (n+63)/64), N: n}
}

// Set adds sample i.
func (b *Bitset) Set(i int) { b.Words[i>>6] |= 1 << (uint(i) & 63) }

// Has reports whether sample i is in the set.
func (b *Bitset) Has(i int) bool { return b.Words[i>>6]&(1<<(uint(i)&63)) != 0 }

// Count returns the number of samples in the set.
func (b *Bitset) Count() int {
	n := 0
	for _, w := range b.Words {
		n += bits.OnesCount64(w)
	}
	return n
}

// Fill adds every sample 0..N-1.
func (b *Bitset) Fill() {
	for i := range b.Words {
		b.Words[i] = ^uint64(0)
	}
	if r := b.N & 63; r != 0 {
		b.Words[len(b.Words)-1] = (1 << uint(r)) - 1
	}
}
