package bam

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gentre/gentre/internal/testpeer"
)

const (
	htslibTests = "/usr/share/htslib-test/test"
	rsamtools   = "/usr/lib/R/site-library/Rsamtools/extdata"
)

// findFiles lists the files under root (recursively) with the suffix.
func findFiles(t *testing.T, root, suffix string) []string {
	t.Helper()
	testpeer.RequireFile(t, root)
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, suffix) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// samtoolsAccepts reports whether samtools reads the file through, for
// both depth and flagstat (depth without -a: the zero lines -a adds for a
// 250 Mb contig take seconds and change nothing here).
func samtoolsAccepts(path string) error {
	if _, err := samtools("flagstat", path); err != nil {
		return err
	}
	cmd := exec.Command("samtools", "depth", "-o", "/dev/null", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("samtools depth: %v: %s", err, out)
	}
	return nil
}

// beyondEnd reports whether some record of the file starts past the end of
// its reference, judged from samtools view's text.
func beyondEnd(path string) (bool, error) {
	hdr, err := samtools("view", "-H", "--no-PG", path)
	if err != nil {
		return false, err
	}
	lengths := map[string]int64{}
	for _, line := range strings.Split(string(hdr), "\n") {
		if !strings.HasPrefix(line, "@SQ\t") {
			continue
		}
		var name string
		var ln int64 = -1
		for _, f := range strings.Split(line, "\t")[1:] {
			if v, ok := strings.CutPrefix(f, "SN:"); ok {
				name = v
			} else if v, ok := strings.CutPrefix(f, "LN:"); ok {
				ln, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		lengths[name] = ln
	}
	body, err := samtools("view", path)
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(body), "\n") {
		f := strings.SplitN(line, "\t", 5)
		if len(f) < 5 || f[2] == "*" {
			continue
		}
		pos, _ := strconv.ParseInt(f[3], 10, 64)
		if ln, ok := lengths[f[2]]; ok && pos > ln {
			return true, nil
		}
	}
	return false, nil
}

// htslibSorted reports whether htslib can index the file, its own test of
// coordinate order.
func htslibSorted(t *testing.T, path string) bool {
	_, err := samtools("index", "-o", filepath.Join(t.TempDir(), "x.bai"), path)
	return err == nil
}

// checkRealBAM compares one file with samtools. It returns false when we
// rightly refused the file as unsorted (the caller may sort it and retry).
func checkRealBAM(t *testing.T, path string) bool {
	t.Helper()
	if err := samtoolsAccepts(path); err != nil {
		if _, ours := ReadFile(path, Options{}); ours == nil {
			t.Logf("samtools rejects it, we accept it: %v", err)
		}
		t.Skipf("samtools rejects it: %v", err)
	}
	_, err := ReadFile(path, Options{})
	switch {
	case err == nil:
		compareWithSamtools(t, path, Options{})
		return true
	case !errors.Is(err, ErrFormat):
		t.Fatalf("error not wrapping ErrFormat: %v", err)
	case strings.Contains(err.Error(), "out of coordinate order"):
		if htslibSorted(t, path) {
			t.Fatalf("htslib indexes it but we find it unsorted: %v", err)
		}
		t.Logf("unsorted (htslib agrees): %v", err)
		return false
	case strings.Contains(err.Error(), "beyond the end of reference"):
		if yes, berr := beyondEnd(path); berr != nil || !yes {
			t.Fatalf("we find a record past its reference's end, samtools view does not (%v): %v", berr, err)
		}
		t.Logf("a record starts past its reference's end (samtools view agrees): %v", err)
		return true
	case strings.Contains(err.Error(), "no reference sequences"):
		hdr, herr := samtools("view", "-H", "--no-PG", path)
		if herr != nil || strings.Contains(string(hdr), "@SQ") {
			t.Fatalf("we find no reference sequence, samtools header has @SQ: %v", err)
		}
		t.Logf("no reference sequence: %v", err)
		return true
	default:
		t.Fatalf("samtools accepts it, we do not: %v", err)
	}
	return true
}

func TestRealBAMsVsSamtools(t *testing.T) {
	testpeer.Require(t, "samtools")
	files := findFiles(t, htslibTests, ".bam")
	testpeer.RequireFile(t, filepath.Join(rsamtools, "ex1.bam"))
	files = append(files, findFiles(t, rsamtools, ".bam")...)
	for _, path := range files {
		t.Run(strings.TrimPrefix(path, "/usr/"), func(t *testing.T) {
			checkRealBAM(t, path)
		})
	}
}

// TestRealSAMsVsSamtools converts every SAM of htslib's tests to BAM with
// samtools view -b; when we (and htslib) find it unsorted, it is sorted
// with samtools sort and compared again.
func TestRealSAMsVsSamtools(t *testing.T) {
	testpeer.Require(t, "samtools")
	files := findFiles(t, htslibTests, ".sam")
	files = append(files, findFiles(t, rsamtools, ".sam")...)
	for _, path := range files {
		t.Run(strings.TrimPrefix(path, "/usr/"), func(t *testing.T) {
			bamPath := filepath.Join(t.TempDir(), "x.bam")
			if _, err := samtools("view", "--no-PG", "-b", "-o", bamPath, path); err != nil {
				t.Skipf("samtools cannot convert it: %v", err)
			}
			if htslibSorted(t, bamPath) {
				checkRealBAM(t, bamPath)
				return
			}
			// Unsorted: we must say so (samtools depth may or may not).
			_, err := ReadFile(bamPath, Options{})
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "out of coordinate order") {
				t.Fatalf("htslib cannot index it, we say: %v", err)
			}
			t.Logf("unsorted (htslib agrees), comparing after samtools sort: %v", err)
			sorted := filepath.Join(t.TempDir(), "sorted.bam")
			if _, err := samtools("sort", "--no-PG", "-o", sorted, bamPath); err != nil {
				t.Fatal(err)
			}
			if !checkRealBAM(t, sorted) {
				t.Fatal("still unsorted after samtools sort")
			}
		})
	}
}

func init() {
	// Keep samtools' own threads off the two shared cores' toes.
	os.Setenv("HTS_NTHREADS", "1")
}
