package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gentre/gentre/bench/sim"
	"github.com/gentre/gentre/internal/testpeer"
)

// simulate writes a scrm cohort with multi-allelic sites, missing and half
// calls, symbolic alleles and (optionally) haploid samples.
func simulate(t *testing.T, dir, contig string, samples, sites int, haploid float64, seed uint64) string {
	t.Helper()
	inj := sim.Realistic()
	inj.MultiAllelic = 0.08
	inj.Missing = 0.02
	inj.HalfCall = 0.01
	inj.Haploid = haploid
	inj.Symbolic = 0.01
	path := filepath.Join(dir, fmt.Sprintf("sim-%s-%d.vcf", contig, seed))
	res, err := sim.Simulate(path, sim.Options{Samples: samples, Sites: sites, Seed: seed, Contig: contig, Generator: sim.GeneratorScrm, Inject: inj})
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.MultiAllelic == 0 || res.Counts.HalfCalls == 0 || res.Counts.Missing == 0 {
		t.Fatalf("simulation lacks the injected features: %+v", res.Counts)
	}
	return path
}

// TestFreqMatchesBcftoolsOnSimulatedCohorts: scrm cohorts (with chr and
// without, diploid and chrX-like mixed ploidy) as VCF, BGZF VCF and BCF.
func TestFreqMatchesBcftoolsOnSimulatedCohorts(t *testing.T) {
	testpeer.Require(t, "bcftools", "scrm", "bgzip")
	tmp := t.TempDir()
	for _, tc := range []struct {
		contig  string
		haploid float64
		samples int
	}{
		{"chr22", 0, 257},
		{"22", 0, 64},
		{"chrX", 0.5, 129},
	} {
		vcfPath := simulate(t, tmp, tc.contig, tc.samples, 1500, tc.haploid, 7)
		gz := vcfPath + ".gz"
		bcf := strings.TrimSuffix(vcfPath, ".vcf") + ".bcf"
		if _, err := shell(fmt.Sprintf("bgzip -c %q > %q && bcftools view -Ob -o %q %q", vcfPath, gz, bcf, vcfPath)); err != nil {
			t.Fatal(err)
		}
		want, err := bcftoolsFreq(vcfPath)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{vcfPath, gz, bcf} {
			t.Run(filepath.Base(p), func(t *testing.T) {
				got, err := gentreFreq(t, p)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Fatalf("freq differs from bcftools:\n%s", firstDiff(got, want))
				}
			})
		}
	}
}

// TestSampleBatchesMergeExactly: a cohort split by samples into two files
// and ingested as two batches answers exactly as the whole file does, all
// columns, and AC/AN still equal bcftools on the whole file.
func TestSampleBatchesMergeExactly(t *testing.T) {
	testpeer.Require(t, "bcftools", "scrm")
	tmp := t.TempDir()
	full := simulate(t, tmp, "chr22", 150, 1200, 0, 11)
	a, b := filepath.Join(tmp, "a.bcf"), filepath.Join(tmp, "b.vcf")
	var first, second []string
	for i := 1; i <= 150; i++ {
		if i%3 == 0 {
			second = append(second, fmt.Sprintf("S%06d", i))
		} else {
			first = append(first, fmt.Sprintf("S%06d", i))
		}
	}
	if _, err := shell(fmt.Sprintf("bcftools view -Ob -s %s -o %q %q && bcftools view -s %s -o %q %q",
		strings.Join(first, ","), a, full, strings.Join(second, ","), b, full)); err != nil {
		t.Fatal(err)
	}
	one := newStore(t)
	gentre(t, "ingest", "vcf", "--store", one, full)
	two := newStore(t)
	gentre(t, "ingest", "vcf", "--store", two, "--chunk-variants", "100", a, b)
	for _, region := range []string{"chr22", "22:10000000-30000000", "chr22:1-1"} {
		w := gentre(t, "query", "--store", one, "freq "+region)
		g := gentre(t, "query", "--store", two, "freq "+region)
		if g != w {
			t.Fatalf("freq %s: two batches differ from one file:\n%s", region, firstDiff(g, w))
		}
	}
	want, err := bcftoolsFreq(full)
	if err != nil {
		t.Fatal(err)
	}
	got, err := gentreFreqStore(t, two)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("two batches vs bcftools on the whole file:\n%s", firstDiff(got, want))
	}
}

// TestRegionIsASliceOfTheContig: freq over a region equals the rows of the
// whole-contig answer whose position lies in it, at chunk edges too.
func TestRegionIsASliceOfTheContig(t *testing.T) {
	testpeer.Require(t, "scrm")
	tmp := t.TempDir()
	path := simulate(t, tmp, "chr22", 40, 800, 0, 3)
	dir := newStore(t)
	gentre(t, "ingest", "vcf", "--store", dir, "--chunk-variants", "50", path)
	whole := strings.Split(strings.TrimSuffix(gentre(t, "query", "--store", dir, "freq chr22"), "\n"), "\n")
	var pos []int64
	for _, l := range whole[1:] {
		p, _ := strconv.ParseInt(strings.Split(l, "\t")[1], 10, 64)
		pos = append(pos, p)
	}
	for _, r := range [][2]int64{{pos[0], pos[0]}, {pos[49], pos[50]}, {pos[10] + 1, pos[300]}, {1, pos[len(pos)-1]}, {pos[len(pos)-1] + 1, pos[len(pos)-1] + 1000}} {
		var want strings.Builder
		want.WriteString(whole[0] + "\n")
		for i, l := range whole[1:] {
			if pos[i] >= r[0] && pos[i] <= r[1] {
				want.WriteString(l + "\n")
			}
		}
		got := gentre(t, "query", "--store", dir, fmt.Sprintf("freq 22:%d-%d", r[0], r[1]))
		if got != want.String() {
			t.Fatalf("region %v:\n%s", r, firstDiff(got, want.String()))
		}
	}
}
