package synth

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/biogo/hts/bgzf"
	"github.com/gentre/gentre/bench/sim"
)

// plantedModel is a planted variant's definition.
type plantedModel struct {
	name     string
	pos      int64
	ref, alt string
	cond     int   // the trait's condition
	sex      uint8 // 0: both sexes; male or female: the effect in that sex only
	q0       float64
	or       float64
}

// plantedModels are the planted variants (documented in
// docs/synthetic-cohort.md; positions are on GRCh38 chr22).
var plantedModels = [...]plantedModel{
	{name: "t2d-risk", pos: 24_316_207, ref: "A", alt: "G", cond: condT2D, q0: 0.10, or: 2.7},
	{name: "mi-men", pos: 30_112_894, ref: "C", alt: "T", cond: condMI, sex: male, q0: 0.15, or: 2.0},
	{name: "htn-protective", pos: 37_248_561, ref: "G", alt: "A", cond: condHTN, q0: 0.20, or: 0.6},
	{name: "t1d-rare", pos: 43_870_312, ref: "T", alt: "C", cond: condT1D, q0: 0.005, or: 8.0},
}

// plantedMissing is the rate of missing calls ("./.") at planted sites.
const plantedMissing = 0.005

// caseAF returns the ALT frequency in cases giving allelic odds ratio or
// against control frequency q0.
func caseAF(q0, or float64) float64 { return or * q0 / (1 - q0 + or*q0) }

// Planted describes the planted variants.
func Planted() []PlantedVariant {
	out := make([]PlantedVariant, len(plantedModels))
	for i, m := range plantedModels {
		sex := ""
		switch m.sex {
		case male:
			sex = "male"
		case female:
			sex = "female"
		}
		out[i] = PlantedVariant{
			Name: m.name, ID: "gentre_" + strings.ReplaceAll(m.name, "-", "_"),
			Chrom: Contig, Pos: m.pos, Ref: m.ref, Alt: m.alt,
			Trait: Prevalences[m.cond].Concept, TraitKey: Prevalences[m.cond].Key, Sex: sex,
			ControlAF: m.q0, CaseAF: caseAF(m.q0, m.or), OddsRatio: m.or,
		}
	}
	return out
}

// sample is one genome: its lab ID and its person (-1: unlinked).
type sample struct {
	id     string
	person int32
}

// drawSamples chooses who has a genome, names the samples, and returns
// them in plate order (the manifest's order) and in VCF column order.
func drawSamples(o *Options, n int) (plate, columns []sample) {
	linked, unlinked := o.genomes()
	r := newRand(o.Seed, streamSamples, 0)
	who := r.Perm(n)[:linked]
	plate = make([]sample, 0, linked+unlinked)
	for _, p := range who {
		plate = append(plate, sample{person: int32(p)})
	}
	for range unlinked {
		plate = append(plate, sample{person: -1})
	}
	r.Shuffle(len(plate), func(i, j int) { plate[i], plate[j] = plate[j], plate[i] })
	ids := newLabIDs(r)
	for i := range plate {
		plate[i].id = ids.next()
	}
	columns = append([]sample(nil), plate...)
	r.Shuffle(len(columns), func(i, j int) { columns[i], columns[j] = columns[j], columns[i] })
	return plate, columns
}

// writeManifest writes sample_id<TAB>nhs_number for the linked samples.
func writeManifest(path string, plate []sample, people []person) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	defer os.Remove(tmp)
	w := bufio.NewWriter(f)
	w.WriteString("sample_id\tnhs_number\n")
	var b []byte
	for _, s := range plate {
		if s.person < 0 {
			continue
		}
		b = append(b[:0], s.id...)
		b = append(b, '\t')
		b = strconv.AppendUint(b, people[s.person].nhs, 10)
		b = append(b, '\n')
		w.Write(b)
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}

// Genotype codes kept per column: bit 0 the first allele, bit 1 the
// second, gtMissing a missing call.
const gtMissing = 0xff

// plantedGenotypes draws every column's genotype at planted variant v.
func plantedGenotypes(o *Options, v int, columns []sample, people []person) []uint8 {
	m := &plantedModels[v]
	q1 := caseAF(m.q0, m.or)
	r := newRand(o.Seed, streamGenotypes, uint64(v))
	g := make([]uint8, len(columns))
	for c, s := range columns {
		q := m.q0
		if s.person >= 0 {
			p := &people[s.person]
			if p.has(m.cond) && (m.sex == 0 || m.sex == p.sex) {
				q = q1
			}
		}
		// Three draws a column whatever the outcome: the stream stays aligned.
		miss, a, b := r.Float64() < plantedMissing, r.Float64() < q, r.Float64() < q
		switch {
		case miss:
			g[c] = gtMissing
		default:
			g[c] = b2u(a) | b2u(b)<<1
		}
	}
	return g
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// writeGenomes simulates the VCF with the planted variants.
func writeGenomes(path string, o *Options, columns []sample, people []person) (*sim.Result, error) {
	names := make([]string, len(columns))
	for i, s := range columns {
		names[i] = s.id
	}
	so := sim.Options{
		Samples: len(columns), Sites: o.Sites, Seed: o.Seed, Contig: Contig,
		Generator: o.Generator, Inject: sim.Realistic(), SampleNames: names,
	}
	for v, pv := range Planted() {
		g := plantedGenotypes(o, v, columns, people)
		so.Planted = append(so.Planted, sim.PlantedSite{
			Pos: pv.Pos, ID: pv.ID, Ref: pv.Ref, Alt: pv.Alt,
			Genotype: func(s int) (int8, int8) {
				x := g[s]
				if x == gtMissing {
					return -1, -1
				}
				return int8(x & 1), int8(x >> 1)
			},
		})
	}
	so.EnsureDefaults()
	if _, err := exec.LookPath(so.Bgzip); err == nil {
		so.Threads = 2
		return sim.Simulate(path, so)
	}
	// No bgzip: BGZF in process (biogo/hts), the same format.
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	defer os.Remove(tmp)
	bw := bgzf.NewWriter(f, 2)
	res, err := sim.Write(bw, so)
	if cerr := bw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return nil, fmt.Errorf("synth: genomes: %w", err)
	}
	res.Path = path
	return res, nil
}
