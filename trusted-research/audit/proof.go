package audit

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"github.com/transparency-dev/merkle/proof"
)

// InclusionProof returns the RFC 6962 audit path proving that entry seq is
// in the tree of the given size (seq < size <= Size()).
func (l *Log) InclusionProof(seq, size uint64) ([][]byte, error) {
	l.t.mu.RLock()
	defer l.t.mu.RUnlock()
	if size > l.t.size() || seq >= size {
		return nil, fmt.Errorf("%w: inclusion of entry %d in tree size %d (log size %d)", ErrInvalid, seq, size, l.t.size())
	}
	nodes, err := proof.Inclusion(seq, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return l.rehash(nodes)
}

// ConsistencyProof returns the RFC 6962 proof that the tree of size old is
// a prefix of the tree of size new (old <= new <= Size()).
func (l *Log) ConsistencyProof(old, new uint64) ([][]byte, error) {
	l.t.mu.RLock()
	defer l.t.mu.RUnlock()
	if new > l.t.size() || old > new {
		return nil, fmt.Errorf("%w: consistency of sizes %d and %d (log size %d)", ErrInvalid, old, new, l.t.size())
	}
	nodes, err := proof.Consistency(old, new)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return l.rehash(nodes)
}

// rehash fetches the proof's node hashes and folds its ephemeral node.
// Callers hold l.t.mu.
func (l *Log) rehash(nodes proof.Nodes) ([][]byte, error) {
	hashes, err := l.t.nodeHashes(nodes.IDs)
	if err != nil {
		return nil, err
	}
	return nodes.Rehash(hashes, hasher.HashChildren)
}

// RootAt returns the root hash of the first size entries (size <= Size()).
func (l *Log) RootAt(size uint64) ([]byte, error) {
	l.t.mu.RLock()
	defer l.t.mu.RUnlock()
	return l.t.rootAt(size)
}

// Entry returns the canonical bytes of entry seq (its Merkle leaf; decode
// with ParseEntry).
func (l *Log) Entry(seq uint64) ([]byte, error) {
	l.t.mu.RLock()
	defer l.t.mu.RUnlock()
	var out []byte
	err := l.t.readLeaves(seq, seq+1, func(_ uint64, p []byte) { out = append([]byte(nil), p...) })
	return out, err
}

// LeafHash is the RFC 6962 leaf hash of canonical entry bytes:
// SHA-256(0x00 || entry).
func LeafHash(entry []byte) []byte { return hasher.HashLeaf(entry) }

// VerifyInclusion checks that entry (canonical bytes) is entry seq of the
// tree of the given size and root. It returns ErrProof if not.
func VerifyInclusion(entry []byte, seq, size uint64, p [][]byte, root []byte) error {
	if err := proof.VerifyInclusion(hasher, seq, size, LeafHash(entry), p, root); err != nil {
		return fmt.Errorf("%w: inclusion of entry %d in tree size %d: %v", ErrProof, seq, size, err)
	}
	return nil
}

// VerifyConsistency checks that the tree (oldSize, oldRoot) is a prefix of
// the tree (newSize, newRoot). It returns ErrProof if not.
func VerifyConsistency(oldSize, newSize uint64, oldRoot, newRoot []byte, p [][]byte) error {
	if oldSize == 0 && !bytes.Equal(oldRoot, emptyRoot[:]) {
		return fmt.Errorf("%w: size 0 with a root other than the empty root", ErrProof)
	}
	if err := proof.VerifyConsistency(hasher, oldSize, newSize, p, oldRoot, newRoot); err != nil {
		return fmt.Errorf("%w: consistency of sizes %d and %d: %v", ErrProof, oldSize, newSize, err)
	}
	return nil
}

// VerifyCheckpoints is the auditor's check that a log only grew: both
// checkpoints are signed by pub and p proves old's tree is a prefix of
// new's.
func VerifyCheckpoints(pub ed25519.PublicKey, old, new Checkpoint, p [][]byte) error {
	if err := old.VerifySignature(pub); err != nil {
		return fmt.Errorf("old checkpoint: %w", err)
	}
	if err := new.VerifySignature(pub); err != nil {
		return fmt.Errorf("new checkpoint: %w", err)
	}
	return VerifyConsistency(old.Size, new.Size, old.Root[:], new.Root[:], p)
}
