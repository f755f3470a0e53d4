package store

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gentre/gentre/engine/geno"
	"github.com/gentre/gentre/engine/sites"
)

// BatchSpec describes one file about to be ingested.
type BatchSpec struct {
	// Source is the file's base name; Size its length in bytes. Together
	// they let a caller find a file ingested before (FindSource).
	Source string
	Size   int64
	// Samples are the pseudonyms of the file's sample columns, in order.
	Samples []string
	// Drop lists columns (0-based) whose genotypes must not be stored (the
	// samples of people who opted out). Rows passed to Add still hold every
	// column; the writer leaves these out.
	Drop []int
	// KeepFormat names the FORMAT fields whose values are kept.
	KeepFormat []string
	// Header is the file's meta-information, kept for dump.
	Header string
	// Contigs declared by the file's header, with lengths (optional).
	Contigs []ContigInfo
}

// BatchSummary says what a committed batch added.
type BatchSummary struct {
	Release    uint64
	Variants   int64
	Samples    int
	NewSamples int
	Genotypes  int64
	Chunks     int
	Bytes      int64 // bytes of the new chunk and site files
}

// BatchWriter adds one file's variants to the store as a new batch. Add
// records in file order; Commit makes them a new data release, Abort drops
// them. Encoding and compression run on background goroutines.
type BatchWriter struct {
	s        *Store
	tx       *Tx
	spec     BatchSpec
	man      *Manifest // the release being built (tx's)
	batchID  uint32
	samples  []uint32 // global indices of the columns
	allNames []string // global sample list after this batch
	newNames int

	cols      []int // columns kept, when some are dropped
	contigs   map[string]bool
	curContig string
	variants  int64

	builders sync.Pool // of *chunkBuilder
	group    *rowGroup
	nextSeq  int
	toEncode chan *rowGroup // to the encoders
	encoded  chan *rowGroup // to the assembler, in any order
	free     chan *rowGroup // recycled groups
	chunks   chan *chunkJob // to the writers
	asmDone  chan struct{}
	wg       sync.WaitGroup // writers

	// phaseRef is the batch's phase reference (nil: none), chosen from
	// the first group of rows before any is encoded; phaseRefBits is its
	// bitmap, written to every chunk.
	phaseRef     []bool
	phaseRefBits []uint64

	mu      sync.Mutex
	err     error
	written []ChunkRef // by chunk sequence number
	bytes   int64
	done    bool
}

const groupRows = 64

// rowGroup carries copies of consecutive records through the pipeline:
// the caller fills it, an encoder encodes its rows, the assembler adds them
// to chunks in sequence order.
type rowGroup struct {
	seq   int
	n     int
	sites [groupRows]sites.Site
	rows  [groupRows]geno.Row
	kept  [groupRows][]keptCopy
	enc   []byte // encoded rows back to back
	lens  [groupRows]int
	err   error
}

type keptCopy struct {
	width  int
	values []float32
}

type chunkJob struct {
	seq   int
	cb    *chunkBuilder
	sites []sites.Site
}

// NewBatch starts a batch. It fails if the store is not open for writing.
func (s *Store) NewBatch(spec BatchSpec) (*BatchWriter, error) {
	tx, err := s.Begin()
	if err != nil {
		return nil, err
	}
	w := &BatchWriter{s: s, tx: tx, spec: spec, man: tx.Manifest(), contigs: map[string]bool{}}
	names, err := s.Samples()
	if err != nil {
		return nil, err
	}
	w.allNames = append([]string(nil), names...)
	index := make(map[string]uint32, len(names)+len(spec.Samples))
	for i, n := range names {
		index[n] = uint32(i)
	}
	seen := make(map[string]bool, len(spec.Samples))
	drop := map[int]bool{}
	for _, c := range spec.Drop {
		if c < 0 || c >= len(spec.Samples) {
			return nil, fmt.Errorf("store: dropped column %d out of range", c)
		}
		drop[c] = true
	}
	for i, n := range spec.Samples {
		if drop[i] {
			continue
		}
		w.cols = append(w.cols, i)
		if seen[n] {
			return nil, fmt.Errorf("%s: sample column %d repeats an earlier sample: %w", spec.Source, i+1, ErrConflict)
		}
		seen[n] = true
		g, ok := index[n]
		if !ok {
			g = uint32(len(w.allNames))
			index[n] = g
			w.allNames = append(w.allNames, n)
			w.newNames++
		}
		w.samples = append(w.samples, g)
	}
	for _, b := range w.man.Batches {
		if b.ID >= w.batchID {
			w.batchID = b.ID
		}
	}
	w.batchID++

	w.builders.New = func() any { return &chunkBuilder{} }
	opts := s.opts
	nGroups := 4*opts.Workers + 4
	w.toEncode = make(chan *rowGroup, nGroups)
	w.encoded = make(chan *rowGroup, nGroups)
	w.free = make(chan *rowGroup, nGroups)
	for i := 0; i < nGroups; i++ {
		w.free <- &rowGroup{}
	}
	w.chunks = make(chan *chunkJob, opts.Workers)
	w.asmDone = make(chan struct{})
	var encoders sync.WaitGroup
	for i := 0; i < opts.Workers; i++ {
		encoders.Add(1)
		go w.encodeLoop(&encoders)
	}
	go func() {
		encoders.Wait()
		close(w.encoded)
	}()
	go w.assembleLoop()
	for i := 0; i < opts.Workers; i++ {
		w.wg.Add(1)
		go w.writeLoop()
	}
	w.group = <-w.free
	return w, nil
}

func (w *BatchWriter) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
}

func (w *BatchWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Add appends one record: its site, genotypes (one column per batch
// sample) and kept FORMAT values (in BatchSpec.KeepFormat order). Records
// must come in file order, grouped by contig. Add may take row's storage
// and leave other storage in its place: row's contents are undefined after
// Add, and the caller may reuse it (as the VCF readers do) for the next record.
func (w *BatchWriter) Add(site *sites.Site, row *geno.Row, kept [][]float32, keptWidth []int) error {
	if err := w.failed(); err != nil {
		return err
	}
	if row.NSamples() != len(w.spec.Samples) && !(len(w.spec.Samples) == 0 && len(row.GT) == 0) {
		return fmt.Errorf("store: row has %d samples, file has %d", row.NSamples(), len(w.spec.Samples))
	}
	if site.Chrom != w.curContig {
		if err := w.addContig(site.Chrom); err != nil {
			return err
		}
	}
	g := w.group
	i := g.n
	g.sites[i] = *site
	g.sites[i].Alts = append(g.sites[i].Alts[:0:0], site.Alts...)
	if len(w.cols) == len(w.spec.Samples) {
		// Take the row's storage and give it the slot's old one: no copy.
		g.rows[i], *row = *row, g.rows[i]
	} else {
		r := &g.rows[i]
		r.Reset(row.NAlleles, len(w.cols), row.Ploidy)
		for j, c := range w.cols {
			copy(r.Sample(j), row.Sample(c))
			r.Phased[j] = row.Phased[c]
		}
	}
	kc := g.kept[i][:0]
	for k := range kept {
		if k < cap(kc) {
			kc = kc[:k+1]
		} else {
			kc = append(kc, keptCopy{})
		}
		wd := keptWidth[k]
		kc[k].width = wd
		if len(w.cols) == len(w.spec.Samples) {
			kc[k].values = append(kc[k].values[:0], kept[k]...)
			continue
		}
		kc[k].values = kc[k].values[:0]
		for _, c := range w.cols {
			kc[k].values = append(kc[k].values, kept[k][c*wd:(c+1)*wd]...)
		}
	}
	g.kept[i] = kc
	g.n++
	w.variants++
	if g.n == groupRows {
		w.flushGroup()
	}
	return nil
}

func (w *BatchWriter) flushGroup() {
	if w.group.n == 0 {
		return
	}
	w.group.seq = w.nextSeq
	if w.nextSeq == 0 {
		w.choosePhaseRef(w.group)
	}
	w.nextSeq++
	w.toEncode <- w.group
	w.group = <-w.free
	w.group.n = 0
}

// choosePhaseRef sets the batch's phase reference from its first rows:
// each sample's most common phase flag among the rows of ploidy 2 or more.
// A batch whose samples are all phased, or all unphased, needs none (its
// rows' phase sets are empty or nearly so already). The encoders read
// w.phaseRef only after receiving a group, which happens after this.
func (w *BatchWriter) choosePhaseRef(g *rowGroup) {
	n := len(w.cols)
	votes := make([]int, n)
	rows := 0
	for i := 0; i < g.n; i++ {
		r := &g.rows[i]
		if r.Ploidy < 2 || len(r.Phased) != n {
			continue
		}
		rows++
		for j, ph := range r.Phased {
			if ph {
				votes[j]++
			}
		}
	}
	if rows == 0 {
		return
	}
	ref := make([]bool, n)
	nPhased := 0
	for j, v := range votes {
		if 2*v > rows {
			ref[j] = true
			nPhased++
		}
	}
	if nPhased == 0 || nPhased == n {
		return
	}
	w.phaseRef, w.phaseRefBits = ref, geno.PhaseRefBitmap(ref)
}

// addContig checks that the batch may add genotypes on contig c: no earlier
// batch that shares samples with this one may already have it, and the file
// may not return to it after another contig.
func (w *BatchWriter) addContig(c string) error {
	if w.contigs[c] {
		return fmt.Errorf("%s: contig %s appears again after %s: %w", w.spec.Source, c, w.curContig, ErrConflict)
	}
	mine := make(map[uint32]bool, len(w.samples))
	for _, g := range w.samples {
		mine[g] = true
	}
	for i := range w.man.Batches {
		b := &w.man.Batches[i]
		if !slices.Contains(b.Contigs, c) {
			continue
		}
		set, err := w.s.SampleSet(b)
		if err != nil {
			return err
		}
		for _, g := range set {
			if mine[g] {
				return fmt.Errorf("%s: samples in this file already have genotypes on contig %s from %s (batch %d); a sample may be typed once per contig: %w",
					w.spec.Source, c, b.Source, b.ID, ErrConflict)
			}
		}
	}
	w.contigs[c] = true
	w.curContig = c
	if w.man.ContigIndex(c) < 0 {
		ci := ContigInfo{Name: c}
		for _, d := range w.spec.Contigs {
			if d.Name == c {
				ci.Length = d.Length
			}
		}
		w.man.Contigs = append(w.man.Contigs, ci)
	}
	return nil
}

// encodeLoop encodes the rows of groups, in parallel with other encoders.
func (w *BatchWriter) encodeLoop(done *sync.WaitGroup) {
	defer done.Done()
	var enc geno.Encoder
	refSet := false
	for g := range w.toEncode {
		if !refSet {
			enc.SetPhaseRef(w.phaseRef)
			refSet = true
		}
		g.enc, g.err = g.enc[:0], nil
		for i := 0; i < g.n; i++ {
			n := len(g.enc)
			out, err := enc.AppendChecked(g.enc, &g.rows[i])
			if err != nil {
				g.err = fmt.Errorf("%s: %s:%d: %w", w.spec.Source, g.sites[i].Chrom, g.sites[i].Pos, err)
				break
			}
			g.enc = out
			g.lens[i] = len(g.enc) - n
		}
		w.encoded <- g
	}
}

// assembleLoop puts encoded groups back in sequence and cuts them into
// chunks for the writers. It closes w.chunks when the encoders are done.
func (w *BatchWriter) assembleLoop() {
	defer close(w.asmDone)
	defer close(w.chunks)
	opts := w.s.opts
	seq, next := 0, 0
	waiting := map[int]*rowGroup{}
	var cb *chunkBuilder
	var cbSites []sites.Site
	emit := func() {
		if cb != nil && cb.len() > 0 {
			w.chunks <- &chunkJob{seq: seq, cb: cb, sites: cbSites}
			seq++
		}
		cb, cbSites = nil, nil
	}
	add := func(g *rowGroup) {
		if g.err != nil {
			w.fail(g.err)
		}
		off := 0
		for i := 0; i < g.n && g.err == nil; i++ {
			st := &g.sites[i]
			if cb != nil && (cb.contig != st.Chrom || cb.len() >= opts.ChunkVariants || len(cb.rows) >= opts.ChunkBytes) {
				emit()
			}
			if cb == nil {
				cb = w.builders.Get().(*chunkBuilder)
				cb.reset(w.batchID, st.Chrom, w.samples, w.spec.KeepFormat)
				cb.phaseRef = w.phaseRefBits
			}
			cb.addSite(st.Pos, st.Ref, st.Alts)
			cb.rows = append(cb.rows, g.enc[off:off+g.lens[i]]...)
			off += g.lens[i]
			cb.rowLens = append(cb.rowLens, g.lens[i])
			for k, kc := range g.kept[i] {
				cb.addKept(k, kc.width, kc.values)
			}
			cbSites = append(cbSites, *st)
		}
		g.n = 0
		w.free <- g
	}
	for g := range w.encoded {
		waiting[g.seq] = g
		for {
			h, ok := waiting[next]
			if !ok {
				break
			}
			delete(waiting, next)
			next++
			add(h)
		}
	}
	emit()
}

// writeLoop compresses and writes chunks.
func (w *BatchWriter) writeLoop() {
	defer w.wg.Done()
	enc := w.s.opts.newEncoders()
	for job := range w.chunks {
		if w.failed() != nil {
			continue // drain
		}
		if err := w.writeChunk(job, enc); err != nil {
			w.fail(err)
		}
	}
}

func (w *BatchWriter) writeChunk(job *chunkJob, enc *sectionEncoders) error {
	cb := job.cb
	data, err := cb.encode(enc)
	if err != nil {
		return err
	}
	ref := ChunkRef{Batch: w.batchID, Contig: cb.contig, First: cb.pos[0], Last: cb.pos[len(cb.pos)-1], Variants: len(cb.pos)}
	w.builders.Put(cb) // its buffers serve the next chunk

	sb := sites.NewBuilder()
	for i := range job.sites {
		sb.Add(&job.sites[i])
	}
	var pqBuf strings.Builder
	if err := sb.WriteParquet(&pqBuf); err != nil {
		return fmt.Errorf("store: writing site table: %w", err)
	}
	gtc, err := w.tx.CreateFile(dirChunks, ".gtc", data)
	if err != nil {
		return err
	}
	pq, err := w.tx.CreateFile(dirSites, ".parquet", []byte(pqBuf.String()))
	if err != nil {
		return err
	}
	ref.File, ref.Sites = gtc, pq
	ref.Bytes, ref.SHA256 = int64(len(data)+pqBuf.Len()), sha256Hex(data)
	w.mu.Lock()
	for len(w.written) <= job.seq {
		w.written = append(w.written, ChunkRef{})
	}
	w.written[job.seq] = ref
	w.bytes += ref.Bytes
	w.mu.Unlock()
	return nil
}

// stop ends the pipeline and waits for it.
func (w *BatchWriter) stop() {
	if w.done {
		return
	}
	w.done = true
	w.flushGroup()
	close(w.toEncode)
	<-w.asmDone
	w.wg.Wait()
}

// Abort drops the batch: every file it wrote is removed and the store's
// release is unchanged.
func (w *BatchWriter) Abort() {
	w.stop()
	w.tx.Abort()
}

// Commit makes the batch a new data release: its files are synced, then
// the manifest is replaced atomically. On error the store is unchanged.
func (w *BatchWriter) Commit(sha256 string) (*BatchSummary, error) {
	w.stop()
	if err := w.failed(); err != nil {
		w.Abort()
		return nil, err
	}
	if prev := w.s.findSHA(sha256); prev != nil {
		w.Abort()
		return nil, fmt.Errorf("%s: the same content was ingested before as %s (batch %d): %w", w.spec.Source, prev.Source, prev.ID, ErrConflict)
	}
	m := w.man
	if w.newNames > 0 || m.SampleFile == "" {
		body := strings.Join(w.allNames, "\n")
		if len(w.allNames) > 0 {
			body += "\n"
		}
		rel, err := w.tx.CreateChecked(dirSamples, ".txt", samplesMagic, []byte(body))
		if err != nil {
			w.Abort()
			return nil, err
		}
		w.tx.Obsolete(m.SampleFile)
		m.SampleFile, m.NSamples = rel, len(w.allNames)
	}
	var sb strings.Builder
	for _, g := range w.samples {
		sb.WriteString(strconv.FormatUint(uint64(g), 10))
		sb.WriteByte('\n')
	}
	setRel, err := w.tx.CreateChecked(dirSampleSets, ".txt", sampleSetMagic, []byte(sb.String()))
	if err != nil {
		w.Abort()
		return nil, err
	}
	contigs := make([]string, 0, len(w.contigs))
	for _, c := range m.Contigs {
		if w.contigs[c.Name] {
			contigs = append(contigs, c.Name)
		}
	}
	m.Batches = append(m.Batches, BatchInfo{
		ID: w.batchID, Source: w.spec.Source, Size: w.spec.Size, SHA256: sha256, Release: m.Release + 1,
		SampleSet: setRel, NSamples: len(w.samples), Contigs: contigs, Variants: w.variants,
		KeepFormat: w.spec.KeepFormat, Header: w.spec.Header,
	})
	m.Chunks = append(m.Chunks, w.written...)
	if err := w.tx.Commit(); err != nil {
		return nil, err
	}
	return &BatchSummary{
		Release: m.Release, Variants: w.variants, Samples: len(w.samples), NewSamples: w.newNames,
		Genotypes: w.variants * int64(len(w.samples)), Chunks: len(w.written), Bytes: w.bytes,
	}, nil
}

// FindSource returns a batch ingested from a file with this base name and
// size, or nil: a cheap first test before hashing a file to skip it.
func (s *Store) FindSource(name string, size int64) *BatchInfo {
	for i := range s.man.Batches {
		b := &s.man.Batches[i]
		if b.Source == name && b.Size == size {
			return b
		}
	}
	return nil
}

func (s *Store) findSHA(sum string) *BatchInfo {
	for i := range s.man.Batches {
		if s.man.Batches[i].SHA256 == sum {
			return &s.man.Batches[i]
		}
	}
	return nil
}
