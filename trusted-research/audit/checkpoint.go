package audit

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"
)

// CheckpointSize is the length of a checkpoint's binary form (the payload
// of one frame in the checkpoints file).
const CheckpointSize = 8 + 8 + 8 + 8 + 32 + 32 + ed25519.SignatureSize

// checkpointBodySize is the signed part: everything but the signature.
const checkpointBodySize = CheckpointSize - ed25519.SignatureSize

// signContext is prefixed to the body before signing, so a checkpoint
// signature can never be mistaken for a signature over anything else.
const signContext = "gentre audit checkpoint v1\n"

// Checkpoint is a signed statement of the log's state: "the first Size
// entries, which end at byte End of the entries file, have Merkle root
// Root". Checkpoints form a hash chain through Prev.
type Checkpoint struct {
	// Size is the tree size: the number of entries covered.
	Size uint64
	// End is the offset in the entries file just past the last covered
	// record (the file header's size when Size is 0).
	End uint64
	// Time is when the checkpoint was made (UTC, nanoseconds); never
	// earlier than the previous checkpoint's.
	Time time.Time
	// Recovered counts entries this checkpoint covers that Open sealed
	// after a crash, rather than Append as it wrote them (docs/audit.md).
	Recovered uint64
	// Root is the RFC 6962 root hash of the first Size entries.
	Root [32]byte
	// Prev is the SHA-256 of the previous checkpoint's binary form (all
	// zeros for the first).
	Prev [32]byte
	// Sig is the ed25519 signature over signContext || the first 96 bytes.
	Sig [ed25519.SignatureSize]byte
}

// appendBody appends the signed 96 bytes of c.
func (c *Checkpoint) appendBody(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, c.Size)
	dst = binary.BigEndian.AppendUint64(dst, c.End)
	dst = binary.BigEndian.AppendUint64(dst, uint64(c.Time.UnixNano()))
	dst = binary.BigEndian.AppendUint64(dst, c.Recovered)
	dst = append(dst, c.Root[:]...)
	return append(dst, c.Prev[:]...)
}

// MarshalBinary returns the 160-byte form of c.
func (c Checkpoint) MarshalBinary() ([]byte, error) {
	b := c.appendBody(make([]byte, 0, CheckpointSize))
	return append(b, c.Sig[:]...), nil
}

func (c *Checkpoint) bytes() []byte { b, _ := c.MarshalBinary(); return b }

// ParseCheckpoint decodes the 160-byte form. It does not check the
// signature (VerifySignature does).
func ParseCheckpoint(b []byte) (Checkpoint, error) {
	if len(b) != CheckpointSize {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint is %d bytes, want %d", ErrCorrupt, len(b), CheckpointSize)
	}
	var c Checkpoint
	c.Size = binary.BigEndian.Uint64(b[0:])
	c.End = binary.BigEndian.Uint64(b[8:])
	c.Time = time.Unix(0, int64(binary.BigEndian.Uint64(b[16:]))).UTC()
	c.Recovered = binary.BigEndian.Uint64(b[24:])
	copy(c.Root[:], b[32:64])
	copy(c.Prev[:], b[64:96])
	copy(c.Sig[:], b[96:])
	return c, nil
}

// Hash returns the SHA-256 of c's binary form: the next checkpoint's Prev.
func (c *Checkpoint) Hash() [32]byte { return sha256.Sum256(c.bytes()) }

func (c *Checkpoint) message() []byte {
	return c.appendBody(append(make([]byte, 0, len(signContext)+checkpointBodySize), signContext...))
}

func (c *Checkpoint) sign(key ed25519.PrivateKey) {
	copy(c.Sig[:], ed25519.Sign(key, c.message()))
}

// VerifySignature checks c's signature under pub (ErrProof if it fails).
func (c *Checkpoint) VerifySignature(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: public key is %d bytes", ErrInvalid, len(pub))
	}
	if !ed25519.Verify(pub, c.message(), c.Sig[:]) {
		return fmt.Errorf("%w: checkpoint signature", ErrProof)
	}
	return nil
}

// String is a one-line summary (no entry content: there is none here).
func (c Checkpoint) String() string {
	return fmt.Sprintf("size %d root %s time %s", c.Size, hex.EncodeToString(c.Root[:]), c.Time.Format(time.RFC3339Nano))
}
