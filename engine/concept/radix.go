package concept

// SortKeys sorts keys ascending, carrying vals along, stably (equal keys keep
// their input order). It is an LSD radix sort on 11-bit digits that skips the
// digits on which all keys agree: SCTIDs need at most 60 bits, so at most 6
// passes, each two sequential reads and one scatter. It is what replaces
// hash maps when turning hundreds of thousands of SCTIDs into dense ranks.
func SortKeys(keys []uint64, vals []uint32) {
	const bitsPer = 11
	const buckets = 1 << bitsPer
	const passes = (64 + bitsPer - 1) / bitsPer
	n := len(keys)
	if n < 2 {
		return
	}
	var counts [passes][buckets]int
	for _, k := range keys {
		for p := range passes {
			counts[p][(k>>(p*bitsPer))&(buckets-1)]++
		}
	}
	srcK, srcV := keys, vals
	dstK, dstV := make([]uint64, n), make([]uint32, n)
	for p := range passes {
		c := &counts[p]
		if c[(keys[0]>>(p*bitsPer))&(buckets-1)] == n {
			continue // every key has the same digit here
		}
		sum := 0
		for b := range c {
			c[b], sum = sum, sum+c[b]
		}
		shift := uint(p * bitsPer)
		for i, k := range srcK {
			d := (k >> shift) & (buckets - 1)
			j := c[d]
			c[d]++
			dstK[j], dstV[j] = k, srcV[i]
		}
		srcK, dstK = dstK, srcK
		srcV, dstV = dstV, srcV
	}
	if &srcK[0] != &keys[0] {
		copy(keys, srcK)
		copy(vals, srcV)
	}
}
