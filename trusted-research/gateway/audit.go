package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/gentre/gentre/trusted-research/access"
	gentrev1 "github.com/gentre/gentre/trusted-research/api/gentre/v1"
	"github.com/gentre/gentre/trusted-research/audit"
)

// Limits of ListAuditEntries.
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

// ListAuditEntries returns audit log entries from from_seq (at most limit),
// each parsed and with its canonical bytes, in the tree of the latest
// signed checkpoint: tree_size and root are that checkpoint's, so an
// entry's inclusion proof (proofs=true) checks against a signed root.
// Entries appended after that checkpoint are listed once a checkpoint
// covers them (with the default CheckpointEvery of 1, at once).
func (g *Gateway) ListAuditEntries(ctx context.Context, req *gentrev1.ListAuditEntriesRequest) (*gentrev1.ListAuditEntriesResponse, error) {
	return run(ctx, g, access.ActionAuditRead, "", "GET /v1/audit/entries", func(c *call) (*gentrev1.ListAuditEntriesResponse, error) {
		from, limit := req.GetFromSeq(), req.GetLimit()
		switch {
		case from < 0:
			return nil, invalid("from_seq: negative")
		case limit < 0:
			return nil, invalid("limit: negative")
		case limit > maxAuditLimit:
			return nil, invalid("limit: at most %d entries a request", maxAuditLimit)
		case limit == 0:
			limit = defaultAuditLimit
		}
		c.request += fmt.Sprintf(" from_seq=%d limit=%d proofs=%t", from, limit, req.GetProofs())
		cp := g.log.Checkpoint()
		size := cp.Size
		root, err := g.log.RootAt(size)
		if err != nil {
			return nil, fmt.Errorf("gateway: audit root at %d: %w", size, err)
		}
		if !bytes.Equal(root, cp.Root[:]) {
			return nil, fmt.Errorf("gateway: the audit tree's root at %d differs from its checkpoint's", size)
		}
		resp := &gentrev1.ListAuditEntriesResponse{
			TreeSize:   int64(size),
			Root:       hex.EncodeToString(root),
			Checkpoint: checkpointText(cp),
		}
		for seq := uint64(from); seq < size && seq < uint64(from)+uint64(limit); seq++ {
			b, err := g.log.Entry(seq)
			if err != nil {
				return nil, fmt.Errorf("gateway: audit entry %d: %w", seq, err)
			}
			e, err := audit.ParseEntry(b)
			if err != nil {
				return nil, fmt.Errorf("gateway: audit entry %d: %w", seq, err)
			}
			out := &gentrev1.AuditEntry{
				Seq: int64(e.Seq), Time: timestamppb.New(e.Time), Actor: e.Actor, Role: e.Role,
				Project: e.Project, Purpose: e.Purpose, Action: e.Action, Request: e.Request,
				Result: e.Result.String(), Decision: e.Decision, Release: int64(e.Release), Canonical: b,
			}
			if req.GetProofs() {
				p, err := g.log.InclusionProof(seq, size)
				if err != nil {
					return nil, fmt.Errorf("gateway: audit proof %d: %w", seq, err)
				}
				for _, h := range p {
					out.InclusionProof = append(out.InclusionProof, hex.EncodeToString(h))
				}
			}
			resp.Entries = append(resp.Entries, out)
		}
		return resp, nil
	})
}

// checkpointText is a checkpoint's text form: the summary line (size,
// root, time), then the 160-byte signed checkpoint (docs/audit.md) in
// base64, which audit.ParseCheckpoint decodes and VerifySignature checks
// against audit.pub.
func checkpointText(cp audit.Checkpoint) string {
	b, _ := cp.MarshalBinary() // never fails
	return cp.String() + "\n" + base64.StdEncoding.EncodeToString(b) + "\n"
}

// verifyTurn lets one audit verification run at a time: each reads the
// whole log, and a second would only compete for the same disk.
var verifyTurn sync.Mutex

// VerifyAudit runs audit.Verify over the log the gateway is appending to.
// Verify knows the log is open (the gateway holds its lock): entries
// appended while it reads, after the last checkpoint it saw, count as
// pending rather than as a problem, so verifying while serving is sound.
// The public key is the log's audit.pub, accepted only if the latest
// checkpoint (signed in this process, or checked when the log was opened)
// verifies under it: a replaced audit.pub is reported, not trusted.
func (g *Gateway) VerifyAudit(ctx context.Context, req *gentrev1.VerifyAuditRequest) (*gentrev1.VerifyAuditResponse, error) {
	return run(ctx, g, access.ActionAuditVerify, "", "POST /v1/audit:verify", func(c *call) (*gentrev1.VerifyAuditResponse, error) {
		verifyTurn.Lock()
		defer verifyTurn.Unlock()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dir := g.log.Dir()
		pub, err := audit.ReadPublicKey(dir)
		if err != nil {
			return &gentrev1.VerifyAuditResponse{Problem: audit.PublicKeyFile + ": cannot be read as the log's public key"}, nil
		}
		if cp := g.log.Checkpoint(); cp.VerifySignature(pub) != nil {
			return &gentrev1.VerifyAuditResponse{Problem: audit.PublicKeyFile + ": not the key the log is signed with"}, nil
		}
		rep, err := audit.Verify(dir, pub)
		var p *audit.Problem
		if errors.As(err, &p) || (err == nil && rep.Problem != nil) {
			if p == nil {
				p = rep.Problem
			}
			return &gentrev1.VerifyAuditResponse{Entries: int64(rep.Entries), Problem: problemText(p)}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("gateway: verifying the audit log: %w", err)
		}
		return &gentrev1.VerifyAuditResponse{Intact: true, Entries: int64(rep.Entries)}, nil
	})
}

// problemText locates a verification problem as `gentre audit verify`
// does: file, byte offset, entry and checkpoint numbers, and the reason
// (which never quotes entry content).
func problemText(p *audit.Problem) string {
	return fmt.Sprintf("%s at byte %d (entry %d, checkpoint %d): %s", p.File, p.Offset, p.Entry, p.Checkpoint, p.Reason)
}

// GetAuditConsistency proves that the audit tree of old_size entries is a
// prefix of the latest signed checkpoint's tree (RFC 6962 consistency),
// so that a client holding an earlier checkpoint can check that the log
// only grew.
func (g *Gateway) GetAuditConsistency(ctx context.Context, req *gentrev1.GetAuditConsistencyRequest) (*gentrev1.AuditConsistency, error) {
	return run(ctx, g, access.ActionAuditRead, "", "GET /v1/audit/consistency", func(c *call) (*gentrev1.AuditConsistency, error) {
		old := req.GetOldSize()
		c.request += fmt.Sprintf(" old_size=%d", old)
		cp := g.log.Checkpoint()
		if old < 0 || uint64(old) > cp.Size {
			return nil, invalid("old_size: %d is outside 0..%d, the latest signed checkpoint's size", old, cp.Size)
		}
		oldRoot, err := g.log.RootAt(uint64(old))
		if err != nil {
			return nil, fmt.Errorf("gateway: audit root at %d: %w", old, err)
		}
		p, err := g.log.ConsistencyProof(uint64(old), cp.Size)
		if err != nil {
			return nil, fmt.Errorf("gateway: audit consistency %d..%d: %w", old, cp.Size, err)
		}
		resp := &gentrev1.AuditConsistency{
			OldSize: old, OldRoot: hex.EncodeToString(oldRoot),
			NewSize: int64(cp.Size), NewRoot: hex.EncodeToString(cp.Root[:]),
			Checkpoint: checkpointText(cp),
		}
		for _, h := range p {
			resp.Proof = append(resp.Proof, hex.EncodeToString(h))
		}
		return resp, nil
	})
}
