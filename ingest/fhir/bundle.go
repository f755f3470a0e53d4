package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// document streams Bundle documents (one, pretty-printed or not, or
// several one after the other, e.g. one a line) entry by entry with
// json.Decoder's token API; lines tracks line numbers for the decoder's
// byte offsets.
type document struct {
	dec       *json.Decoder
	lines     *lineTracker
	inObject  bool // inside a top-level object
	inEntries bool // inside its entry array
	isBundle  bool // its resourceType Bundle seen
	objLine   int  // the line where it starts
	raw       json.RawMessage
	skip      json.RawMessage
}

// notBundle is the reason given when a top-level object in document mode
// is not a Bundle.
const notBundle = "resourceType: not Bundle (an input that starts with a Bundle, or with an object over several lines, holds only Bundles)"

// startDocument begins streaming Bundle documents whose first bytes
// (already read while detecting the form) are prefix.
func (r *Reader) startDocument(prefix []byte) error {
	lt := &lineTracker{r: io.MultiReader(bytes.NewReader(prefix), r.br), line: 1}
	r.doc, r.mode = &document{dec: json.NewDecoder(lt), lines: lt}, modeDocument
	return nil
}

// nextEntry advances the document by one Bundle entry, or to the next
// Bundle, or to the end.
func (r *Reader) nextEntry() error {
	d := r.doc
	switch {
	case d.inEntries:
		if d.dec.More() {
			return r.entry()
		}
		if _, err := d.dec.Token(); err != nil { // ']'
			return r.docErr(err, 0)
		}
		d.inEntries = false
		return nil
	case !d.inObject:
		tok, err := d.dec.Token()
		if err == io.EOF {
			r.mode = modeDone
			return nil
		}
		if err != nil {
			return r.docErr(err, 0)
		}
		if tok != json.Delim('{') {
			return r.errf(r.docLine(), "not FHIR JSON: expected an object")
		}
		d.inObject, d.isBundle, d.objLine = true, false, r.docLine()
		return nil
	}
	for {
		tok, err := d.dec.Token()
		if err != nil {
			return r.docErr(err, 0)
		}
		key, ok := tok.(string)
		if !ok { // the Bundle's closing '}'
			return r.endBundle()
		}
		switch key {
		case "resourceType":
			var rt string
			if _, err := d.decodeValue(&rt); err != nil {
				return r.docErr(err, 0)
			}
			if rt != "Bundle" {
				return r.errf(r.docLine(), notBundle)
			}
			d.isBundle = true
		case "entry":
			tok, err := d.dec.Token()
			if err != nil {
				return r.docErr(err, 0)
			}
			if tok == nil { // "entry": null
				continue
			}
			if tok != json.Delim('[') {
				return r.errf(r.docLine(), "Bundle.entry: not an array")
			}
			d.inEntries = true
			return nil
		default:
			if _, err := d.decodeValue(&d.skip); err != nil {
				return r.docErr(err, 0)
			}
		}
	}
}

// endBundle ends a top-level Bundle and emits the Events held for it.
func (r *Reader) endBundle() error {
	d := r.doc
	if !d.isBundle {
		return r.errf(d.objLine, "resourceType: missing (an input that starts with a Bundle, or with an object over several lines, holds only Bundles)")
	}
	r.flushDeferred()
	d.inObject = false
	return nil
}

// entry reads one element of Bundle.entry and handles its resource.
func (r *Reader) entry() error {
	d := r.doc
	tok, err := d.dec.Token()
	if err != nil {
		return r.docErr(err, 0)
	}
	if tok == nil { // a null entry
		return nil
	}
	if tok != json.Delim('{') {
		return r.errf(r.docLine(), "Bundle.entry: not an object")
	}
	var fullURL string
	line, have := 0, false
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			return r.docErr(err, line)
		}
		switch tok {
		case "fullUrl":
			if _, err := d.decodeValue(&fullURL); err != nil {
				var te *json.UnmarshalTypeError
				if errors.As(err, &te) {
					return r.errf(r.docLine(), "Bundle.entry.fullUrl: not a string")
				}
				return r.docErr(err, line)
			}
		case "resource":
			start, err := d.decodeValue(&d.raw)
			startLine := d.lines.lineAt(start)
			if err != nil {
				return r.docErr(err, startLine)
			}
			line = d.lines.lineAt(d.dec.InputOffset() - int64(len(d.raw)))
			have = !bytes.Equal(d.raw, []byte("null"))
		default:
			if _, err := d.decodeValue(&d.skip); err != nil {
				return r.docErr(err, line)
			}
		}
	}
	if _, err := d.dec.Token(); err != nil { // '}'
		return r.docErr(err, line)
	}
	if !have {
		return nil // e.g. a DELETE in a transaction
	}
	return r.handleJSON(d.raw, fullURL, line, true)
}

// decodeValue decodes the value that follows the object key just read and
// returns the offset where it starts. A syntax error comes back as a
// *faultError at its offset in the stream.
func (d *document) decodeValue(v any) (int64, error) {
	start := d.peekValue()
	err := d.dec.Decode(v)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return start, err
	}
	// The decoder's own offset counts bytes over all its values; scan the
	// failed value again (it is still buffered, from just after the colon)
	// to place the fault.
	base := d.dec.InputOffset()
	var raw json.RawMessage
	err2 := json.NewDecoder(d.dec.Buffered()).Decode(&raw)
	if errors.As(err2, &se) {
		return start, &faultError{base + se.Offset - 1}
	}
	return start, &faultError{base}
}

// faultError is a JSON syntax error at an offset of the stream.
type faultError struct{ off int64 }

func (e *faultError) Error() string { return "malformed JSON" }

// peekValue returns the offset of the first byte of the value after the
// key just read, if the decoder has it buffered (else the key's end).
func (d *document) peekValue() int64 {
	off := d.dec.InputOffset()
	buf, _ := d.dec.Buffered().(*bytes.Reader)
	if buf == nil {
		return off
	}
	for n := int64(0); ; n++ {
		c, err := buf.ReadByte()
		if err != nil {
			return off
		}
		if c != ':' && !isSpace(c) {
			return off + n
		}
	}
}

// docLine is the line of the decoder's current position.
func (r *Reader) docLine() int { return r.doc.lines.lineAt(r.doc.dec.InputOffset()) }

// docErr turns a decoder error into an error at the line where the current
// resource starts (start, if not 0), naming the line of the fault too.
func (r *Reader) docErr(err error, start int) error {
	var fe *faultError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &fe) || errors.As(err, &se):
		off := r.doc.dec.InputOffset() // a Token error is at the decoder's position
		if fe != nil {
			off = fe.off
		}
		at := r.doc.lines.lineAt(off)
		if start == 0 || start == at {
			return r.errf(at, "malformed JSON")
		}
		return r.errf(start, "malformed JSON at line %d", at)
	case errors.As(err, &te):
		line := start
		if line == 0 {
			line = r.docLine()
		}
		if te.Field != "" {
			return r.errf(line, "Bundle.%s: unexpected JSON type", te.Field)
		}
		return r.errf(line, "Bundle: unexpected JSON type")
	case err == io.EOF:
		err = io.ErrUnexpectedEOF
	}
	if start == 0 {
		start = r.docLine()
	}
	return r.ioErr(err, start)
}

// bundleLine handles an NDJSON line that holds a whole Bundle: every
// resource in it is at that line.
func (r *Reader) bundleLine(raw []byte, line int) error {
	var b struct {
		Entry []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return r.errf(line, "%s", jsonReason(err, "Bundle"))
	}
	for _, e := range b.Entry {
		if len(e.Resource) == 0 || bytes.Equal(e.Resource, []byte("null")) {
			continue
		}
		if err := r.handleJSON(e.Resource, e.FullURL, line, true); err != nil {
			return err
		}
	}
	r.flushDeferred()
	return nil
}

// lineTracker passes reads through, remembering where the newlines are
// until lineAt has counted past them.
type lineTracker struct {
	r    io.Reader
	off  int64   // bytes read so far
	nl   []int64 // offsets of newlines not yet counted
	head int
	line int // 1 + newlines before the last offset asked about
}

func (t *lineTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	b, base := p[:n], t.off
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		t.nl = append(t.nl, base+int64(i))
		base += int64(i) + 1
		b = b[i+1:]
	}
	t.off += int64(n)
	return n, err
}

// lineAt returns the 1-based line of byte offset off. Offsets must not go
// backwards (an earlier one gets the line of the latest).
func (t *lineTracker) lineAt(off int64) int {
	for t.head < len(t.nl) && t.nl[t.head] < off {
		t.head++
		t.line++
	}
	if t.head == len(t.nl) {
		t.nl, t.head = t.nl[:0], 0
	} else if t.head > 4096 && 2*t.head > len(t.nl) {
		n := copy(t.nl, t.nl[t.head:])
		t.nl, t.head = t.nl[:n], 0
	}
	return t.line
}
