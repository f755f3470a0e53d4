package synth

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gentre/gentre/engine/geno"
	"github.com/gentre/gentre/ingest/fhir"
	"github.com/gentre/gentre/ingest/vcf"
)

// generate writes a cohort into a temporary folder.
func generate(t testing.TB, o Options) *Summary {
	t.Helper()
	sum, err := Generate(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// patient is what the tests read back of one Patient.
type patient struct {
	id, nhs, gender, birthDate, postcode string
	age                                  int
	conds                                map[int64]bool // SNOMED codes of their Conditions
	events                               []fhir.Event
}

// has reports whether the patient has condition c (any of its codes).
func (p *patient) has(c int) bool {
	for _, k := range Prevalences[c].Codes {
		if p.conds[k.ID] {
			return true
		}
	}
	return false
}

// cohort is a generated cohort read back from its files with the ingest
// readers, independently of the generator's own state.
type cohort struct {
	patients map[string]*patient // by Patient id
	byNHS    map[string]*patient
	meds     map[string][]fhir.Coding // Medication id -> codes
	manifest [][2]string              // sample_id, nhs_number
	samples  []string                 // VCF columns
	// planted holds each planted site's genotypes per VCF column, by ID:
	// ALT count 0..2, or -1 when any allele is missing.
	planted map[string][]int
}

func readCohort(t testing.TB, sum *Summary, asOf string, withVCF bool) *cohort {
	t.Helper()
	c := &cohort{patients: map[string]*patient{}, byNHS: map[string]*patient{}, meds: map[string][]fhir.Coding{},
		planted: map[string][]int{}}
	ref, err := time.Parse(time.DateOnly, asOf)
	if err != nil {
		t.Fatal(err)
	}
	var events []fhir.Event
	for _, path := range sum.Care {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		r, err := fhir.NewReader(f, path)
		if err != nil {
			t.Fatal(err)
		}
		for {
			it, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case it.Patient != nil:
				p := &patient{nhs: it.Patient.NHSNumber, gender: it.Patient.Gender, birthDate: it.Patient.BirthDate,
					postcode: it.Patient.PostalCode, conds: map[int64]bool{}}
				for _, k := range it.Patient.Keys {
					if k.Kind == "Patient" {
						p.id = k.ID
					}
				}
				if p.id == "" || c.patients[p.id] != nil {
					t.Fatalf("%s:%d: Patient without id or id repeated", path, it.Line)
				}
				b, err := time.Parse(time.DateOnly, p.birthDate)
				if err != nil {
					t.Fatalf("%s:%d: birthDate %q", path, it.Line, p.birthDate)
				}
				p.age = ref.Year() - b.Year()
				if ref.Month() < b.Month() || ref.Month() == b.Month() && ref.Day() < b.Day() {
					p.age--
				}
				c.patients[p.id] = p
			case it.Medication != nil:
				for _, k := range it.Medication.Keys {
					c.meds[k.ID] = it.Medication.Codes
				}
			case it.Event != nil:
				events = append(events, *it.Event)
			}
		}
		r.Close()
		f.Close()
	}
	for _, p := range c.patients {
		if c.byNHS[p.nhs] != nil {
			t.Fatalf("NHS number repeated")
		}
		c.byNHS[p.nhs] = p
	}
	for _, e := range events {
		if e.Subject.Kind != "Patient" {
			t.Fatalf("%s subject is not a Patient/<id> reference", e.Type)
		}
		p := c.patients[e.Subject.ID]
		if p == nil {
			t.Fatalf("%s references a Patient that is not in the files", e.Type)
		}
		if !e.Medication.IsZero() {
			codes, ok := c.meds[e.Medication.ID]
			if e.Medication.Kind != "Medication" || !ok {
				t.Fatalf("%s references a Medication that is not in the files", e.Type)
			}
			e.Codes = codes
		}
		if e.Type == fhir.Condition {
			for _, cd := range e.Codes {
				id, _ := strconv.ParseInt(cd.Code, 10, 64)
				p.conds[id] = true
			}
		}
		p.events = append(p.events, e)
	}

	f, err := os.Open(sum.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 2 {
			t.Fatalf("manifest line %q", sc.Text())
		}
		c.manifest = append(c.manifest, [2]string{fields[0], fields[1]})
	}
	f.Close()
	if len(c.manifest) == 0 || c.manifest[0] != [2]string{"sample_id", "nhs_number"} {
		t.Fatal("manifest header")
	}
	c.manifest = c.manifest[1:]

	if withVCF {
		c.readVCF(t, sum.VCF)
	}
	return c
}

func (c *cohort) readVCF(t testing.TB, path string) {
	t.Helper()
	r, err := vcf.Open(path, vcf.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c.samples = r.Header().Samples
	prev := int64(0)
	for r.Next() {
		rec := r.Record()
		if rec.Pos <= prev {
			t.Fatalf("VCF position %d after %d", rec.Pos, prev)
		}
		prev = rec.Pos
		if !strings.HasPrefix(rec.ID, "gentre_") {
			continue
		}
		gt := make([]int, len(c.samples))
		for s := range gt {
			a := rec.GT.GT[s*rec.GT.Ploidy : (s+1)*rec.GT.Ploidy]
			for _, x := range a {
				switch {
				case x == geno.Missing:
					gt[s] = -1
				case gt[s] >= 0 && x > 0:
					gt[s]++
				}
				if gt[s] < 0 {
					break
				}
			}
		}
		c.planted[rec.ID] = gt
	}
	if err := r.Err(); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
}

// personOfColumn maps each VCF column to its patient (nil: unlinked).
func (c *cohort) personOfColumn(t testing.TB) []*patient {
	t.Helper()
	bySample := map[string]*patient{}
	for _, m := range c.manifest {
		p := c.byNHS[m[1]]
		if p == nil {
			t.Fatalf("manifest row names an NHS number with no Patient")
		}
		bySample[m[0]] = p
	}
	out := make([]*patient, len(c.samples))
	for i, s := range c.samples {
		out[i] = bySample[s]
	}
	return out
}
