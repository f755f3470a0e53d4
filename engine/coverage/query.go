package coverage

import "fmt"

// run returns the index of the run holding 1-based position pos, which must
// be within 1..Length.
func (c *Contig) run(pos uint32) int {
	// The first run whose end is >= pos.
	lo, hi := 0, len(c.ends)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c.ends[m] < pos {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func (c *Contig) checkPos(pos int64) error {
	if pos < 1 || pos > int64(c.length) {
		return fmt.Errorf("%w: %s:%d (length %d)", ErrRange, c.name, pos, c.length)
	}
	return nil
}

// DepthAt returns the depth at 1-based position pos.
func (c *Contig) DepthAt(pos int64) (uint32, error) {
	if err := c.checkPos(pos); err != nil {
		return 0, err
	}
	return c.depths[c.run(uint32(pos))], nil
}

// CoveredAtLeast reports whether the depth at 1-based position pos is at
// least min.
func (c *Contig) CoveredAtLeast(pos int64, min uint32) (bool, error) {
	d, err := c.DepthAt(pos)
	return d >= min, err
}

// clamp checks a 1-based inclusive region and clamps its end to the
// contig length.
func (c *Contig) clamp(start, end int64) (uint32, uint32, error) {
	if start < 1 || start > int64(c.length) || end < start {
		return 0, 0, fmt.Errorf("%w: %s:%d-%d (length %d)", ErrRange, c.name, start, end, c.length)
	}
	return uint32(start), uint32(min(end, int64(c.length))), nil
}

// ckptEvery is the run spacing of the prefix-sum checkpoints: queries scan
// at most this many runs past a checkpoint, for 1/8 byte per run.
const ckptEvery = 64

// checkpoints returns ck with ck[j] = Σ depth·bases over runs
// 0..ckptEvery·j−1, built on first use.
func (c *Contig) checkpoints() []uint64 {
	c.cumOnce.Do(func() {
		ck := make([]uint64, 0, len(c.ends)/ckptEvery+1)
		var sum uint64
		var prev uint32
		for i, e := range c.ends {
			if i%ckptEvery == 0 {
				ck = append(ck, sum)
			}
			sum += uint64(c.depths[i]) * uint64(e-prev)
			prev = e
		}
		c.cum = ck
	})
	return c.cum
}

// sumTo returns Σ depth over positions 1..pos (pos may be 0).
func (c *Contig) sumTo(pos uint32) uint64 {
	if pos == 0 {
		return 0
	}
	i := c.run(pos)
	j := i / ckptEvery
	sum := c.checkpoints()[j]
	var prev uint32 // last position of the run before k
	if k := j * ckptEvery; k > 0 {
		prev = c.ends[k-1]
	}
	for k := j * ckptEvery; k < i; k++ {
		sum += uint64(c.depths[k]) * uint64(c.ends[k]-prev)
		prev = c.ends[k]
	}
	return sum + uint64(c.depths[i])*uint64(pos-prev)
}

// SumDepth returns Σ depth over the bases start..end (1-based, inclusive;
// end clamped to the contig length) and the number of those bases. For
// several samples, the mean is Σ sums / Σ bases.
func (c *Contig) SumDepth(start, end int64) (sum uint64, bases int64, err error) {
	s, e, err := c.clamp(start, end)
	if err != nil {
		return 0, 0, err
	}
	return c.sumTo(e) - c.sumTo(s-1), int64(e-s) + 1, nil
}

// MeanDepth returns the mean depth over the bases start..end (1-based,
// inclusive; end clamped to the contig length).
func (c *Contig) MeanDepth(start, end int64) (float64, error) {
	sum, n, err := c.SumDepth(start, end)
	if err != nil {
		return 0, err
	}
	return float64(sum) / float64(n), nil
}

// BasesAtLeast returns the number of bases with depth >= min over the
// whole contig.
func (c *Contig) BasesAtLeast(min uint32) int64 {
	var n int64
	var prev uint32
	for i, e := range c.ends {
		if c.depths[i] >= min {
			n += int64(e - prev)
		}
		prev = e
	}
	return n
}

// ContigStats are the per-contig QC figures: over the whole contig length,
// the mean depth and the fractions of bases with depth >= 10, 20 and 30.
// All are 0 for an empty contig.
type ContigStats struct {
	Name      string
	Length    int64
	Reads     int64 // alignments counted in the depth
	MeanDepth float64
	AtLeast10 float64
	AtLeast20 float64
	AtLeast30 float64
}

// Stats returns the contig's QC figures.
func (c *Contig) Stats() ContigStats {
	st := ContigStats{Name: c.name, Length: int64(c.length), Reads: c.reads}
	if c.length == 0 {
		return st
	}
	n := float64(c.length)
	var sum uint64
	var b10, b20, b30 int64
	var prev uint32
	for i, e := range c.ends {
		d, w := c.depths[i], e-prev
		sum += uint64(d) * uint64(w)
		if d >= 10 {
			b10 += int64(w)
			if d >= 20 {
				b20 += int64(w)
				if d >= 30 {
					b30 += int64(w)
				}
			}
		}
		prev = e
	}
	st.MeanDepth = float64(sum) / n
	st.AtLeast10 = float64(b10) / n
	st.AtLeast20 = float64(b20) / n
	st.AtLeast30 = float64(b30) / n
	return st
}

// Stats returns the QC figures of every contig, in header order.
func (s *Sample) Stats() []ContigStats {
	out := make([]ContigStats, len(s.contigs))
	for i, c := range s.contigs {
		out[i] = c.Stats()
	}
	return out
}
