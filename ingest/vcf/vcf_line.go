package vcf

import (
	"bytes"
	"io"
)

// maxLineLen bounds one VCF line (a guard against a corrupt file making the
// line buffer grow without end). A VCF line of a million samples with a
// few FORMAT fields each is tens of megabytes.
const maxLineLen = 1 << 30

// errLineTooLong is returned by lineReader.next for a line over maxLineLen.
var errLineTooLong = lineTooLong{}

type lineTooLong struct{}

func (lineTooLong) Error() string { return "line longer than 1 GiB" }

// lineReader splits a stream into lines without copying: the returned line
// is a view of its buffer, valid until the next call. The buffer grows to
// hold the longest line.
type lineReader struct {
	r     io.Reader
	buf   []byte
	start int // first unread byte
	end   int // end of buffered data
	err   error
	line  int64 // physical line number of the last line returned
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: r, buf: make([]byte, 256<<10)}
}

// next returns the next line without its "\n" (and without a "\r" before it).
// It returns io.EOF after the last line, or the read error.
func (l *lineReader) next() ([]byte, error) {
	scanned := l.start // bytes before scanned hold no '\n'
	for {
		if i := bytes.IndexByte(l.buf[scanned:l.end], '\n'); i >= 0 {
			nl := scanned + i
			line := l.buf[l.start:nl]
			l.start = nl + 1
			l.line++
			return trimCR(line), nil
		}
		scanned = l.end
		if l.err != nil {
			if l.err == io.EOF && l.start < l.end { // last line without a newline
				line := l.buf[l.start:l.end]
				l.start = l.end
				l.line++
				return trimCR(line), nil
			}
			return nil, l.err
		}
		if l.end-l.start > maxLineLen {
			l.err = errLineTooLong
			return nil, l.err
		}
		if l.end == len(l.buf) {
			// Make room: move the partial line to the front, and grow
			// when it fills more than half the buffer.
			n := copy(l.buf, l.buf[l.start:l.end])
			scanned -= l.start
			l.start, l.end = 0, n
			if n > len(l.buf)/2 {
				nb := make([]byte, 2*len(l.buf))
				copy(nb, l.buf[:n])
				l.buf = nb
			}
		}
		n, err := l.r.Read(l.buf[l.end:])
		l.end += n
		if err != nil {
			l.err = err
		}
	}
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}
