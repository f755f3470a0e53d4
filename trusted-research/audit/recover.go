package audit

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
)

// recover is Open's scan: read the checkpoint chain, rebuild the tree from
// every entry, check the covered part against the last checkpoint, and
// repair the uncovered tail. It changes no file unless every check passed.
func (l *Log) recover(pub ed25519.PublicKey) error {
	last, lastHash, ckEnd, ckSize, err := scanChain(l.cf)
	if err != nil {
		return err
	}
	if err := last.VerifySignature(pub); err != nil {
		return (&Problem{File: CheckpointsFile, Offset: ckEnd - frameOverhead - CheckpointSize, Entry: -1, Checkpoint: -1,
			Reason: "last checkpoint's signature does not verify"}).err()
	}

	fi, err := l.ef.Stat()
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	size := fi.Size()
	fr := newFrameReader(io.NewSectionReader(l.ef, 0, size), 0, MaxEntrySize, size)
	if err := fr.readHeader(entriesMagic); err != nil {
		return (&Problem{File: EntriesFile, Entry: -1, Checkpoint: -1, Reason: err.Error()}).err()
	}
	boundary := func(count uint64, off int64) error {
		if uint64(off) != last.End {
			return (&Problem{File: EntriesFile, Offset: off, Entry: int64(count), Checkpoint: -1,
				Reason: fmt.Sprintf("covered entries end at byte %d, the last checkpoint says %d", off, last.End)}).err()
		}
		if l.t.root() != last.Root {
			return (&Problem{File: EntriesFile, Offset: off, Entry: int64(count), Checkpoint: -1,
				Reason: "the covered entries' root does not match the last checkpoint"}).err()
		}
		return nil
	}
	if last.Size == 0 {
		if err := boundary(0, fr.off); err != nil {
			return err
		}
	}
	var count, tail uint64
	tornAt := int64(-1)
	for {
		p, start, err := fr.next()
		if err == io.EOF {
			break
		}
		if err != nil && !isFrameErr(err) {
			return fmt.Errorf("audit: read entries: %w", err)
		}
		if count < last.Size {
			if err != nil {
				return (&Problem{File: EntriesFile, Offset: start, Entry: int64(count), Checkpoint: -1, Reason: err.Error()}).err()
			}
			l.t.add(hasher.HashLeaf(p), start)
			count++
			if count == last.Size {
				if err := boundary(count, fr.off); err != nil {
					return err
				}
			}
			continue
		}
		if err != nil { // torn tail: never acknowledged, never covered
			tornAt = start
			break
		}
		e, perr := ParseEntry(p)
		if perr != nil || e.Seq != count {
			return (&Problem{File: EntriesFile, Offset: start, Entry: int64(count), Checkpoint: -1,
				Reason: "uncovered record has a valid checksum but is not the next entry"}).err()
		}
		l.t.add(hasher.HashLeaf(p), start)
		count++
		tail++
	}
	if count < last.Size {
		return (&Problem{File: EntriesFile, Offset: size, Entry: int64(count), Checkpoint: -1,
			Reason: fmt.Sprintf("file ends after %d entries; the last checkpoint covers %d", count, last.Size)}).err()
	}
	if tail > 0 && l.opts.StrictOpen {
		return fmt.Errorf("%w: %d entries from entry %d", ErrUncovered, tail, last.Size)
	}

	// Every check passed: repair.
	l.end = size
	if tornAt >= 0 {
		if err := l.truncate(l.ef, tornAt); err != nil {
			return err
		}
		l.recovery.TornEntryBytes = size - tornAt
		l.end = tornAt
	}
	if ckEnd < ckSize {
		if err := l.truncate(l.cf, ckEnd); err != nil {
			return err
		}
		l.recovery.TornCheckpointBytes = ckSize - ckEnd
	}
	l.next, l.acked = count, count
	l.lastHash = lastHash
	l.last.Store(last)
	if tail > 0 {
		l.uncovered = tail
		if err := l.writeCheckpoint(tail); err != nil {
			return fmt.Errorf("audit: seal: %w", err)
		}
		l.recovery.Sealed = tail
	}
	return nil
}

func (l *Log) truncate(f interface {
	Truncate(int64) error
	Sync() error
}, at int64) error {
	if err := f.Truncate(at); err != nil {
		return fmt.Errorf("audit: truncate torn record: %w", err)
	}
	if l.opts.NoSync {
		return nil
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("audit: truncate torn record: %w", err)
	}
	return nil
}

// scanChain reads the checkpoints file, checks its header and every chain
// link, and returns the last complete checkpoint, its hash, the offset
// just past it, and the file's size. A bad final frame that reaches the
// end of the file the way a crash leaves it (tornCheckpoint) is a torn
// write, and the returned end is before it; any other bad frame is
// ErrCorrupt.
func scanChain(f *os.File) (last *Checkpoint, lastHash [32]byte, end, size int64, err error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, lastHash, 0, 0, fmt.Errorf("audit: %w", err)
	}
	size = fi.Size()
	fr := newFrameReader(io.NewSectionReader(f, 0, size), 0, CheckpointSize, size)
	if err := fr.readHeader(checkpointsMagic); err != nil {
		return nil, lastHash, 0, 0, (&Problem{File: CheckpointsFile, Entry: -1, Checkpoint: -1, Reason: err.Error()}).err()
	}
	end = fr.off
	var idx int64
	for ; ; idx++ {
		p, start, ferr := fr.next()
		if ferr == io.EOF {
			break
		}
		if ferr != nil {
			if !isFrameErr(ferr) {
				return nil, lastHash, 0, 0, fmt.Errorf("audit: read checkpoints: %w", ferr)
			}
			if torn, terr := tornCheckpoint(f, start, size); terr != nil {
				return nil, lastHash, 0, 0, terr
			} else if torn {
				break
			}
			return nil, lastHash, 0, 0, (&Problem{File: CheckpointsFile, Offset: start, Entry: -1, Checkpoint: idx, Reason: ferr.Error()}).err()
		}
		c, perr := ParseCheckpoint(p)
		if perr == nil {
			if reason := chainLink(last, lastHash, &c); reason != "" {
				perr = fmt.Errorf("%s", reason)
			}
		}
		if perr != nil {
			return nil, lastHash, 0, 0, (&Problem{File: CheckpointsFile, Offset: start, Entry: -1, Checkpoint: idx, Reason: perr.Error()}).err()
		}
		last, lastHash, end = &c, c.Hash(), fr.off
	}
	if last == nil {
		return nil, lastHash, 0, 0, (&Problem{File: CheckpointsFile, Offset: headerSize, Entry: -1, Checkpoint: 0,
			Reason: "no genesis checkpoint"}).err()
	}
	return last, lastHash, end, size, nil
}

// chainLink checks c against its predecessor prev (nil for the first
// checkpoint) and returns what is wrong, or "".
func chainLink(prev *Checkpoint, prevHash [32]byte, c *Checkpoint) string {
	if prev == nil {
		switch {
		case c.Prev != [32]byte{}:
			return "first checkpoint has a previous-checkpoint hash"
		case c.Size != 0 || c.End != headerSize || c.Recovered != 0:
			return "first checkpoint is not the empty genesis checkpoint"
		case c.Root != emptyRoot:
			return "genesis checkpoint root is not the empty root"
		}
		return ""
	}
	switch {
	case c.Prev != prevHash:
		return "chain broken: previous-checkpoint hash does not match"
	case c.Size < prev.Size:
		return "tree size shrinks"
	case c.End < prev.End || (c.End == prev.End) != (c.Size == prev.Size):
		return "entries end offset inconsistent with the previous checkpoint"
	case c.Recovered > c.Size-prev.Size:
		return "recovered count exceeds the entries added"
	case c.Time.Before(prev.Time):
		return "time goes backwards"
	case c.Size == prev.Size && c.Root != prev.Root:
		return "same size, different root"
	}
	return ""
}

// sectorSize is the unit in which a crash can lose written data: a write
// that did not reach the disk leaves zeros from a sector boundary on, or a
// shorter file.
const sectorSize = 512

// tornCheckpoint reports whether the bad frame at start, in a checkpoints
// file of the given size, is what an interrupted append leaves: the file
// ends before a whole checkpoint frame, or the frame is the last one and
// is all zeros from some sector boundary inside it to the end of the file.
// A changed byte anywhere else is not torn: Open refuses it.
func tornCheckpoint(f io.ReaderAt, start, size int64) (bool, error) {
	const frame = frameOverhead + CheckpointSize
	switch rem := size - start; {
	case rem < frame:
		return true, nil
	case rem > frame:
		return false, nil
	}
	b := make([]byte, frame)
	if _, err := f.ReadAt(b, start); err != nil {
		return false, fmt.Errorf("audit: read checkpoints: %w", err)
	}
	i := len(b) // b[i:] is the all-zero suffix
	for i > 0 && b[i-1] == 0 {
		i--
	}
	zeroFrom := start + int64(i)
	boundary := (zeroFrom + sectorSize - 1) / sectorSize * sectorSize
	return i < len(b) && boundary < size, nil
}
