// Package manifest reads the sample manifest: a TSV that links each
// sequenced sample (a VCF column or a BAM) to a person by NHS number.
//
//	sample_id<TAB>nhs_number
//	LAB-0001<TAB>943 476 5919
//
// Both columns are identifiers: callers pseudonymise them at once, and
// errors name only the file, line and column, never a value.
package manifest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gentre/gentre/pseudonymise"
)

// ErrFormat is wrapped by every error about a malformed manifest.
var ErrFormat = errors.New("malformed sample manifest")

// Link is one row: a sample and the (normalised, valid) NHS number of its person.
type Link struct {
	SampleID  string
	NHSNumber string
	Line      int
}

// Read reads a whole manifest. Blank lines and lines starting with '#'
// after the header are skipped; a sample listed twice is an error (even
// with the same person).
func Read(r io.Reader, name string) ([]Link, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	bad := func(line int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s: %w", name, line, fmt.Sprintf(format, args...), ErrFormat)
	}
	var links []Link
	seen := map[string]int{}
	line := 0
	header := false
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		if !header {
			f := strings.Split(text, "\t")
			if len(f) != 2 || strings.TrimSpace(f[0]) != "sample_id" || strings.TrimSpace(f[1]) != "nhs_number" {
				return nil, bad(line, "the header must be sample_id<TAB>nhs_number")
			}
			header = true
			continue
		}
		if strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) != 2 {
			return nil, bad(line, "%d columns, want 2 (sample_id, nhs_number)", len(f))
		}
		id := strings.TrimSpace(f[0])
		if id == "" {
			return nil, bad(line, "sample_id is empty")
		}
		nhs, err := pseudonymise.NormaliseNHSNumber(strings.TrimSpace(f[1]))
		if err != nil {
			return nil, bad(line, "nhs_number: %v", err)
		}
		if prev, ok := seen[id]; ok {
			return nil, bad(line, "sample_id repeats the one on line %d", prev)
		}
		seen[id] = line
		links = append(links, Link{SampleID: id, NHSNumber: nhs, Line: line})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	if !header {
		return nil, bad(1, "empty file (no sample_id<TAB>nhs_number header)")
	}
	return links, nil
}
