package vcf

// source is one decoder of a file format (VCF text or BCF). Reader wraps a
// source with the checks common to both (position order, contig order)
// and the public Next/Record/Err iterator.
type source interface {
	// header returns the parsed header (read when the source was made).
	header() *Header
	// next decodes the next record into rec, reusing its storage. It
	// returns io.EOF after the last record, and an error wrapping ErrFormat
	// (naming file, line or record number, and reason) on bad input.
	next(rec *Record) error
	// offset returns the compressed bytes consumed so far (for progress).
	offset() int64
}
