package bam

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gentre/gentre/internal/testpeer"
)

// simCases are the simulated BAMs every differential test runs on.
var simCases = []simOptions{
	{Seed: 1, Lengths: []int{5000}, Reads: 400, ReadLen: 100},
	{Seed: 2, Lengths: []int{3000, 50, 7000, 1}, Idle: []int{1}, Reads: 600, ReadLen: 80, Weird: true, Unplaced: 7},
	{Seed: 3, Lengths: []int{200, 200, 200}, Idle: []int{0, 2}, Reads: 300, ReadLen: 150, Weird: true},
	{Seed: 4, Lengths: []int{1000, 2000}, Reads: 2000, ReadLen: 60, Weird: true, Skew: 0.8, Unplaced: 3},
	{Seed: 5, Lengths: []int{10000}, Reads: 0, ReadLen: 100, Unplaced: 5},
	{Seed: 6, Lengths: []int{30, 40, 50}, Reads: 500, ReadLen: 20, Weird: true},
}

func TestReadMatchesNaive(t *testing.T) {
	for i, o := range simCases {
		for _, q := range []struct{ mapQ, baseQ int }{{0, 0}, {20, 0}, {0, 13}, {30, 30}} {
			t.Run(fmt.Sprintf("case%d/Q%d/q%d", i, q.mapQ, q.baseQ), func(t *testing.T) {
				data, h, recs := simBAM(t, o)
				s, err := Read(bytes.NewReader(data), Options{Name: "sim.bam", MinMapQ: q.mapQ, MinBaseQ: q.baseQ})
				if err != nil {
					t.Fatal(err)
				}
				want := naiveDepth(h, recs, q.mapQ, q.baseQ)
				if len(s.Contigs()) != len(want) {
					t.Fatalf("%d contigs, want %d", len(s.Contigs()), len(want))
				}
				for k, c := range s.Contigs() {
					checkRuns(t, c)
					if err := diffDepth(c.Name(), expand(c), want[k]); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	}
}

func TestSimVsSamtools(t *testing.T) {
	testpeer.Require(t, "samtools")
	dir := t.TempDir()
	for i, o := range simCases {
		for _, q := range []struct{ mapQ, baseQ int }{{0, 0}, {20, 0}, {0, 13}, {25, 30}} {
			o := o
			o.KeepSeq = q.baseQ > 0 // see simOptions.KeepSeq
			data, _, _ := simBAM(t, o)
			path := filepath.Join(dir, fmt.Sprintf("sim%d-%v.bam", i, o.KeepSeq))
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Run(fmt.Sprintf("case%d/Q%d/q%d", i, q.mapQ, q.baseQ), func(t *testing.T) {
				compareWithSamtools(t, path, Options{MinMapQ: q.mapQ, MinBaseQ: q.baseQ})
			})
		}
	}
}
