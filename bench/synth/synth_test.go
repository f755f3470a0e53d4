package synth

import (
	"bytes"
	"errors"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gentre/gentre/bench/sim"
	"github.com/gentre/gentre/ingest/fhir"
	"github.com/gentre/gentre/internal/testpeer"
	"github.com/gentre/gentre/pseudonymise"
)

func outputs(s *Summary) []string {
	return append([]string{s.SNOMED, s.Manifest, s.VCF}, s.Care...)
}

func sameFiles(t *testing.T, a, b *Summary) (same, differ []string) {
	t.Helper()
	fa, fb := outputs(a), outputs(b)
	if len(fa) != len(fb) {
		t.Fatalf("%d files vs %d", len(fa), len(fb))
	}
	for i := range fa {
		da, err := os.ReadFile(fa[i])
		if err != nil {
			t.Fatal(err)
		}
		db, err := os.ReadFile(fb[i])
		if err != nil {
			t.Fatal(err)
		}
		name := fa[i][len(a.Dir)+1:]
		if bytes.Equal(da, db) {
			same = append(same, name)
		} else {
			differ = append(differ, name)
		}
	}
	return same, differ
}

func TestDeterministic(t *testing.T) {
	o := Options{People: 400, Sites: 200, Seed: 7, Files: 3, Gzip: true, Generator: sim.GeneratorGo, GenomeFraction: 0.9}
	a, b := generate(t, o), generate(t, o)
	if _, differ := sameFiles(t, a, b); len(differ) > 0 {
		t.Fatalf("same options, different %v", differ)
	}
	o.Seed = 8
	c := generate(t, o)
	same, _ := sameFiles(t, a, c)
	if len(same) != 1 || same[0] != SNOMEDFile {
		t.Fatalf("different seeds, yet identical %v", same)
	}
}

// TestDeterministicScrm: the scrm path and bgzip give the same bytes too.
func TestDeterministicScrm(t *testing.T) {
	testpeer.Require(t, "scrm", "bgzip")
	o := Options{People: 150, Sites: 300, Seed: 3, Generator: sim.GeneratorScrm}
	a, b := generate(t, o), generate(t, o)
	if _, differ := sameFiles(t, a, b); len(differ) > 0 {
		t.Fatalf("same options, different %v", differ)
	}
	if a.Generator != sim.GeneratorScrm || a.VCFRecords < 100 {
		t.Fatalf("generator %q, %d records", a.Generator, a.VCFRecords)
	}
}

var (
	uuidRE  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	labIDRE = regexp.MustCompile(`^LP3[0-9]{6}-DNA_[A-H](0[1-9]|1[0-2])$`)
)

func TestIntegrity(t *testing.T) {
	o := Options{People: 2000, Sites: 100, Seed: 11, Files: 3, Generator: sim.GeneratorGo, GenomeFraction: 0.9}
	sum := generate(t, o)
	c := readCohort(t, sum, DefaultAsOf, true)

	// People: every NHS number valid and unique (readCohort checks
	// uniqueness), from the 999 test range; ids UUID-like.
	if len(c.patients) != 2000 || sum.People != 2000 || sum.Resources["Patient"] != 2000 {
		t.Fatalf("%d patients read, summary %d / %d", len(c.patients), sum.People, sum.Resources["Patient"])
	}
	for id, p := range c.patients {
		if !pseudonymise.ValidNHSNumber(p.nhs) || !strings.HasPrefix(p.nhs, "999") || len(p.nhs) != 10 {
			t.Fatalf("invalid NHS number %q", p.nhs)
		}
		if !uuidRE.MatchString(id) {
			t.Fatalf("Patient id %q is not UUID-like", id)
		}
		if p.gender != "male" && p.gender != "female" {
			t.Fatalf("gender %q", p.gender)
		}
		if _, err := pseudonymise.PostcodeDistrict(p.postcode); err != nil || p.postcode == "" {
			t.Fatalf("postcode %q: %v", p.postcode, err)
		}
	}
	total, lines := 0, 0
	for _, n := range sum.Resources {
		total += n
	}
	for _, path := range sum.Care {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines += bytes.Count(data, []byte("\n"))
	}
	if total != lines || sum.Resources["Medication"] != len(c.meds) {
		t.Fatalf("summary counts %d resources, files hold %d", total, lines)
	}

	if len(sum.Care) != 3 || !strings.HasSuffix(sum.Care[2], "care-03.ndjson") {
		t.Fatalf("care files %v", sum.Care)
	}
	for _, path := range sum.Care {
		if fi, err := os.Stat(path); err != nil || fi.Size() < 100_000 {
			t.Fatalf("%s: %v", path, err)
		}
	}

	// Manifest: 90% of people, each an existing Patient, lab-like IDs.
	if len(c.manifest) != 1800 || sum.Linked != 1800 {
		t.Fatalf("manifest has %d rows, summary %d; want 1800", len(c.manifest), sum.Linked)
	}
	inManifest := map[string]bool{}
	people := map[string]bool{}
	for _, m := range c.manifest {
		if c.byNHS[m[1]] == nil {
			t.Fatal("a manifest row names an NHS number with no Patient")
		}
		if !labIDRE.MatchString(m[0]) || inManifest[m[0]] || people[m[1]] {
			t.Fatalf("sample ID %q: not lab-like, or sample or person repeated", m[0])
		}
		inManifest[m[0]], people[m[1]] = true, true
	}

	// VCF samples = manifest samples ∪ unlinked (1% of 1800 = 18), in
	// another order than the manifest's.
	if sum.Unlinked != 18 || len(c.samples) != 1818 {
		t.Fatalf("%d VCF samples, %d unlinked", len(c.samples), sum.Unlinked)
	}
	unlinked, inVCF := 0, map[string]bool{}
	var linkedOrder []string
	for _, s := range c.samples {
		if !labIDRE.MatchString(s) || inVCF[s] {
			t.Fatalf("VCF sample %q not lab-like or repeated", s)
		}
		inVCF[s] = true
		if inManifest[s] {
			linkedOrder = append(linkedOrder, s)
		} else {
			unlinked++
		}
	}
	if unlinked != 18 || len(linkedOrder) != 1800 {
		t.Fatalf("VCF: %d unlinked, %d linked samples", unlinked, len(linkedOrder))
	}
	inOrder := 0
	for i, s := range linkedOrder {
		if s == c.manifest[i][0] {
			inOrder++
		}
	}
	if inOrder > 20 {
		t.Fatalf("%d of 1800 VCF columns in manifest order: not shuffled", inOrder)
	}
	if len(c.planted) != len(plantedModels) {
		t.Fatalf("%d planted records in the VCF", len(c.planted))
	}
}

// TestShuffledReferences: a good share of events precede their Patient
// in a single file, so reference resolution across the file is exercised.
func TestShuffledReferences(t *testing.T) {
	sum := generate(t, Options{People: 3000, Sites: 10, Seed: 2, Generator: sim.GeneratorGo})
	data, err := os.ReadFile(sum.Care[0])
	if err != nil {
		t.Fatal(err)
	}
	idRE := regexp.MustCompile(`"resourceType":"Patient","id":"([^"]+)"`)
	refRE := regexp.MustCompile(`"reference":"Patient/([^"]+)"`)
	seen := map[string]bool{}
	before, events, adjacent := 0, 0, 0
	prevSubject := ""
	for _, line := range bytes.Split(data, []byte("\n")) {
		if m := idRE.FindSubmatch(line); m != nil {
			seen[string(m[1])] = true
			prevSubject = ""
			continue
		}
		if m := refRE.FindSubmatch(line); m != nil {
			events++
			if !seen[string(m[1])] {
				before++
			}
			if string(m[1]) == prevSubject {
				adjacent++
			}
			prevSubject = string(m[1])
		}
	}
	if events < 5000 || before < events/10 || adjacent > events/20 {
		t.Fatalf("%d events, %d before their Patient, %d next to one of the same person", events, before, adjacent)
	}
}

// big is a 20,000-person cohort shared by the tests of its distributions.
var big struct {
	once sync.Once
	sum  *Summary
	c    *cohort
	err  error
}

func bigCohort(t *testing.T) (*Summary, *cohort) {
	t.Helper()
	if testing.Short() {
		t.Skip("20,000 people: not in -short")
	}
	big.once.Do(func() {
		dir, err := os.MkdirTemp("", "synth-big-")
		if err != nil {
			big.err = err
			return
		}
		defer os.RemoveAll(dir)
		big.sum, big.err = Generate(dir, Options{People: 20000, Sites: 1, Seed: 2025, Generator: sim.GeneratorGo})
		if big.err == nil {
			big.c = readCohort(t, big.sum, DefaultAsOf, true)
		}
	})
	if big.err != nil {
		t.Fatal(big.err)
	}
	return big.sum, big.c
}

// within fails unless got is within k standard deviations (plus slack)
// of want, sd being that of a count with the given variance.
func within(t *testing.T, what string, got, want, variance, slack float64) {
	t.Helper()
	if d := math.Abs(got - want); d > 4.5*math.Sqrt(variance)+slack {
		t.Errorf("%s: %g, want %g ± %.3g", what, got, want, 4.5*math.Sqrt(variance)+slack)
	}
}

func TestAgeSexStructure(t *testing.T) {
	_, c := bigCohort(t)
	n := float64(len(c.patients))
	total := 0.0
	for _, b := range Pyramid {
		total += b.Share
	}
	var wantBand, wantFemale [NBands10]float64
	for _, b := range Pyramid {
		wantBand[Band10(b.Lo)] += b.Share / total
		wantFemale[Band10(b.Lo)] += b.Share / total * (1 - b.MaleFrac)
	}
	var gotBand, gotFemale [NBands10]float64
	females := 0.0
	for _, p := range c.patients {
		if p.age < 0 || p.age > 110 {
			t.Fatalf("age %d", p.age)
		}
		gotBand[Band10(p.age)]++
		if p.gender == "female" {
			gotFemale[Band10(p.age)]++
			females++
		}
	}
	wantAllFemale := 0.0
	for i := range wantBand {
		within(t, "people aged "+strconv.Itoa(i*10)+"+ in band", gotBand[i], n*wantBand[i], n*wantBand[i]*(1-wantBand[i]), 0)
		within(t, "women aged "+strconv.Itoa(i*10)+"+ in band", gotFemale[i], n*wantFemale[i], n*wantFemale[i], 0)
		wantAllFemale += wantFemale[i]
	}
	within(t, "women", females, n*wantAllFemale, n*0.25, 0)
	// The shape itself: England's pyramid is about half female, with
	// women the clear majority over 80 and 80+ a few percent.
	if f := females / n; f < 0.49 || f > 0.53 {
		t.Errorf("female share %.3f", f)
	}
	if r := gotFemale[8] / gotBand[8]; r < 0.55 || r > 0.68 {
		t.Errorf("female share over 80: %.3f", r)
	}
	if s := gotBand[8] / n; s < 0.04 || s > 0.065 {
		t.Errorf("80+ share %.3f", s)
	}
}

func TestPrevalences(t *testing.T) {
	sum, c := bigCohort(t)
	for ci, pr := range Prevalences {
		for _, sex := range []string{"male", "female"} {
			var got, want, variance [NBands10]float64
			for _, p := range c.patients {
				if p.gender != sex {
					continue
				}
				s := uint8(female)
				if sex == "male" {
					s = male
				}
				q := prevalence(ci, s, p.age)
				b := Band10(p.age)
				want[b] += q
				variance[b] += q * (1 - q)
				if p.has(ci) {
					got[b]++
				}
			}
			for b := range got {
				within(t, pr.Key+" "+sex+" aged "+strconv.Itoa(b*10)+"+", got[b], want[b], variance[b], 1)
			}
		}
		people := 0
		for _, p := range c.patients {
			if p.has(ci) {
				people++
			}
		}
		if people != sum.Conditions[pr.Key] {
			t.Errorf("%s: %d people in the files, summary says %d", pr.Key, people, sum.Conditions[pr.Key])
		}
	}

	// The targets of the brief, measured on the data alone.
	frac := func(cond int, keep func(*patient) bool) float64 {
		n, k := 0, 0
		for _, p := range c.patients {
			if keep(p) {
				n++
				if p.has(cond) {
					k++
				}
			}
		}
		return float64(k) / float64(n)
	}
	old := func(sex string) func(*patient) bool {
		return func(p *patient) bool { return p.age >= 75 && (sex == "" || p.gender == sex) }
	}
	t2dOld, t2dOldMen, t2dOldWomen := frac(condT2D, old("")), frac(condT2D, old("male")), frac(condT2D, old("female"))
	if t2dOld < 0.13 || t2dOld > 0.20 || t2dOldMen <= t2dOldWomen {
		t.Errorf("type 2 diabetes over 75: %.3f (men %.3f, women %.3f)", t2dOld, t2dOldMen, t2dOldWomen)
	}
	if v := frac(condT1D, func(*patient) bool { return true }); v < 0.0025 || v > 0.006 {
		t.Errorf("type 1 diabetes: %.4f", v)
	}
	if v := frac(condHTN, func(p *patient) bool { return p.age >= 80 }); v < 0.5 || v > 0.65 {
		t.Errorf("hypertension over 80: %.3f", v)
	}
	over40 := func(sex string) func(*patient) bool {
		return func(p *patient) bool { return p.age >= 40 && p.gender == sex }
	}
	if m, w := frac(condMI, over40("male")), frac(condMI, over40("female")); m < 2*w || m < 0.02 {
		t.Errorf("myocardial infarction over 40: men %.4f, women %.4f", m, w)
	}
}

func TestRecordsFollowConditions(t *testing.T) {
	_, c := bigCohort(t)
	asOf := DefaultAsOf
	var a1cDiab, a1cOther, sysHTN, sysOther stats
	t2d, metformin, t1d, insulin, htn, amlodipine := 0, 0, 0, 0, 0, 0
	for _, p := range c.patients {
		drugs := map[string]bool{}
		for _, e := range p.events {
			if e.Date == "" || e.Date[:10] > asOf || e.Date[:10] <= p.birthDate {
				t.Fatalf("%s dated %q for a person born %s", e.Type, e.Date, p.birthDate)
			}
			code := e.Codes[0]
			switch e.Type {
			case fhir.Observation:
				switch {
				case code.Code == codeHbA1c && e.Unit == "mmol/mol":
					if p.has(condT1D) || p.has(condT2D) {
						a1cDiab.add(e.Value)
					} else {
						a1cOther.add(e.Value)
					}
				case code.Code == codeBMI:
					if e.Unit != "kg/m2" || e.Value < 12 || e.Value > 70 {
						t.Fatalf("BMI %g %s", e.Value, e.Unit)
					}
				case code.Code == codeSystolic:
					if e.Unit != "mm[Hg]" || len(e.Codes) != 2 || e.Codes[1].Code != sctSystolic {
						t.Fatalf("systolic codes %v unit %s", e.Codes, e.Unit)
					}
					if p.has(condHTN) {
						sysHTN.add(e.Value)
					} else {
						sysOther.add(e.Value)
					}
				case code.Code == codeDiastolic:
				default:
					t.Fatalf("unexpected observation %v", e.Codes)
				}
			case fhir.MedicationRequest:
				if code.System != fhir.SystemDMD {
					t.Fatalf("medication system %q", code.System)
				}
				drugs[code.Code] = true
			case fhir.Procedure:
				if !p.has(condMI) {
					t.Fatal("a procedure for someone without a heart attack")
				}
			}
		}
		if p.has(condT2D) {
			t2d++
			if drugs[Drugs[drugMetformin].Code] {
				metformin++
			}
		} else if drugs[Drugs[drugMetformin].Code] {
			t.Fatal("metformin without type 2 diabetes")
		}
		if p.has(condT1D) {
			t1d++
			if drugs[Drugs[drugInsulin].Code] {
				insulin++
			}
		}
		if p.has(condHTN) {
			htn++
			if drugs[Drugs[drugAmlodipine].Code] {
				amlodipine++
			}
		}
	}
	if a1cDiab.mean() < 50 || a1cOther.mean() > 42 || a1cDiab.n < 1000 || a1cOther.n < 1000 {
		t.Errorf("HbA1c: diabetics %.1f (n=%d), others %.1f (n=%d)", a1cDiab.mean(), a1cDiab.n, a1cOther.mean(), a1cOther.n)
	}
	if sysHTN.mean() < sysOther.mean()+8 {
		t.Errorf("systolic: hypertensive %.1f, others %.1f", sysHTN.mean(), sysOther.mean())
	}
	within(t, "type 2 diabetics on metformin", float64(metformin), metforminShare*float64(t2d), float64(t2d)*0.15*0.85, 0)
	within(t, "hypertensives on amlodipine", float64(amlodipine), amlodipineShare*float64(htn), float64(htn)*0.3*0.7, 0)
	if insulin != t1d || t1d == 0 {
		t.Errorf("%d of %d type 1 diabetics on insulin", insulin, t1d)
	}
}

type stats struct {
	n   int
	sum float64
}

func (s *stats) add(v float64)         { s.n++; s.sum += v }
func (s *stats) mean() float64         { return s.sum / float64(s.n) }
func logOR(a, b, c, d float64) float64 { return math.Log(a * d / (b * c)) }

// TestPlantedAssociations measures, from the files alone, the allelic odds
// ratios of the planted variants at 5,000 people and checks them against
// the documented ones (within 4 standard errors of the log, Woolf's); the
// type 2 diabetes variant must be measured precisely enough that an odds
// ratio of 1 would fail.
func TestPlantedAssociations(t *testing.T) {
	sum := generate(t, Options{People: 5000, Sites: 50, Seed: 99, Generator: sim.GeneratorGo})
	c := readCohort(t, sum, DefaultAsOf, true)
	checkAssociations(t, sum, c, map[string]float64{"t2d-risk both sexes": 0.5})
}

// TestPlantedAssociationsLarge does the same at 20,000 people, where the
// men-only MI effect and the protective effect are measured precisely.
func TestPlantedAssociationsLarge(t *testing.T) {
	sum, c := bigCohort(t)
	checkAssociations(t, sum, c, map[string]float64{
		"t2d-risk both sexes": 0.3, "mi-men male": math.Log(2), "mi-men female": 1.5, "htn-protective both sexes": 0.3,
	})
}

// checkAssociations checks every planted variant's allelic odds ratio, in
// each sex for a sex-specific one. maxWidth bounds 4 SE of the log odds
// ratio for "name group" keys, so that the check has power.
func checkAssociations(t *testing.T, sum *Summary, c *cohort, maxWidth map[string]float64) {
	t.Helper()
	cols := c.personOfColumn(t)
	checked := map[string]bool{}
	for _, pv := range sum.Planted {
		gt := c.planted[pv.ID]
		if gt == nil {
			t.Fatalf("%s: no record %s in the VCF", pv.Name, pv.ID)
		}
		cond := -1
		for ci, pr := range Prevalences {
			if pr.Concept == pv.Trait {
				cond = ci
			}
		}
		groups := []string{""} // both sexes together
		if pv.Sex != "" {
			groups = []string{"male", "female"}
		}
		for _, sex := range groups {
			// Allele counts: ALT and REF in cases, then in controls.
			var t2 [4]float64
			for i, p := range cols {
				if p == nil || sex != "" && p.gender != sex || gt[i] < 0 {
					continue
				}
				k := 2
				if p.has(cond) {
					k = 0
				}
				t2[k] += float64(gt[i])
				t2[k+1] += float64(2 - gt[i])
			}
			want := pv.OddsRatio
			if pv.Sex != "" && pv.Sex != sex {
				want = 1
			}
			group := sex
			if group == "" {
				group = "both sexes"
			}
			key := pv.Name + " " + group
			// Control allele frequency.
			n := t2[2] + t2[3]
			within(t, key+": control ALT alleles", t2[2], pv.ControlAF*n, n*pv.ControlAF*(1-pv.ControlAF), 0)
			if t2[0] < 5 { // too few case alleles to measure (the rare variant)
				t.Logf("%s: allele counts %v, not measured", key, t2)
				continue
			}
			got := logOR(t2[0], t2[1], t2[2], t2[3])
			se := math.Sqrt(1/t2[0] + 1/t2[1] + 1/t2[2] + 1/t2[3])
			t.Logf("%s: allelic OR %.2f (want %.2f, SE of the log %.3f)", key, math.Exp(got), want, se)
			if math.Abs(got-math.Log(want)) > 4*se {
				t.Errorf("%s: allelic odds ratio %.2f, want %.2f (±4 SE of the log: %.2f..%.2f)",
					key, math.Exp(got), want, want*math.Exp(-4*se), want*math.Exp(4*se))
			}
			if w, ok := maxWidth[key]; ok && 4*se > w {
				t.Errorf("%s: 4 SE of the log odds ratio is %.3f, over %.3f: too wide to test", key, 4*se, w)
			}
			checked[key] = true
		}
	}
	for key := range maxWidth {
		if !checked[key] {
			t.Errorf("%s: not measured", key)
		}
	}
}

// TestPlantedModel checks the genotype model itself on many draws,
// including the rare variant the cohort tests cannot measure.
func TestPlantedModel(t *testing.T) {
	const n = 400_000
	people := make([]person, n)
	columns := make([]sample, n)
	for i := range people {
		people[i].sex = uint8(1 + i%2)
		if i%4 < 2 {
			people[i].flags = 1<<condT2D | 1<<condMI | 1<<condHTN | 1<<condT1D
		}
		columns[i] = sample{person: int32(i)}
	}
	o := &Options{Seed: 5}
	for v, m := range plantedModels {
		q1 := caseAF(m.q0, m.or)
		if or := q1 / (1 - q1) / (m.q0 / (1 - m.q0)); math.Abs(or-m.or) > 1e-12 {
			t.Fatalf("%s: case AF gives OR %g", m.name, or)
		}
		g := plantedGenotypes(o, v, columns, people)
		var alt, all, miss [2]float64 // by case status
		for i, x := range g {
			cs := 0
			if people[i].has(m.cond) && (m.sex == 0 || m.sex == people[i].sex) {
				cs = 1
			}
			if x == gtMissing {
				miss[cs]++
				continue
			}
			alt[cs] += float64(x&1 + x>>1)
			all[cs] += 2
		}
		for cs, q := range []float64{m.q0, q1} {
			within(t, m.name+" ALT alleles", alt[cs], q*all[cs], all[cs]*q*(1-q), 0)
		}
		within(t, m.name+" missing calls", miss[0]+miss[1], plantedMissing*n, n*plantedMissing, 0)
	}
}

// TestPlantedDocumented: the summary, the VCF and the documentation agree.
func TestPlantedDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/synthetic-cohort.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, pv := range Planted() {
		pos := strconv.FormatInt(pv.Pos, 10)
		row := ""
		for _, l := range strings.Split(string(doc), "\n") {
			if strings.HasPrefix(l, "| `"+pv.ID+"` |") {
				row = l
			}
		}
		for _, want := range []string{pos, pv.Ref, pv.Alt, strconv.FormatFloat(pv.ControlAF, 'f', -1, 64),
			strconv.FormatFloat(pv.OddsRatio, 'f', -1, 64), strconv.FormatFloat(pv.CaseAF, 'f', 4, 64),
			strconv.FormatInt(pv.Trait, 10)} {
			if !strings.Contains(row, want) {
				t.Errorf("docs/synthetic-cohort.md: the row of %s lacks %q: %q", pv.ID, want, row)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	for name, o := range map[string]Options{
		"people":     {People: -1},
		"too many":   {People: MaxPeople + 1},
		"sites":      {Sites: -5},
		"fraction":   {GenomeFraction: 1.5},
		"files":      {Files: MaxFiles + 1},
		"generator":  {Generator: "msprime"},
		"as-of":      {AsOf: "31/03/2025"},
		"no genomes": {People: 10, GenomeFraction: 0.01, UnlinkedSamples: -1},
	} {
		if _, err := Generate(t.TempDir(), o); !errors.Is(err, ErrOptions) {
			t.Errorf("%s: err = %v, want ErrOptions", name, err)
		}
	}
}

func TestNHSNumbers(t *testing.T) {
	g := newNHSNumbers(42)
	seen := map[uint64]bool{}
	for range MaxPeople {
		v := g.next()
		s := strconv.FormatUint(v, 10)
		if seen[v] || !strings.HasPrefix(s, "999") || !pseudonymise.ValidNHSNumber(s) {
			t.Fatalf("NHS number %s repeated or invalid", s)
		}
		seen[v] = true
	}
}

func TestAppendDate(t *testing.T) {
	for d := int32(-30000); d < 80000; d += 7 {
		want := time.Unix(int64(d)*86400, 0).UTC().Format(time.DateOnly)
		if got := string(appendDate(nil, d)); got != want {
			t.Fatalf("day %d: %s, want %s", d, got, want)
		}
	}
}

// TestWithoutTools: without scrm and bgzip on PATH the Go generator and
// the in-process BGZF writer make the same kind of file, deterministically.
func TestWithoutTools(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	o := Options{People: 200, Sites: 100, Seed: 4}
	a, b := generate(t, o), generate(t, o)
	if _, differ := sameFiles(t, a, b); len(differ) > 0 {
		t.Fatalf("same options, different %v", differ)
	}
	if a.Generator != sim.GeneratorGo {
		t.Fatalf("generator %q without scrm", a.Generator)
	}
	data, err := os.ReadFile(a.VCF)
	if err != nil {
		t.Fatal(err)
	}
	// BGZF: gzip members with the BC extra field, ending in the EOF block.
	eof := []byte("\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00\x42\x43\x02\x00\x1b\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	if !bytes.HasPrefix(data, []byte("\x1f\x8b\x08\x04")) || !bytes.HasSuffix(data, eof) {
		t.Fatal("the VCF is not BGZF")
	}
	c := readCohort(t, a, DefaultAsOf, true)
	if len(c.samples) != a.Linked+a.Unlinked || len(c.planted) != len(plantedModels) {
		t.Fatalf("%d samples, %d planted records", len(c.samples), len(c.planted))
	}
}
