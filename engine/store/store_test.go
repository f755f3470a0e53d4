package store

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/gentre/gentre/engine/geno"
	"github.com/gentre/gentre/engine/sites"
)

func newTestStore(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "s")
	if err := Init(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// testRow makes a deterministic diploid row for n samples.
func testRow(n, v int) *geno.Row {
	var r geno.Row
	r.Reset(2, n, 2)
	for i := 0; i < n; i++ {
		x := (i*7 + v*13) % 11
		switch {
		case x == 0:
			r.GT[2*i], r.GT[2*i+1] = 0, 1
		case x == 1:
			r.GT[2*i], r.GT[2*i+1] = 1, 1
		case x == 2:
			r.GT[2*i], r.GT[2*i+1] = geno.Missing, 1
		default:
			r.GT[2*i], r.GT[2*i+1] = 0, 0
		}
	}
	return &r
}

func ingest(t *testing.T, dir, source string, samples []string, contigs []string, nVar int, opts *Options) (*BatchSummary, error) {
	t.Helper()
	s, err := OpenWriter(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bw, err := s.NewBatch(BatchSpec{Source: source, Size: int64(len(source)), Samples: samples})
	if err != nil {
		return nil, err
	}
	for _, c := range contigs {
		for v := 0; v < nVar; v++ {
			site := sites.Site{Chrom: c, Pos: int64(100 + 10*v), ID: ".", Ref: "A", Alts: []string{"G"}, Qual: float32(math.NaN()), Filter: "PASS", Info: "."}
			if err := bw.Add(&site, testRow(len(samples), v), nil, nil); err != nil {
				bw.Abort()
				return nil, err
			}
		}
	}
	return bw.Commit(fmt.Sprintf("sha-%s", source))
}

func listFiles(t *testing.T, dir string) []string {
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && filepath.Base(p) != lockName {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func TestCommitAndReadBack(t *testing.T) {
	dir := newTestStore(t)
	samples := []string{"p1", "p2", "p3", "p4", "p5"}
	sum, err := ingest(t, dir, "a.vcf", samples, []string{"chr1", "chr2"}, 50, &Options{ChunkVariants: 16, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Variants != 100 || sum.Samples != 5 || sum.NewSamples != 5 || sum.Release != 1 || sum.Chunks != 8 {
		t.Fatalf("summary %+v", sum)
	}
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(); err != nil {
		t.Fatal(err)
	}
	m := s.Manifest()
	if len(m.Contigs) != 2 || m.Contigs[0].Name != "chr1" || m.NSamples != 5 {
		t.Fatalf("manifest %+v", m)
	}
	got, _ := s.Samples()
	if !reflect.DeepEqual(got, samples) {
		t.Fatalf("samples %v", got)
	}
	// Every row decodes back to what went in, in order.
	var view geno.View
	var row geno.Row
	v := 0
	for i := range m.Chunks {
		c, err := s.ReadChunk(&m.Chunks[i], PartGenotypes)
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < c.Len(); j++ {
			if err := view.Reset(c.Row(j), len(c.Samples)); err != nil {
				t.Fatal(err)
			}
			if err := view.Decode(&row); err != nil {
				t.Fatal(err)
			}
			want := testRow(5, v%50)
			if !reflect.DeepEqual(row.GT, want.GT) || c.Pos[j] != int64(100+10*(v%50)) {
				t.Fatalf("variant %d: got %v at %d, want %v", v, row.GT, c.Pos[j], want.GT)
			}
			if string(c.Alleles(j)[0]) != "A" || string(c.Alleles(j)[1]) != "G" {
				t.Fatalf("alleles %q", c.Alleles(j))
			}
			v++
		}
	}
	if v != 100 {
		t.Fatalf("read %d variants", v)
	}
}

func TestFailedBatchLeavesStoreUnchanged(t *testing.T) {
	dir := newTestStore(t)
	if _, err := ingest(t, dir, "a.vcf", []string{"p1", "p2"}, []string{"chr1"}, 20, &Options{ChunkVariants: 4}); err != nil {
		t.Fatal(err)
	}
	before := listFiles(t, dir)
	manifest, _ := os.ReadFile(filepath.Join(dir, manifestName))

	// A batch that writes chunks, then is aborted.
	s, _ := OpenWriter(dir, &Options{ChunkVariants: 4})
	bw, err := s.NewBatch(BatchSpec{Source: "b.vcf", Samples: []string{"p3"}})
	if err != nil {
		t.Fatal(err)
	}
	for v := 0; v < 30; v++ {
		site := sites.Site{Chrom: "chr1", Pos: int64(v + 1), Ref: "A", Alts: []string{"T"}}
		bw.Add(&site, testRow(1, v), nil, nil)
	}
	bw.Abort()
	s.Close()
	if after := listFiles(t, dir); !reflect.DeepEqual(before, after) {
		t.Fatalf("abort left files:\n before %v\n after  %v", before, after)
	}
	if m2, _ := os.ReadFile(filepath.Join(dir, manifestName)); string(m2) != string(manifest) {
		t.Fatal("abort changed the manifest")
	}

	// Files left by a killed writer (not in the manifest) go at the next open.
	os.WriteFile(filepath.Join(dir, "chunks", "999999.gtc"), []byte("partial"), 0o644)
	os.WriteFile(filepath.Join(dir, manifestName+".tmp"), []byte("partial"), 0o644)
	s, err = OpenWriter(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if after := listFiles(t, dir); !reflect.DeepEqual(before, after) {
		t.Fatalf("orphans not removed:\n before %v\n after  %v", before, after)
	}
}

func TestConflictsAndDuplicates(t *testing.T) {
	dir := newTestStore(t)
	if _, err := ingest(t, dir, "a.vcf", []string{"p1", "p2"}, []string{"chr1"}, 5, nil); err != nil {
		t.Fatal(err)
	}
	// Same samples, other contig: fine (a per-chromosome split).
	if _, err := ingest(t, dir, "b.vcf", []string{"p1", "p2"}, []string{"chr2"}, 5, nil); err != nil {
		t.Fatal(err)
	}
	// Other samples, same contig: fine (a new sample batch).
	if _, err := ingest(t, dir, "c.vcf", []string{"p3"}, []string{"chr1"}, 5, nil); err != nil {
		t.Fatal(err)
	}
	// A sample typed twice on one contig: refused.
	_, err := ingest(t, dir, "d.vcf", []string{"p4", "p2"}, []string{"chr1"}, 5, nil)
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("sample typed twice on chr1: %v", err)
	}
	// The same content twice: refused at commit.
	_, err = ingest(t, dir, "a.vcf", []string{"p9"}, []string{"chr9"}, 5, nil)
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("same content twice: %v", err)
	}
	// A repeated sample column: refused.
	if _, err := ingest(t, dir, "e.vcf", []string{"p7", "p7"}, []string{"chr3"}, 1, nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("repeated column: %v", err)
	}
	s, _ := Open(dir, nil)
	if s.Manifest().Release != 3 || s.Manifest().NSamples != 3 {
		t.Fatalf("release %d samples %d", s.Manifest().Release, s.Manifest().NSamples)
	}
	if err := s.Verify(); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptionDetected(t *testing.T) {
	dir := newTestStore(t)
	if _, err := ingest(t, dir, "a.vcf", []string{"p1", "p2", "p3"}, []string{"chr1"}, 40, nil); err != nil {
		t.Fatal(err)
	}
	s, _ := Open(dir, nil)
	ref := s.Manifest().Chunks[0]
	path := filepath.Join(dir, ref.File)
	orig, _ := os.ReadFile(path)
	for _, off := range []int{0, 9, 20, len(orig) / 2, len(orig) - 13, len(orig) - 1} {
		bad := append([]byte(nil), orig...)
		bad[off] ^= 0x40
		os.WriteFile(path, bad, 0o644)
		if _, err := s.ReadChunk(&ref, PartGenotypes); !errors.Is(err, ErrCorrupt) {
			t.Errorf("flipped byte %d: %v", off, err)
		}
		if err := s.Verify(); !errors.Is(err, ErrCorrupt) {
			t.Errorf("verify, flipped byte %d: %v", off, err)
		}
	}
	os.WriteFile(path, orig[:len(orig)-20], 0o644)
	if _, err := s.ReadChunk(&ref, PartGenotypes); !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated chunk: %v", err)
	}
	os.WriteFile(path, orig, 0o644)
	if err := s.Verify(); err != nil {
		t.Fatal(err)
	}
	// A damaged manifest is refused, not half-read.
	mpath := filepath.Join(dir, manifestName)
	m, _ := os.ReadFile(mpath)
	m[len(m)-5] ^= 1
	os.WriteFile(mpath, m, 0o644)
	if _, err := Open(dir, nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("damaged manifest: %v", err)
	}
}

func TestWriterLockIsExclusive(t *testing.T) {
	dir := newTestStore(t)
	a, err := OpenWriter(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenWriter(dir, nil); err == nil {
		t.Fatal("two writers at once")
	}
	a.Close()
	b, err := OpenWriter(dir, nil)
	if err != nil {
		t.Fatalf("lock not released: %v", err)
	}
	b.Close()
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []Options{{ChunkVariants: -1}, {ChunkBytes: 10}, {Workers: -2}, {ZstdLevel: 9}} {
		if err := o.EnsureDefaults().Validate(); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	var o Options
	if err := o.EnsureDefaults().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestRemoveSamples(t *testing.T) {
	dir := newTestStore(t)
	samples := []string{"p1", "p2", "p3", "p4", "p5"}
	if _, err := ingest(t, dir, "a.vcf", samples, []string{"chr1"}, 30, &Options{ChunkVariants: 8}); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest(t, dir, "b.vcf", []string{"p9"}, []string{"chr1"}, 30, nil); err != nil {
		t.Fatal(err)
	}
	s, _ := OpenWriter(dir, nil)
	defer s.Close()
	before := map[string]bool{}
	for _, c := range s.Manifest().Chunks {
		before[c.File] = true
	}
	tx, _ := s.Begin()
	n, err := tx.RemoveSamples([]uint32{1, 3})
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("%d chunks rewritten, want 4 (batch a only)", n)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(); err != nil {
		t.Fatal(err)
	}
	m := s.Manifest()
	names, _ := s.Samples()
	if names[1] != RemovedSample || names[3] != RemovedSample || names[0] != "p1" || m.LiveSamples() != 4 {
		t.Fatalf("samples %v live %d", names, m.LiveSamples())
	}
	set, _ := s.SampleSet(&m.Batches[0])
	if !reflect.DeepEqual(set, []uint32{0, 2, 4}) {
		t.Fatalf("sample set %v", set)
	}
	var view geno.View
	var row geno.Row
	v := 0
	for i := range m.Chunks {
		ref := &m.Chunks[i]
		if ref.Batch != m.Batches[0].ID {
			if !before[ref.File] {
				t.Fatal("batch b's chunk was rewritten")
			}
			continue
		}
		if before[ref.File] {
			t.Fatal("batch a's chunk was not rewritten")
		}
		c, err := s.ReadChunk(ref, PartGenotypes)
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < c.Len(); j++ {
			view.Reset(c.Row(j), len(c.Samples))
			if err := view.Decode(&row); err != nil {
				t.Fatal(err)
			}
			full := testRow(5, v)
			for k, col := range []int{0, 2, 4} {
				if !reflect.DeepEqual(row.Sample(k), full.Sample(col)) {
					t.Fatalf("variant %d sample %d: %v want %v", v, col, row.Sample(k), full.Sample(col))
				}
			}
			v++
		}
	}
	// The old chunk files are gone; removing again is a no-op.
	for f := range before {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil && !s.referenced()[f] {
			t.Fatalf("obsolete %s left behind", f)
		}
	}
	tx, _ = s.Begin()
	if n, err := tx.RemoveSamples([]uint32{1}); err != nil || n != 0 {
		t.Fatalf("second removal: %d %v", n, err)
	}
	tx.Abort()
}
