package bam

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gentre/gentre/engine/coverage"
)

// ReadFile opens the BAM file at path and calls Read; opts.Name defaults to
// the base name of path.
func ReadFile(path string, opts Options) (*coverage.Sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bam: %w", err)
	}
	defer f.Close()
	if opts.Name == "" {
		opts.Name = filepath.Base(path)
	}
	return Read(f, opts)
}

// Read computes the coverage and QC of the coordinate-sorted BAM stream r
// in one pass (docs/coverage.md): the depth of every base of every
// reference sequence as `samtools depth -a` counts it (with opts.MinMapQ
// and opts.MinBaseQ as its -Q and -q), and the `samtools flagstat` counts.
// Every problem with the input is an error wrapping ErrFormat that names
// opts.Name and the record number; Read never panics on hostile input.
// Read does not close r.
func Read(r io.Reader, opts Options) (sample *coverage.Sample, err error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	st := newStream(r, opts)
	defer st.close()
	c := newCounter(opts)
	defer func() {
		// Belt and braces: a decoding bug must not crash the caller.
		if p := recover(); p != nil {
			sample, err = nil, c.errorf("internal error on malformed input (%v)", p)
		}
	}()
	refs, err := st.readHeader()
	if err != nil {
		return nil, err
	}
	c.setRefs(refs)
	for {
		b, atEOF := st.next(4)
		if b == nil {
			if atEOF {
				break
			}
			return nil, c.streamError(st)
		}
		c.n++
		size := int32(binary.LittleEndian.Uint32(b))
		if size < fixedLen {
			return nil, c.errorf("%v (block size %d)", errShortBlock, size)
		}
		body, _ := st.next(int(size))
		if body == nil {
			return nil, c.streamError(st)
		}
		if err := c.rec.decode(body); err != nil {
			return nil, c.errorf("%v", err)
		}
		if err := c.add(&c.rec); err != nil {
			return nil, err
		}
	}
	return c.finish()
}

// counter accumulates the depth runs and flagstat counts.
type counter struct {
	name     string
	refs     []reference
	minMapQ  uint8
	minBaseQ int

	n   int64 // records read (1-based number of the current one)
	rec record

	// Order check.
	lastRef, lastPos int32
	unplaced         bool // a record without a reference was seen

	fs      coverage.Flagstat
	sw      sweep
	curRef  int32 // contig being swept, -1 before the first
	contigs []*coverage.Contig
	reads   int64 // reads counted on curRef
}

func newCounter(opts Options) *counter {
	return &counter{
		name:    opts.Name,
		minMapQ: uint8(opts.MinMapQ), minBaseQ: opts.MinBaseQ,
		lastRef: -1, lastPos: -1, curRef: -1,
	}
}

func (c *counter) setRefs(refs []reference) {
	c.refs = refs
	c.contigs = make([]*coverage.Contig, len(refs))
}

func (c *counter) errorf(format string, args ...any) error {
	where := fmt.Sprintf("record %d", c.n)
	if c.n == 0 {
		where = "header"
	}
	return fmt.Errorf("bam: %s: %s: %s: %w", c.name, where, fmt.Sprintf(format, args...), ErrFormat)
}

// streamError reports a failed read: the stream's own error (compression),
// or a record cut short by the end of the data.
func (c *counter) streamError(st *stream) error {
	if st.err != nil {
		return fmt.Errorf("%w (at record %d)", st.err, c.n)
	}
	return c.errorf("truncated record")
}

// add checks one record's references and order, then counts it.
func (c *counter) add(rec *record) error {
	nref := int32(len(c.refs))
	if rec.refID < -1 || rec.refID >= nref {
		return c.errorf("reference id %d out of range (%d references)", rec.refID, nref)
	}
	if rec.mateRefID < -1 || rec.mateRefID >= nref {
		return c.errorf("mate reference id %d out of range (%d references)", rec.mateRefID, nref)
	}
	if rec.pos < -1 {
		return c.errorf("position %d out of range", int64(rec.pos)+1)
	}
	if rec.refID >= 0 {
		if rec.pos >= c.refs[rec.refID].length {
			return c.errorf("position %d beyond the end of reference %d (length %d)",
				int64(rec.pos)+1, rec.refID, c.refs[rec.refID].length)
		}
		if rec.pos < 0 && rec.flag&flagUnmapped == 0 {
			return c.errorf("mapped record without a position")
		}
	}
	if err := c.checkOrder(rec); err != nil {
		return err
	}
	c.countFlags(rec)
	if rec.refID < 0 || rec.flag&depthSkip != 0 || rec.mapQ < c.minMapQ {
		return nil
	}
	if rec.refID != c.curRef {
		c.finishContig()
		c.curRef = rec.refID
		c.sw.reset(uint32(c.refs[rec.refID].length))
	}
	c.reads++
	c.sw.advance(uint32(rec.pos))
	c.sw.addRead(int64(rec.pos), rec.cigar, rec.qual, c.minBaseQ)
	return nil
}

// checkOrder requires coordinate order judged by the records themselves:
// reference id, then position; records without a reference come last.
func (c *counter) checkOrder(rec *record) error {
	if rec.refID < 0 {
		c.unplaced = true
		return nil
	}
	if c.unplaced || rec.refID < c.lastRef || (rec.refID == c.lastRef && rec.pos < c.lastPos) {
		return c.errorf("records out of coordinate order (BAM must be sorted by coordinate)")
	}
	c.lastRef, c.lastPos = rec.refID, rec.pos
	return nil
}

// countFlags counts the record as samtools flagstat 1.16 does.
func (c *counter) countFlags(rec *record) {
	f, fs := rec.flag, &c.fs
	w := 0
	if f&flagQCFail != 0 {
		w = 1
	}
	fs.Total[w]++
	switch {
	case f&flagSecondary != 0:
		fs.Secondary[w]++
	case f&flagSupplementary != 0:
		fs.Supplementary[w]++
	default:
		fs.Primary[w]++
		if f&flagPaired != 0 {
			fs.Paired[w]++
			if f&flagProperPair != 0 && f&flagUnmapped == 0 {
				fs.ProperlyPaired[w]++
			}
			if f&flagRead1 != 0 {
				fs.Read1[w]++
			}
			if f&flagRead2 != 0 {
				fs.Read2[w]++
			}
			if f&flagMateUnmapped != 0 && f&flagUnmapped == 0 {
				fs.Singletons[w]++
			}
			if f&(flagUnmapped|flagMateUnmapped) == 0 {
				fs.BothMapped[w]++
				if rec.mateRefID != rec.refID {
					fs.MateDiffChr[w]++
					if rec.mapQ >= 5 {
						fs.MateDiffChrMapQ5[w]++
					}
				}
			}
		}
		if f&flagUnmapped == 0 {
			fs.PrimaryMapped[w]++
		}
		if f&flagDuplicate != 0 {
			fs.PrimaryDuplicates[w]++
		}
	}
	if f&flagUnmapped == 0 {
		fs.Mapped[w]++
	}
	if f&flagDuplicate != 0 {
		fs.Duplicates[w]++
	}
}

// finishContig stores the runs of the contig being swept.
func (c *counter) finishContig() {
	if c.curRef < 0 {
		return
	}
	ends, depths := c.sw.finish()
	ref := c.refs[c.curRef]
	ct, err := coverage.NewContig(ref.name, int64(ref.length), ends, depths, c.reads)
	if err != nil {
		panic(err) // the sweep's invariants are ours
	}
	c.contigs[c.curRef] = ct
	c.reads = 0
}

func (c *counter) finish() (*coverage.Sample, error) {
	c.finishContig()
	for i, ct := range c.contigs {
		if ct != nil {
			continue
		}
		ref := c.refs[i]
		var ends, depths []uint32
		if ref.length > 0 {
			ends, depths = []uint32{uint32(ref.length)}, []uint32{0}
		}
		ct, err := coverage.NewContig(ref.name, int64(ref.length), ends, depths, 0)
		if err != nil {
			return nil, err
		}
		c.contigs[i] = ct
	}
	s, err := coverage.NewSample(c.contigs, c.fs)
	if err != nil {
		return nil, fmt.Errorf("bam: %s: %w", c.name, err) // cannot happen: names were checked
	}
	return s, nil
}
