package geno

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// fuzzSamples reads the sample count an encoded row claims, so that the
// fuzzer's mutations reach past the header; it is capped to keep Decode's
// allocation small.
func fuzzSamples(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	n, k := uvarint(b[1:])
	if k <= 0 || n > 5000 {
		return 0
	}
	return int(n)
}

// FuzzDecode feeds arbitrary bytes to View.Reset and, when they pass, to
// every kernel and Decode: nothing may panic; every error wraps ErrCorrupt;
// and when Decode accepts the bytes, the kernels must agree with the naive
// references on the decoded row, which must re-encode to the same row.
func FuzzDecode(f *testing.F) {
	rng := rand.New(rand.NewPCG(21, 22))
	var e Encoder
	var ref refEncoder // version 1 rows
	var r Row
	for _, n := range []int{0, 1, 5, 63, 64, 65, 130} {
		specs := fixedSpecs(n)
		for range 6 {
			specs = append(specs, randSpec(rng, n))
		}
		for _, sp := range specs {
			if sp.nAlleles > 20 {
				sp.nAlleles = 20
			}
			randRow(rng, sp, &r)
			b := e.Append(nil, &r)
			f.Add(b)
			f.Add(ref.append(nil, &r))
			if len(b) > 3 {
				f.Add(b[:len(b)/2])
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n := fuzzSamples(b)
		var v View
		if err := v.Reset(b, n); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Reset error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		in, full := NewBitset(n), NewBitset(n)
		full.Fill()
		for i := 0; i < n; i += 1 + len(b)%3 {
			in.Set(i)
		}
		var c, ca, cb, want Counts
		var carriers Bitset
		v.Count(nil, &c)
		v.Count(in, &ca)
		v.Count2(in, full, &ca, &cb)
		for _, a := range []int{0, 1, v.NAlleles() - 1} {
			v.Carriers(a, &carriers)
		}

		var r Row
		if err := v.Decode(&r); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Decode error does not wrap ErrCorrupt: %v", err)
			}
			return
		}
		if err := CheckRow(&r); err != nil {
			t.Fatalf("Decode made an invalid row: %v", err)
		}
		for _, cohort := range []*Bitset{nil, in, full} {
			v.Count(cohort, &c)
			CountRow(&r, cohort, &want)
			if !countsEqual(&c, &want) {
				t.Fatalf("Count = %s, CountRow = %s", fmtCounts(&c), fmtCounts(&want))
			}
		}
		v.Count2(in, full, &ca, &cb)
		CountRow(&r, in, &want)
		if !countsEqual(&ca, &want) {
			t.Fatalf("Count2 a = %s, CountRow = %s", fmtCounts(&ca), fmtCounts(&want))
		}
		for a := range min(r.NAlleles, 4) {
			v.Carriers(a, &carriers)
			if w := naiveCarriers(&r, a); !slices.Equal(carriers.Words, w.Words) {
				t.Fatalf("Carriers(%d) = %x, want %x", a, carriers.Words, w.Words)
			}
		}
		var e Encoder
		var v2 View
		var r2 Row
		if err := v2.Reset(e.Append(nil, &r), n); err != nil {
			t.Fatalf("re-encoded row: Reset: %v", err)
		}
		if err := v2.Decode(&r2); err != nil || !rowsEqual(&r, &r2) {
			t.Fatalf("re-encoded row does not round-trip: %v", err)
		}
	})
}
