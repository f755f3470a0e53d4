// Package bgzf reads BGZF streams (SAM spec §4.1) fast: one goroutine reads
// whole blocks, a pool of workers inflates them in parallel, and Read hands
// the data back in order. Every block's header, CRC32 and ISIZE are checked,
// and a stream must end with the end-of-file marker block.
//
// Inflation is pure Go (klauspost/compress/flate) by default; built with
// cgo and -tags libdeflate it is libdeflate (about 3× faster), see
// Implementation.
package bgzf

import (
	"bufio"
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

// Batching: the reader goroutine hands workers up to batchBlocks blocks at
// a time, and at most 2*threads+2 batches are in flight (bounded memory:
// at worst 1.5 MiB a batch, 1 MiB compressed and 512 KiB inflated).
const batchBlocks = 8

// ErrClosed is returned by Read after Close.
var ErrClosed = errors.New("bgzf: read after Close")

// Reader is an io.Reader over the decompressed data of a BGZF stream.
// It is not safe for concurrent use, except Offset.
type Reader struct {
	in      *bufio.Reader
	ordered chan *batch // batches in stream order, to Read
	jobs    chan *batch // batches to inflate, to the workers
	free    chan *batch // consumed batches, back to the reader goroutine
	quit    chan struct{}
	wg      sync.WaitGroup
	close   sync.Once

	cur  *batch // the batch Read is handing out, or nil
	pos  int    // next byte of cur.out
	next int    // first block of cur whose data Read has not started
	err  error  // sticky
	off  atomic.Int64
}

// batch is a run of consecutive blocks: read by the reader goroutine,
// inflated by one worker, then handed out by Read.
type batch struct {
	comp   []byte
	blocks []block
	out    []byte
	err    error // what stopped the stream after these blocks (io.EOF at a clean end)
	done   chan struct{}
}

// NewReader returns a Reader decompressing r with threads inflating
// workers (at least 1). It starts reading at once; errors, including
// input that is not BGZF, are reported by Read. Close releases the
// goroutines; it does not close r.
func NewReader(r io.Reader, threads int) *Reader {
	return newReader(r, threads, newInflater)
}

// newReader is NewReader with a given kind of inflater.
func newReader(r io.Reader, threads int, newInf func() (inflater, error)) *Reader {
	threads = max(threads, 1)
	in, ok := r.(*bufio.Reader)
	if !ok {
		in = bufio.NewReaderSize(r, 128<<10)
	}
	n := 2*threads + 2
	z := &Reader{
		in:      in,
		ordered: make(chan *batch, n),
		jobs:    make(chan *batch, n),
		free:    make(chan *batch, n),
		quit:    make(chan struct{}),
	}
	for range n {
		z.free <- &batch{done: make(chan struct{}, 1)}
	}
	inf := make([]inflater, threads)
	var err error
	for i := range inf {
		if inf[i], err = newInf(); err != nil {
			break
		}
	}
	z.wg.Add(1)
	go z.readLoop(err)
	for _, f := range inf {
		if f == nil {
			break
		}
		z.wg.Add(1)
		go z.work(f)
	}
	return z
}

// readLoop reads blocks into batches and sends each to both a worker and
// Read, in order. It stops after the first error (or the end), which
// travels in the last batch. initErr is a failure to set up the workers.
func (z *Reader) readLoop(initErr error) {
	defer z.wg.Done()
	defer close(z.jobs)
	var off int64
	lastEOF := false
	for {
		var b *batch
		select {
		case b = <-z.free:
		case <-z.quit:
			return
		}
		b.comp, b.blocks, b.out, b.err = b.comp[:0], b.blocks[:0], b.out[:0], nil
		if initErr != nil {
			b.err = initErr
			b.done <- struct{}{} // no workers
			z.ordered <- b
			return
		}
		outLen := 0
		for b.err == nil && len(b.blocks) < batchBlocks {
			blk, err := readBlock(z.in, &b.comp, off)
			if err == io.EOF && !lastEOF {
				err = &Error{Offset: off, Kind: ErrNoEOF}
			}
			if err != nil {
				b.err = err
				break
			}
			blk.outOff = outLen
			outLen += blk.isize
			b.blocks = append(b.blocks, blk)
			off += int64(blk.end - blk.start)
			lastEOF = string(b.comp[blk.start:blk.end]) == eofBlock
		}
		if cap(b.out) < outLen {
			b.out = make([]byte, outLen, batchBlocks*maxISize)
		}
		b.out = b.out[:outLen]
		last := b.err != nil // b belongs to the worker once sent
		// Neither send blocks: at most cap(free) batches exist.
		z.ordered <- b
		z.jobs <- b
		if last {
			return
		}
	}
}

// work inflates batches until the reader goroutine stops.
func (z *Reader) work(f inflater) {
	defer z.wg.Done()
	defer f.close()
	for b := range z.jobs {
		select {
		case <-z.quit: // closed: nobody will read it
		default:
			b.inflate(f)
		}
		b.done <- struct{}{}
	}
}

// inflate inflates and checks every block of b; at the first bad block it
// drops that block and the rest, and records the error.
func (b *batch) inflate(f inflater) {
	for i := range b.blocks {
		blk := &b.blocks[i]
		out := b.out[blk.outOff : blk.outOff+blk.isize]
		err := f.inflate(out, b.comp[blk.payload:blk.end-trailerSize])
		switch {
		case err == errSize:
			err = corrupt(blk.offset, ErrSize, "ISIZE %d", blk.isize)
		case err != nil:
			err = &Error{Offset: blk.offset, Kind: ErrDeflate, Detail: err.Error()}
		default:
			if crc := f.crc32(out); crc != blk.crc {
				err = corrupt(blk.offset, ErrChecksum, "stored %08x, data %08x", blk.crc, crc)
			}
		}
		if err != nil {
			b.blocks = b.blocks[:i]
			b.out = b.out[:blk.outOff]
			b.err = err
			return
		}
	}
}

// Read reads decompressed data. It returns io.EOF after the end-of-file
// block at the end of the stream, and an error wrapping ErrCorrupt (or the
// input's own error) after all the data preceding the problem.
func (z *Reader) Read(p []byte) (int, error) {
	for {
		if z.cur != nil && z.pos < len(z.cur.out) {
			n := copy(p, z.cur.out[z.pos:])
			z.pos += n
			z.advance(false)
			return n, nil
		}
		if z.err != nil {
			return 0, z.err
		}
		if z.cur != nil {
			z.advance(true)
			if z.cur.err != nil {
				z.err = z.cur.err
				return 0, z.err
			}
			z.free <- z.cur
			z.cur = nil
		}
		select {
		case b := <-z.ordered:
			<-b.done
			z.cur, z.pos, z.next = b, 0, 0
		case <-z.quit:
			z.err = ErrClosed
		}
	}
}

// advance moves Offset past the blocks whose data Read has started to hand
// out, or past all the batch's blocks once it is used up.
func (z *Reader) advance(all bool) {
	b := z.cur
	for z.next < len(b.blocks) && (all || b.blocks[z.next].outOff < z.pos) {
		blk := &b.blocks[z.next]
		z.off.Store(blk.offset + int64(blk.end-blk.start))
		z.next++
	}
}

// Offset returns the number of compressed bytes consumed: the end of the
// last block whose data Read has started to return (the whole stream after
// io.EOF). It may be called concurrently with Read.
func (z *Reader) Offset() int64 { return z.off.Load() }

// Close stops the goroutines and waits for them (a read of the input in
// progress finishes first). Read after Close returns ErrClosed. Close does
// not close the input and always returns nil.
func (z *Reader) Close() error {
	z.close.Do(func() {
		close(z.quit)
		z.wg.Wait()
		z.cur = nil
		if z.err == nil {
			z.err = ErrClosed
		}
	})
	return nil
}
