package sim

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// plantedGT is a deterministic genotype pattern covering every code.
func plantedGT(site int) func(int) (int8, int8) {
	return func(s int) (int8, int8) {
		k := (s + 3*site) % 7
		return [7]int8{0, 0, 1, 1, -1, 0, -1}[k], [7]int8{0, 1, 0, 1, -1, -1, 1}[k]
	}
}

// withoutPlanted drops the lines whose ID starts with "planted".
func withoutPlanted(data []byte) []byte {
	var out []byte
	for _, l := range bytes.SplitAfter(data, []byte("\n")) {
		if f := bytes.SplitN(l, []byte("\t"), 4); len(f) > 3 && bytes.HasPrefix(f[2], []byte("planted")) {
			continue
		}
		out = append(out, l...)
	}
	return out
}

func TestPlantedSites(t *testing.T) {
	for _, gen := range generators(t) {
		t.Run(gen, func(t *testing.T) {
			base := Options{Samples: 41, Sites: 300, Seed: 12, Generator: gen, Inject: allOn(), ContigLength: 1_000_000}
			plain, res0, _ := writeBytes(t, base)
			p0 := readVCF(t, plain)

			// Three planted sites: one before everything, one on a
			// simulated site's position (it must move), one after all.
			collide := p0.sites[len(p0.sites)/2].Pos
			o := base
			o.Planted = []PlantedSite{
				{Pos: 1_000_000, ID: "planted_c", Ref: "T", Alt: "C", Genotype: plantedGT(2)},
				{Pos: 1, ID: "planted_a", Ref: "A", Alt: "G", Genotype: plantedGT(0)},
				{Pos: collide, ID: "planted_b", Ref: "C", Alt: "T", Genotype: plantedGT(1)},
			}
			data, res, stats := writeBytes(t, o)
			if res.Counts.Planted != 3 || res.Counts.Records != res0.Counts.Records+3 {
				t.Fatalf("counts %+v, without planting %+v", res.Counts, res0.Counts)
			}
			p := readVCF(t, data)
			prev := int64(0)
			found := map[int64]int{}
			for i, s := range p.sites {
				if s.Pos <= prev {
					t.Fatalf("record %d: position %d after %d", i, s.Pos, prev)
				}
				prev = s.Pos
				w := stats[i]
				w.Chrom = s.Chrom
				if !statsEqual(s, w) {
					t.Fatalf("record %d: written stats %+v, re-read %+v", i, w, s)
				}
				found[s.Pos] = i
			}
			// Each planted record holds exactly its genotypes.
			haploid := make([]bool, o.Samples)
			for j, gt := range p.gts[0] {
				haploid[j] = !strings.ContainsAny(gt, "/|")
			}
			for k, ps := range o.Planted {
				i, ok := found[ps.Pos]
				if !ok || p.sites[i].Ref != ps.Ref || p.sites[i].Alt[0] != ps.Alt {
					t.Fatalf("planted site %d not written as given", k)
				}
				for s, gt := range p.gts[i] {
					a, b := ps.Genotype(s)
					c := func(x int8) string { return map[int8]string{-1: ".", 0: "0", 1: "1"}[x] }
					var want []string
					if haploid[s] {
						want = []string{c(a)}
					} else {
						want = []string{c(a) + "|" + c(b), c(a) + "/" + c(b)}
						if a < 0 || b < 0 {
							want = want[1:]
						}
					}
					if !strings.Contains(strings.Join(want, " "), gt) || gt == "" {
						t.Fatalf("planted %d sample %d: %q, want one of %v", k, s, gt, want)
					}
				}
			}
			// Apart from the planted lines and the moved site's position,
			// the file is the one written without planting.
			moved := bytes.Replace(withoutPlanted(data), fmt.Appendf(nil, "\nchr22\t%d\t", collide+1),
				fmt.Appendf(nil, "\nchr22\t%d\t", collide), 1)
			if !bytes.Equal(moved, plain) {
				t.Fatal("planting changed the simulated records")
			}
		})
	}
}

func TestSampleNames(t *testing.T) {
	names := []string{"LP3000001-DNA_A01", "LP3000001-DNA_B01", "LP3000002-DNA_A01"}
	data, _, _ := writeBytes(t, Options{Samples: 3, Sites: 10, Seed: 1, Generator: GeneratorGo, SampleNames: names})
	if p := readVCF(t, data); strings.Join(p.samples, ",") != strings.Join(names, ",") {
		t.Fatalf("samples %v", p.samples)
	}
}

func TestPlantedValidate(t *testing.T) {
	gt := func(int) (int8, int8) { return 0, 0 }
	for name, o := range map[string]Options{
		"names count":  {Samples: 2, Sites: 5, SampleNames: []string{"a"}},
		"names dup":    {Samples: 2, Sites: 5, SampleNames: []string{"a", "a"}},
		"names space":  {Samples: 2, Sites: 5, SampleNames: []string{"a", "b c"}},
		"pos 0":        {Samples: 2, Sites: 5, Planted: []PlantedSite{{Pos: 0, Ref: "A", Alt: "C", Genotype: gt}}},
		"pos past end": {Samples: 2, Sites: 5, ContigLength: 100, Planted: []PlantedSite{{Pos: 101, Ref: "A", Alt: "C", Genotype: gt}}},
		"pos twice": {Samples: 2, Sites: 5, Planted: []PlantedSite{
			{Pos: 7, Ref: "A", Alt: "C", Genotype: gt}, {Pos: 7, Ref: "A", Alt: "G", Genotype: gt}}},
		"alleles":     {Samples: 2, Sites: 5, Planted: []PlantedSite{{Pos: 7, Ref: "A", Alt: "A", Genotype: gt}}},
		"no genotype": {Samples: 2, Sites: 5, Planted: []PlantedSite{{Pos: 7, Ref: "A", Alt: "C"}}},
		"no room":     {Samples: 2, Sites: 10, ContigLength: 10, Planted: []PlantedSite{{Pos: 7, Ref: "A", Alt: "C", Genotype: gt}}},
	} {
		if _, err := Write(&bytes.Buffer{}, o); !errors.Is(err, ErrOptions) {
			t.Errorf("%s: err = %v, want ErrOptions", name, err)
		}
	}
	bad := Options{Samples: 2, Sites: 5, Generator: GeneratorGo,
		Planted: []PlantedSite{{Pos: 7, Ref: "A", Alt: "C", Genotype: func(int) (int8, int8) { return 2, 0 }}}}
	if _, err := Write(&bytes.Buffer{}, bad); err == nil {
		t.Error("allele code 2 accepted")
	}
}

func TestAvoidPlanted(t *testing.T) {
	for _, c := range []struct {
		pos, planted, want []int64
		length             int64
	}{
		{[]int64{1, 2, 3}, []int64{2}, []int64{1, 3, 4}, 10},
		{[]int64{5, 9, 10}, []int64{10}, []int64{5, 8, 9}, 10},
		{[]int64{8, 9, 10}, []int64{9, 10}, []int64{6, 7, 8}, 10},
		{[]int64{1, 2}, []int64{1, 2}, []int64{3, 4}, 10},
	} {
		var ps []PlantedSite
		for _, p := range c.planted {
			ps = append(ps, PlantedSite{Pos: p})
		}
		got := append([]int64(nil), c.pos...)
		if err := avoidPlanted(got, ps, c.length); err != nil || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("avoidPlanted(%v, %v) = %v, %v; want %v", c.pos, c.planted, got, err, c.want)
		}
	}
}
