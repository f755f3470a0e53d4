package store

import (
	"testing"
)

// FuzzSplitSection puts arbitrary bytes in a chunk's split rows section
// (with valid checksums, so they reach the parser): decoding it whole, or
// lazily and then walking its columns, totals and rows, returns an error
// or an answer, never a panic.
func FuzzSplitSection(f *testing.F) {
	secs := splitChunk(&testing.T{}, 70)
	ti := -1
	for i, s := range secs {
		if s.tag == secSplit {
			ti = i
		}
	}
	f.Add(secs[ti].data)
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		s2 := append([]section(nil), secs...)
		s2[ti] = section{tag: secSplit, data: data}
		b := assemble(s2)
		if c, err := DecodeChunk("f.gtc", b, PartGenotypes); err == nil {
			for i := 0; i < c.Len(); i++ {
				_ = c.Row(i)
			}
		}
		var c Chunk
		scr := &chunkScratch{}
		if err := c.decode("f.gtc", b, PartGenotypes, scr); err != nil || c.Split == nil {
			return
		}
		cnt := make([]int32, SplitCounters*len(c.Split.Rows))
		for col := range len(c.Samples) {
			if c.Split.AddColumn(col, cnt) != nil {
				break
			}
		}
		c.Split.Totals()
		for i := 0; i < c.Len(); i++ {
			c.WholeRow(i, nil)
		}
	})
}
