package audit

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Append adds e to the log and returns its sequence number. It sets e.Seq,
// and e.Time when zero, and returns once the entry is durable — and, with
// the default CheckpointEvery of 1, covered by a durable signed
// checkpoint. Concurrent Appends are committed together (one write, one
// fsync, one checkpoint per batch).
//
// A caller must not act on the audited operation (release an answer,
// commit an ingest) unless Append succeeded. After a write error every
// Append fails with ErrBroken until the log is reopened.
func (l *Log) Append(e Entry) (seq uint64, err error) {
	if e.Time.IsZero() {
		e.Time = l.opts.Now()
	}
	if err := e.validate(); err != nil {
		return 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing {
		return 0, ErrClosed
	}
	if l.err != nil {
		return 0, l.err
	}
	e.Seq = l.next
	start := len(l.pending)
	l.pending = append(l.pending, make([]byte, frameOverhead)...)
	l.pending = e.appendCanonical(l.pending)
	p := l.pending[start+frameOverhead:]
	if len(p) > MaxEntrySize {
		l.pending = l.pending[:start]
		return 0, fmt.Errorf("%w: entry larger than %d bytes", ErrInvalid, MaxEntrySize)
	}
	binary.BigEndian.PutUint32(l.pending[start:], uint32(len(p)))
	binary.BigEndian.PutUint32(l.pending[start+4:], crc32.Checksum(p, castagnoli))
	seq = l.next
	l.next++

	for l.acked <= seq {
		if l.err != nil {
			return 0, l.err
		}
		if !l.committing {
			l.commitLocked()
			continue
		}
		l.cond.Wait()
	}
	return seq, nil
}

// commitLocked writes the pending batch as the leader. It is called with
// l.mu held and no leader active; it releases l.mu during the I/O.
func (l *Log) commitLocked() {
	batch, first, n := l.pending, l.acked, l.next-l.acked
	l.pending, l.spare = l.spare[:0], nil
	l.committing = true
	l.mu.Unlock()
	err := l.writeBatch(batch, n)
	l.mu.Lock()
	if cap(batch) <= 4<<20 {
		l.spare = batch[:0]
	}
	l.committing = false
	if err != nil {
		if l.err == nil {
			l.err = fmt.Errorf("%w: %v", ErrBroken, err)
		}
	} else {
		l.acked = first + n
	}
	l.cond.Broadcast()
}

// writeBatch appends n framed entries, fsyncs, adds them to the tree and
// checkpoints if due. Called by the writer only.
func (l *Log) writeBatch(batch []byte, n uint64) error {
	if _, err := l.ef.Write(batch); err != nil {
		return fmt.Errorf("write entries: %w", err)
	}
	if !l.opts.NoSync {
		if err := l.ef.Sync(); err != nil {
			return fmt.Errorf("sync entries: %w", err)
		}
	}
	leaves := make([][]byte, 0, n)
	for p := batch; len(p) > 0; {
		size := int(binary.BigEndian.Uint32(p))
		leaves = append(leaves, hasher.HashLeaf(p[frameOverhead:frameOverhead+size]))
		p = p[frameOverhead+size:]
	}
	l.t.mu.Lock()
	off := l.end
	for p, i := batch, 0; len(p) > 0; i++ {
		size := int64(binary.BigEndian.Uint32(p))
		l.t.add(leaves[i], off)
		off += frameOverhead + size
		p = p[frameOverhead+size:]
	}
	l.t.mu.Unlock()
	l.end = off
	l.uncovered += n
	if l.uncovered >= uint64(l.opts.CheckpointEvery) {
		return l.writeCheckpoint(0)
	}
	return nil
}

// writeCheckpoint signs and appends a checkpoint covering the whole tree.
// Called by the writer only.
func (l *Log) writeCheckpoint(recovered uint64) error {
	prev := l.last.Load()
	now := l.opts.Now().UTC()
	if now.Before(prev.Time) { // checkpoint times never go backwards
		now = prev.Time
	}
	c := &Checkpoint{
		Size: l.t.size(), End: uint64(l.end), Time: now, Recovered: recovered,
		Root: l.t.root(), Prev: l.lastHash,
	}
	c.sign(l.key)
	if _, err := l.cf.Write(appendFrame(nil, c.bytes())); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if !l.opts.NoSync {
		if err := l.cf.Sync(); err != nil {
			return fmt.Errorf("sync checkpoint: %w", err)
		}
	}
	l.lastHash = c.Hash()
	l.last.Store(c)
	l.uncovered = 0
	return nil
}
