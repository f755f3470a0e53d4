package audit

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// refRoot is RFC 6962's MTH, straight from the definition: the slow
// reference for the incremental tree.
func refRoot(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		h := sha256.Sum256(nil)
		return h[:]
	case 1:
		h := sha256.Sum256(append([]byte{0}, leaves[0]...))
		return h[:]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	h := sha256.Sum256(append(append([]byte{1}, refRoot(leaves[:k])...), refRoot(leaves[k:])...))
	return h[:]
}

// proofLog is an open log of n entries (crossing several stored-node
// groups) and its entries' canonical bytes.
func proofLog(t *testing.T, n int) (*Log, [][]byte, testLog) {
	tl := newTestLog(t)
	tl.build(t, n, &Options{NoSync: true, CheckpointEvery: 16})
	l := tl.open(t, nil)
	t.Cleanup(func() { l.Close() })
	leaves := make([][]byte, n)
	for i := range leaves {
		b, err := l.Entry(uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		leaves[i] = b
	}
	return l, leaves, tl
}

func TestRootsMatchReference(t *testing.T) {
	const n = 70
	l, leaves, _ := proofLog(t, n)
	for size := 0; size <= n; size++ {
		got, err := l.RootAt(uint64(size))
		if err != nil {
			t.Fatal(err)
		}
		if want := refRoot(leaves[:size]); !bytes.Equal(got, want) {
			t.Fatalf("root of size %d differs from the reference", size)
		}
	}
	if c := l.Checkpoint(); !bytes.Equal(c.Root[:], refRoot(leaves)) {
		t.Error("checkpoint root differs from the reference")
	}
	if _, err := l.RootAt(n + 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("RootAt beyond the log: %v", err)
	}
}

func TestInclusionProofs(t *testing.T) {
	const n = 70
	l, leaves, _ := proofLog(t, n)
	for size := uint64(1); size <= n; size++ {
		root := refRoot(leaves[:size])
		for seq := uint64(0); seq < size; seq++ {
			p, err := l.InclusionProof(seq, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyInclusion(leaves[seq], seq, size, p, root); err != nil {
				t.Fatalf("inclusion of %d in %d: %v", seq, size, err)
			}
			// Tampered: every way must fail.
			bad := func(what string, entry []byte, seq2, size2 uint64, p2 [][]byte, root2 []byte) {
				if err := VerifyInclusion(entry, seq2, size2, p2, root2); !errors.Is(err, ErrProof) {
					t.Fatalf("inclusion of %d in %d, %s: verified (%v)", seq, size, what, err)
				}
			}
			other := leaves[(seq+1)%size]
			if size > 1 {
				bad("other entry", other, seq, size, p, root)
			}
			flipped := append([]byte(nil), leaves[seq]...)
			flipped[len(flipped)/2] ^= 1
			bad("changed entry", flipped, seq, size, p, root)
			if size > 1 {
				bad("wrong index", leaves[seq], (seq+1)%size, size, p, root)
			}
			bad("wrong root", leaves[seq], seq, size, p, refRoot(leaves[:size-1]))
			for i := range p {
				q := cloneProof(p)
				q[i][7] ^= 0x40
				bad("flipped proof node", leaves[seq], seq, size, q, root)
			}
			if len(p) > 0 {
				bad("short proof", leaves[seq], seq, size, p[:len(p)-1], root)
			}
			bad("long proof", leaves[seq], seq, size, append(cloneProof(p), root), root)
		}
	}
	for _, c := range [][2]uint64{{0, 0}, {5, 5}, {0, n + 1}} {
		if _, err := l.InclusionProof(c[0], c[1]); !errors.Is(err, ErrInvalid) {
			t.Errorf("InclusionProof(%d, %d): %v, want ErrInvalid", c[0], c[1], err)
		}
	}
}

func TestConsistencyProofs(t *testing.T) {
	const n = 70
	l, leaves, tl := proofLog(t, n)
	for old := uint64(0); old <= n; old++ {
		oldRoot := refRoot(leaves[:old])
		for new := old; new <= n; new++ {
			newRoot := refRoot(leaves[:new])
			p, err := l.ConsistencyProof(old, new)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyConsistency(old, new, oldRoot, newRoot, p); err != nil {
				t.Fatalf("consistency %d -> %d: %v", old, new, err)
			}
			bad := func(what string, o, nw uint64, r1, r2 []byte, q [][]byte) {
				if err := VerifyConsistency(o, nw, r1, r2, q); !errors.Is(err, ErrProof) {
					t.Fatalf("consistency %d -> %d, %s: verified (%v)", old, new, what, err)
				}
			}
			wrong := sha256.Sum256([]byte("forged"))
			bad("forged old root", old, new, wrong[:], newRoot, p)
			if old > 0 || new == 0 { // every tree extends the empty one
				bad("forged new root", old, new, oldRoot, wrong[:], p)
			}
			for i := range p {
				q := cloneProof(p)
				q[i][0] ^= 1
				bad("flipped proof node", old, new, oldRoot, newRoot, q)
			}
			if len(p) > 0 {
				bad("short proof", old, new, oldRoot, newRoot, p[:len(p)-1])
			}
			if old > 0 && old < new {
				// A history rewritten before old: the real proof for a log
				// whose entry 0 differs does not match.
				forged := append([][]byte{[]byte("rewritten")}, leaves[1:new]...)
				bad("rewritten history", old, new, oldRoot, refRoot(forged), p)
			}
		}
	}
	if _, err := l.ConsistencyProof(5, 4); !errors.Is(err, ErrInvalid) {
		t.Errorf("ConsistencyProof(5, 4): %v", err)
	}

	// The auditor's check with checkpoints.
	a := l.Checkpoint()
	l.Close()
	l2 := tl.open(t, nil)
	defer l2.Close()
	if _, err := l2.Append(testEntry(1000)); err != nil {
		t.Fatal(err)
	}
	b := l2.Checkpoint()
	p, err := l2.ConsistencyProof(a.Size, b.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyCheckpoints(tl.pub, a, b, p); err != nil {
		t.Fatal(err)
	}
	a2 := a
	a2.Root[0] ^= 1
	if err := VerifyCheckpoints(tl.pub, a2, b, p); !errors.Is(err, ErrProof) {
		t.Errorf("altered old checkpoint: %v", err)
	}
	other := newTestLog(t)
	if err := VerifyCheckpoints(other.pub, a, b, p); !errors.Is(err, ErrProof) {
		t.Errorf("other log's key: %v", err)
	}
}

// TestProofsAgreeAfterReopen: proofs from the tree rebuilt at Open equal
// those from the tree built by appending.
func TestProofsAgreeAfterReopen(t *testing.T) {
	tl := newTestLog(t)
	l := tl.open(t, &Options{NoSync: true})
	for i := 0; i < 37; i++ {
		if _, err := l.Append(testEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	var before [][][]byte
	for seq := uint64(0); seq < 37; seq++ {
		p, err := l.InclusionProof(seq, 37)
		if err != nil {
			t.Fatal(err)
		}
		before = append(before, p)
	}
	l.Close()
	l = tl.open(t, nil)
	defer l.Close()
	for seq := uint64(0); seq < 37; seq++ {
		p, err := l.InclusionProof(seq, 37)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != len(before[seq]) {
			t.Fatalf("proof %d length changed", seq)
		}
		for i := range p {
			if !bytes.Equal(p[i], before[seq][i]) {
				t.Fatalf("proof %d differs after reopen", seq)
			}
		}
	}
}

func cloneProof(p [][]byte) [][]byte {
	q := make([][]byte, len(p))
	for i := range p {
		q[i] = append([]byte(nil), p[i]...)
	}
	return q
}

// TestProofsDuringAppends: auditors' proofs against the latest checkpoint
// verify while appends run concurrently (run with -race).
func TestProofsDuringAppends(t *testing.T) {
	tl := newTestLog(t)
	l := tl.open(t, &Options{NoSync: true})
	defer l.Close()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 60; i++ {
				if _, err := l.Append(testEntry(w*100 + i)); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	var checked atomic.Int64
	var aw sync.WaitGroup
	for a := 0; a < 2; a++ {
		aw.Add(1)
		go func() {
			defer aw.Done()
			var old Checkpoint
			for {
				select {
				case <-stop:
					return
				default:
				}
				c := l.Checkpoint()
				if c.Size == 0 {
					continue
				}
				seq := uint64(checked.Load()) % c.Size
				p, err := l.InclusionProof(seq, c.Size)
				if err != nil {
					t.Error(err)
					return
				}
				e, err := l.Entry(seq)
				if err != nil {
					t.Error(err)
					return
				}
				if err := VerifyInclusion(e, seq, c.Size, p, c.Root[:]); err != nil {
					t.Error(err)
					return
				}
				cp, err := l.ConsistencyProof(old.Size, c.Size)
				if err != nil {
					t.Error(err)
					return
				}
				if old.Size > 0 {
					if err := VerifyCheckpoints(tl.pub, old, c, cp); err != nil {
						t.Error(err)
						return
					}
				}
				old = c
				checked.Add(1)
			}
		}()
	}
	wg.Wait()
	close(stop)
	aw.Wait()
	if checked.Load() == 0 {
		t.Error("no proof checked")
	}
}
