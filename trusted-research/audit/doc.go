// Package audit is the trusted research environment's append-only,
// tamper-evident record of every use of the data: an RFC 6962 Merkle tree
// log kept in plain files, with ed25519-signed, hash-chained checkpoints.
//
// Every request, ingest, opt-out, release and airlock decision becomes an
// Entry. Append encodes it canonically (JSON, see docs/audit.md), frames it
// with its length and a CRC-32C, appends it to the entries file, fsyncs,
// adds its leaf hash (SHA-256(0x00 || entry)) to the tree, and — every
// Options.CheckpointEvery entries, and on Close — appends a signed
// checkpoint (tree size, root, time, hash of the previous checkpoint) to the
// checkpoints file. Concurrent appends share one write, one fsync and one
// checkpoint (group commit).
//
// Verify reads every byte of both files with only the public key and fails
// on any change: a flipped byte, a removed, reordered, duplicated or forged
// entry, a truncation, a replaced or re-signed checkpoint. InclusionProof
// and ConsistencyProof let an auditor who holds an old checkpoint check that
// an entry is in the log and that the log only grew.
//
// Library code here never logs or returns entry content in errors: a
// Verify report locates a problem by file, byte offset and entry number.
//
// The on-disk format and the crash rules are specified in docs/audit.md.
package audit
