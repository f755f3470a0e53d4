package vcf

// BCF 2.2 decoding (hts-specs VCFv4.3, section 6; htslib's vcf.c is the
// reference implementation). The files of this concern:
//
//	bcf.go         the source: magic, header block, record framing, errors
//	bcf_header.go  header text → Header and the two BCF dictionaries
//	bcf_record.go  the shared part: CHROM … INFO, typed values
//	bcf_text.go    rendering typed values as VCF text, as htslib prints them
//	bcf_format.go  the per-sample part: GT into geno.Row, kept FORMAT fields
//
// A record is read whole into one reused buffer and decoded from there;
// the buffer grows only as data actually arrives, so a hostile length field
// on a short file cannot make it allocate more than the file holds.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	// bcfMaxHeaderBytes bounds l_text, the header text block.
	bcfMaxHeaderBytes = 256 << 20
	// bcfMaxRecordBytes bounds l_shared+l_indiv of one record (htslib's
	// own limit is 2 GiB; a record of a million samples with a handful of
	// FORMAT fields is tens of megabytes).
	bcfMaxRecordBytes = 1 << 30
	// bcfFixedShared is the fixed part of the shared block: CHROM, POS,
	// rlen, QUAL, n_allele_info, n_fmt_sample.
	bcfFixedShared = 24
	// bcfGrowStep is the first chunk read for a buffer that must grow; each
	// later chunk is as large as what has been read so far.
	bcfGrowStep = 64 << 10
)

// bcfSource decodes a decompressed BCF 2.1/2.2 stream.
type bcfSource struct {
	r    io.Reader
	name string
	hdr  *Header
	dict bcfDict
	keep []string // Options.KeepFormat

	nrec int64 // records started (the 1-based number of the current one)
	off  int64 // bytes consumed from the decompressed stream
	buf  []byte
	lens [8]byte

	info []byte // scratch for INFO and FILTER text
	kept []bool // scratch: which kept FORMAT keys this record had
}

// newBCFSource reads the BCF magic and header from r, the decompressed
// stream positioned at the magic.
func newBCFSource(r io.Reader, opts Options) (source, error) {
	if _, ok := r.(*bufio.Reader); !ok {
		r = bufio.NewReaderSize(r, 64<<10)
	}
	s := &bcfSource{r: r, name: opts.Name, keep: opts.KeepFormat}
	if s.name == "" {
		s.name = "bcf"
	}
	var magic [9]byte
	if _, err := io.ReadFull(r, magic[:5]); err != nil {
		return nil, s.headerErr("truncated magic", err)
	}
	if string(magic[:3]) != "BCF" || magic[3] != 2 || (magic[4] != 2 && magic[4] != 1) {
		return nil, s.headerErr("not a BCF 2.1/2.2 stream", nil)
	}
	if _, err := io.ReadFull(r, magic[5:]); err != nil {
		return nil, s.headerErr("truncated header length", err)
	}
	lText := binary.LittleEndian.Uint32(magic[5:])
	if lText > bcfMaxHeaderBytes {
		return nil, s.headerErr(fmt.Sprintf("header length %d over the %d limit", lText, bcfMaxHeaderBytes), nil)
	}
	text, err := s.fill(int(lText))
	if err != nil {
		return nil, s.headerErr("truncated header text", err)
	}
	s.off = int64(len(magic)) + int64(lText)
	if i := bytes.IndexByte(text, 0); i >= 0 {
		text = text[:i]
	}
	hdr, lines, err := parseBCFHeaderText(string(text))
	if err != nil {
		return nil, s.headerErr(err.Error(), nil)
	}
	s.hdr = hdr
	if s.dict, err = newBCFDict(lines); err != nil {
		return nil, s.headerErr(err.Error(), nil)
	}
	hdr.Contigs = s.dict.contigList(hdr)
	s.dict.setKeep(opts.KeepFormat)
	s.kept = make([]bool, len(opts.KeepFormat))
	return s, nil
}

func (s *bcfSource) header() *Header { return s.hdr }

// offset returns the decompressed bytes consumed so far: the Reader
// reports compressed offsets itself when it can.
func (s *bcfSource) offset() int64 { return s.off }

// next reads and decodes one record into rec.
func (s *bcfSource) next(rec *Record) error {
	n, err := io.ReadFull(s.r, s.lens[:])
	if err == io.EOF && n == 0 {
		return io.EOF
	}
	s.nrec++
	rec.Line = s.nrec
	if err != nil {
		return s.readErr(err)
	}
	lShared := binary.LittleEndian.Uint32(s.lens[0:])
	lIndiv := binary.LittleEndian.Uint32(s.lens[4:])
	if lShared < bcfFixedShared {
		return s.errf("l_shared %d shorter than the fixed %d bytes", lShared, bcfFixedShared)
	}
	total := uint64(lShared) + uint64(lIndiv)
	if total > bcfMaxRecordBytes {
		return s.errf("record length %d over the %d limit", total, bcfMaxRecordBytes)
	}
	b, err := s.fill(int(total))
	if err != nil {
		return s.readErr(err)
	}
	s.off += int64(len(s.lens)) + int64(total)
	return s.decode(rec, b[:lShared], b[lShared:])
}

// fill reads exactly n bytes into s.buf and returns them. Storage is
// reused; when it must grow it grows with the data read, so a length that
// overruns the file costs at most twice what the file holds.
func (s *bcfSource) fill(n int) ([]byte, error) {
	if cap(s.buf) >= n {
		s.buf = s.buf[:n]
		_, err := io.ReadFull(s.r, s.buf)
		return s.buf, err
	}
	s.buf = s.buf[:0]
	for len(s.buf) < n {
		chunk := min(n-len(s.buf), max(len(s.buf), bcfGrowStep))
		if cap(s.buf)-len(s.buf) < chunk {
			nb := make([]byte, len(s.buf), len(s.buf)+chunk)
			copy(nb, s.buf)
			s.buf = nb
		}
		m, err := io.ReadFull(s.r, s.buf[len(s.buf):len(s.buf)+chunk])
		s.buf = s.buf[:len(s.buf)+m]
		if err != nil {
			return s.buf, err
		}
	}
	return s.buf, nil
}

// errf returns an error about the current record, wrapping ErrFormat. The
// reason must not quote sample names, genotypes or INFO values.
func (s *bcfSource) errf(format string, args ...any) error {
	return fmt.Errorf("%s: record %d: %s: %w", s.name, s.nrec, fmt.Sprintf(format, args...), ErrFormat)
}

// readErr reports a failed read inside the current record: a short read is
// a truncated record (ErrFormat); any other error is passed on, wrapped.
func (s *bcfSource) readErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return s.errf("truncated record")
	}
	return fmt.Errorf("%s: record %d: %w", s.name, s.nrec, err)
}

// headerErr reports a bad header block; cause (may be nil) is a read error.
func (s *bcfSource) headerErr(reason string, cause error) error {
	if cause != nil && !errors.Is(cause, io.EOF) && !errors.Is(cause, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: header: %s: %w", s.name, reason, cause)
	}
	return fmt.Errorf("%s: header: %s: %w", s.name, reason, ErrFormat)
}
