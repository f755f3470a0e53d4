package audit

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"sync"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
)

// hasher is the RFC 6962 SHA-256 tree hasher: leaf = SHA-256(0x00 || entry),
// node = SHA-256(0x01 || left || right).
var hasher = rfc6962.DefaultHasher

// emptyRoot is the root of the empty tree, SHA-256("").
var emptyRoot = func() (r [32]byte) { copy(r[:], hasher.EmptyRoot()); return r }()

var rangeFactory = &compact.RangeFactory{Hash: hasher.HashChildren}

// storedLevel: the in-memory tree keeps every complete node at this level
// and above (2 hashes per 2^storedLevel entries, 4 bytes an entry), plus the
// file offset of every 2^storedLevel-th entry (0.5 bytes an entry). Nodes
// below it are rehashed from at most 2^(storedLevel-1) entries read from
// the file when a proof needs them.
const storedLevel = 4

// tree is the log's Merkle tree: a compact range for the root and appends,
// and the stored nodes for proofs. The writer (one at a time) calls add
// under mu; proof readers take mu for reading.
type tree struct {
	mu       sync.RWMutex
	rng      *compact.Range
	levels   [][][32]byte // levels[i]: nodes of level storedLevel+i, by index
	groupOff []int64      // groupOff[i]: offset of entry i<<storedLevel's frame
	entries  io.ReaderAt  // the entries file, for leaves below storedLevel
	visit    compact.VisitFn
}

func newTree(entries io.ReaderAt) *tree {
	t := &tree{rng: rangeFactory.NewEmptyRange(0), entries: entries}
	t.visit = func(id compact.NodeID, hash []byte) {
		if id.Level < storedLevel {
			return
		}
		i := int(id.Level - storedLevel)
		for len(t.levels) <= i {
			t.levels = append(t.levels, nil)
		}
		var h [32]byte
		copy(h[:], hash)
		t.levels[i] = append(t.levels[i], h)
	}
	return t
}

// size is the number of leaves. Callers hold mu, or are the writer.
func (t *tree) size() uint64 { return t.rng.End() }

// add appends the leaf hash of the entry whose frame starts at off. The
// caller holds mu for writing.
func (t *tree) add(leafHash []byte, off int64) {
	if t.rng.End()&(1<<storedLevel-1) == 0 {
		t.groupOff = append(t.groupOff, off)
	}
	// Append only fails on a malformed range, which this never builds.
	if err := t.rng.Append(leafHash, t.visit); err != nil {
		panic(err)
	}
}

// root returns the root hash of the whole tree. Callers hold mu or are the
// writer.
func (t *tree) root() [32]byte {
	if t.rng.End() == 0 {
		return emptyRoot
	}
	var r [32]byte
	h, err := t.rng.GetRootHash(nil)
	if err != nil {
		panic(err)
	}
	copy(r[:], h)
	return r
}

// rootAt returns the root hash of the first size leaves. Callers hold mu.
func (t *tree) rootAt(size uint64) ([]byte, error) {
	if size > t.size() {
		return nil, fmt.Errorf("%w: tree size %d beyond the log's %d", ErrInvalid, size, t.size())
	}
	if size == 0 {
		return hasher.EmptyRoot(), nil
	}
	ids := compact.RangeNodes(0, size, nil)
	hashes, err := t.nodeHashes(ids)
	if err != nil {
		return nil, err
	}
	r, err := rangeFactory.NewRange(0, size, hashes)
	if err != nil {
		return nil, err
	}
	return r.GetRootHash(nil)
}

// nodeHashes returns the hashes of complete nodes. Callers hold mu.
func (t *tree) nodeHashes(ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, err := t.nodeHash(id)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

func (t *tree) nodeHash(id compact.NodeID) ([]byte, error) {
	begin, end := id.Coverage()
	if end > t.size() {
		return nil, fmt.Errorf("%w: node beyond the tree", ErrInvalid)
	}
	if id.Level >= storedLevel {
		h := t.levels[id.Level-storedLevel][id.Index]
		return h[:], nil
	}
	hashes := make([][]byte, 0, end-begin)
	err := t.readLeaves(begin, end, func(_ uint64, payload []byte) {
		hashes = append(hashes, hasher.HashLeaf(payload))
	})
	if err != nil {
		return nil, err
	}
	for len(hashes) > 1 { // a perfect subtree: pair up level by level
		for i := 0; i < len(hashes); i += 2 {
			hashes[i/2] = hasher.HashChildren(hashes[i], hashes[i+1])
		}
		hashes = hashes[:len(hashes)/2]
	}
	return hashes[0], nil
}

// readLeaves calls fn with each entry in [begin, end), read from the
// entries file. Callers hold mu. The payload is valid only during fn.
func (t *tree) readLeaves(begin, end uint64, fn func(seq uint64, payload []byte)) error {
	if end > t.size() || begin > end {
		return fmt.Errorf("%w: entries [%d, %d) beyond the log's %d", ErrInvalid, begin, end, t.size())
	}
	off := t.groupOff[begin>>storedLevel]
	var hdr [frameOverhead]byte
	var buf []byte
	for seq := begin &^ (1<<storedLevel - 1); seq < end; seq++ {
		if _, err := t.entries.ReadAt(hdr[:], off); err != nil {
			return fmt.Errorf("audit: read entry %d: %w", seq, err)
		}
		n := binary.BigEndian.Uint32(hdr[0:])
		if n == 0 || n > MaxEntrySize {
			return fmt.Errorf("%w: entries file changed under the open log (entry %d, offset %d)", ErrCorrupt, seq, off)
		}
		if seq >= begin {
			if cap(buf) < int(n) {
				buf = make([]byte, n)
			}
			buf = buf[:n]
			if _, err := t.entries.ReadAt(buf, off+frameOverhead); err != nil {
				return fmt.Errorf("audit: read entry %d: %w", seq, err)
			}
			if crc32.Checksum(buf, castagnoli) != binary.BigEndian.Uint32(hdr[4:]) {
				return fmt.Errorf("%w: entries file changed under the open log (entry %d, offset %d)", ErrCorrupt, seq, off)
			}
			fn(seq, buf)
		}
		off += frameOverhead + int64(n)
	}
	return nil
}
