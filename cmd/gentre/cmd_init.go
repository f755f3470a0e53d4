package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gentre/gentre/engine/store"
	"github.com/gentre/gentre/pseudonymise"
)

// secretsDir holds key material; it is 0700 and its files 0600.
const secretsDir = "secrets"

func keyPath(storeDir string) string { return filepath.Join(storeDir, secretsDir, "pseudonym.key") }

func runInit(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("init")
	dir := fs.String("store", "", "store folder to create")
	keyFile := fs.String("key-file", "", "use this existing key file instead of generating a key")
	err := parseStoreFlags(fs, args, dir)
	if err != nil {
		return err
	}
	var key *pseudonymise.Key
	if *keyFile != "" {
		if key, err = pseudonymise.ReadKeyFile(*keyFile); err != nil {
			return err
		}
	} else if key, err = pseudonymise.NewKey(); err != nil {
		return err
	}
	if err := store.Init(*dir); err != nil {
		return err
	}
	sdir := filepath.Join(*dir, secretsDir)
	if err := os.Mkdir(sdir, 0o700); err != nil && !os.IsExist(err) {
		return err
	}
	if err := os.Chmod(sdir, 0o700); err != nil {
		return err
	}
	if err := pseudonymise.WriteKeyFile(keyPath(*dir), key); err != nil {
		return err
	}
	l, err := openAudit(*dir)
	if err != nil {
		return err
	}
	if err := auditChange(l, "init", "new store", 0); err != nil {
		l.Close()
		return err
	}
	if err := l.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "gentre: new store in %s (key material in %s, keep it secret and backed up)\n", *dir, sdir)
	return nil
}

type keyType = *pseudonymise.Key

func loadKey(storeDir string) (*pseudonymise.Key, error) {
	return pseudonymise.ReadKeyFile(keyPath(storeDir))
}
