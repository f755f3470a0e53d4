package geno

import (
	"math/rand/v2"
	"testing"
)

// TestEachSimple: for every Simple row, counts rebuilt from its events
// equal CountRow for random cohorts; rows that are not Simple yield no
// events.
func TestEachSimple(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	var e Encoder
	var r Row
	var v View
	simple, dense := 0, 0
	for _, n := range testSizes {
		specs := simpleSpecs(rng, n, 30)
		for _, sp := range specs {
			randRow(rng, sp, &r)
			if err := v.Reset(e.Append(nil, &r), n); err != nil {
				t.Fatal(err)
			}
			events := map[int]SimpleEvent{}
			v.EachSimple(func(i int, ev SimpleEvent) {
				if _, dup := events[i]; dup {
					t.Fatalf("%v: sample %d has two events", sp, i)
				}
				events[i] = ev
			})
			if !v.Simple() {
				if len(events) != 0 {
					t.Fatalf("%v: %d events from a row that is not simple", sp, len(events))
				}
				continue
			}
			simple++
			if v.Dense() {
				dense++
			}
			for name, in := range testCohorts(rng, n) {
				var got, want Counts
				got.Reset(1)
				size := n
				if in != nil {
					size = in.Count()
				}
				got.AN = int64(2 * size)
				for i, ev := range events {
					if in != nil && !in.Has(i) {
						continue
					}
					got.AN += int64(ev.AN)
					got.Missing += int64(ev.Missing)
					got.AC[0] += int64(ev.AC)
					got.Het[0] += int64(ev.Het)
					got.HomAlt[0] += int64(ev.HomAlt)
				}
				if v.Dense() {
					v.CountBody(in, &got)
				}
				CountRow(&r, in, &want)
				if !countsEqual(&got, &want) {
					t.Fatalf("%v cohort %s: from events %s, CountRow %s", sp, name, fmtCounts(&got), fmtCounts(&want))
				}
			}
		}
	}
	if simple == 0 {
		t.Fatal("no simple row drawn")
	}
	if dense == 0 {
		t.Fatal("no dense simple row drawn")
	}
	t.Logf("%d simple rows, %d dense", simple, dense)
}

// simpleSpecs returns row families for the Simple-row code: the fixed ones,
// nRand random ones, and biallelic diploid rows rare and common, with
// missing and half calls, mixed phase and odd samples.
func simpleSpecs(rng *rand.Rand, n, nRand int) []rowSpec {
	specs := fixedSpecs(n)
	for range nRand {
		specs = append(specs, randSpec(rng, n))
	}
	return append(specs, rowSpec{n: n, nAlleles: 2, ploidies: []int{2}, af: 0.002, missing: 0.01, phase: 2},
		rowSpec{n: n, nAlleles: 2, ploidies: []int{2}, af: 0.01, missing: 0.01, half: 0.01, phase: 1},
		rowSpec{n: n, nAlleles: 2, ploidies: []int{2}, af: 0.01, missing: 0.01, half: 0.01, weird: 0.01},
		rowSpec{n: n, nAlleles: 2, ploidies: []int{2}, af: 0.3, missing: 0.01, half: 0.01, phase: 2})
}
