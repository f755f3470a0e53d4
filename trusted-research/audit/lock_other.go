//go:build !unix

package audit

import (
	"errors"
	"os"
)

var errWouldBlock = errors.New("lock held elsewhere")

// Without flock, no cross-process lock is taken: on these systems only one
// process may open a log, by convention.
func lockFile(f *os.File, exclusive bool) error { return nil }

func unlockFile(f *os.File) error { return nil }
