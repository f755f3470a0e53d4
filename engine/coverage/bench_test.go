package coverage

import (
	"math/rand/v2"
	"testing"
)

// walkSample is one 1 Mb contig whose depth takes ±1 steps about every
// 2.5 bases around 30, like a simulated 30x BAM (400k runs).
func walkSample(b *testing.B) *Sample {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	const length = 1_000_000
	var ends, depths []uint32
	depth := uint32(30)
	for pos := uint32(0); pos < length; {
		pos = min(pos+1+uint32(rng.IntN(4)), length)
		ends = append(ends, pos)
		depths = append(depths, depth)
		if depth == 0 || (depth < 60 && rng.IntN(2) == 0) {
			depth++
		} else {
			depth--
		}
	}
	c, err := NewContig("chr1", length, ends, depths, 300000)
	if err != nil {
		b.Fatal(err)
	}
	s, err := NewSample([]*Contig{c}, Flagstat{})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkEncode(b *testing.B) {
	s := walkSample(b)
	var n int
	for range b.N {
		n = len(Encode(s))
	}
	b.ReportMetric(float64(n), "bytes")
	b.ReportMetric(float64(n)/float64(s.Contigs()[0].NumRuns()), "B/run")
}

func BenchmarkDecode(b *testing.B) {
	s := walkSample(b)
	enc := Encode(s)
	b.SetBytes(int64(len(enc)))
	for range b.N {
		if _, err := Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(s.Contigs()[0].NumRuns())*float64(b.N)/b.Elapsed().Seconds(), "runs/s")
}

// BenchmarkMeanDepth: 1 kb regions anywhere on the contig.
func BenchmarkMeanDepth(b *testing.B) {
	s := walkSample(b)
	c := s.Contigs()[0]
	c.checkpoints()
	rng := rand.New(rand.NewPCG(3, 4))
	b.ResetTimer()
	for range b.N {
		start := 1 + rng.Int64N(999_000)
		if _, err := c.MeanDepth(start, start+999); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDepthAt(b *testing.B) {
	s := walkSample(b)
	c := s.Contigs()[0]
	rng := rand.New(rand.NewPCG(3, 4))
	b.ResetTimer()
	for range b.N {
		if _, err := c.DepthAt(1 + rng.Int64N(1_000_000)); err != nil {
			b.Fatal(err)
		}
	}
}
