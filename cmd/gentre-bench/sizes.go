package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// storeSize is the on-disk size of a gentre store, in apparent bytes (the
// sum of regular files' lengths, as `du -sb`; not allocated blocks).
type storeSize struct {
	Total   int64 // every file under the store directory
	Secrets int64 // files under DIR/secrets/ (key material)
}

// Data is what the store holds of the genotypes: the total without secrets/.
func (s storeSize) Data() int64 { return s.Total - s.Secrets }

// measureStore walks the store directory and sums its files' sizes,
// counting DIR/secrets/ separately. Symbolic links are not followed.
func measureStore(dir string) (storeSize, error) {
	var s storeSize
	secrets := filepath.Join(dir, "secrets")
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		s.Total += info.Size()
		if path == secrets || isUnder(path, secrets) {
			s.Secrets += info.Size()
		}
		return nil
	})
	return s, err
}

func isUnder(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// fileSizes returns the total size of the given files; a missing file is an
// error.
func fileSizes(paths ...string) (int64, error) {
	var n int64
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return 0, err
		}
		n += info.Size()
	}
	return n, nil
}

// perGenotype is bytes per genotype (records × samples), 0 when there are none.
func perGenotype(bytes, genotypes int64) float64 {
	if genotypes == 0 {
		return 0
	}
	return float64(bytes) / float64(genotypes)
}
