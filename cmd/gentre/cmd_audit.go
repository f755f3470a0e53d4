package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gentre/gentre/engine/store"
	"github.com/gentre/gentre/pseudonymise"
	"github.com/gentre/gentre/trusted-research/audit"
)

func auditDir(storeDir string) string { return filepath.Join(storeDir, "audit") }

// openAudit opens the store's audit log for appending, creating it (with
// its signing key in secrets/) when the store has none yet. Commands that
// change the store open it before they start, so that a change is never
// committed without its audit entry.
func openAudit(storeDir string) (*audit.Log, error) {
	dir := auditDir(storeDir)
	if _, err := os.Stat(filepath.Join(dir, audit.PublicKeyFile)); errors.Is(err, os.ErrNotExist) {
		if err := audit.Init(dir, filepath.Join(storeDir, secretsDir)); err != nil {
			return nil, err
		}
	}
	l, err := audit.Open(dir, filepath.Join(storeDir, secretsDir), nil)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w (is gentre serve running on this store?)", err)
	}
	return l, nil
}

// change is what a command that changes the store holds: the store open for
// writing (and locked), its pseudonymisation key, and its audit log.
type change struct {
	st   *store.Store
	key  *pseudonymise.Key
	alog *audit.Log
}

// beginChange opens everything a changing command needs, in the order that
// fails early: key, store lock, audit log. Close releases them.
func beginChange(dir string, opts *store.Options) (*change, error) {
	key, err := loadKey(dir)
	if err != nil {
		return nil, err
	}
	st, err := store.OpenWriter(dir, opts)
	if err != nil {
		return nil, err
	}
	alog, err := openAudit(dir)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &change{st: st, key: key, alog: alog}, nil
}

func (c *change) Close() {
	c.alog.Close()
	c.st.Close()
}

// audit records the change just committed.
func (c *change) audit(action, request string) error {
	return auditChange(c.alog, action, request, c.st.Manifest().Release)
}

// auditChange records a change made from the command line.
func auditChange(l *audit.Log, action, request string, release uint64) error {
	_, err := l.Append(audit.Entry{Actor: audit.CLIActor(), Role: "data-manager", Action: action, Request: request, Decision: "allowed", Release: release})
	if err != nil {
		return fmt.Errorf("the change was committed (release %d) but its audit entry could not be written: %w", release, err)
	}
	return nil
}

// runAuditVerify checks every byte of the audit log: exit 0 only if intact.
func runAuditVerify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit verify")
	dir := fs.String("store", "", "store folder")
	if err := parseStoreFlags(fs, args, dir); err != nil {
		return err
	}
	pub, err := audit.ReadPublicKey(auditDir(*dir))
	if err != nil {
		return err
	}
	rep, err := audit.Verify(auditDir(*dir), pub)
	var p *audit.Problem
	if errors.As(err, &p) || (err == nil && rep.Problem != nil) {
		if p == nil {
			p = rep.Problem
		}
		return fmt.Errorf("audit log NOT intact: %s at byte %d (entry %d, checkpoint %d): %s", p.File, p.Offset, p.Entry, p.Checkpoint, p.Reason)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "audit log intact: %d entries, %d checkpoints, %d bytes checked\n", rep.Entries, rep.Checkpoints, rep.EntriesBytes+rep.CheckpointsBytes)
	return nil
}
