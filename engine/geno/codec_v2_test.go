package geno

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// TestVersion1RowsStillRead: rows written before version 2 (the reference
// encoder writes version 1) decode and count exactly as before.
func TestVersion1RowsStillRead(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	var ref refEncoder
	var r, got Row
	var v View
	for _, n := range testSizes {
		specs := fixedSpecs(n)
		for range 15 {
			specs = append(specs, randSpec(rng, n))
		}
		for _, sp := range specs {
			randRow(rng, sp, &r)
			b := ref.append(nil, &r)
			if b[0]>>4 != 1 {
				t.Fatalf("reference wrote tag %#x", b[0])
			}
			if err := v.Reset(b, n); err != nil {
				t.Fatalf("%v: Reset: %v", sp, err)
			}
			if err := v.Decode(&got); err != nil {
				t.Fatalf("%v: Decode: %v", sp, err)
			}
			if !rowsEqual(&r, &got) {
				t.Fatalf("%v: version 1 round trip differs", sp)
			}
			for name, in := range testCohorts(rng, n) {
				var c, want Counts
				v.Count(in, &c)
				CountRow(&r, in, &want)
				if !countsEqual(&c, &want) {
					t.Fatalf("%v cohort %s: %s, want %s", sp, name, fmtCounts(&c), fmtCounts(&want))
				}
			}
		}
	}
}

// TestVersion2ListLengths: a list whose stated byte length or members are
// wrong passes Reset (which does not read members) but fails Decode, and
// the kernels neither panic nor read past the row in between.
func TestVersion2ListLengths(t *testing.T) {
	// 100 diploid samples, all hom-REF but samples 3, 40 and 99 missing.
	var r Row
	r.Reset(2, 100, 2)
	for i := range r.GT {
		r.GT[i] = 0
	}
	for _, i := range []int{3, 40, 99} {
		r.GT[2*i], r.GT[2*i+1] = Missing, Missing
	}
	var e Encoder
	good := e.Append(nil, &r)
	// tag 21, N 100, NAlleles 2, 22, 20, F: 00, M: 06 L gaps..., nX 00, nC 00
	mAt := 6
	if good[0] != tagSparse2 || good[mAt] != 6 || good[mAt+1] != 3 {
		t.Fatalf("unexpected encoding % x", good)
	}
	row := func(l byte, gaps ...byte) []byte {
		b := append([]byte(nil), good[:mAt]...)
		b = append(b, 6, l)
		b = append(b, gaps...)
		return append(b, 0, 0)
	}
	if v := row(3, 3, 36, 58); string(v) != string(good) {
		t.Fatalf("test row builder: % x vs % x", v, good)
	}
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"member beyond the samples", row(3, 3, 36, 59)},
		{"length one byte short", row(2, 3, 36)},
		{"length one byte long", row(4, 3, 36, 58, 0)},
		{"truncated gap", row(3, 3, 36, 0x80)},
	} {
		var v View
		err := v.Reset(tc.b, 100)
		if err == nil {
			var c Counts
			v.Count(nil, &c)
			in := NewBitset(100)
			in.Fill()
			v.Count(in, &c)
			var dst Bitset
			for a := range 2 {
				v.Carriers(a, &dst)
			}
			err = v.Decode(&r)
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", tc.name, err)
		}
	}
	// A stated length beyond the row fails Reset.
	b := row(3, 3, 36, 58)
	b[mAt+1] = 100
	var v View
	if err := v.Reset(b, 100); !errors.Is(err, ErrCorrupt) {
		t.Errorf("length beyond the row: %v", err)
	}
}
