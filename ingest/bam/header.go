package bam

import (
	"encoding/binary"
	"fmt"
)

// reference is one reference sequence of the binary header.
type reference struct {
	name   string
	length int32
}

// headerError reports a malformed header. It never quotes header text
// (read groups carry sample names).
func (s *stream) headerError(format string, args ...any) error {
	if s.err != nil {
		return s.err
	}
	return fmt.Errorf("bam: %s: header: %s: %w", s.name, fmt.Sprintf(format, args...), ErrFormat)
}

// readHeader reads the binary BAM header (SAM spec §4.2): magic, the
// header text (skipped: htslib, too, takes the reference sequences from
// the binary list), and the reference sequences. A header with no
// reference sequence is an error: there is nothing to cover.
func (s *stream) readHeader() ([]reference, error) {
	b, _ := s.next(8)
	if b == nil {
		return nil, s.headerError("too short for a BAM header")
	}
	if string(b[:4]) != "BAM\x01" {
		return nil, s.headerError("not a BAM file (bad magic number)")
	}
	lText := int32(binary.LittleEndian.Uint32(b[4:]))
	if lText < 0 {
		return nil, s.headerError("negative text length")
	}
	if !s.skip(int64(lText)) {
		return nil, s.headerError("truncated header text")
	}
	if b, _ = s.next(4); b == nil {
		return nil, s.headerError("truncated reference count")
	}
	nRef := int32(binary.LittleEndian.Uint32(b))
	if nRef < 0 {
		return nil, s.headerError("negative reference count")
	}
	if nRef == 0 {
		return nil, s.headerError("no reference sequences (@SQ)")
	}
	refs := make([]reference, 0, min(nRef, 1<<16))
	seen := make(map[string]struct{}, min(nRef, 1<<16))
	for i := range nRef {
		if b, _ = s.next(4); b == nil {
			return nil, s.headerError("reference %d: truncated", i)
		}
		lName := int32(binary.LittleEndian.Uint32(b))
		if lName < 1 {
			return nil, s.headerError("reference %d: bad name length %d", i, lName)
		}
		if b, _ = s.next(int(lName) + 4); b == nil {
			return nil, s.headerError("reference %d: truncated", i)
		}
		name := b[:lName]
		if name[lName-1] != 0 {
			return nil, s.headerError("reference %d: name not NUL-terminated", i)
		}
		name = name[:lName-1]
		for _, c := range name {
			if c == 0 {
				return nil, s.headerError("reference %d: NUL in name", i)
			}
		}
		if len(name) == 0 {
			return nil, s.headerError("reference %d: empty name", i)
		}
		length := int32(binary.LittleEndian.Uint32(b[lName:]))
		if length < 0 {
			return nil, s.headerError("reference %d: negative length", i)
		}
		ref := reference{name: string(name), length: length}
		if _, dup := seen[ref.name]; dup {
			return nil, s.headerError("reference %d: duplicate name", i)
		}
		seen[ref.name] = struct{}{}
		refs = append(refs, ref)
	}
	return refs, nil
}

// skip discards n bytes, reading in chunks so that a huge stated length
// cannot make it allocate.
func (s *stream) skip(n int64) bool {
	for n > 0 {
		k := int(min(n, streamBuf))
		if b, _ := s.next(k); b == nil {
			return false
		}
		n -= int64(k)
	}
	return true
}
