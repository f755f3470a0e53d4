package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gentre/gentre/ingest/fhir"
)

// This file computes the benchmark's cohorts from the synthetic cohort's
// files, independently of gentre's query engine and store: the SNOMED CT
// is-a closure is walked here from the RF2 rows, the care records are read
// with the FHIR reader alone (no linkage, no pseudonyms), and the manifest
// is parsed here. The peers get the resulting sample IDs, and the checks
// compare gentre's answer with them.

// Concepts of the benchmark's questions.
const (
	diabetesConcept = 73211009  // Diabetes mellitus
	isaType         = 116680003 // RF2 typeId of is-a relationships
)

// question is one cohort-query of the benchmark.
type question struct {
	Key    string // short name, used in file names and the .tsv
	Title  string // for the report
	Cohort string // gentre's cohort expression
	Root   int64  // condition(<<Root)
	Female bool   // and sex(female)
}

// questions are the two cohorts.
var questions = []question{
	{Key: "diabetes", Title: "people with diabetes or any subtype", Cohort: "condition(<<73211009)", Root: diabetesConcept},
	{Key: "diabetes-women", Title: "women with diabetes or any subtype", Cohort: "condition(<<73211009) and sex(female)", Root: diabetesConcept, Female: true},
}

// FreqQuery is the question's gentre query text for contig.
func (q question) FreqQuery(contig string) string { return "freq " + contig + " in " + q.Cohort }

// CountQuery is `count COHORT`.
func (q question) CountQuery() string { return "count " + q.Cohort }

// rf2Descendants returns root and every concept below it by active is-a
// rows of an RF2 relationship file (snapshot or full: for each relationship
// id the row with the latest effectiveTime is the one that counts).
func rf2Descendants(r io.Reader, root int64) (map[int64]bool, error) {
	type version struct {
		time          int
		active, isa   bool
		child, parent int64
	}
	latest := map[string]version{}
	header := true
	err := lines(r, func(_ int, line string) error {
		f := strings.Split(line, "\t")
		if header {
			header = false
			if len(f) < 10 || f[0] != "id" {
				return fmt.Errorf("rf2: header %q is not an RF2 relationship header", line)
			}
			return nil
		}
		if len(f) < 10 {
			return fmt.Errorf("rf2: %d columns, want 10", len(f))
		}
		t, err := strconv.Atoi(f[1])
		if err != nil {
			return fmt.Errorf("rf2: effectiveTime %q", f[1])
		}
		v := version{time: t, active: f[2] == "1", isa: f[7] == strconv.Itoa(isaType)}
		if v.child, err = strconv.ParseInt(f[4], 10, 64); err != nil {
			return fmt.Errorf("rf2: sourceId %q", f[4])
		}
		if v.parent, err = strconv.ParseInt(f[5], 10, 64); err != nil {
			return fmt.Errorf("rf2: destinationId %q", f[5])
		}
		if old, ok := latest[f[0]]; !ok || t > old.time {
			latest[f[0]] = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	children := map[int64][]int64{}
	for _, v := range latest {
		if v.active && v.isa {
			children[v.parent] = append(children[v.parent], v.child)
		}
	}
	out := map[int64]bool{root: true}
	for todo := []int64{root}; len(todo) > 0; {
		c := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		for _, k := range children[c] {
			if !out[k] {
				out[k] = true
				todo = append(todo, k)
			}
		}
	}
	return out, nil
}

// carePerson is what the benchmark needs of a person's care records.
type carePerson struct {
	Female     bool
	Conditions []int64 // Condition codes that are numbers (SNOMED CT ids)
}

// readCare reads FHIR NDJSON files into people by NHS number (spaces
// removed). Condition events are attached through their subject reference,
// which may name a Patient later in the files.
func readCare(paths []string) (map[string]*carePerson, error) {
	people := map[string]*carePerson{}
	byRef := map[fhir.Ref]string{}
	type cond struct {
		subject fhir.Ref
		code    int64
	}
	var conds []cond
	for _, path := range paths {
		if err := readCareFile(path, func(it fhir.Item) {
			switch {
			case it.Patient != nil:
				p := it.Patient
				nhs := strings.ReplaceAll(p.NHSNumber, " ", "")
				if nhs == "" {
					return // gentre skips these too: nothing can link to them
				}
				cp := people[nhs]
				if cp == nil {
					cp = &carePerson{}
					people[nhs] = cp
				}
				cp.Female = p.Gender == "female"
				for _, k := range p.Keys {
					byRef[k] = nhs
				}
			case it.Event != nil && it.Event.Type == fhir.Condition:
				for _, c := range it.Event.Codes {
					if code, err := strconv.ParseInt(c.Code, 10, 64); err == nil {
						conds = append(conds, cond{it.Event.Subject, code})
					}
				}
			}
		}); err != nil {
			return nil, err
		}
	}
	for _, c := range conds {
		nhs, ok := byRef[c.subject]
		if !ok && c.subject.Kind == fhir.KindNHSNumber {
			nhs, ok = c.subject.ID, people[c.subject.ID] != nil
		}
		if !ok {
			return nil, fmt.Errorf("care records: a Condition's subject names no Patient")
		}
		people[nhs].Conditions = append(people[nhs].Conditions, c.code)
	}
	return people, nil
}

func readCareFile(path string, fn func(fhir.Item)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rd, err := fhir.NewReader(f, filepath.Base(path))
	if err != nil {
		return err
	}
	defer rd.Close()
	for {
		it, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		fn(it)
	}
}

// manifestRow is a line of the sample manifest.
type manifestRow struct {
	Sample, NHS string
}

// readManifestTSV reads sample_id<TAB>nhs_number lines after the header
// (NHS numbers with spaces removed).
func readManifestTSV(r io.Reader) ([]manifestRow, error) {
	var rows []manifestRow
	header := true
	err := lines(r, func(_ int, line string) error {
		f := strings.Split(line, "\t")
		if header {
			header = false
			if len(f) != 2 || f[0] != "sample_id" || f[1] != "nhs_number" {
				return fmt.Errorf("manifest: header %q, want sample_id<TAB>nhs_number", line)
			}
			return nil
		}
		if strings.HasPrefix(line, "#") {
			return nil
		}
		if len(f) != 2 {
			return fmt.Errorf("manifest: %d columns, want 2", len(f))
		}
		rows = append(rows, manifestRow{Sample: strings.TrimSpace(f[0]), NHS: strings.ReplaceAll(strings.TrimSpace(f[1]), " ", "")})
		return nil
	})
	return rows, err
}

// cohortTruth is a question's cohort as the harness computes it.
type cohortTruth struct {
	People  int      // people in the cohort (what `count` answers)
	Samples []string // their samples (manifest order): what the peers keep
}

// selectCohort returns the people matching q (a condition coded with a
// concept in desc, and female when q asks) and their manifest samples.
func selectCohort(q question, people map[string]*carePerson, desc map[int64]bool, man []manifestRow) cohortTruth {
	in := map[string]bool{}
	for nhs, p := range people {
		if q.Female && !p.Female {
			continue
		}
		if slices.ContainsFunc(p.Conditions, func(c int64) bool { return desc[c] }) {
			in[nhs] = true
		}
	}
	t := cohortTruth{People: len(in)}
	for _, m := range man {
		if in[m.NHS] {
			t.Samples = append(t.Samples, m.Sample)
		}
	}
	return t
}

// linkedSamples maps each manifest sample whose person has care records to
// that person's NHS number.
func linkedSamples(people map[string]*carePerson, man []manifestRow) map[string]string {
	out := make(map[string]string, len(man))
	for _, m := range man {
		if people[m.NHS] != nil {
			out[m.Sample] = m.NHS
		}
	}
	return out
}

// writeSampleFile writes one sample ID a line (bcftools -S, plink2 --keep:
// a one-column file is read as IIDs).
func writeSampleFile(path string, samples []string) error {
	return writeFile(path, func(w io.Writer) error {
		for _, s := range samples {
			if _, err := io.WriteString(w, s+"\n"); err != nil {
				return err
			}
		}
		return nil
	})
}
