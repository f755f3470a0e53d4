package store

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func nowUTC() time.Time { return time.Now().UTC().Truncate(time.Second) }
