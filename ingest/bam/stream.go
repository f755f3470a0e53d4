package bam

import "io"

// stream reads the decompressed BAM bytes into a reusable buffer; records
// are decoded in place from it.
type stream struct {
	name string
	bg   *bgzfReader
	buf  []byte
	r, w int   // unread data is buf[r:w]
	eof  bool  // the decompressed stream ended cleanly
	err  error // sticky error (wraps ErrFormat)
}

const streamBuf = 1 << 20

func newStream(r io.Reader, opts Options) *stream {
	return &stream{name: opts.Name, bg: newBGZFReader(r, opts.Threads), buf: make([]byte, streamBuf)}
}

// close stops the decompression goroutines.
func (s *stream) close() { s.bg.close() }

// fill reads more data, growing the buffer so that at least need unread
// bytes fit. It returns false at the clean end of the stream or on error
// (s.err). The buffer grows only as data arrives, so a corrupt length
// cannot make it allocate more than the input holds (plus a factor 2).
func (s *stream) fill(need int) bool {
	if s.err != nil || s.eof {
		return false
	}
	if s.r > 0 {
		s.w = copy(s.buf, s.buf[s.r:s.w])
		s.r = 0
	}
	for s.w < need {
		if s.w == len(s.buf) {
			grow := min(need, 2*len(s.buf))
			nb := make([]byte, grow)
			copy(nb, s.buf[:s.w])
			s.buf = nb
		}
		n, err := s.bg.Read(s.buf[s.w:])
		s.w += n
		if err == io.EOF {
			s.eof = true
			return s.w >= need
		}
		if err != nil {
			s.err = bgzfError(s.name, err)
			return false
		}
	}
	return true
}

// next returns the next n bytes (a view valid until the next call), or
// nil at the end of the stream or on error. atEOF reports a clean end
// with no bytes left before this call.
func (s *stream) next(n int) (b []byte, atEOF bool) {
	if s.w-s.r < n && !s.fill(n) {
		return nil, s.err == nil && s.r == s.w
	}
	b = s.buf[s.r : s.r+n]
	s.r += n
	return b, false
}
