package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gentre/gentre/engine/sites"
	"github.com/gentre/gentre/engine/store"
	"github.com/gentre/gentre/ingest/linkage"
	"github.com/gentre/gentre/ingest/vcf"
	"github.com/gentre/gentre/pseudonymise"
)

func runIngestVCF(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ingest vcf")
	dir := fs.String("store", "", "store folder")
	manifest := fs.String("manifest", "", "sample manifest TSV (sample_id<TAB>nhs_number) linking samples to people")
	keep := fs.String("keep-format", "", "comma-separated FORMAT fields to keep besides GT (numeric only), e.g. DP,GQ")
	threads := fs.Int("threads", 0, "threads for decompression and encoding (default: all cores)")
	chunkVariants := fs.Int("chunk-variants", 0, "variants per chunk (default 1024)")
	prof := addProfileFlags(fs)
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := requireStore(*dir); err != nil {
		return err
	}
	if len(files) == 0 {
		return usageError("no input FILE given")
	}
	if *threads < 0 || *chunkVariants < 0 {
		return usageError("--threads and --chunk-variants must be positive")
	}
	var keepFormat []string
	for _, k := range strings.Split(*keep, ",") {
		if k = strings.TrimSpace(k); k != "" {
			if k == "GT" {
				continue // always kept
			}
			keepFormat = append(keepFormat, k)
		}
	}
	stopProfile, err := prof.start()
	if err != nil {
		return err
	}
	defer stopProfile()

	ch, err := beginChange(*dir, &store.Options{Workers: *threads, ChunkVariants: *chunkVariants})
	if err != nil {
		return err
	}
	defer ch.Close()
	st, key := ch.st, ch.key
	if *manifest != "" {
		if err := ingestManifest(st, key, *manifest, stderr); err != nil {
			return err
		}
		if err := ch.audit("ingest.manifest", filepath.Base(*manifest)); err != nil {
			return err
		}
	}
	for i, path := range files {
		before := st.Manifest().Release
		err := ingestOneVCF(st, key, path, keepFormat, *threads, stderr)
		if err == nil && st.Manifest().Release != before {
			err = ch.audit("ingest.vcf", filepath.Base(path))
		}
		if err != nil {
			if i > 0 {
				return fmt.Errorf("%w\n(the %d file(s) before it were committed; run the same command again to resume: committed files are recognised and skipped)", err, i)
			}
			return err
		}
	}
	return stopProfile()
}

// hashingReader hashes what is read through it.
type hashingReader struct {
	r io.Reader
	h hash.Hash
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

func ingestOneVCF(st *store.Store, key *pseudonymise.Key, path string, keepFormat []string, threads int, stderr io.Writer) error {
	start := time.Now()
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	if prev := st.FindSource(name, fi.Size()); prev != nil {
		sum, err := store.FileSHA256(path)
		if err != nil {
			return err
		}
		if sum == prev.SHA256 {
			fmt.Fprintf(stderr, "%s: already ingested (batch %d, release %d): skipped\n", name, prev.ID, prev.Release)
			return nil
		}
	}
	hr := &hashingReader{r: f, h: sha256.New()}
	rd, err := vcf.NewReader(hr, vcf.Options{Name: name, Threads: threads, KeepFormat: keepFormat})
	if err != nil {
		return err
	}
	defer rd.Close()
	h := rd.Header()
	spec := store.BatchSpec{Source: name, Size: fi.Size(), KeepFormat: keepFormat, Header: strings.Join(h.Lines, "\n")}
	links, err := linkage.Load(st, key)
	if err != nil {
		return err
	}
	for i, s := range h.Samples {
		p := links.SamplePseudonym(s)
		spec.Samples = append(spec.Samples, p)
		if links.OptedOutSample(p) {
			spec.Drop = append(spec.Drop, i)
		}
	}
	for _, c := range h.Contigs {
		spec.Contigs = append(spec.Contigs, store.ContigInfo{Name: c.Name, Length: c.Length})
	}
	bw, err := st.NewBatch(spec)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			bw.Abort()
		}
	}()
	prog := newProgress(stderr, name, fi.Size())
	defer prog.finish()
	var site sites.Site
	kept := make([][]float32, len(keepFormat))
	widths := make([]int, len(keepFormat))
	var n int64
	for rd.Next() {
		rec := rd.Record()
		site = sites.Site{Chrom: rec.Chrom, Pos: rec.Pos, ID: rec.ID, Ref: rec.Ref, Alts: rec.Alt, Qual: rec.Qual, Filter: rec.Filter, Info: rec.Info}
		for k := range rec.Kept {
			kept[k], widths[k] = rec.Kept[k].Values, rec.Kept[k].Width
		}
		if err := bw.Add(&site, &rec.GT, kept, widths); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("%s:%d: %w", name, rec.Line, err)
			}
			return err
		}
		n++
		if n&1023 == 0 {
			prog.update(n, rd.Offset())
		}
	}
	if err := rd.Err(); err != nil {
		return err
	}
	prog.finish()
	// The digest covers the whole file even if the reader stopped early.
	if _, err := io.Copy(io.Discard, hr); err != nil {
		return err
	}
	// New samples may link to stored people: the care index follows in
	// the same release.
	if err := linkage.RefreshCareIndex(bw.Tx(), bw.Samples()); err != nil {
		return err
	}
	sum, err := bw.Commit(hex.EncodeToString(hr.h.Sum(nil)))
	if err != nil {
		return err
	}
	committed = true
	el := time.Since(start)
	dropped := ""
	if len(spec.Drop) > 0 {
		dropped = fmt.Sprintf(" (%d samples of opted-out people not stored)", len(spec.Drop))
	}
	fmt.Fprintf(stderr, "%s: %s variants, %s samples%s (%s new), %s genotypes, %d chunks, %s on disk, %.2fs (%s genotypes/s); release %d\n",
		name, groupDigits(sum.Variants), groupDigits(int64(sum.Samples)), dropped, groupDigits(int64(sum.NewSamples)),
		groupDigits(sum.Genotypes), sum.Chunks, humanBytes(sum.Bytes), el.Seconds(),
		groupDigits(int64(float64(sum.Genotypes)/max(el.Seconds(), 1e-9))), sum.Release)
	return nil
}
