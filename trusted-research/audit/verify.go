package audit

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/transparency-dev/merkle/compact"
)

// Problem locates the first thing wrong with a log: which file, at which
// byte, for which entry and checkpoint. It never carries entry content.
// It is an error that wraps ErrCorrupt.
type Problem struct {
	File       string // EntriesFile, CheckpointsFile or PublicKeyFile
	Offset     int64  // byte offset in File where the bad record starts
	Entry      int64  // entry sequence number concerned, or -1
	Checkpoint int64  // checkpoint index concerned (0 is genesis), or -1
	Reason     string

	torn bool // the file ends inside this record
}

func (p *Problem) Error() string {
	s := fmt.Sprintf("%v: %s byte %d", ErrCorrupt, p.File, p.Offset)
	if p.Entry >= 0 {
		s += fmt.Sprintf(", entry %d", p.Entry)
	}
	if p.Checkpoint >= 0 {
		s += fmt.Sprintf(", checkpoint %d", p.Checkpoint)
	}
	return s + ": " + p.Reason
}

// Unwrap makes errors.Is(p, ErrCorrupt) true.
func (p *Problem) Unwrap() error { return ErrCorrupt }

func (p *Problem) err() error { return p }

// Report is what Verify found.
type Report struct {
	Entries          uint64 // well-formed entries read
	Checkpoints      uint64 // checkpoints whose signature, chain link and root verified (genesis included)
	Covered          uint64 // entries covered by the last verified checkpoint
	Pending          uint64 // entries after the last checkpoint, tolerated while the log is open
	Recovered        uint64 // entries sealed by Open after a crash (sum of Checkpoint.Recovered)
	EntriesBytes     int64  // bytes of the entries file read and checked
	CheckpointsBytes int64  // bytes of the checkpoints file read and checked
	Open             bool   // a writer held the log's lock
	Last             Checkpoint
	Problem          *Problem // the first problem; nil when the log is intact
}

// Verify checks the audit log in dir with the public key alone. It reads
// every byte of the entries and checkpoints files, re-derives every leaf
// and the tree at every checkpoint, and checks each checkpoint's
// signature, chain link, root, size and end offset, and the framing and
// canonical form of every record. It also checks dir/audit.pub, when
// present, is pub.
//
// The final checkpoint must cover every entry — unless another process
// has the log open (it holds the lock), in which case entries after it,
// and a partly written final record, are counted as Pending: a live
// writer's next checkpoint will cover them.
//
// The error is nil only for an intact log; a *Problem (wrapping
// ErrCorrupt) names the first problem, which is also in the Report; other
// errors are I/O failures.
func Verify(dir string, pub ed25519.PublicKey) (*Report, error) {
	r := &Report{}
	var v *verifier
	fail := func(p *Problem) (*Report, error) {
		if v != nil { // up to the problem
			r.EntriesBytes, r.CheckpointsBytes = v.entries.off, v.ckEnd
		}
		r.Problem = p
		return r, p
	}
	if len(pub) != ed25519.PublicKeySize {
		return r, fmt.Errorf("%w: public key is %d bytes", ErrInvalid, len(pub))
	}
	if b, err := os.ReadFile(filepath.Join(dir, PublicKeyFile)); err == nil {
		if k, perr := ParsePublicKey(b); perr != nil || !k.Equal(pub) {
			return fail(&Problem{File: PublicKeyFile, Entry: -1, Checkpoint: -1, Reason: "not the public key verified against"})
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return r, fmt.Errorf("audit: %w", err)
	}
	ef, err := os.Open(filepath.Join(dir, EntriesFile))
	if errors.Is(err, os.ErrNotExist) {
		return fail(&Problem{File: EntriesFile, Entry: -1, Checkpoint: -1, Reason: "file missing"})
	} else if err != nil {
		return r, fmt.Errorf("audit: %w", err)
	}
	defer ef.Close()
	cf, err := os.Open(filepath.Join(dir, CheckpointsFile))
	if errors.Is(err, os.ErrNotExist) {
		return fail(&Problem{File: CheckpointsFile, Entry: -1, Checkpoint: -1, Reason: "file missing"})
	} else if err != nil {
		return r, fmt.Errorf("audit: %w", err)
	}
	defer cf.Close()
	r.Open = isOpen(ef)
	efi, err := ef.Stat()
	if err != nil {
		return r, fmt.Errorf("audit: %w", err)
	}
	cfi, err := cf.Stat()
	if err != nil {
		return r, fmt.Errorf("audit: %w", err)
	}
	v = &verifier{r: r, entries: newFrameReader(ef, 0, MaxEntrySize, efi.Size()), rng: rangeFactory.NewEmptyRange(0)}
	ck := newFrameReader(cf, 0, CheckpointSize, cfi.Size())
	if err := ck.readHeader(checkpointsMagic); err != nil {
		return fail(&Problem{File: CheckpointsFile, Entry: -1, Checkpoint: -1, Reason: err.Error()})
	}
	if err := v.entries.readHeader(entriesMagic); err != nil {
		return fail(&Problem{File: EntriesFile, Entry: -1, Checkpoint: -1, Reason: err.Error()})
	}
	v.ckEnd = ck.off
	items := make(chan []ckItem, 4)
	done := make(chan struct{})
	defer close(done)
	go readCheckpoints(ck, pub, r.Open, items, done)
	for batch := range items {
		for i := range batch {
			if p, err := v.checkpoint(&batch[i]); p != nil || err != nil {
				if p != nil {
					return fail(p)
				}
				return r, err
			}
		}
	}
	if p, err := v.tail(); p != nil {
		return fail(p)
	} else if err != nil {
		return r, err
	}
	r.EntriesBytes, r.CheckpointsBytes = v.entries.off, ck.off // the reader has finished: items is closed
	return r, nil
}

// isOpen reports whether a writer holds the log's lock.
func isOpen(ef *os.File) bool {
	if err := lockFile(ef, false); err != nil {
		return errors.Is(err, errWouldBlock)
	}
	_ = unlockFile(ef)
	return false
}

// ckItem is one checkpoint as read, checked for framing, chain and
// signature; problem is set on the first bad one (the last item sent).
type ckItem struct {
	c       Checkpoint
	idx     int64
	off     int64
	problem *Problem
	err     error // I/O
}

// readCheckpoints parses the checkpoints file in batches, checks chain
// links in order and signatures in parallel, and sends each batch in
// order. It stops after the first bad checkpoint.
func readCheckpoints(fr *frameReader, pub ed25519.PublicKey, open bool, out chan<- []ckItem, done <-chan struct{}) {
	defer close(out)
	const batchSize = 256
	workers := runtime.GOMAXPROCS(0)
	var prev *Checkpoint
	var prevHash [32]byte
	var idx int64
	for {
		batch := make([]ckItem, 0, batchSize)
		stop := false
		for len(batch) < batchSize && !stop {
			p, start, err := fr.next()
			if err == io.EOF {
				stop = true
				break
			}
			it := ckItem{idx: idx, off: start}
			idx++
			switch {
			case err == errTorn && open:
				stop = true // a live writer is mid-append
				continue
			case isFrameErr(err):
				it.problem = &Problem{File: CheckpointsFile, Offset: start, Entry: -1, Checkpoint: it.idx, Reason: err.Error()}
			case err != nil:
				it.err = fmt.Errorf("audit: read checkpoints: %w", err)
			default:
				c, perr := ParseCheckpoint(p)
				if perr != nil {
					it.problem = &Problem{File: CheckpointsFile, Offset: start, Entry: -1, Checkpoint: it.idx, Reason: "malformed checkpoint"}
				} else if reason := chainLink(prev, prevHash, &c); reason != "" {
					it.problem = &Problem{File: CheckpointsFile, Offset: start, Entry: -1, Checkpoint: it.idx, Reason: reason}
				} else {
					it.c = c
					prev, prevHash = &it.c, c.Hash()
				}
			}
			batch = append(batch, it)
			if it.problem != nil || it.err != nil {
				stop = true
			}
		}
		if idx == 0 && len(batch) == 0 {
			batch = append(batch, ckItem{problem: &Problem{File: CheckpointsFile, Offset: fr.off, Entry: -1, Checkpoint: 0, Reason: "no genesis checkpoint"}})
		}
		verifySignatures(batch, pub, workers)
		for i := range batch { // cut the batch after its first problem
			if batch[i].problem != nil || batch[i].err != nil {
				batch = batch[:i+1]
				stop = true
				break
			}
		}
		if len(batch) > 0 {
			select {
			case out <- batch:
			case <-done:
				return
			}
		}
		if stop {
			return
		}
	}
}

// verifySignatures checks the signatures of the batch's good items on
// workers goroutines, marking a failure as the item's problem.
func verifySignatures(batch []ckItem, pub ed25519.PublicKey, workers int) {
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(batch); i += workers {
				it := &batch[i]
				if it.problem == nil && it.err == nil && it.c.VerifySignature(pub) != nil {
					it.problem = &Problem{File: CheckpointsFile, Offset: it.off, Entry: -1, Checkpoint: it.idx,
						Reason: "signature does not verify"}
				}
			}
		}(w)
	}
	wg.Wait()
}

// verifier walks the entries file in step with the checkpoints.
type verifier struct {
	r       *Report
	entries *frameReader
	rng     *compact.Range
	ckEnd   int64 // offset just past the last verified checkpoint
	count   uint64
	segOff  int64 // offset of the first entry after the last verified checkpoint
}

// entry reads, checks and hashes the next entry. At a clean end of file it
// returns (false, nil, nil).
func (v *verifier) entry() (ok bool, p *Problem, err error) {
	payload, start, ferr := v.entries.next()
	if ferr == io.EOF {
		return false, nil, nil
	}
	if ferr != nil {
		if isFrameErr(ferr) {
			return false, &Problem{File: EntriesFile, Offset: start, Entry: int64(v.count), Checkpoint: -1,
				Reason: ferr.Error(), torn: ferr == errTorn}, nil
		}
		return false, nil, fmt.Errorf("audit: read entries: %w", ferr)
	}
	e, perr := ParseEntry(payload)
	if perr != nil {
		return false, &Problem{File: EntriesFile, Offset: start, Entry: int64(v.count), Checkpoint: -1, Reason: "not a canonical entry"}, nil
	}
	if e.Seq != v.count {
		return false, &Problem{File: EntriesFile, Offset: start, Entry: int64(v.count), Checkpoint: -1,
			Reason: fmt.Sprintf("entry carries sequence number %d", e.Seq)}, nil
	}
	if err := v.rng.Append(hasher.HashLeaf(payload), nil); err != nil {
		return false, nil, err
	}
	v.count++
	v.r.Entries = v.count
	return true, nil, nil
}

// checkpoint advances the entries to the checkpoint's size and checks its
// end offset and root.
func (v *verifier) checkpoint(it *ckItem) (*Problem, error) {
	if it.problem != nil || it.err != nil {
		return it.problem, it.err
	}
	c := &it.c
	for v.count < c.Size {
		ok, p, err := v.entry()
		if p != nil || err != nil {
			return p, err
		}
		if !ok {
			return &Problem{File: EntriesFile, Offset: v.entries.off, Entry: int64(v.count), Checkpoint: it.idx,
				Reason: fmt.Sprintf("file ends after %d entries; checkpoint covers %d", v.count, c.Size)}, nil
		}
	}
	if uint64(v.entries.off) != c.End {
		return &Problem{File: CheckpointsFile, Offset: it.off, Entry: int64(v.count), Checkpoint: it.idx,
			Reason: fmt.Sprintf("covered entries end at byte %d, checkpoint says %d", v.entries.off, c.End)}, nil
	}
	root := emptyRoot
	if v.count > 0 {
		h, err := v.rng.GetRootHash(nil)
		if err != nil {
			return nil, err
		}
		copy(root[:], h)
	}
	if root != c.Root {
		first := v.r.Covered
		return &Problem{File: EntriesFile, Offset: v.segOff, Entry: int64(first), Checkpoint: it.idx,
			Reason: fmt.Sprintf("entries %d to %d do not hash to the checkpoint's root", first, c.Size-1)}, nil
	}
	v.r.Checkpoints++
	v.r.Covered = c.Size
	v.r.Recovered += c.Recovered
	v.r.Last = *c
	v.segOff = v.entries.off
	v.ckEnd = it.off + frameOverhead + CheckpointSize
	return nil, nil
}

// tail reads the entries after the last checkpoint: an error unless the
// log is open.
func (v *verifier) tail() (*Problem, error) {
	for {
		ok, p, err := v.entry()
		if err != nil {
			return nil, err
		}
		if p != nil {
			if v.r.Open && p.torn {
				break // a live writer is mid-append
			}
			return p, nil
		}
		if !ok {
			break
		}
	}
	v.r.Pending = v.count - v.r.Covered
	if v.r.Pending > 0 && !v.r.Open {
		return &Problem{File: EntriesFile, Offset: v.segOff, Entry: int64(v.r.Covered), Checkpoint: -1,
			Reason: fmt.Sprintf("%d entries after the last checkpoint are not covered by a signed checkpoint", v.r.Pending)}, nil
	}
	return nil, nil
}
