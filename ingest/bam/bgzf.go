package bam

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
)

// BGZF (SAM spec §4.1): a series of gzip members of at most 64 KiB each,
// whose FEXTRA field holds a "BC" subfield giving the member's size, ending
// with a fixed empty member (the end-of-file marker block).
//
// Blocks are read in order by one goroutine and inflated by `threads`
// workers with klauspost/compress/flate; the consumer takes them back in
// order. (biogo/hts's bgzf.Reader, on the standard library's flate fed a
// byte at a time through an interface, inflated this package's benchmark
// file 2.5 times slower, missing the target of 1.5x samtools; its output
// is checked against ours in bgzf_test.go.)

// bgzfEOF is the BGZF end-of-file marker block (SAM spec §4.1.2).
const bgzfEOF = "\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00\x42\x43\x02\x00\x1b\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00"

const (
	bgzfHeaderLen = 18 // fixed gzip header (12) + the BC subfield (6) when first
	maxBlock      = 1 << 16
)

var (
	errNotBGZF    = errors.New("not BGZF (not a gzip member with a BC field)")
	errBlockSize  = errors.New("bad block size")
	errTruncated  = errors.New("unexpected end of file")
	errInflate    = errors.New("bad deflate data")
	errBlockLen   = errors.New("inflated size differs from the block's")
	errBlockCRC   = errors.New("CRC-32 mismatch")
	errNoEOFBlock = errors.New("no end-of-file block")
	errEmptyInput = errors.New("empty input")
)

// block is one BGZF member: raw bytes in, inflated bytes out.
type block struct {
	raw  []byte // the whole member
	cdat []byte // its deflate data (a view of raw)
	crc  uint32
	size int // ISIZE
	out  []byte
	eof  bool // the member is the end-of-file marker
	err  error
	done chan struct{}
}

// bgzfReader decompresses a BGZF stream.
type bgzfReader struct {
	src     io.Reader
	threads int

	// Pipeline (threads > 1).
	order chan *block // in file order, decompressed or not yet
	work  chan *block
	quit  chan struct{}
	wg    sync.WaitGroup
	free  sync.Pool

	// Synchronous (threads == 1).
	inf *inflater

	cur     *block
	off     int // read offset in cur.out
	lastEOF bool
	nblocks int64
	err     error
}

func newBGZFReader(src io.Reader, threads int) *bgzfReader {
	z := &bgzfReader{src: src, threads: threads}
	z.free.New = func() any {
		return &block{raw: make([]byte, 0, maxBlock), out: make([]byte, maxBlock), done: make(chan struct{}, 1)}
	}
	if threads <= 1 {
		z.inf = newInflater()
		return z
	}
	z.order = make(chan *block, 4*threads)
	z.work = make(chan *block, 4*threads)
	z.quit = make(chan struct{})
	z.wg.Add(1 + threads)
	go z.produce()
	for range threads {
		go z.inflate()
	}
	return z
}

// close stops the goroutines and waits for them (they may be reading the
// caller's io.Reader).
func (z *bgzfReader) close() {
	if z.quit == nil {
		return
	}
	select {
	case <-z.quit:
	default:
		close(z.quit)
	}
	z.wg.Wait()
}

// produce reads the blocks in order and hands them to the workers.
func (z *bgzfReader) produce() {
	defer z.wg.Done()
	defer close(z.work)
	defer close(z.order)
	for {
		b := z.free.Get().(*block)
		err := safely(func() error { return z.readBlock(b) })
		if err == io.EOF {
			z.free.Put(b)
			return
		}
		if err != nil {
			b.err = err
			b.done <- struct{}{}
			select {
			case z.order <- b:
			case <-z.quit:
			}
			return
		}
		select {
		case z.order <- b:
		case <-z.quit:
			return
		}
		select {
		case z.work <- b:
		case <-z.quit:
			return
		}
	}
}

func (z *bgzfReader) inflate() {
	defer z.wg.Done()
	inf := newInflater()
	for b := range z.work {
		b.err = safely(func() error { return inf.inflate(b) })
		b.done <- struct{}{}
	}
}

// readBlock reads the next member into b; io.EOF at a clean end of input.
func (z *bgzfReader) readBlock(b *block) error {
	b.raw = b.raw[:bgzfHeaderLen]
	n, err := io.ReadFull(z.src, b.raw)
	if n == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF) {
		return io.EOF
	}
	if err != nil {
		return readErr(err)
	}
	h := b.raw
	if h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || h[3]&4 == 0 {
		return errNotBGZF
	}
	xlen := int(binary.LittleEndian.Uint16(h[10:]))
	if xlen < 6 {
		return errNotBGZF
	}
	if 12+xlen+8 > maxBlock {
		return errBlockSize
	}
	// The BC subfield is usually first; otherwise read the whole extra
	// field and look for it.
	raw := b.raw[:12+xlen]
	if _, err := io.ReadFull(z.src, raw[bgzfHeaderLen:]); err != nil {
		return readErr(err)
	}
	bsize := -1
	for x := raw[12:]; len(x) >= 4; {
		slen := int(binary.LittleEndian.Uint16(x[2:]))
		if len(x) < 4+slen {
			break
		}
		if x[0] == 'B' && x[1] == 'C' && slen == 2 {
			bsize = int(binary.LittleEndian.Uint16(x[4:])) + 1
			break
		}
		x = x[4+slen:]
	}
	if bsize < 0 {
		return errNotBGZF
	}
	if bsize < 12+xlen+8 {
		return errBlockSize
	}
	raw = raw[:bsize]
	if _, err := io.ReadFull(z.src, raw[12+xlen:]); err != nil {
		return readErr(err)
	}
	b.raw = raw
	b.cdat = raw[12+xlen : bsize-8]
	b.crc = binary.LittleEndian.Uint32(raw[bsize-8:])
	b.size = int(binary.LittleEndian.Uint32(raw[bsize-4:]))
	b.eof = string(raw) == bgzfEOF
	b.err = nil
	if b.size > maxBlock {
		return errBlockSize
	}
	return nil
}

// errInternal reports a panic caught in the decompression goroutines,
// where Read's own recover cannot reach.
var errInternal = errors.New("internal error on malformed input")

// safely runs f, turning a panic into errInternal: a bug must not crash
// the caller from a goroutine.
func safely(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w (%v)", errInternal, p)
		}
	}()
	return f()
}

// readErr maps an end of input inside a block to errTruncated and passes
// other (I/O) errors on.
func readErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errTruncated
	}
	return err
}

// inflater is one worker's deflate state.
type inflater struct {
	br *bytes.Reader
	fr io.ReadCloser
}

func newInflater() *inflater {
	br := bytes.NewReader(nil)
	return &inflater{br: br, fr: flate.NewReader(br)}
}

func (f *inflater) inflate(b *block) error {
	f.br.Reset(b.cdat)
	if err := f.fr.(flate.Resetter).Reset(f.br, nil); err != nil {
		return errInflate
	}
	out := b.out[:b.size]
	if _, err := io.ReadFull(f.fr, out); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return errBlockLen
		}
		return errInflate
	}
	// The deflate stream must end exactly here.
	var one [1]byte
	if m, err := f.fr.Read(one[:]); m != 0 || err != io.EOF {
		if m != 0 {
			return errBlockLen
		}
		return errInflate
	}
	if crc32.ChecksumIEEE(out) != b.crc {
		return errBlockCRC
	}
	return nil
}

// next makes the next block current. It returns io.EOF at the clean end of
// the stream (after the end-of-file marker block).
func (z *bgzfReader) next() error {
	if z.cur != nil {
		z.free.Put(z.cur)
		z.cur = nil
	}
	var b *block
	if z.inf != nil {
		b = z.free.Get().(*block)
		err := z.readBlock(b)
		if err == io.EOF {
			z.free.Put(b)
			return z.end()
		}
		if err == nil {
			err = z.inf.inflate(b)
		}
		if err != nil {
			return err
		}
	} else {
		var ok bool
		if b, ok = <-z.order; !ok {
			return z.end()
		}
		<-b.done
		if b.err != nil {
			return b.err
		}
	}
	z.nblocks++
	z.lastEOF = b.eof // an empty block mid-stream is allowed, as in htslib
	z.cur, z.off = b, 0
	return nil
}

func (z *bgzfReader) end() error {
	switch {
	case z.nblocks == 0:
		return errEmptyInput
	case !z.lastEOF:
		return errNoEOFBlock
	}
	return io.EOF
}

// Read implements io.Reader over the inflated data. Errors other than
// io.EOF are wrapped by the caller.
func (z *bgzfReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if z.err != nil {
			return n, z.err
		}
		if z.cur == nil || z.off == z.cur.size {
			if err := z.next(); err != nil {
				z.err = err
				continue
			}
			continue
		}
		k := copy(p[n:], z.cur.out[z.off:z.cur.size])
		z.off += k
		n += k
	}
	return n, nil
}

// bgzfError describes a decompression failure; errors of the underlying
// reader (I/O) are passed on, not blamed on the format.
func bgzfError(name string, err error) error {
	switch err {
	case errNoEOFBlock:
		return fmt.Errorf("bam: %s: truncated BGZF file (no end-of-file block): %w", name, ErrFormat)
	case errNotBGZF, errBlockSize, errTruncated, errInflate, errBlockLen, errBlockCRC, errEmptyInput:
		return fmt.Errorf("bam: %s: truncated or corrupt BGZF data (%v): %w", name, err, ErrFormat)
	}
	if errors.Is(err, errInternal) {
		return fmt.Errorf("bam: %s: BGZF: %v: %w", name, err, ErrFormat)
	}
	return fmt.Errorf("bam: %s: %w", name, err)
}
