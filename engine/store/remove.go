package store

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gentre/gentre/engine/geno"
)

// RemoveSamples removes samples (by global index) from the release being
// built: every chunk of a batch holding one of them is rewritten without
// their columns (genotypes and kept FORMAT values), the batches' sample sets
// shrink, and the samples' entries in the sample list become RemovedSample.
// Global indices of the other samples do not change. Samples already
// removed are ignored. It returns the number of chunks rewritten.
func (tx *Tx) RemoveSamples(global []uint32) (int, error) {
	m := tx.man
	names, err := tx.s.Samples()
	if err != nil {
		return 0, err
	}
	names = append([]string(nil), names...)
	drop := map[uint32]bool{}
	for _, g := range global {
		if int(g) >= len(names) {
			return 0, fmt.Errorf("store: sample %d out of range", g)
		}
		if names[g] != RemovedSample {
			drop[g] = true
		}
	}
	if len(drop) == 0 {
		return 0, nil
	}
	rewritten := 0
	for bi := range m.Batches {
		b := &m.Batches[bi]
		set, err := tx.s.SampleSet(b)
		if err != nil {
			return 0, err
		}
		var keep []int // columns kept
		var newSet []uint32
		for col, g := range set {
			if !drop[g] {
				keep = append(keep, col)
				newSet = append(newSet, g)
			}
		}
		if len(keep) == len(set) {
			continue
		}
		n, err := tx.rewriteBatch(b.ID, keep, newSet)
		if err != nil {
			return 0, err
		}
		rewritten += n
		var sb strings.Builder
		for _, g := range newSet {
			sb.WriteString(strconv.FormatUint(uint64(g), 10))
			sb.WriteByte('\n')
		}
		rel, err := tx.CreateChecked(dirSampleSets, ".txt", sampleSetMagic, []byte(sb.String()))
		if err != nil {
			return 0, err
		}
		tx.Obsolete(b.SampleSet)
		b.SampleSet, b.NSamples = rel, len(newSet)
	}
	for g := range drop {
		names[g] = RemovedSample
	}
	kept := m.Coverage[:0:0]
	for _, c := range m.Coverage {
		if drop[c.Sample] {
			tx.Obsolete(c.File)
			continue
		}
		kept = append(kept, c)
	}
	m.Coverage = kept
	rel, err := tx.CreateChecked(dirSamples, ".txt", samplesMagic, []byte(strings.Join(names, "\n")+"\n"))
	if err != nil {
		return 0, err
	}
	tx.Obsolete(m.SampleFile)
	m.SampleFile = rel
	m.RemovedSamples += len(drop)
	return rewritten, nil
}

// rewriteBatch rewrites every chunk of a batch keeping only the given
// columns, in parallel, replacing the manifest's chunk references.
func (tx *Tx) rewriteBatch(batch uint32, keep []int, newSet []uint32) (int, error) {
	m := tx.man
	var idx []int
	for i := range m.Chunks {
		if m.Chunks[i].Batch == batch {
			idx = append(idx, i)
		}
	}
	sort.Ints(idx)
	jobs := make(chan int)
	errs := make(chan error, len(idx))
	var wg sync.WaitGroup
	for w := 0; w < tx.s.opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			enc := tx.s.opts.newEncoders()
			for i := range jobs {
				ref, err := tx.rewriteChunk(&m.Chunks[i], keep, newSet, enc)
				if err != nil {
					errs <- err
					continue
				}
				tx.Obsolete(m.Chunks[i].File)
				m.Chunks[i] = ref // each worker owns its indices
			}
		}()
	}
	for _, i := range idx {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		return 0, err
	}
	return len(idx), nil
}

func (tx *Tx) rewriteChunk(ref *ChunkRef, keep []int, newSet []uint32, enc *sectionEncoders) (ChunkRef, error) {
	c, err := tx.s.ReadChunk(ref, PartGenotypes|PartFormat)
	if err != nil {
		return ChunkRef{}, err
	}
	keys := make([]string, len(c.Kept))
	for k := range c.Kept {
		keys[k] = c.Kept[k].Key
	}
	var cb chunkBuilder
	cb.reset(c.Batch, c.Contig, newSet, keys)
	var view geno.View
	var row, out geno.Row
	var encoder geno.Encoder
	view.SetPhaseRef(c.PhaseRef)
	if c.PhaseRef != nil {
		// The kept columns' part of the reference.
		ref := make([]bool, len(keep))
		for j, col := range keep {
			ref[j] = c.PhaseRef[col>>6]>>(uint(col)&63)&1 != 0
		}
		encoder.SetPhaseRef(ref)
		cb.phaseRef = geno.PhaseRefBitmap(ref)
	}
	for i := 0; i < c.Len(); i++ {
		al := c.Alleles(i)
		alts := make([]string, len(al)-1)
		for j := range alts {
			alts[j] = string(al[j+1])
		}
		cb.addSite(c.Pos[i], string(al[0]), alts)
		if err := view.Reset(c.Row(i), len(c.Samples)); err != nil {
			return ChunkRef{}, fmt.Errorf("%s: variant %d: %w", ref.File, i, err)
		}
		if err := view.Decode(&row); err != nil {
			return ChunkRef{}, fmt.Errorf("%s: variant %d: %w", ref.File, i, err)
		}
		// The kept samples may need fewer allele slots than the row had.
		ploidy := 0
		for _, col := range keep {
			p := 0
			for _, a := range row.Sample(col) {
				if a != geno.End {
					p++
				}
			}
			ploidy = max(ploidy, p)
		}
		out.Reset(row.NAlleles, len(keep), ploidy)
		for j, col := range keep {
			copy(out.Sample(j), row.Sample(col)[:ploidy])
			out.Phased[j] = row.Phased[col]
		}
		n := len(cb.rows)
		if cb.rows, err = encoder.AppendChecked(cb.rows, &out); err != nil {
			return ChunkRef{}, err
		}
		cb.rowLens = append(cb.rowLens, len(cb.rows)-n)
		for k, kf := range c.Kept {
			w := kf.Width[i]
			vals := make([]float32, 0, w*len(keep))
			for _, col := range keep {
				vals = append(vals, kf.Values[i][col*w:(col+1)*w]...)
			}
			cb.addKept(k, w, vals)
		}
	}
	data, err := cb.encode(enc)
	if err != nil {
		return ChunkRef{}, err
	}
	rel, err := tx.CreateFile(dirChunks, ".gtc", data)
	if err != nil {
		return ChunkRef{}, err
	}
	nr := *ref
	nr.File, nr.SHA256 = rel, sha256Hex(data)
	if st, err := os.Stat(filepath.Join(tx.s.dir, ref.Sites)); err == nil {
		nr.Bytes = int64(len(data)) + st.Size()
	}
	return nr, nil
}
