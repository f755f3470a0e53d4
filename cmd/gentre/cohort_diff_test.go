package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gentre/gentre/bench/synth"
	"github.com/gentre/gentre/ingest/fhir"
	"github.com/gentre/gentre/ingest/snomed"
	"github.com/gentre/gentre/internal/testpeer"
	"github.com/gentre/gentre/pseudonymise"
)

// truthPerson is what the test reads itself from the synthetic files,
// without gentre's query engine.
type truthPerson struct {
	sex        string
	year, mon  int
	conditions map[string]bool
	samples    []string
}

func readTruth(t *testing.T, sum *synth.Summary) map[string]*truthPerson {
	t.Helper()
	byRef := map[fhir.Ref]*truthPerson{}
	byNHS := map[string]*truthPerson{}
	var events []*fhir.Event
	for _, path := range sum.Care {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		rd, err := fhir.NewReader(f, filepath.Base(path))
		if err != nil {
			t.Fatal(err)
		}
		for {
			it, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case it.Patient != nil:
				nhs, _ := pseudonymise.NormaliseNHSNumber(it.Patient.NHSNumber)
				p := &truthPerson{sex: it.Patient.Gender, conditions: map[string]bool{}}
				p.year, p.mon, _ = pseudonymise.BirthMonth(it.Patient.BirthDate)
				byNHS[nhs] = p
				for _, k := range it.Patient.Keys {
					byRef[k] = p
				}
			case it.Event != nil && it.Event.Type == fhir.Condition:
				e := *it.Event
				events = append(events, &e)
			}
		}
		f.Close()
	}
	for _, e := range events {
		if p := byRef[e.Subject]; p != nil {
			for _, c := range e.Codes {
				p.conditions[c.Code] = true
			}
		}
	}
	f, err := os.Open(sum.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fl := strings.Split(sc.Text(), "\t")
		nhs, _ := pseudonymise.NormaliseNHSNumber(fl[1])
		if p := byNHS[nhs]; p != nil {
			p.samples = append(p.samples, fl[0])
		}
	}
	return byNHS
}

// TestFreqInRandomCohortsMatchesBcftools: for random cohorts of a
// synthetic population, freq ... in COHORT equals bcftools +fill-tags on
// the cohort's samples (bcftools view -S), and so do the vs counts.
func TestFreqInRandomCohortsMatchesBcftools(t *testing.T) {
	testpeer.Require(t, "bcftools", "scrm")
	tmp := t.TempDir()
	sum, err := synth.Generate(filepath.Join(tmp, "cohort"), synth.Options{People: 400, Sites: 1200, Seed: 11, Generator: "scrm"})
	if err != nil {
		t.Fatal(err)
	}
	dir := newStore(t)
	gentre(t, "ingest", "snomed", "--store", dir, sum.SNOMED)
	gentre(t, append([]string{"ingest", "fhir", "--store", dir}, sum.Care...)...)
	gentre(t, "ingest", "vcf", "--store", dir, "--manifest", sum.Manifest, sum.VCF)
	people := readTruth(t, sum)
	h, _, err := snomed.ParseRF2File(sum.SNOMED)
	if err != nil {
		t.Fatal(err)
	}
	diabetes := map[string]bool{}
	ids, _ := h.DescendantsOrSelf(73211009)
	for _, id := range ids {
		diabetes[strconv.FormatInt(id, 10)] = true
	}
	asOf := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	age := func(p *truthPerson) int {
		m := p.mon
		if m == 0 {
			m = 1
		}
		a := asOf.Year() - p.year
		if int(asOf.Month()) < m {
			a--
		}
		return a
	}
	hasAny := func(p *truthPerson, set map[string]bool) bool {
		for c := range p.conditions {
			if set[c] {
				return true
			}
		}
		return false
	}
	type cohort struct {
		query string
		in    func(p *truthPerson) bool
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var cohorts []cohort
	for i := 0; i < 6; i++ {
		lo := rng.IntN(70)
		hi := lo + 5 + rng.IntN(40)
		sex := []string{"female", "male"}[rng.IntN(2)]
		cohorts = append(cohorts,
			cohort{fmt.Sprintf("age(%d..%d) and sex(%s)", lo, hi, sex), func(p *truthPerson) bool { a := age(p); return a >= lo && a <= hi && p.sex == sex }},
			cohort{fmt.Sprintf("not age(%d..%d) or condition(<<73211009)", lo, hi), func(p *truthPerson) bool { a := age(p); return !(a >= lo && a <= hi) || hasAny(p, diabetes) }},
		)
	}
	cohorts = append(cohorts,
		cohort{"condition(<<73211009)", func(p *truthPerson) bool { return hasAny(p, diabetes) }},
		cohort{"condition(44054006) and not sex(male)", func(p *truthPerson) bool { return p.conditions["44054006"] && p.sex != "male" }},
		cohort{"age(200..200)", func(p *truthPerson) bool { return false }},
	)
	checked := 0
	for _, c := range cohorts {
		var samples []string
		for _, p := range people {
			if c.in(p) {
				samples = append(samples, p.samples...)
			}
		}
		sort.Strings(samples)
		got := freqFirstCols(t, gentre(t, "query", "--store", dir, "--as-of", "2026-11-21", "freq chr22 in "+c.query))
		if len(samples) == 0 {
			for _, l := range strings.Split(strings.TrimSpace(got), "\n") {
				if f := strings.Split(l, "\t"); f[4] != "0" || f[5] != "0" {
					t.Fatalf("%s: empty cohort, row %q", c.query, l)
				}
			}
			continue
		}
		list := filepath.Join(tmp, "samples.txt")
		os.WriteFile(list, []byte(strings.Join(samples, "\n")+"\n"), 0o644)
		want, err := shell(fmt.Sprintf(`bcftools view -S %q -Ou %q | bcftools +fill-tags -Ou -- -t AC,AN | bcftools norm -m- -Ou | bcftools query -f '%%CHROM\t%%POS\t%%REF\t%%ALT\t%%AC\t%%AN\n'`, list, sum.VCF))
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("freq chr22 in %s (%d samples) differs from bcftools view -S:\n%s", c.query, len(samples), firstDiff(got, want))
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("only %d non-empty cohorts checked", checked)
	}
	// vs: the comparator's counts are those of its own samples.
	out := gentre(t, "query", "--store", dir, "--as-of", "2026-11-21", "freq chr22 in sex(female) vs sex(male)")
	var males []string
	for _, p := range people {
		if p.sex == "male" {
			males = append(males, p.samples...)
		}
	}
	list := filepath.Join(tmp, "males.txt")
	os.WriteFile(list, []byte(strings.Join(males, "\n")+"\n"), 0o644)
	want, err := shell(fmt.Sprintf(`bcftools view -S %q -Ou %q | bcftools +fill-tags -Ou -- -t AC,AN | bcftools norm -m- -Ou | bcftools query -f '%%CHROM\t%%POS\t%%REF\t%%ALT\t%%AC\t%%AN\n'`, list, sum.VCF))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := strings.Split(l, "\t")
		b.WriteString(strings.Join([]string{f[0], f[1], f[2], f[3], f[10], f[11]}, "\t") + "\n")
	}
	if b.String() != want {
		t.Fatalf("vs sex(male) differs from bcftools:\n%s", firstDiff(b.String(), want))
	}
}

// freqFirstCols keeps chrom pos ref alt ac an of a freq answer, no header.
func freqFirstCols(t *testing.T, out string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n")[1:] {
		f := strings.Split(l, "\t")
		b.WriteString(strings.Join(f[:6], "\t") + "\n")
	}
	return b.String()
}
