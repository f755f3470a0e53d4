package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gentre/gentre/internal/testpeer"
)

// htslibVariantFiles returns every VCF and BCF among htslib's and
// Bioconductor's test files.
func htslibVariantFiles(t *testing.T) []string {
	var files []string
	root := "/usr/share/htslib-test/test"
	testpeer.RequireFile(t, root)
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".vcf") || strings.HasSuffix(p, ".vcf.gz") || strings.HasSuffix(p, ".bcf")) {
			files = append(files, p)
		}
		return nil
	})
	for _, dir := range []string{"/usr/lib/R/site-library/VariantAnnotation/extdata", "/usr/lib/R/site-library/Rsamtools/extdata"} {
		for _, pat := range []string{"*.vcf", "*.vcf.gz", "*.bcf", "*.bcf.gz"} {
			m, _ := filepath.Glob(filepath.Join(dir, pat))
			files = append(files, m...)
		}
	}
	sort.Strings(files)
	return files
}

// bcftoolsFreq is DESIGN.md's peer for AC/AN per ALT allele, with "." (no
// GT in the file) read as 0.
func bcftoolsFreq(path string) (string, error) {
	out, err := shell(fmt.Sprintf(`bcftools +fill-tags %q -- -t AC,AN | bcftools norm -m- | bcftools query -f '%%CHROM\t%%POS\t%%REF\t%%ALT\t%%AC\t%%AN\n'`, path))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		for i := 4; i < 6; i++ {
			if f[i] == "." {
				f[i] = "0"
			}
		}
		b.WriteString(strings.Join(f, "\t") + "\n")
	}
	return b.String(), nil
}

// gentreFreq ingests path into a new store and returns freq's chrom, pos,
// ref, alt, ac, an for every contig in store order.
func gentreFreq(t *testing.T, paths ...string) (string, error) {
	dir := newStore(t)
	args := append([]string{"ingest", "vcf", "--store", dir}, paths...)
	if _, errOut, code := gentreExit(args...); code != 0 {
		return "", fmt.Errorf("ingest: %s", strings.TrimSpace(errOut))
	}
	return gentreFreqStore(t, dir)
}

// gentreFreqStore returns freq's first six columns for every contig of a store.
func gentreFreqStore(t *testing.T, dir string) (string, error) {
	contigs, _, code := gentreExit("dump", "--store", dir)
	if code != 0 {
		return "", fmt.Errorf("dump failed")
	}
	var b strings.Builder
	inContigs := false
	for _, line := range strings.Split(contigs, "\n") {
		switch {
		case line == "# table contigs":
			inContigs = true
			continue
		case strings.HasPrefix(line, "# table"):
			inContigs = false
		}
		if !inContigs || line == "" || strings.HasPrefix(line, "contig\t") {
			continue
		}
		name := strings.Split(line, "\t")[0]
		out := gentre(t, "query", "--store", dir, "freq "+name)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if lines[0] != strings.Join(freqColumns, "\t") {
			t.Fatalf("freq header %q", lines[0])
		}
		for _, l := range lines[1:] {
			f := strings.Split(l, "\t")
			b.WriteString(strings.Join(f[:6], "\t") + "\n")
		}
	}
	return b.String(), nil
}

// TestFreqMatchesBcftoolsOnRealFiles: AC/AN per ALT allele equal
// bcftools +fill-tags on every test VCF/BCF that bcftools accepts.
func TestFreqMatchesBcftoolsOnRealFiles(t *testing.T) {
	testpeer.Require(t, "bcftools")
	compared := 0
	for _, path := range htslibVariantFiles(t) {
		name := strings.TrimPrefix(path, "/usr/share/htslib-test/test/")
		t.Run(name, func(t *testing.T) {
			want, err := bcftoolsFreq(path)
			if err != nil {
				t.Skipf("bcftools rejects it: %v", err)
			}
			got, err := gentreFreq(t, path)
			if err != nil {
				t.Fatalf("bcftools accepts %s but gentre does not: %v", name, err)
			}
			got = wrapPositions(got)
			if got != want {
				t.Fatalf("freq differs from bcftools:\n%s", firstDiff(got, want))
			}
			compared++
		})
	}
	if compared < 10 {
		t.Fatalf("only %d files compared", compared)
	}
	t.Logf("%d files agree with bcftools", compared)
}

func firstDiff(got, want string) string {
	g := strings.Split(got, "\n")
	w := strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d (of %d got, %d want):\n got  %q\n want %q", i+1, len(g), len(w), a, b)
		}
	}
	return "no difference"
}

// wrapPositions rewrites positions of 2^31 and above as bcftools 1.16's
// query prints them (wrapped to 32 bits): htslib keeps 64-bit positions in
// memory but %POS wraps them. Used for longrefs/index.vcf.
func wrapPositions(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		f := strings.SplitN(l, "\t", 3)
		if len(f) < 3 {
			continue
		}
		var pos int64
		fmt.Sscan(f[1], &pos)
		if pos >= 1<<31 {
			f[1] = fmt.Sprint(uint32(pos))
			lines[i] = strings.Join(f, "\t")
		}
	}
	return strings.Join(lines, "\n")
}
