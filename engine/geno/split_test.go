package geno

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// TestSplitJoin: every version 2 sparse Simple row splits into a stub and
// events that join back to the same bytes, and the stub's counts plus the
// events' equal CountRow for random cohorts; other rows are not split.
func TestSplitJoin(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	var e Encoder
	var r Row
	var v View
	var spl Splitter
	split, nExc := 0, 0
	for _, n := range testSizes {
		// Many missing calls too: missing sets stored as bitmaps.
		specs := append(simpleSpecs(rng, n, 40), rowSpec{n: n, nAlleles: 2, ploidies: []int{2}, af: 0.01, missing: 0.3, half: 0.01, phase: 1})
		for _, sp := range specs {
			randRow(rng, sp, &r)
			row := e.Append(nil, &r)
			var missing []int32
			var exceptions, carriers []uint32
			codes := map[int]uint8{}
			stub, ok, err := spl.SplitSparse([]byte("prefix"), row, n, func(i int, code uint8) {
				if _, dup := codes[i]; dup {
					t.Fatalf("%v: sample %d split twice", sp, i)
				}
				codes[i] = code
				switch {
				case code == SplitMissing:
					missing = append(missing, int32(i))
				case code >= SplitException:
					exceptions = append(exceptions, uint32(i)<<4|uint32(code-SplitException))
					nExc++
				default:
					carriers = append(carriers, uint32(i)<<2|uint32(code))
				}
			})
			if err != nil {
				t.Fatalf("%v: %v", sp, err)
			}
			if err := v.Reset(row, n); err != nil {
				t.Fatal(err)
			}
			if want := v.Simple() && !v.Dense(); ok != want {
				t.Fatalf("%v: split %v, want %v", sp, ok, want)
			}
			if !ok {
				if string(stub) != "prefix" {
					t.Fatalf("%v: a row not split appended %d bytes", sp, len(stub)-6)
				}
				continue
			}
			split++
			stub = stub[6:]
			joined, err := spl.JoinSparse([]byte("x"), stub, n, missing, exceptions, carriers)
			if err != nil {
				t.Fatalf("%v: join: %v", sp, err)
			}
			if !bytes.Equal(joined[1:], row) {
				t.Fatalf("%v: joined row differs from the original", sp)
			}
			// The stub decodes to the row with every sample hom-REF.
			var sr Row
			if err := v.Reset(stub, n); err != nil {
				t.Fatalf("%v: stub: %v", sp, err)
			}
			v.SetPhaseRef(nil)
			if err := v.Decode(&sr); err != nil {
				t.Fatalf("%v: stub decode: %v", sp, err)
			}
			for i := range n {
				g, sg := r.GT[2*i:2*i+2], sr.GT[2*i:2*i+2]
				code, isSplit := codes[i]
				switch {
				case sg[0] != 0 || sg[1] != 0:
					t.Fatalf("%v: sample %d is %v in the stub", sp, i, sg)
				case !isSplit && (g[0] != 0 || g[1] != 0):
					t.Fatalf("%v: sample %d, %v, not split", sp, i, g)
				case isSplit && code == SplitMissing && (g[0] != Missing || g[1] != Missing):
					t.Fatalf("%v: sample %d split missing, is %v", sp, i, g)
				case isSplit && code >= SplitException && (int16(code-SplitException)>>2-2 != g[0] || int16(code-SplitException)&3-2 != g[1]):
					t.Fatalf("%v: sample %d split as exception %d, is %v", sp, i, code, g)
				case isSplit && code != SplitMissing && code < SplitException && ((code&1 != 0) != (g[0] == 1) || (code&2 != 0) != (g[1] == 1)):
					t.Fatalf("%v: sample %d split %d, is %v", sp, i, code, g)
				}
			}
			for name, in := range testCohorts(rng, n) {
				var got, want Counts
				v.Count(in, &got)
				size := n
				if in != nil {
					size = in.Count()
				}
				if got.AN != int64(2*size) || got.Missing != 0 || got.AC[0] != 0 {
					t.Fatalf("%v: the stub is not all hom-REF: %+v", sp, got)
				}
				for i, code := range codes {
					if in != nil && !in.Has(i) {
						continue
					}
					ev := SplitEvent(code)
					got.AN += int64(ev.AN)
					got.Missing += int64(ev.Missing)
					got.AC[0] += int64(ev.AC)
					got.Het[0] += int64(ev.Het)
					got.HomAlt[0] += int64(ev.HomAlt)
				}
				CountRow(&r, in, &want)
				if got.AN != want.AN || got.Missing != want.Missing || got.AC[0] != want.AC[0] || got.Het[0] != want.Het[0] || got.HomAlt[0] != want.HomAlt[0] {
					t.Fatalf("%v, cohort %s: stub plus events %+v, CountRow %+v", sp, name, got, want)
				}
			}
		}
	}
	if split < 50 || nExc < 20 {
		t.Fatalf("only %d rows split, %d exceptions", split, nExc)
	}
}

// TestJoinRejects: JoinSparse refuses what is not a stub and lists out of
// order or range, with ErrCorrupt.
func TestJoinRejects(t *testing.T) {
	var e Encoder
	var r Row
	var spl Splitter
	n := 100
	r.Reset(2, n, 2)
	for i := range n {
		r.GT[2*i], r.GT[2*i+1] = 0, 0
		r.Phased[i] = true
	}
	r.GT[10], r.GT[11] = 0, 1
	r.GT[40], r.GT[41] = Missing, Missing
	row := e.Append(nil, &r)
	stub, ok, err := spl.SplitSparse(nil, row, n, func(int, uint8) {})
	if err != nil || !ok {
		t.Fatalf("split: %v %v", ok, err)
	}
	for name, c := range map[string]struct {
		stub       []byte
		missing    []int32
		exceptions []uint32
		carriers   []uint32
	}{
		"a whole row":          {row, nil, nil, nil},
		"missing unordered":    {stub, []int32{20, 3}, nil, nil},
		"missing too large":    {stub, []int32{int32(n)}, nil, nil},
		"exceptions unordered": {stub, nil, []uint32{7<<4 | 6, 2<<4 | 6}, nil},
		"exception too large":  {stub, nil, []uint32{uint32(n)<<4 | 6}, nil},
		"carrier code 0":       {stub, nil, nil, []uint32{5 << 2}},
		"carriers unordered":   {stub, nil, nil, []uint32{9<<2 | 1, 9<<2 | 2}},
		"carrier too large":    {stub, nil, nil, []uint32{uint32(n)<<2 | 3}},
		"truncated stub":       {stub[:len(stub)-1], nil, nil, nil},
	} {
		if _, err := spl.JoinSparse(nil, c.stub, n, c.missing, c.exceptions, c.carriers); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := spl.SplitSparse(nil, row[:len(row)-1], n, func(int, uint8) {}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated row split: %v", err)
	}
}
