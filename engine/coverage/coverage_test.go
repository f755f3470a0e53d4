package coverage

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomDepths returns a per-base depth array with runs of varied lengths.
func randomDepths(rng *rand.Rand, length int, maxDepth uint32) []uint32 {
	d := make([]uint32, length)
	for i := 0; i < length; {
		n := 1 + rng.IntN(20)
		v := uint32(rng.IntN(int(maxDepth) + 1))
		if rng.IntN(4) == 0 {
			v = 0
		}
		for k := 0; k < n && i < length; k++ {
			d[i] = v
			i++
		}
	}
	return d
}

// toRuns is the naive run-length encoding of a per-base array.
func toRuns(d []uint32) (ends, depths []uint32) {
	for i, v := range d {
		if n := len(depths); n > 0 && depths[n-1] == v {
			ends[n-1] = uint32(i + 1)
			continue
		}
		ends = append(ends, uint32(i+1))
		depths = append(depths, v)
	}
	return ends, depths
}

func mustContig(t testing.TB, name string, d []uint32, reads int64) *Contig {
	t.Helper()
	ends, depths := toRuns(d)
	c, err := NewContig(name, int64(len(d)), ends, depths, reads)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func randomSample(t testing.TB, rng *rand.Rand) (*Sample, [][]uint32) {
	t.Helper()
	n := 1 + rng.IntN(5)
	var cs []*Contig
	var arrays [][]uint32
	for i := 0; i < n; i++ {
		length := rng.IntN(3000)
		if i == 0 {
			length = 1 + rng.IntN(3000)
		}
		d := randomDepths(rng, length, uint32(1+rng.IntN(60)))
		cs = append(cs, mustContig(t, fmt.Sprintf("chr%d", i+1), d, int64(rng.IntN(1000))))
		arrays = append(arrays, d)
	}
	var fs Flagstat
	for _, v := range fs.fields() {
		v[0], v[1] = rng.Int64N(1<<40), rng.Int64N(100)
	}
	s, err := NewSample(cs, fs)
	if err != nil {
		t.Fatal(err)
	}
	return s, arrays
}

func TestQueriesMatchNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 50; iter++ {
		s, arrays := randomSample(t, rng)
		for i, c := range s.Contigs() {
			d := arrays[i]
			if c.Length() == 0 {
				if _, err := c.DepthAt(1); !errors.Is(err, ErrRange) {
					t.Fatalf("empty contig: DepthAt(1) error %v", err)
				}
				continue
			}
			for k := 0; k < 200; k++ {
				pos := 1 + rng.Int64N(c.Length())
				got, err := s.DepthAt(c.Name(), pos)
				if err != nil || got != d[pos-1] {
					t.Fatalf("%s:%d: depth %d (%v), want %d", c.Name(), pos, got, err, d[pos-1])
				}
				min := uint32(rng.IntN(40))
				ok, err := s.CoveredAtLeast(c.Name(), pos, min)
				if err != nil || ok != (d[pos-1] >= min) {
					t.Fatalf("%s:%d: CoveredAtLeast(%d) = %v", c.Name(), pos, min, ok)
				}
				start := 1 + rng.Int64N(c.Length())
				end := start + rng.Int64N(c.Length()-start+1)
				if rng.IntN(10) == 0 {
					end = math.MaxInt64
				}
				var sum uint64
				last := min64(end, c.Length())
				for p := start; p <= last; p++ {
					sum += uint64(d[p-1])
				}
				gotSum, n, err := c.SumDepth(start, end)
				if err != nil || gotSum != sum || n != last-start+1 {
					t.Fatalf("%s:%d-%d: sum %d over %d (%v), want %d over %d", c.Name(), start, end, gotSum, n, err, sum, last-start+1)
				}
				mean, err := s.MeanDepth(c.Name(), start, end)
				if err != nil || mean != float64(sum)/float64(last-start+1) {
					t.Fatalf("%s:%d-%d: mean %v (%v)", c.Name(), start, end, mean, err)
				}
			}
			st := c.Stats()
			var sum uint64
			var b10, b20, b30 int
			for _, v := range d {
				sum += uint64(v)
				if v >= 10 {
					b10++
				}
				if v >= 20 {
					b20++
				}
				if v >= 30 {
					b30++
				}
			}
			n := float64(len(d))
			if st.MeanDepth != float64(sum)/n || st.AtLeast10 != float64(b10)/n || st.AtLeast20 != float64(b20)/n || st.AtLeast30 != float64(b30)/n {
				t.Fatalf("%s: stats %+v", c.Name(), st)
			}
			if c.BasesAtLeast(20) != int64(b20) {
				t.Fatalf("%s: BasesAtLeast(20) = %d, want %d", c.Name(), c.BasesAtLeast(20), b20)
			}
		}
	}
}

func min64(a, b int64) int64 { return min(a, b) }

func TestQueryErrors(t *testing.T) {
	c := mustContig(t, "chr1", []uint32{1, 1, 2, 0}, 2)
	s, err := NewSample([]*Contig{c, mustContig(t, "MT", []uint32{5}, 1)}, Flagstat{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		contig     string
		start, end int64
		want       error
	}{
		{"chr2", 1, 1, ErrUnknownContig},
		{"chr1", 0, 1, ErrRange},
		{"chr1", 5, 5, ErrRange},
		{"chr1", 3, 2, ErrRange},
	} {
		if _, err := s.MeanDepth(tc.contig, tc.start, tc.end); !errors.Is(err, tc.want) {
			t.Errorf("MeanDepth(%s, %d, %d): %v, want %v", tc.contig, tc.start, tc.end, err, tc.want)
		}
	}
	if _, err := s.DepthAt("chr1", 5); !errors.Is(err, ErrRange) {
		t.Errorf("DepthAt past the end: %v", err)
	}
	// The chr prefix is optional either way; an exact name wins.
	for name, want := range map[string]string{"1": "chr1", "chr1": "chr1", "chrMT": "MT", "MT": "MT", "chr": "", "": ""} {
		got := ""
		if c := s.Contig(name); c != nil {
			got = c.Name()
		}
		if got != want {
			t.Errorf("Contig(%q) = %q, want %q", name, got, want)
		}
	}
	if m, _ := s.MeanDepth("1", 1, math.MaxInt64); m != 1 {
		t.Errorf("mean of chr1 = %v, want 1", m)
	}
}

func TestNewContigInvalid(t *testing.T) {
	for _, tc := range []struct {
		length        int64
		ends, depths  []uint32
		reads         int64
		wantSubstring string
	}{
		{-1, nil, nil, 0, "length"},
		{MaxLength + 1, nil, nil, 0, "length"},
		{5, []uint32{5}, []uint32{1, 2}, 0, "run ends"},
		{5, []uint32{4}, []uint32{1}, 0, "do not end"},
		{5, nil, nil, 0, "do not end"},
		{0, []uint32{1}, []uint32{1}, 0, "empty contig"},
		{5, []uint32{3, 3, 5}, []uint32{1, 2, 3}, 0, "does not advance"},
		{5, []uint32{0, 5}, []uint32{1, 2}, 0, "does not advance"},
		{5, []uint32{2, 5}, []uint32{1, 1}, 0, "same depth"},
		{5, []uint32{5}, []uint32{1}, -1, "negative"},
	} {
		_, err := NewContig("c", tc.length, tc.ends, tc.depths, tc.reads)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.wantSubstring) {
			t.Errorf("%+v: %v", tc, err)
		}
	}
	c := mustContig(t, "a", []uint32{1}, 0)
	if _, err := NewSample([]*Contig{c, c}, Flagstat{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("duplicate names: %v", err)
	}
}

func TestFlagstatText(t *testing.T) {
	fs := Flagstat{Total: [2]int64{3, 0}, Primary: [2]int64{3, 0}, Mapped: [2]int64{2, 0}, PrimaryMapped: [2]int64{2, 0}}
	want := `3 + 0 in total (QC-passed reads + QC-failed reads)
3 + 0 primary
0 + 0 secondary
0 + 0 supplementary
0 + 0 duplicates
0 + 0 primary duplicates
2 + 0 mapped (66.67% : N/A)
2 + 0 primary mapped (66.67% : N/A)
0 + 0 paired in sequencing
0 + 0 read1
0 + 0 read2
0 + 0 properly paired (N/A : N/A)
0 + 0 with itself and mate mapped
0 + 0 singletons (N/A : N/A)
0 + 0 with mate mapped to a different chr
0 + 0 with mate mapped to a different chr (mapQ>=5)
`
	if got := fs.Text(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	// Single-precision ratio, as C's (float)n / total: samtools flagstat
	// prints 1 mapped read of 160 as 0.63% (checked with samtools 1.16),
	// where the double-precision ratio gives 0.62%.
	for _, tc := range []struct {
		n, total int64
		want     string
	}{{1, 160, "0.63%"}, {3, 800, "0.37%"}, {1, 3, "33.33%"}, {0, 5, "0.00%"}, {5, 5, "100.00%"}, {1, 0, "N/A"}, {16777217, 16777218, "100.00%"}, {1, 8, "12.50%"}} {
		if got := percent(tc.n, tc.total); got != tc.want {
			t.Errorf("percent(%d, %d) = %s, want %s", tc.n, tc.total, got, tc.want)
		}
	}
}
