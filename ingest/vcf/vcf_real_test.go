package vcf

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gentre/gentre/engine/geno"
)

// realVCFs lists the VCF files of the htslib test suite and of
// Bioconductor's VariantAnnotation, when installed.
func realVCFs(t *testing.T) []string {
	var files []string
	_ = filepath.WalkDir("/usr/share/htslib-test/test", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".vcf") || strings.HasSuffix(path, ".vcf.gz")) {
			files = append(files, path)
		}
		return nil
	})
	for _, pat := range []string{"*.vcf", "*.vcf.gz"} {
		m, _ := filepath.Glob("/usr/lib/R/site-library/VariantAnnotation/extdata/" + pat)
		files = append(files, m...)
	}
	return files
}

// bcftoolsGT renders a row as `bcftools query -f '[%GT\t]\n'` does: a
// sample's alleles up to its End padding, joined by '|' when phased.
func bcftoolsGT(b []byte, r *geno.Row) []byte {
	for i := 0; i < r.NSamples(); i++ {
		sep := byte('/')
		if r.Phased[i] {
			sep = '|'
		}
		for j, a := range r.Sample(i) {
			if a == geno.End {
				break
			}
			if j > 0 {
				b = append(b, sep)
			}
			if a == geno.Missing {
				b = append(b, '.')
			} else {
				b = strconv.AppendInt(b, int64(a), 10)
			}
		}
		b = append(b, '\t')
	}
	return append(b, '\n')
}

// normalisePhase rewrites bcftools' mixed-phase calls ("0/1|2"), which
// this reader reports unphased, with '/' only.
func normalisePhase(line string) string {
	fields := strings.Split(line, "\t")
	for i, f := range fields {
		if strings.Contains(f, "/") && strings.Contains(f, "|") {
			fields[i] = strings.ReplaceAll(f, "|", "/")
		}
	}
	return strings.Join(fields, "\t")
}

// stricter lists the real files that bcftools reads and this reader rejects
// on purpose, with the reason.
var stricter = map[string]string{
	// ALT is "." and a sample is 0/1: bcftools accepts an allele index
	// beyond the ALT list.
	"test-vcf-hdr-in.vcf": "test-vcf-hdr-in.vcf:22: sample column 10: GT allele 1 out of range (1 alleles)",
}

// bcftoolsQuery returns bcftools' GT text of file, and whether bcftools
// rejects the file. A plain VCF that bcftools rejects only because its
// header does not declare FORMAT/GT is retried with the declaration added.
func bcftoolsQuery(t *testing.T, file string) (out bytes.Buffer, rejected bool) {
	var stderr bytes.Buffer
	cmd := exec.Command("bcftools", "query", "-f", "[%GT\t]\n", file)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	if err != nil && strings.Contains(stderr.String(), "no such tag defined in the VCF header: FORMAT/GT") &&
		strings.HasSuffix(file, ".vcf") {
		data, rerr := os.ReadFile(file)
		if rerr == nil && bytes.HasPrefix(data, []byte("##fileformat")) {
			first, rest, _ := bytes.Cut(data, []byte("\n"))
			fixed := filepath.Join(t.TempDir(), filepath.Base(file))
			writeFile(t, fixed, string(first)+"\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"+string(rest))
			t.Logf("bcftools needs FORMAT/GT declared: comparing with a copy that declares it")
			return bcftoolsQuery(t, fixed)
		}
	}
	return out, err != nil || strings.Contains(stderr.String(), "[E::")
}

// TestAgainstBcftools decodes real files and compares every genotype with
// bcftools' view of the same file.
func TestAgainstBcftools(t *testing.T) {
	if _, err := exec.LookPath("bcftools"); err != nil {
		t.Skip("bcftools not on PATH")
	}
	// Generated files (haploid, half calls, multi-allelic sites), plain
	// and BGZF, then the real ones.
	dir := t.TempDir()
	gen := genVCF(400, 40, 3)
	files := []string{filepath.Join(dir, "generated.vcf"), filepath.Join(dir, "generated.vcf.gz")}
	writeFile(t, files[0], gen)
	writeFile(t, files[1], string(bgzfBytes(t, gen)))
	files = append(files, realVCFs(t)...)
	for _, file := range files {
		t.Run(strings.TrimPrefix(strings.TrimPrefix(file, dir+"/"), "/usr/"), func(t *testing.T) {
			stdout, rejected := bcftoolsQuery(t, file)

			r, err := Open(file, Options{})
			var got []byte
			n := 0
			if err == nil {
				for r.Next() {
					got = bcftoolsGT(got, &r.Record().GT)
					n++
				}
				err = r.Err()
				r.Close()
			}
			if rejected {
				// A file bcftools rejects: we need not agree, only not panic.
				t.Logf("bcftools rejects it; we read %d records, err = %v", n, err)
				return
			}
			if want, ok := stricter[filepath.Base(file)]; ok {
				// bcftools reads it; we reject it on purpose.
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("err = %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("bcftools reads it, we fail after %d records: %v", n, err)
			}
			want := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
			lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
			if len(lines) != len(want) {
				t.Fatalf("%d records, bcftools %d", len(lines), len(want))
			}
			bad := 0
			for i := range want {
				if w := normalisePhase(want[i]); lines[i] != w {
					if bad++; bad <= 3 {
						t.Errorf("record %d:\n got %.200q\nwant %.200q", i+1, lines[i], w)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d records differ", bad, len(want))
			}
			t.Logf("%d records agree", len(want))
		})
	}
}

// TestBcftoolsRejects checks files that bcftools refuses for a reason this
// reader also checks: we must fail too.
func TestBcftoolsRejects(t *testing.T) {
	if _, err := exec.LookPath("bcftools"); err != nil {
		t.Skip("bcftools not on PATH")
	}
	dir := t.TempDir()
	for name, text := range map[string]string{
		"garbage allele":   vcf3("1 10 . A C . . . GT 0/x 0/1 0/0"),
		"double separator": vcf3("1 10 . A C . . . GT 0//1 0/1 0/0"),
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".vcf")
		writeFile(t, path, text)
		var stderr bytes.Buffer
		cmd := exec.Command("bcftools", "query", "-f", "[%GT\t]\n", path)
		cmd.Stderr = &stderr
		bcfErr := cmd.Run()
		if bcfErr == nil && !strings.Contains(stderr.String(), "[E::") {
			t.Errorf("%s: bcftools accepts it", name)
		}
		r, err := Open(path, Options{})
		if err == nil {
			_, err = digest(r)
			r.Close()
		}
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
