package store

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/gentre/gentre/engine/geno"
)

// splitChunk builds a chunk of rare rows over n samples (all split) and
// returns its sections, uncompressed.
func splitChunk(t *testing.T, n int) []section {
	t.Helper()
	var cb chunkBuilder
	samples := make([]uint32, n)
	for i := range samples {
		samples[i] = uint32(i)
	}
	cb.reset(0, "chr1", samples, nil)
	var e geno.Encoder
	var r geno.Row
	for v := range 20 {
		cb.addSite(int64(100+v), "A", []string{"G"})
		r.Reset(2, n, 2)
		for i := range n {
			r.GT[2*i], r.GT[2*i+1] = 0, 0
			r.Phased[i] = true
		}
		r.GT[2*(v%n)+1] = 1              // a het
		r.GT[2*((v+3)%n)] = geno.Missing // a missing call
		r.GT[2*((v+3)%n)+1] = geno.Missing
		if v%4 == 0 {
			r.GT[2*((v+5)%n)], r.GT[2*((v+5)%n)+1] = 1, 1 // a hom-ALT
		}
		if v%3 == 0 {
			r.GT[2*((v+7)%n)] = geno.Missing // a half call: an exception
			r.GT[2*((v+7)%n)+1] = 1
		}
		before := len(cb.rows)
		cb.rows = e.Append(cb.rows, &r)
		cb.rowLens = append(cb.rowLens, len(cb.rows)-before)
	}
	b, err := cb.encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	secs, err := parseSections("t.gtc", b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return secs
}

// assemble writes sections back into a chunk file with valid checksums.
func assemble(secs []section) []byte {
	out := chunkStart(len(secs))
	for _, s := range secs {
		out = appendSection(out, s.tag, s.data, nil)
	}
	return chunkFinish(out)
}

// A split row's columns must agree with its totals and stay within the
// slots; ReadChunk's join and the columns' walk refuse them otherwise.
func TestSplitRowsChecked(t *testing.T) {
	secs := splitChunk(t, 70)
	ti := -1
	for i, s := range secs {
		if s.tag == secSplit {
			ti = i
		}
	}
	if ti < 0 {
		t.Fatal("no split rows section")
	}
	if _, err := DecodeChunk("t.gtc", assemble(secs), PartGenotypes); err != nil {
		t.Fatal(err)
	}
	orig := secs[ti].data
	d := &decoder{b: orig}
	var sr SplitRows
	parseSplit(d, &sr, 20, 70)
	if d.err != nil || len(sr.Rows) != 20 {
		t.Fatalf("parse: %v, %d split rows", d.err, len(sr.Rows))
	}
	// The section's layout: the totals follow nSplit and the row gaps (one
	// byte each here); the first column's first event is the last byte's
	// neighbourhood, so change a total and an event's gap.
	totAt := 1 + 20
	bad := func(name string, mutate func(b []byte) []byte) {
		t.Helper()
		b := mutate(append([]byte(nil), orig...))
		s2 := append([]section(nil), secs...)
		s2[ti] = section{tag: secSplit, data: b}
		if _, err := DecodeChunk("t.gtc", assemble(s2), PartGenotypes); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	bad("a total off by one", func(b []byte) []byte { b[totAt]++; return b })
	bad("too many columns", func(b []byte) []byte {
		return append(binary.AppendUvarint(b[:0:0], 1000), b[1:]...)
	})
	bad("truncated", func(b []byte) []byte { return b[:len(b)-1] })
	bad("a slot past the last", func(b []byte) []byte {
		// The last column's last event: make its gap huge.
		b[len(b)-1] = 0x7f
		return b
	})
	// The walk over one column refuses a slot out of range too.
	sr2 := sr
	sr2.ev = append([]byte(nil), sr.ev...)
	last := len(sr2.evOff) - 2
	for last >= 0 && sr2.evOff[last] == sr2.evOff[last+1] {
		last--
	}
	sr2.ev[sr2.evOff[last+1]-1] = 0x7f
	if err := sr2.AddColumn(last, make([]int32, SplitCounters*len(sr2.Rows))); !errors.Is(err, ErrCorrupt) {
		t.Errorf("AddColumn on a slot out of range: %v", err)
	}
	// And an exception's allele codes out of range.
	sr3 := sr
	sr3.exc = append([]byte(nil), sr.exc...)
	if len(sr3.exc) == 0 {
		t.Fatal("no exceptions split")
	}
	sr3.exc[len(sr3.exc)-1] = 16
	col := len(sr3.excOff) - 2
	for sr3.excOff[col] == sr3.excOff[col+1] {
		col--
	}
	if err := sr3.AddColumn(col, make([]int32, SplitCounters*len(sr3.Rows))); !errors.Is(err, ErrCorrupt) {
		t.Errorf("AddColumn on a bad exception: %v", err)
	}
}
