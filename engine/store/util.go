package store

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"time"
)

// FileSHA256 returns the SHA-256 (hex) of a file's content: the digest a
// batch or care source is recorded under, so that a file ingested twice is
// recognised.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func nowUTC() time.Time { return time.Now().UTC().Truncate(time.Second) }
