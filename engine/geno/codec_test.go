package geno

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// rowSpec describes a family of random rows.
type rowSpec struct {
	n, nAlleles int
	ploidies    []int   // sample ploidies, drawn uniformly (first one more often with lowFrac)
	lowFrac     float64 // if > 0: probability a sample takes ploidies[1], else ploidies[0]
	fixedLow    bool    // with lowFrac: the low-ploidy samples are the same in every row (sex)
	af          float64 // probability an allele slot holds an ALT
	missing     float64 // probability a sample is fully missing
	half        float64 // probability a sample has one missing allele
	phase       int     // 0 unphased, 1 phased, 2 random
	weird       float64 // probability of an arbitrary slot layout
}

func (sp rowSpec) String() string {
	return fmt.Sprintf("n=%d alleles=%d ploidies=%v low=%.2f af=%.3f miss=%.2f half=%.2f phase=%d weird=%.2f",
		sp.n, sp.nAlleles, sp.ploidies, sp.lowFrac, sp.af, sp.missing, sp.half, sp.phase, sp.weird)
}

// randRow fills r with a random row of spec sp.
func randRow(rng *rand.Rand, sp rowSpec, r *Row) {
	p := slices.Max(sp.ploidies)
	r.Reset(sp.nAlleles, sp.n, p)
	nAlt := sp.nAlleles - 1
	alt := func() int16 {
		if nAlt <= 1 || rng.IntN(2) == 0 {
			return 1
		}
		return int16(1 + rng.IntN(nAlt))
	}
	for i := range sp.n {
		g := r.Sample(i)
		pl := sp.ploidies[rng.IntN(len(sp.ploidies))]
		if sp.lowFrac > 0 {
			pl = sp.ploidies[0]
			if x := rng.Float64(); sp.fixedLow {
				x = float64(splitmix(uint64(i))>>11) / (1 << 53)
				if x < sp.lowFrac {
					pl = sp.ploidies[1]
				}
			} else if x < sp.lowFrac {
				pl = sp.ploidies[1]
			}
		}
		switch sp.phase {
		case 1:
			r.Phased[i] = true
		case 2:
			r.Phased[i] = rng.IntN(2) == 0
		}
		if rng.Float64() < sp.weird {
			for s := range g {
				g[s] = int16(rng.IntN(sp.nAlleles+2)) - 2
			}
			continue
		}
		for s := range g {
			switch {
			case s >= pl:
				g[s] = End
			case nAlt > 0 && rng.Float64() < sp.af:
				g[s] = alt()
			default:
				g[s] = 0
			}
		}
		switch x := rng.Float64(); {
		case pl == 0:
		case x < sp.missing:
			for s := range pl {
				g[s] = Missing
			}
		case x < sp.missing+sp.half:
			g[rng.IntN(pl)] = Missing
		}
	}
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

var testSizes = []int{0, 1, 63, 64, 65, 127, 128, 129, 1000, 4097}

// randSpec draws a random row family over n samples.
func randSpec(rng *rand.Rand, n int) rowSpec {
	sp := rowSpec{n: n}
	sp.nAlleles = []int{1, 2, 2, 2, 3, 4, 5, 300}[rng.IntN(8)]
	switch rng.IntN(8) {
	case 0:
		sp.ploidies = []int{1}
	case 1, 2:
		sp.ploidies = []int{2}
	case 3:
		sp.ploidies = []int{3 + rng.IntN(2)}
	case 4:
		sp.ploidies, sp.lowFrac = []int{2, 1}, []float64{0.5, 0.01, 0.7}[rng.IntN(3)]
	case 5:
		sp.ploidies, sp.lowFrac = []int{1, 2}, []float64{0.5, 0.01}[rng.IntN(2)]
	case 6:
		sp.ploidies = []int{rng.IntN(MaxPloidy + 1), rng.IntN(MaxPloidy + 1), rng.IntN(MaxPloidy + 1)}
	default:
		sp.ploidies = []int{2, 0}
		sp.lowFrac = 0.3
	}
	sp.af = []float64{0, 0.0005, 0.005, 0.05, 0.2, 0.5, 0.9, 1}[rng.IntN(8)]
	sp.missing = []float64{0, 0, 0.02, 0.3, 1}[rng.IntN(5)]
	sp.half = []float64{0, 0, 0.01, 0.2}[rng.IntN(4)]
	sp.phase = rng.IntN(3)
	if rng.IntN(6) == 0 {
		sp.weird = []float64{0.01, 0.5}[rng.IntN(2)]
	}
	return sp
}

// fixedSpecs are rows every run must cover.
func fixedSpecs(n int) []rowSpec {
	return []rowSpec{
		{n: n, nAlleles: 2, ploidies: []int{2}},                           // all hom-ref
		{n: n, nAlleles: 2, ploidies: []int{2}, missing: 1},               // all missing
		{n: n, nAlleles: 2, ploidies: []int{2}, af: 1, phase: 1},          // all hom-alt, phased
		{n: n, nAlleles: 2, ploidies: []int{2}, af: 0.5, phase: 2},        // common, mixed phase
		{n: n, nAlleles: 2, ploidies: []int{2}, af: 0.001},                // rare
		{n: n, nAlleles: 2, ploidies: []int{2, 1}, lowFrac: 0.5, af: 0.3}, // chrX
		{n: n, nAlleles: 2, ploidies: []int{1}, af: 0.4, missing: 0.05},   // chrY
		{n: n, nAlleles: 4, ploidies: []int{2}, af: 0.6, half: 0.05},
		{n: n, nAlleles: 300, ploidies: []int{2}, af: 0.2},
		{n: n, nAlleles: 1, ploidies: []int{2}, missing: 0.1},
		{n: n, nAlleles: 3, ploidies: []int{MaxPloidy, 1}, lowFrac: 0.5, af: 0.5},
	}
}

// allHet is a row of 0/1 (or 1|0 when flip) calls.
func allHet(n int, flip bool, r *Row) {
	r.Reset(2, n, 2)
	for i := range n {
		g := r.Sample(i)
		g[0], g[1] = 0, 1
		if flip {
			g[0], g[1] = 1, 0
			r.Phased[i] = true
		}
	}
}

func rowsEqual(a, b *Row) bool {
	return a.NAlleles == b.NAlleles && a.Ploidy == b.Ploidy && a.NSamples() == b.NSamples() &&
		slices.Equal(a.GT, b.GT) && slices.Equal(a.Phased, b.Phased)
}

// roundTrip encodes r, checks the view and the decoded row, and returns
// whether the dense form was chosen.
func roundTrip(t *testing.T, e *Encoder, r *Row, what string) (dense bool, enc []byte) {
	t.Helper()
	enc = e.Append(nil, r)
	var v View
	if err := v.Reset(enc, r.NSamples()); err != nil {
		t.Fatalf("%s: Reset: %v", what, err)
	}
	if v.NAlleles() != r.NAlleles || v.NSamples() != r.NSamples() || v.Ploidy() != r.Ploidy {
		t.Fatalf("%s: view header %d/%d/%d", what, v.NAlleles(), v.NSamples(), v.Ploidy())
	}
	var got Row
	if err := v.Decode(&got); err != nil {
		t.Fatalf("%s: Decode: %v", what, err)
	}
	if !rowsEqual(r, &got) {
		t.Fatalf("%s: round trip differs\n got %v %v\nwant %v %v", what, got.GT, got.Phased, r.GT, r.Phased)
	}
	return v.Dense(), enc
}

func TestRoundTripRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var e Encoder
	var r Row
	var nSparse, nDense int
	for _, n := range testSizes {
		specs := fixedSpecs(n)
		for range 40 {
			specs = append(specs, randSpec(rng, n))
		}
		for _, sp := range specs {
			randRow(rng, sp, &r)
			if err := CheckRow(&r); err != nil {
				t.Fatalf("%v: generator made an invalid row: %v", sp, err)
			}
			if dense, _ := roundTrip(t, &e, &r, sp.String()); dense {
				nDense++
			} else {
				nSparse++
			}
		}
	}
	if nSparse == 0 || nDense == 0 {
		t.Fatalf("encodings chosen: %d sparse, %d dense; want both", nSparse, nDense)
	}
	t.Logf("%d sparse, %d dense rows", nSparse, nDense)
}

func TestEncodingChoice(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var e Encoder
	var r Row
	for _, tc := range []struct {
		name  string
		sp    rowSpec
		dense bool
	}{
		{"rare", rowSpec{n: 10000, nAlleles: 2, ploidies: []int{2}, af: 0.001}, false},
		{"common", rowSpec{n: 10000, nAlleles: 2, ploidies: []int{2}, af: 0.4}, true},
		{"all hom-ref", rowSpec{n: 10000, nAlleles: 2, ploidies: []int{2}}, false},
		{"all hom-alt", rowSpec{n: 10000, nAlleles: 2, ploidies: []int{2}, af: 1}, true},
		{"chrX common", rowSpec{n: 10000, nAlleles: 2, ploidies: []int{2, 1}, lowFrac: 0.5, af: 0.4}, true},
		{"chrX rare", rowSpec{n: 10000, nAlleles: 2, ploidies: []int{2, 1}, lowFrac: 0.5, af: 0.001}, false},
	} {
		randRow(rng, tc.sp, &r)
		dense, enc := roundTrip(t, &e, &r, tc.name)
		if dense != tc.dense {
			t.Errorf("%s: dense = %v, want %v (%d bytes)", tc.name, dense, tc.dense, len(enc))
		}
	}
	// A chrX row with half the samples haploid must not list them one by
	// one: its size stays near a 2-bit-per-sample dense row.
	randRow(rng, rowSpec{n: 10000, nAlleles: 2, ploidies: []int{2, 1}, lowFrac: 0.5, af: 0.4}, &r)
	if _, enc := roundTrip(t, &e, &r, "chrX"); len(enc) > 10000*3/8+100 {
		t.Errorf("chrX dense row is %d bytes, want about %d", len(enc), 10000*3/8)
	}
	// One triploid sample in a common diploid row stays an exception: a
	// ploidy set over everyone else and a third plane would cost more.
	randRow(rng, rowSpec{n: 10000, nAlleles: 2, ploidies: []int{2}, af: 0.4}, &r)
	r.Ploidy = 3
	r.GT = slices.Grow(r.GT[:0], 3*10000)[:3*10000]
	for i := range 10000 {
		r.GT[3*i], r.GT[3*i+1], r.GT[3*i+2] = int16(i&1), 1, End
	}
	r.GT[3*5+2] = 1
	if _, enc := roundTrip(t, &e, &r, "one triploid"); len(enc) > 10000*2/8+100 {
		t.Errorf("row with one triploid sample is %d bytes, want about %d", len(enc), 10000*2/8)
	}
	// Phase survives as allele order: 0|1 and 1|0 rows differ.
	allHet(100, false, &r)
	_, a := roundTrip(t, &e, &r, "0/1")
	allHet(100, true, &r)
	_, b := roundTrip(t, &e, &r, "1|0")
	if slices.Equal(a, b) {
		t.Error("0/1 and 1|0 rows encode the same")
	}
}

func TestEncodeDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var e1, e2 Encoder
	var r Row
	for range 50 {
		randRow(rng, randSpec(rng, 300), &r)
		a := e1.Append(nil, &r)
		e2.Append(nil, &Row{NAlleles: 2, Ploidy: 2, GT: []int16{0, 1}, Phased: []bool{false}})
		if b := e2.Append([]byte{7}, &r); !slices.Equal(a, b[1:]) || b[0] != 7 {
			t.Fatal("encoding depends on encoder history or clobbers dst")
		}
	}
}

func TestAppendInvalidRow(t *testing.T) {
	var e Encoder
	for name, r := range map[string]*Row{
		"allele too big":   {NAlleles: 2, Ploidy: 2, GT: []int16{0, 2}, Phased: []bool{false}},
		"code below End":   {NAlleles: 2, Ploidy: 1, GT: []int16{-3}, Phased: []bool{false}},
		"no alleles":       {NAlleles: 0, Ploidy: 1, GT: []int16{}, Phased: []bool{}},
		"too many alleles": {NAlleles: MaxAlleles + 1, Ploidy: 1, GT: []int16{0}, Phased: []bool{false}},
		"ploidy":           {NAlleles: 2, Ploidy: MaxPloidy + 1, GT: make([]int16, MaxPloidy+1), Phased: []bool{false}},
		"phase length":     {NAlleles: 2, Ploidy: 2, GT: []int16{0, 1}, Phased: []bool{false, true}},
	} {
		dst, err := e.AppendChecked([]byte{1}, r)
		if !errors.Is(err, ErrInvalidRow) || len(dst) != 1 {
			t.Errorf("%s: err %v, dst %v", name, err, dst)
		}
		if CheckRow(r) == nil {
			t.Errorf("%s: CheckRow accepted it", name)
		}
	}
}

func TestResetCorrupt(t *testing.T) {
	var e Encoder
	var r Row
	rng := rand.New(rand.NewPCG(7, 8))
	randRow(rng, rowSpec{n: 100, nAlleles: 3, ploidies: []int{2}, af: 0.01, missing: 0.05, half: 0.05}, &r)
	sparse := e.Append(nil, &r)
	randRow(rng, rowSpec{n: 100, nAlleles: 2, ploidies: []int{2}, af: 0.5}, &r)
	dense := e.Append(nil, &r)
	var v View
	if v.Reset(sparse, 100) != nil || v.Dense() || v.Reset(dense, 100) != nil || !v.Dense() {
		t.Fatal("test rows are not one sparse and one dense")
	}
	with := func(b []byte, i int, x byte) []byte {
		b = slices.Clone(b)
		b[i] = x
		return b
	}
	for _, tc := range []struct {
		name string
		b    []byte
		n    int
	}{
		{"empty", nil, 100},
		{"bad tag", with(sparse, 0, 0x31), 100},
		{"version 1 tag on a version 2 row", with(sparse, 0, 0x11), 100},
		{"wrong sample count", sparse, 99},
		{"negative sample count", sparse, -1},
		{"truncated sparse", sparse[:len(sparse)-1], 100},
		{"trailing byte", append(slices.Clone(sparse), 0), 100},
		{"truncated dense", dense[:len(dense)-1], 100},
		{"dense tail bits", with(dense, len(dense)-1, 0x80), 100},
		{"ploidy over max", with(sparse, 3, 9<<4|2), 100},
		{"plane ploidy over row ploidy", with(sparse, 3, 2<<4|3), 100},
		{"bad flags", with(sparse, 4, 2<<4|4), 100},
		{"zero alleles", with(sparse, 2, 0), 100},
	} {
		// Reset or, for what it leaves to Decode, Decode must fail; the
		// kernels must not panic in between.
		err := v.Reset(tc.b, tc.n)
		var c Counts
		v.Count(nil, &c)
		if err == nil {
			err = v.Decode(&r)
		} else if err := v.Decode(&r); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Decode after failed Reset: %v", tc.name, err)
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", tc.name, err)
		}
	}
}

// TestDecodeInconsistent builds rows that pass Reset but break the
// cross-field rules Decode checks.
func TestDecodeInconsistent(t *testing.T) {
	hdr := func(n, nAlleles, p, k, klo int) []byte {
		return []byte{tagSparse, byte(n), byte(nAlleles), byte(p<<4 | k), byte(klo << 4)}
	}
	cat := func(bs ...[]byte) []byte { return slices.Concat(bs...) }
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		// n=4 diploid biallelic: F empty, M={1}, X empty, carrier on 1.
		{"missing and carrier", cat(hdr(4, 2, 2, 2, 2), []byte{0, 2, 1, 0, 1, 1<<2 | 1})},
		// exception on sample 0 and carrier on sample 0.
		{"exception and carrier", cat(hdr(4, 2, 2, 2, 2), []byte{0, 0, 1, 0, 3, 3, 1, 0<<2 | 1})},
		// mixed 2/1: S={0}; carrier says high ploidy on sample 0.
		{"carrier ploidy bit", cat(hdr(4, 2, 2, 2, 1), []byte{0, 2, 0, 0, 0, 0, 1, 0<<3 | 1})},
		// mixed 2/1: S={} but Mlo={2}.
		{"low missing outside S", cat(hdr(4, 2, 2, 2, 1), []byte{0, 0, 0, 2, 2, 0, 0})},
		// mixed 2/1: S={0}, exception on sample 1 of ploidy 1.
		{"exception ploidy", cat(hdr(4, 2, 2, 2, 1), []byte{0, 2, 0, 0, 0, 1, 1, 3, 0, 0})},
		// dense biallelic haploid n=4: M={0}, plane bit on sample 0.
		{"plane on missing", cat([]byte{tagDense, 4, 2, 1<<4 | 1, 1 << 4}, []byte{0, 2, 0, 0}, []byte{1, 0, 0, 0, 0, 0, 0, 0})},
		// dense 3 alleles, both ALTs on sample 0 slot 0.
		{"overlapping ALTs", cat([]byte{tagDense, 4, 3, 1<<4 | 1, 1 << 4}, []byte{0, 0, 0, 2, 0, 0}, []byte{1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0})},
	} {
		var v View
		if err := v.Reset(tc.b, 4); err != nil {
			t.Errorf("%s: Reset: %v (the test row should pass Reset)", tc.name, err)
			continue
		}
		var r Row
		if err := v.Decode(&r); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Decode err = %v, want ErrCorrupt", tc.name, err)
		}
	}
}
