package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// Tx is one change to the store: new immutable files plus a new manifest.
// Commit makes it the next data release; Abort (or a crash) leaves the
// previous release as it was.
type Tx struct {
	s        *Store
	man      *Manifest
	nextFile atomic.Uint64
	mu       sync.Mutex
	created  []string
	obsolete []string // files the new release no longer names, removed after commit
	done     bool
}

// Begin starts a transaction. The store must be open with OpenWriter.
func (s *Store) Begin() (*Tx, error) {
	if s.lock == nil {
		return nil, errors.New("store: changing the store needs OpenWriter")
	}
	tx := &Tx{s: s, man: s.man.clone()}
	tx.nextFile.Store(tx.man.NextFile)
	return tx, nil
}

// Manifest returns the release being built, for the caller to change.
func (tx *Tx) Manifest() *Manifest { return tx.man }

// Store returns the store the transaction changes.
func (tx *Tx) Store() *Store { return tx.s }

// CreateFile writes a new data file in folder dir (one of the store's data
// folders) with the given extension, syncs it, and returns its
// store-relative name.
func (tx *Tx) CreateFile(dir, ext string, data []byte) (string, error) {
	rel := fileName(dir, tx.nextFile.Add(1)-1, ext)
	tx.mu.Lock()
	tx.created = append(tx.created, rel)
	tx.mu.Unlock()
	if err := writeFileSync(filepath.Join(tx.s.dir, rel), data, tx.s.opts.NoSync); err != nil {
		return "", fmt.Errorf("store: writing %s: %w", rel, err)
	}
	return rel, nil
}

// CreateChecked writes a checked file (magic line and SHA-256, then body).
func (tx *Tx) CreateChecked(dir, ext, magic string, body []byte) (string, error) {
	return tx.CreateFile(dir, ext, encodeChecked(magic, 1, body))
}

// Obsolete marks a file of the current release as no longer needed by the
// new one; it is deleted after the commit. Safe for concurrent use, like
// CreateFile (opt-out rewrites chunks in parallel).
func (tx *Tx) Obsolete(rel string) {
	if rel != "" {
		tx.mu.Lock()
		tx.obsolete = append(tx.obsolete, rel)
		tx.mu.Unlock()
	}
}

// Commit syncs the new files' folders and replaces the manifest: the
// transaction's release becomes the store's. On error the store is unchanged.
func (tx *Tx) Commit() error {
	if tx.done {
		return errors.New("store: transaction already ended")
	}
	if !tx.s.opts.NoSync {
		for _, d := range dataDirs {
			if err := syncDir(filepath.Join(tx.s.dir, d)); err != nil {
				tx.Abort()
				return err
			}
		}
	}
	m := tx.man
	m.Release++
	m.Committed = nowUTC()
	m.NextFile = tx.nextFile.Load()
	if err := writeManifest(tx.s.dir, m, tx.s.opts.NoSync); err != nil {
		tx.Abort()
		return fmt.Errorf("store: committing: %w", err)
	}
	tx.done = true
	tx.s.man = m
	tx.s.samples = nil
	for _, rel := range tx.obsolete {
		os.Remove(filepath.Join(tx.s.dir, rel))
	}
	return nil
}

// Abort removes every file the transaction wrote.
func (tx *Tx) Abort() {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.done {
		return
	}
	tx.done = true
	for _, rel := range tx.created {
		os.Remove(filepath.Join(tx.s.dir, rel))
	}
}
