package geno

// CountRow tallies the samples of row selected by in (every sample when in
// is nil) into c, which it resets first. It is the plain, obviously-correct
// reference that every fast kernel is tested against; it is not on a hot path.
func CountRow(r *Row, in *Bitset, c *Counts) {
	c.Reset(r.NAlleles - 1)
	n := r.NSamples()
	for i := 0; i < n; i++ {
		if in != nil && !in.Has(i) {
			continue
		}
		gt := r.Sample(i)
		called, missing := 0, false
		first := int16(-3)
		allSame := true
		for _, a := range gt {
			switch {
			case a == End:
				continue
			case a == Missing:
				missing = true
				continue
			}
			called++
			c.AN++
			if a > 0 {
				c.AC[a-1]++
			}
			if first == -3 {
				first = a
			} else if a != first {
				allSame = false
			}
		}
		if missing {
			c.Missing++
		}
		if called == 0 {
			continue
		}
		if allSame {
			if !missing && first > 0 {
				c.HomAlt[first-1]++
			}
			continue
		}
		// Heterozygous: every distinct ALT allele present counts once.
		var seen [MaxPloidy]int16
		ns := 0
	alleles:
		for _, a := range gt {
			if a <= 0 {
				continue
			}
			for _, s := range seen[:ns] {
				if s == a {
					continue alleles
				}
			}
			seen[ns] = a
			ns++
			c.Het[a-1]++
		}
	}
}
