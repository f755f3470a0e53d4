package synth

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gentre/gentre/bench/sim"
	"github.com/gentre/gentre/ingest/snomed"
)

// Generate writes the cohort described by opts into outDir (created if
// needed): snomed.rf2.txt, care.ndjson (or care-01.ndjson ... with
// opts.Files > 1; .gz with opts.Gzip), manifest.tsv and
// genomes.chr22.vcf.gz. Every file is written under a temporary name and
// renamed into place when complete. The same opts give byte-identical
// files (given the same scrm and bgzip, or without bgzip, the same Go).
func Generate(outDir string, opts Options) (*Summary, error) {
	o := opts
	o.EnsureDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	asOfTime, _ := time.Parse(time.DateOnly, o.AsOf)
	asOf := days(asOfTime)

	// Pass 1: who everyone is and what they have.
	people := make([]person, o.People)
	nhs := newNHSNumbers(o.Seed)
	sum := &Summary{Dir: outDir, People: o.People, Conditions: map[string]int{}, Planted: Planted()}
	for i := range people {
		people[i] = drawPerson(o.Seed, i, asOfTime)
		people[i].nhs = nhs.next()
		for c := range Prevalences {
			if people[i].has(c) {
				sum.Conditions[Prevalences[c].Key]++
			}
		}
	}

	sum.SNOMED = filepath.Join(outDir, SNOMEDFile)
	if err := writeFile(sum.SNOMED, snomed.CuratedRF2()); err != nil {
		return nil, err
	}
	plate, columns := drawSamples(&o, len(people))
	for _, s := range plate {
		if s.person >= 0 {
			sum.Linked++
		} else {
			sum.Unlinked++
		}
	}
	sum.Manifest = filepath.Join(outDir, ManifestFile)
	if err := writeManifest(sum.Manifest, plate, people); err != nil {
		return nil, err
	}

	// The genomes (scrm's time, mostly) alongside pass 2.
	sum.VCF = filepath.Join(outDir, VCFFile)
	type vcfResult struct {
		res *sim.Result
		err error
	}
	done := make(chan vcfResult, 1)
	go func() {
		res, err := writeGenomes(sum.VCF, &o, columns, people)
		done <- vcfResult{res, err}
	}()

	// Pass 2: the care records, person by person through the shuffle window.
	care, counts, cerr := writeCare(outDir, &o, asOf, people)
	vr := <-done
	if cerr != nil {
		return nil, cerr
	}
	if vr.err != nil {
		return nil, vr.err
	}
	sum.Care, sum.Resources = care, counts
	sum.Generator, sum.VCFRecords = vr.res.Generator, vr.res.Counts.Records
	return sum, nil
}

func writeCare(dir string, o *Options, asOf int32, people []person) ([]string, map[string]int, error) {
	s, err := newSink(dir, o)
	if err != nil {
		return nil, nil, err
	}
	cw := newCareWriter(o, asOf, s)
	if err := cw.medications(); err != nil {
		s.abort()
		return nil, nil, err
	}
	for i := range people {
		if err := cw.person(i, &people[i]); err != nil {
			s.abort()
			return nil, nil, fmt.Errorf("synth: %w", err)
		}
	}
	paths, err := s.close()
	if err != nil {
		return nil, nil, err
	}
	return paths, cw.counts, nil
}

// writeFile writes data to path through a temporary file.
func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("synth: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}
