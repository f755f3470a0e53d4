package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// A checked file is a small text-headed file: one line
// "<magic> v<version> sha256=<hex of body>\n" followed by the body. The
// manifest, sample lists and sample sets are checked files.

func encodeChecked(magic string, version int, body []byte) []byte {
	sum := sha256.Sum256(body)
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s v%d sha256=%s\n", magic, version, hex.EncodeToString(sum[:]))
	b.Write(body)
	return b.Bytes()
}

func decodeChecked(name, magic string, version int, data []byte) ([]byte, error) {
	line, body, ok := bytes.Cut(data, []byte{'\n'})
	if !ok {
		return nil, fmt.Errorf("%s: no header line: %w", name, ErrCorrupt)
	}
	var gotMagic, hexsum string
	var gotVersion int
	if n, _ := fmt.Sscanf(string(line), "%s v%d sha256=%s", &gotMagic, &gotVersion, &hexsum); n != 3 || gotMagic != magic {
		return nil, fmt.Errorf("%s: not a %s file: %w", name, magic, ErrCorrupt)
	}
	if gotVersion != version {
		return nil, fmt.Errorf("%s: version %d, this gentre reads version %d: %w", name, gotVersion, version, ErrCorrupt)
	}
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != hexsum {
		return nil, fmt.Errorf("%s: checksum mismatch: %w", name, ErrCorrupt)
	}
	return body, nil
}

// writeFileSync writes data to path (which must not exist), fsyncs it
// unless noSync, and returns the SHA-256 of data.
func writeFileSync(path string, data []byte, noSync bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	var serr error
	if !noSync {
		serr = f.Sync()
	}
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// replaceFileAtomic writes data to path through a temporary file and a
// rename, syncing the file and its directory, so that path holds either the
// old or the new content after a crash, never a mix.
func replaceFileAtomic(path string, data []byte, noSync bool) error {
	tmp := path + ".tmp"
	os.Remove(tmp)
	if err := writeFileSync(tmp, data, noSync); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	if noSync {
		return nil
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	return errors.Join(serr, d.Close())
}
