package synth

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/gzip"
)

// shuffleWindow is the number of resources held back to shuffle the
// output: a resource is written at a random moment among the next
// shuffleWindow ones, so one person's resources are spread out (and a
// Patient often comes after the events that reference it) while memory
// stays bounded whatever the cohort size.
const shuffleWindow = 4096

// sink shuffles NDJSON lines through a window and deals them to files.
type sink struct {
	r     *rand.Rand
	files []*outFile
	win   [][]byte
	size  int
}

type outFile struct {
	path, tmp string
	f         *os.File
	gz        *gzip.Writer
	bw        *bufio.Writer
}

// careNames returns the NDJSON file names for n files.
func careNames(n int, gz bool) []string {
	ext := ""
	if gz {
		ext = ".gz"
	}
	if n == 1 {
		return []string{CareFile + ext}
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("care-%02d.ndjson%s", i+1, ext)
	}
	return names
}

func newSink(dir string, o *Options) (*sink, error) {
	s := &sink{r: newRand(o.Seed, streamShuffle, 0), size: shuffleWindow}
	for _, name := range careNames(o.Files, o.Gzip) {
		of := &outFile{path: filepath.Join(dir, name)}
		of.tmp = of.path + ".tmp"
		f, err := os.Create(of.tmp)
		if err != nil {
			s.abort()
			return nil, fmt.Errorf("synth: %w", err)
		}
		of.f = f
		var w io.Writer = f
		if o.Gzip {
			of.gz = gzip.NewWriter(f)
			w = of.gz
		}
		of.bw = bufio.NewWriterSize(w, 1<<20)
		s.files = append(s.files, of)
	}
	return s, nil
}

// add queues one line (copied).
func (s *sink) add(line []byte) error {
	if len(s.win) < s.size {
		s.win = append(s.win, append([]byte(nil), line...))
		return nil
	}
	j := s.r.IntN(s.size)
	out := s.win[j]
	if err := s.emit(out); err != nil {
		return err
	}
	s.win[j] = append(out[:0], line...)
	return nil
}

func (s *sink) emit(line []byte) error {
	f := s.files[0]
	if len(s.files) > 1 {
		f = s.files[s.r.IntN(len(s.files))]
	}
	f.bw.Write(line)
	return f.bw.WriteByte('\n')
}

// close writes out the window in random order, closes the files and
// renames them into place; it returns their paths.
func (s *sink) close() ([]string, error) {
	s.r.Shuffle(len(s.win), func(i, j int) { s.win[i], s.win[j] = s.win[j], s.win[i] })
	for _, l := range s.win {
		if err := s.emit(l); err != nil {
			s.abort()
			return nil, fmt.Errorf("synth: %w", err)
		}
	}
	s.win = nil
	var paths []string
	for _, of := range s.files {
		err := of.bw.Flush()
		if of.gz != nil && err == nil {
			err = of.gz.Close()
		}
		if cerr := of.f.Close(); err == nil {
			err = cerr
		}
		of.f = nil
		if err == nil {
			err = os.Rename(of.tmp, of.path)
		}
		if err != nil {
			s.abort()
			return nil, fmt.Errorf("synth: %w", err)
		}
		paths = append(paths, of.path)
	}
	return paths, nil
}

// abort closes and removes whatever temporary files are left.
func (s *sink) abort() {
	for _, of := range s.files {
		if of.f != nil {
			of.f.Close()
			of.f = nil
		}
		os.Remove(of.tmp)
	}
}
