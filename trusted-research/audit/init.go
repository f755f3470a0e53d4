package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Permissions: the audit folder and files are readable by the group (the
// auditors' tooling), the key is the owner's alone.
const (
	dirPerm     = 0o750
	filePerm    = 0o640
	secretsPerm = 0o700
	keyPerm     = 0o600
)

// Init creates a new, empty audit log in dir (the store's DIR/audit) and
// its signing key in secretsDir (DIR/secrets): a fresh ed25519 key in
// secretsDir/audit.key (PKCS#8 PEM, 0600), its public half in
// dir/audit.pub (PKIX PEM), the entries file (header only) and the
// checkpoints file holding the signed genesis checkpoint (size 0). It fails
// with ErrExist if any of those files already exists.
func Init(dir, secretsDir string) error {
	return initAt(dir, secretsDir, time.Now)
}

func initAt(dir, secretsDir string, now func() time.Time) error {
	keyPath := filepath.Join(secretsDir, PrivateKeyFile)
	for _, p := range []string{keyPath, filepath.Join(dir, PublicKeyFile),
		filepath.Join(dir, EntriesFile), filepath.Join(dir, CheckpointsFile)} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%w: %s exists", ErrExist, filepath.Base(p))
		} else if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("audit: init: %w", err)
		}
	}
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return fmt.Errorf("audit: init: %w", err)
	}
	if err := os.MkdirAll(secretsDir, secretsPerm); err != nil {
		return fmt.Errorf("audit: init: %w", err)
	}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("audit: init: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("audit: init: %w", err)
	}
	if err := writeNew(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), keyPerm); err != nil {
		return err
	}
	pubPEM, err := encodePublicKey(pub)
	if err != nil {
		return err
	}
	genesis := Checkpoint{End: headerSize, Time: now().UTC()}
	copy(genesis.Root[:], hasher.EmptyRoot())
	genesis.sign(key)
	ck := appendFrame(fileHeader(checkpointsMagic), genesis.bytes())
	for _, f := range []struct {
		name string
		data []byte
	}{
		{PublicKeyFile, pubPEM},
		{EntriesFile, fileHeader(entriesMagic)},
		{CheckpointsFile, ck},
	} {
		if err := writeNew(filepath.Join(dir, f.name), f.data, filePerm); err != nil {
			return err
		}
	}
	return syncDir(dir)
}

// writeNew writes a file that must not exist yet, durably: a temporary
// file, fsync, link into place (failing if the name exists), fsync of the
// folder.
func writeNew(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("audit: init: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("audit: init: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("audit: init: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("audit: init: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("audit: init: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%w: %s exists", ErrExist, filepath.Base(path))
		}
		return fmt.Errorf("audit: init: %w", err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("audit: sync folder: %w", err)
	}
	return nil
}

func encodePublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePublicKey decodes an audit.pub file's bytes (a PKIX "PUBLIC KEY"
// PEM block holding an ed25519 key). Only the exact form Init writes is
// accepted, so any changed byte is an error.
func ParsePublicKey(b []byte) (ed25519.PublicKey, error) {
	blk, rest := pem.Decode(b)
	if blk == nil || blk.Type != "PUBLIC KEY" || len(rest) != 0 {
		return nil, fmt.Errorf("%w: %s is not one PUBLIC KEY PEM block", ErrCorrupt, PublicKeyFile)
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, PublicKeyFile, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not an ed25519 key", ErrCorrupt, PublicKeyFile)
	}
	if canon, err := encodePublicKey(pub); err != nil || !bytes.Equal(canon, b) {
		return nil, fmt.Errorf("%w: %s is not in canonical form", ErrCorrupt, PublicKeyFile)
	}
	return pub, nil
}

// ReadPublicKey reads dir/audit.pub. An auditor should compare it with a
// copy of the key obtained independently: whoever can rewrite the folder
// can replace both the log and this file.
func ReadPublicKey(dir string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(filepath.Join(dir, PublicKeyFile))
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return ParsePublicKey(b)
}

// readPrivateKey reads secretsDir/audit.key and checks its permissions.
func readPrivateKey(secretsDir string) (ed25519.PrivateKey, error) {
	path := filepath.Join(secretsDir, PrivateKeyFile)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("audit: signing key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s is readable by others (mode %o), want 0600", ErrInvalid, PrivateKeyFile, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit: signing key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%w: %s is not a PRIVATE KEY PEM block", ErrInvalid, PrivateKeyFile)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, PrivateKeyFile, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not an ed25519 key", ErrInvalid, PrivateKeyFile)
	}
	return key, nil
}
