package vcf

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gentre/gentre/internal/bgzf"
	"github.com/klauspost/compress/gzip"
)

// Reader reads the records of a VCF or BCF file, checking what both formats
// share: POS ≥ 1, positions non-decreasing within a contig, and each contig
// in one run. It is an iterator:
//
//	for r.Next() {
//		rec := r.Record()
//		...
//	}
//	if err := r.Err(); err != nil { ... }
type Reader struct {
	name string
	src  source
	rec  Record
	err  error
	done bool

	raw     *countingReader
	bgz     *bgzf.Reader // nil unless the input is BGZF
	file    *os.File     // set by Open
	closeMu sync.Once

	// Order checks.
	chrom string // current contig (a copy, not a view of the record)
	pos   int64
	seen  map[string]struct{}
}

// Open opens the VCF, VCF.gz or BCF file at path. opts.Name defaults to the
// base name of path. Close closes the file.
func Open(path string, opts Options) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vcf: %w", err)
	}
	if opts.Name == "" {
		opts.Name = filepath.Base(path)
	}
	r, err := NewReader(f, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.file = f
	return r, nil
}

// defaultName names an unnamed input in error messages.
const defaultName = "<input>"

// NewReader reads a VCF or BCF stream, detecting from its first bytes whether
// it is BGZF, plain gzip or uncompressed, and then whether it is BCF or VCF
// text. It reads the header before returning. NewReader does not close r.
//
// A truncated or corrupt compressed stream is an error wrapping ErrFormat,
// never a silent end of input; this includes a BGZF stream without its
// end-of-file marker block (a file cut at a block boundary), which htslib
// only warns about.
func NewReader(r io.Reader, opts Options) (*Reader, error) {
	if opts.Name == "" {
		opts.Name = defaultName
	}
	if opts.Threads <= 0 {
		opts.Threads = runtime.GOMAXPROCS(0)
	}
	rd := &Reader{name: opts.Name, raw: &countingReader{r: r}}
	data, err := rd.decompress(opts)
	if err != nil {
		return nil, err
	}
	if err := rd.openSource(data, opts); err != nil {
		rd.Close()
		return nil, err
	}
	if err := checkKeepFormat(rd.src.header(), opts); err != nil {
		rd.Close()
		return nil, err
	}
	return rd, nil
}

// decompress detects the compression and returns the decompressed stream.
func (r *Reader) decompress(opts Options) (io.Reader, error) {
	br := bufio.NewReaderSize(r.raw, 64<<10)
	magic, err := br.Peek(18)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%s: %w", r.name, err)
	}
	switch {
	case isBGZF(magic):
		bg := bgzf.NewReader(br, opts.Threads) // its errors come with the data
		r.bgz = bg
		return &bgzfStream{r: r, bg: bg}, nil
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, r.compressionError("gzip", err)
		}
		return &gzipStream{r: r, gz: gz}, nil
	}
	return br, nil
}

// isBGZF reports whether b starts a gzip member with a BGZF "BC" extra
// subfield.
func isBGZF(b []byte) bool {
	if len(b) < 18 || b[0] != 0x1f || b[1] != 0x8b || b[2] != 8 || b[3]&4 == 0 {
		return false
	}
	xlen := int(b[10]) | int(b[11])<<8
	extra := b[12:min(12+xlen, len(b))]
	for len(extra) >= 4 {
		slen := int(extra[2]) | int(extra[3])<<8
		if extra[0] == 'B' && extra[1] == 'C' && slen == 2 {
			return true
		}
		if 4+slen > len(extra) {
			break
		}
		extra = extra[4+slen:]
	}
	return false
}

// openSource detects BCF or VCF text in the decompressed stream.
func (r *Reader) openSource(data io.Reader, opts Options) error {
	br, ok := data.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(data, 64<<10)
	}
	magic, err := br.Peek(16)
	if err != nil && err != io.EOF {
		if errors.Is(err, ErrFormat) {
			return err
		}
		return fmt.Errorf("%s: %w", r.name, err)
	}
	switch {
	case bytes.HasPrefix(magic, []byte("BCF\x02\x02")), bytes.HasPrefix(magic, []byte("BCF\x02\x01")):
		src, err := newBCFSource(br, opts)
		if err != nil {
			return err
		}
		r.src = src
	case bytes.HasPrefix(magic, []byte("##fileformat=VCF")), bytes.HasPrefix(magic, []byte("#CHROM")):
		src, err := newTextSource(br, opts)
		if err != nil {
			return err
		}
		r.src = src
	default:
		return fmt.Errorf("%s: neither VCF nor BCF (no ##fileformat=VCF, #CHROM or BCF magic at the start): %w", r.name, ErrFormat)
	}
	return nil
}

// checkKeepFormat rejects KeepFormat keys that cannot be decoded as numbers:
// GT, and fields the header declares as String, Character or Flag (an error
// wrapping ErrFormat, as it comes from the file). Fields the header does not
// declare, or declares without a Type, are decoded as numbers.
func checkKeepFormat(h *Header, opts Options) error {
	for _, key := range opts.KeepFormat {
		if key == "GT" {
			return fmt.Errorf("%s: KeepFormat: GT is decoded into Record.GT, not Kept", opts.Name)
		}
		for _, f := range h.Format {
			if f.ID == key && (f.Type == "String" || f.Type == "Character" || f.Type == "Flag") {
				return fmt.Errorf("%s: KeepFormat: FORMAT field %s is declared Type=%s; only Integer and Float fields can be kept: %w",
					opts.Name, key, f.Type, ErrFormat)
			}
		}
	}
	return nil
}

// Header returns the file header.
func (r *Reader) Header() *Header { return r.src.header() }

// Next advances to the next record. It returns false at the end of the
// input or on error (see Err).
func (r *Reader) Next() bool {
	if r.err != nil || r.done {
		return false
	}
	err := r.src.next(&r.rec)
	if err != nil {
		if err == io.EOF {
			r.done = true
		} else {
			r.err = err
		}
		return false
	}
	if err := r.checkOrder(&r.rec); err != nil {
		r.err = err
		return false
	}
	return true
}

// checkOrder checks POS ≥ 1, sorted positions and contiguous contigs.
func (r *Reader) checkOrder(rec *Record) error {
	if rec.Pos < 1 {
		return r.errorf(rec.Line, "POS %d is not ≥ 1", rec.Pos)
	}
	if r.seen != nil && rec.Chrom == r.chrom {
		if rec.Pos < r.pos {
			return r.errorf(rec.Line, "unsorted: position %d after %d on contig %s", rec.Pos, r.pos, r.chrom)
		}
		r.pos = rec.Pos
		return nil
	}
	if r.seen == nil {
		r.seen = make(map[string]struct{})
	}
	if _, ok := r.seen[rec.Chrom]; ok {
		return r.errorf(rec.Line, "contig %s appears again after %s", rec.Chrom, r.chrom)
	}
	r.chrom = strings.Clone(rec.Chrom)
	r.seen[r.chrom] = struct{}{}
	r.pos = rec.Pos
	return nil
}

func (r *Reader) errorf(line int64, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s: %w", r.name, line, fmt.Sprintf(format, args...), ErrFormat)
}

// Record returns the current record, valid until the next call to Next.
func (r *Reader) Record() *Record { return &r.rec }

// Err returns the error that stopped Next, or nil at a clean end of input.
func (r *Reader) Err() error { return r.err }

// Offset returns the number of (compressed) input bytes consumed so far,
// for progress reporting. Read-ahead makes it run slightly ahead of the
// current record.
func (r *Reader) Offset() int64 {
	if r.bgz != nil {
		return r.bgz.Offset() // the blocks handed out, not the read-ahead
	}
	return r.raw.n.Load()
}

// Close releases the decompression goroutines and, for a Reader made by
// Open, closes the file. It does not report decoding errors (see Err).
func (r *Reader) Close() error {
	var err error
	r.closeMu.Do(func() {
		if r.bgz != nil {
			r.bgz.Close() // reports the stream's own errors: already seen by Err
		}
		if r.file != nil {
			err = r.file.Close()
		}
	})
	return err
}

// compressionError reports a truncated or corrupt compressed stream.
func (r *Reader) compressionError(kind string, err error) error {
	reason := err.Error()
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		reason = "unexpected end of file"
	}
	return &streamError{name: r.name, reason: fmt.Sprintf("truncated or corrupt %s data (%s)", kind, reason)}
}

// streamError is a decompression error: the input is truncated or corrupt.
// A source that knows the line it was reading can name it (see
// textSource.readError); as it is, the error names the file and the reason.
type streamError struct {
	name, reason string
}

func (e *streamError) Error() string { return e.name + ": " + e.reason + ": " + ErrFormat.Error() }
func (e *streamError) Unwrap() error { return ErrFormat }

// countingReader counts the bytes read from the input.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// bgzfEOF is the BGZF end-of-file marker block (SAM spec §4.1.2).
const bgzfEOF = "\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00\x42\x43\x02\x00\x1b\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00"

// bgzfStream turns the BGZF reader's errors into ErrFormat errors, naming
// a missing end-of-file block (a file cut at a block boundary) as such.
type bgzfStream struct {
	r   *Reader
	bg  *bgzf.Reader
	err error
}

func (s *bgzfStream) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.bg.Read(p)
	switch {
	case err == nil:
	case err == io.EOF:
		s.err = err
	case errors.Is(err, bgzf.ErrNoEOF):
		s.err = &streamError{name: s.r.name, reason: "truncated BGZF file (no end-of-file block)"}
		err = s.err
	default:
		s.err = s.r.compressionError("BGZF", err)
		err = s.err
	}
	return n, err
}

// gzipStream turns the gzip reader's errors into ErrFormat errors.
type gzipStream struct {
	r   *Reader
	gz  *gzip.Reader
	err error
}

func (s *gzipStream) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.gz.Read(p)
	if err != nil {
		if err != io.EOF {
			err = s.r.compressionError("gzip", err)
		}
		s.err = err
	}
	return n, err
}
