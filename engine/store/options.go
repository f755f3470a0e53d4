// Package store is gentre's on-disk store: immutable, self-contained
// genotype chunks and site tables, listed by a manifest that is swapped
// atomically, so that a crash or a failed ingest leaves the previous data
// release intact. See docs/format.md.
package store

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/klauspost/compress/zstd"
)

// ErrCorrupt is wrapped by every error about a store file that fails its
// magic, version, length or checksum checks.
var ErrCorrupt = errors.New("corrupt store file")

// ErrConflict is wrapped by errors about input that cannot be added to the
// store as it is (a duplicate file, samples typed twice at one site).
var ErrConflict = errors.New("conflicts with the store")

// Options tune a store. The zero value is usable: EnsureDefaults fills it.
type Options struct {
	// ChunkVariants is the largest number of variants in a chunk
	// (default 1024: more chunks than cores even for one chromosome of a
	// few thousand variants, so that a query decompresses them in parallel,
	// and less to decompress for a single-variant query; 2% larger than
	// 4096 on the 10,000-sample synthetic cohort, 10% faster whole-chromosome
	// freq).
	ChunkVariants int
	// ChunkBytes closes a chunk once its encoded genotypes reach this size
	// before compression (default 8 MiB).
	ChunkBytes int
	// Workers is the number of goroutines encoding and compressing chunks
	// (default GOMAXPROCS).
	Workers int
	// ZstdLevel is the zstd level for chunk sections: 1 fastest .. 4 best
	// (klauspost/compress levels; default 3: 4.5% smaller than 2 at the
	// same speed, while 4 costs 50% more time for 3% more).
	ZstdLevel int
	// RawLiteralsFrom is the number of samples from which a chunk's zstd
	// frames store their literals raw instead of Huffman-coded (default
	// 4096). Rows of many samples are mostly bit planes, which Huffman
	// coding barely shrinks and which then decompress in half the time: on
	// the 10,000-sample synthetic cohort the genotype sections are 10%
	// larger (9.3 to 10.4 MB) and decompress in 10 ms instead of 17.5 ms,
	// most of a whole-chromosome query. Below a few thousand samples a
	// chromosome decompresses in a few milliseconds either way, and the
	// smaller store is worth more. Readers are the same either way.
	RawLiteralsFrom int
	// NoSync skips fsync (tests only; a crash may then lose a commit).
	NoSync bool
}

// EnsureDefaults fills zero fields with their defaults.
func (o *Options) EnsureDefaults() *Options {
	if o.ChunkVariants == 0 {
		o.ChunkVariants = 1024
	}
	if o.ChunkBytes == 0 {
		o.ChunkBytes = 8 << 20
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.ZstdLevel == 0 {
		o.ZstdLevel = 3
	}
	if o.RawLiteralsFrom == 0 {
		o.RawLiteralsFrom = 4096
	}
	return o
}

// sectionEncoders compresses chunk sections: with Huffman-coded literals,
// or raw literals for chunks of Options.RawLiteralsFrom samples or more.
// Each encoder is made when first needed (one costs a few milliseconds and
// megabytes).
type sectionEncoders struct {
	huff, raw *zstd.Encoder
	level     int
	rawFrom   int
	err       error
}

// newEncoders returns the zstd encoders for chunk sections with these
// options (made when first used: an error shows in encode).
func (o *Options) newEncoders() *sectionEncoders {
	return &sectionEncoders{level: o.ZstdLevel, rawFrom: o.RawLiteralsFrom}
}

// forSamples returns the encoder for a chunk of n samples (nil: store
// sections uncompressed, also when the encoder cannot be made, which err
// then reports).
func (e *sectionEncoders) forSamples(n int) *zstd.Encoder {
	if e == nil {
		return nil
	}
	raw := n >= e.rawFrom
	p := &e.huff
	if raw {
		p = &e.raw
	}
	if *p == nil && e.err == nil {
		*p, e.err = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.EncoderLevel(e.level)),
			zstd.WithEncoderConcurrency(1), zstd.WithEncoderCRC(false), zstd.WithNoEntropyCompression(raw))
	}
	return *p
}

// Validate reports options out of range.
func (o *Options) Validate() error {
	switch {
	case o.ChunkVariants < 1 || o.ChunkVariants > 1<<20:
		return fmt.Errorf("store options: ChunkVariants %d out of range 1..%d", o.ChunkVariants, 1<<20)
	case o.ChunkBytes < 1<<10 || o.ChunkBytes > 1<<30:
		return fmt.Errorf("store options: ChunkBytes %d out of range 1KiB..1GiB", o.ChunkBytes)
	case o.Workers < 1 || o.Workers > 1024:
		return fmt.Errorf("store options: Workers %d out of range 1..1024", o.Workers)
	case o.RawLiteralsFrom < 0:
		return fmt.Errorf("store options: RawLiteralsFrom %d is negative", o.RawLiteralsFrom)
	case o.ZstdLevel < 1 || o.ZstdLevel > 4:
		return fmt.Errorf("store options: ZstdLevel %d out of range 1..4", o.ZstdLevel)
	}
	return nil
}
