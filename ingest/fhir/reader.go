package fhir

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

// maxLine is the longest NDJSON line accepted (a resource with a large
// attachment may be megabytes; beyond this the input is not NDJSON).
const maxLine = 64 << 20

// maxZstdWindow bounds the memory a zstd frame may ask for (the zstd
// command line's default limit).
const maxZstdWindow = 128 << 20

type mode uint8

const (
	modeDetect   mode = iota // nothing read yet
	modeNDJSON               // one resource (or Bundle) per line
	modeDocument             // Bundle documents, streamed entry by entry
	modeDone
)

// Reader streams the records of one FHIR input. It holds at most one NDJSON
// line or one Bundle entry in memory (plus, in a Bundle, the Events whose
// medicationReference waits for a later entry, and the codes of the
// Medications seen so far). A Reader is not safe for concurrent use.
type Reader struct {
	name string
	src  *sourceReader
	br   *bufio.Reader
	comp string // "", "gzip" or "zstd"
	zr   *zstd.Decoder
	gz   *gzip.Reader

	mode mode
	line int    // NDJSON: lines read so far
	long []byte // NDJSON: a line longer than the bufio buffer
	doc  *document

	pending  []Item
	head     int
	deferred []Item
	meds     map[Ref][]Coding
	err      error
	stats    Stats

	// Decode targets, reset before each use.
	pat patientRes
	ev  eventRes
	med medicationRes
}

// sourceReader remembers the underlying reader's error, so that an I/O
// error is not reported as bad input.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// NewReader returns a Reader of r, which may be gzip- or zstd-compressed
// (detected by magic bytes). name is used in error messages. Close
// releases the decompressor; it does not close r.
func NewReader(r io.Reader, name string) (*Reader, error) {
	rd := &Reader{
		name:  name,
		src:   &sourceReader{r: r},
		meds:  make(map[Ref][]Coding),
		stats: Stats{Skipped: make(map[string]int)},
	}
	raw := bufio.NewReaderSize(rd.src, 64<<10)
	magic, _ := raw.Peek(4)
	if rd.src.err != nil {
		return nil, fmt.Errorf("%s: %w", name, rd.src.err)
	}
	var dr io.Reader = raw
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		rd.comp = "gzip"
		gz, err := gzip.NewReader(raw)
		if err != nil {
			return nil, rd.ioErr(err, 1)
		}
		rd.gz, dr = gz, gz
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(raw, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(maxZstdWindow))
		if err != nil {
			return nil, fmt.Errorf("%s: zstd: %w", name, err)
		}
		rd.comp = "zstd"
		rd.zr, dr = zr, zr
	}
	if dr == io.Reader(raw) {
		rd.br = raw
	} else {
		rd.br = bufio.NewReaderSize(dr, 256<<10)
	}
	return rd, nil
}

// Close releases the decompressor. It does not close the underlying reader.
func (r *Reader) Close() error {
	if r.zr != nil {
		r.zr.Close()
		r.zr = nil
	}
	if r.gz != nil {
		r.gz.Close()
	}
	return nil
}

// Stats returns the counts so far.
func (r *Reader) Stats() Stats {
	s := r.stats
	s.Skipped = make(map[string]int, len(r.stats.Skipped))
	for k, v := range r.stats.Skipped {
		s.Skipped[k] = v
	}
	return s
}

// Next returns the next record, io.EOF after the last, or an error (which
// wraps ErrFormat when the input is bad). Errors are final: after one, Next
// returns it again. The returned records are the caller's; Codes slices may
// be shared between Events and are to be treated as read-only.
func (r *Reader) Next() (Item, error) {
	for {
		if r.head < len(r.pending) {
			it := r.pending[r.head]
			r.pending[r.head] = Item{}
			r.head++
			return it, nil
		}
		r.pending, r.head = r.pending[:0], 0
		if r.err != nil {
			return Item{}, r.err
		}
		switch r.mode {
		case modeDetect:
			r.err = r.detect()
		case modeNDJSON:
			r.err = r.nextLine()
		case modeDocument:
			r.err = r.nextEntry()
		default:
			r.err = io.EOF
		}
	}
}

// errf returns a format error at line. reason must not contain values
// from the record.
func (r *Reader) errf(line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s: %w", r.name, line, fmt.Sprintf(format, args...), ErrFormat)
}

// ioErr classifies an error from reading the (decompressed) input: the
// source's own error is an I/O error; anything else is bad input.
func (r *Reader) ioErr(err error, line int) error {
	if r.src.err != nil {
		return fmt.Errorf("%s: %w", r.name, r.src.err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return r.errf(line, "unexpected end of input")
	}
	if r.comp != "" {
		return r.errf(line, "corrupt %s data (%v)", r.comp, err)
	}
	return fmt.Errorf("%s:%d: %w", r.name, line, err)
}

var bom = []byte{0xef, 0xbb, 0xbf}

// detect reads up to the first non-blank line and decides: a line that is
// a whole resource other than a Bundle makes the input NDJSON (each line a
// resource, or a whole Bundle of at most maxLine bytes); a Bundle, or an
// object spread over lines, starts a document of Bundles, streamed.
func (r *Reader) detect() error {
	if b, _ := r.br.Peek(3); bytes.Equal(b, bom) {
		r.br.Discard(3)
	}
	var prefix []byte // everything read, for a document to re-read
	for {
		raw, err := r.readLine()
		if err == errLongLine {
			prefix = append(prefix, raw...)
			return r.startDocument(prefix)
		}
		if err != nil && err != io.EOF {
			return r.ioErr(err, r.line+1)
		}
		if raw == nil && err == io.EOF {
			r.mode = modeDone
			return nil
		}
		r.line++
		t := trimSpace(raw)
		if len(t) == 0 {
			prefix = append(prefix, raw...)
			continue
		}
		if t[0] != '{' {
			return r.errf(r.line, "not FHIR JSON: expected an object")
		}
		if !incomplete(t) {
			if rt, err := resourceType(t); err != nil || rt != "Bundle" {
				r.mode = modeNDJSON
				return r.handleJSON(t, "", r.line, false)
			}
		}
		r.line--
		prefix = append(prefix, raw...)
		return r.startDocument(prefix)
	}
}

// incomplete reports whether b is the beginning of a JSON value that
// continues beyond it (rather than a whole value, or invalid JSON).
func incomplete(b []byte) bool {
	var v struct{}
	err := json.NewDecoder(bytes.NewReader(b)).Decode(&v)
	return err == io.ErrUnexpectedEOF
}

var errLongLine = errors.New("line too long")

// readLine returns the next line including its newline (nil at the end of
// the input). The slice is valid until the next read. errLongLine comes
// with the first maxLine bytes.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(r.long) > maxLine {
				return r.long, errLongLine
			}
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	if len(line) == 0 {
		return nil, err
	}
	if err == io.EOF {
		err = nil // a last line without a newline
	}
	return line, err
}

// nextLine handles the next non-blank NDJSON line.
func (r *Reader) nextLine() error {
	for {
		raw, err := r.readLine()
		if err == errLongLine {
			return r.errf(r.line+1, "line longer than %d MiB", maxLine>>20)
		}
		if err != nil && err != io.EOF {
			return r.ioErr(err, r.line+1)
		}
		if raw == nil {
			r.mode = modeDone
			return nil
		}
		r.line++
		if t := trimSpace(raw); len(t) > 0 {
			return r.handleJSON(t, "", r.line, false)
		}
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// handleJSON turns one resource (an NDJSON line or a Bundle entry's
// resource) into records. fullURL is the Bundle entry's fullUrl.
func (r *Reader) handleJSON(raw []byte, fullURL string, line int, inBundle bool) error {
	rt, err := resourceType(raw)
	if err != nil {
		return r.errf(line, "%s", jsonReason(err, "resource"))
	}
	switch rt {
	case "":
		return r.errf(line, "resourceType: missing")
	case "Bundle":
		if inBundle {
			return r.errf(line, "Bundle.entry.resource: a Bundle inside a Bundle")
		}
		return r.bundleLine(raw, line)
	case "Patient":
		r.stats.Resources++
		r.pat = patientRes{}
		if reason, err := decode(raw, &r.pat, rt); err != nil {
			return r.errf(line, "%s", reason)
		}
		if r.pat.ResourceType != rt {
			return r.errf(line, "resourceType: given twice")
		}
		p, err := r.patient(&r.pat, fullURL, line)
		if err != nil {
			return err
		}
		r.stats.Patients++
		r.pending = append(r.pending, Item{Line: line, Patient: p})
		return nil
	case "Medication":
		r.stats.Resources++
		r.med = medicationRes{}
		if reason, err := decode(raw, &r.med, rt); err != nil {
			return r.errf(line, "%s", reason)
		}
		if r.med.ResourceType != rt {
			return r.errf(line, "resourceType: given twice")
		}
		r.stats.Medications++
		if m, ok := medication(&r.med, fullURL); ok {
			for _, k := range m.Keys {
				r.meds[k] = m.Codes
			}
			r.pending = append(r.pending, Item{Line: line, Medication: m})
		}
		return nil
	}
	r.stats.Resources++
	t, ok := eventTypes[rt]
	if !ok {
		// Skipped, but checked: a malformed line is an error whatever its
		// type (a Bundle's decoder has already checked its entries).
		if !inBundle && !json.Valid(raw) {
			var v struct{}
			return r.errf(line, "%s", jsonReason(json.Unmarshal(raw, &v), "resource"))
		}
		r.stats.Skipped[skipKey(rt)]++
		return nil
	}
	r.ev = eventRes{}
	if reason, err := decode(raw, &r.ev, rt); err != nil {
		return r.errf(line, "%s", reason)
	}
	if r.ev.ResourceType != rt {
		return r.errf(line, "resourceType: given twice")
	}
	return r.events(t, &r.ev, line, inBundle)
}

// resourceType finds the resourceType of the object in raw: directly when
// it is the first member (as FHIR recommends and exporters do), else by
// decoding. It returns "" when there is none.
func resourceType(raw []byte) (string, error) {
	if rt, ok := quickType(raw); ok {
		return rt, nil
	}
	var v struct {
		ResourceType string `json:"resourceType"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	return canonicalType(v.ResourceType), nil
}

var typeKey = []byte(`"resourceType"`)

// quickType reads `{ "resourceType" : "Name"` at the start of raw.
func quickType(raw []byte) (string, bool) {
	b := skipSpace(raw)
	if len(b) == 0 || b[0] != '{' {
		return "", false
	}
	b = skipSpace(b[1:])
	if !bytes.HasPrefix(b, typeKey) {
		return "", false
	}
	b = skipSpace(b[len(typeKey):])
	if len(b) == 0 || b[0] != ':' {
		return "", false
	}
	b = skipSpace(b[1:])
	if len(b) == 0 || b[0] != '"' {
		return "", false
	}
	b = b[1:]
	i := bytes.IndexByte(b, '"')
	if i <= 0 || !isTypeName(b[:i]) {
		return "", false
	}
	if n, ok := r4Types[string(b[:i])]; ok {
		return n, true
	}
	return string(b[:i]), true
}

func skipSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}
