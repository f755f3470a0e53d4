package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/gentre/gentre/engine/care"
	"github.com/gentre/gentre/engine/geno"
	"github.com/gentre/gentre/engine/store"
)

// runDump prints every stored table, decoded, as TSV: each table starts
// with a line "# table NAME", then a header line, then rows. It checks
// every chunk's checksums on the way.
func runDump(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dump")
	dir := fs.String("store", "", "store folder")
	if err := parseStoreFlags(fs, args, dir); err != nil {
		return err
	}
	st, err := store.Open(*dir, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	w := bufio.NewWriterSize(stdout, 1<<16)
	err = dumpStore(st, w)
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	return err
}

func dumpStore(st *store.Store, w *bufio.Writer) error {
	m := st.Manifest()
	fmt.Fprintf(w, "# table release\nrelease\tcommitted\tsamples\tbatches\tchunks\n%d\t%s\t%d\t%d\t%d\n",
		m.Release, m.Committed.Format("2006-01-02T15:04:05Z"), m.NSamples, len(m.Batches), len(m.Chunks))

	fmt.Fprintf(w, "# table contigs\ncontig\tlength\n")
	for _, c := range m.Contigs {
		fmt.Fprintf(w, "%s\t%d\n", c.Name, c.Length)
	}

	samples, err := st.Samples()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "# table samples\nindex\tsample\n")
	for i, s := range samples {
		fmt.Fprintf(w, "%d\t%s\n", i, s)
	}

	fmt.Fprintf(w, "# table batches\nbatch\tsource\tsha256\trelease\tsamples\tcontigs\tvariants\tkeep_format\n")
	for _, b := range m.Batches {
		fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%d\t%s\t%d\t%s\n", b.ID, b.Source, b.SHA256, b.Release, b.NSamples,
			strings.Join(b.Contigs, ","), b.Variants, strings.Join(b.KeepFormat, ","))
	}

	if err := dumpCare(st, w); err != nil {
		return err
	}

	var row geno.Row
	var view geno.View
	for _, b := range m.Batches {
		set, err := st.SampleSet(&b)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "# table genotypes batch %d\nchrom\tpos\tid\tref\talt\tqual\tfilter\tinfo\tformat", b.ID)
		for _, g := range set {
			fmt.Fprintf(w, "\t%s", samples[g])
		}
		w.WriteByte('\n')
		format := strings.Join(append([]string{"GT"}, b.KeepFormat...), ":")
		for ci := range m.Chunks {
			ref := &m.Chunks[ci]
			if ref.Batch != b.ID {
				continue
			}
			c, err := st.ReadChunk(ref, store.PartGenotypes|store.PartFormat)
			if err != nil {
				return err
			}
			ss, err := st.ReadSites(ref)
			if err != nil {
				return err
			}
			if len(ss) != c.Len() {
				return fmt.Errorf("%s: %d sites for %d variants: %w", ref.Sites, len(ss), c.Len(), store.ErrCorrupt)
			}
			view.SetPhaseRef(c.PhaseRef)
			for i := 0; i < c.Len(); i++ {
				s := &ss[i]
				if s.Pos != c.Pos[i] {
					return fmt.Errorf("%s: site %d position differs from %s: %w", ref.Sites, i, ref.File, store.ErrCorrupt)
				}
				if err := view.Reset(c.Row(i), len(c.Samples)); err != nil {
					return fmt.Errorf("%s: variant %d: %w", ref.File, i, err)
				}
				if err := view.Decode(&row); err != nil {
					return fmt.Errorf("%s: variant %d: %w", ref.File, i, err)
				}
				alt := "."
				if len(s.Alts) > 0 {
					alt = strings.Join(s.Alts, ",")
				}
				qual := "."
				if !math.IsNaN(float64(s.Qual)) {
					qual = strconv.FormatFloat(float64(s.Qual), 'g', -1, 32)
				}
				fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s", s.Chrom, s.Pos, s.ID, s.Ref, alt, qual, s.Filter, s.Info, format)
				var buf []byte
				for j := range c.Samples {
					buf = append(buf[:0], '\t')
					buf = appendGT(buf, &row, j)
					for _, kf := range c.Kept {
						buf = append(buf, ':')
						wd := kf.Width[i]
						if wd == 0 {
							buf = append(buf, '.')
						}
						for k, v := range kf.Values[i][j*wd : (j+1)*wd] {
							if k > 0 {
								buf = append(buf, ',')
							}
							if math.IsNaN(float64(v)) {
								buf = append(buf, '.')
							} else {
								buf = strconv.AppendFloat(buf, float64(v), 'g', -1, 32)
							}
						}
					}
					w.Write(buf)
				}
				w.WriteByte('\n')
			}
		}
	}
	return nil
}

// appendGT writes sample j's genotype as VCF text (0/1, 1|0, ./., 0, ./1).
func appendGT(b []byte, r *geno.Row, j int) []byte {
	sep := byte('/')
	if r.Phased[j] {
		sep = '|'
	}
	n := 0
	for _, a := range r.Sample(j) {
		if a == geno.End {
			break
		}
		if n > 0 {
			b = append(b, sep)
		}
		if a == geno.Missing {
			b = append(b, '.')
		} else {
			b = strconv.AppendInt(b, int64(a), 10)
		}
		n++
	}
	if n == 0 {
		b = append(b, '.')
	}
	return b
}

// dumpCare prints the care tables: people, events, sample links and the
// size of the opt-out list.
func dumpCare(st *store.Store, w *bufio.Writer) error {
	c := &st.Manifest().Care
	fmt.Fprintf(w, "# table people\nperson\tpseudonym\tsex\tbirth_year\tbirth_month\tarea\n")
	if c.People != "" {
		data, err := st.ReadFile(c.People)
		if err != nil {
			return err
		}
		people, err := care.ReadPeople(c.People, data)
		if err != nil {
			return err
		}
		for i, p := range people {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", i, p.Pseudonym, p.Sex, orNA(int(p.BirthYear)), orNA(int(p.BirthMonth)), p.Area)
		}
	}
	fmt.Fprintf(w, "# table events\nperson\tkind\tsystem\tcode\tdate\tvalue\tunit\n")
	for _, rel := range c.Events {
		data, err := st.ReadFile(rel)
		if err != nil {
			return err
		}
		err = care.ReadEvents(rel, data, func(e *care.Event) error {
			v := ""
			if !math.IsNaN(e.Value) {
				v = strconv.FormatFloat(e.Value, 'g', -1, 64)
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Person, e.Kind, e.System, e.Code, care.Date(e.Date), v, e.Unit)
			return nil
		})
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "# table links\nsample\tperson\n")
	if c.Links != "" {
		body, err := st.ReadChecked(c.Links, "gentre-links")
		if err != nil {
			return err
		}
		w.Write(body)
	}
	fmt.Fprintf(w, "# table optout\npeople\n%d\n", c.NOptOut)
	return nil
}

func orNA(v int) string {
	if v == 0 {
		return "NA"
	}
	return strconv.Itoa(v)
}
