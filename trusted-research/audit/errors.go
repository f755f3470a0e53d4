package audit

import "errors"

// Sentinel errors; test with errors.Is.
var (
	// ErrCorrupt: the log's files are not a valid, intact audit log.
	ErrCorrupt = errors.New("audit: log corrupt or tampered with")
	// ErrInvalid: an entry or an option is not acceptable (nothing was
	// written).
	ErrInvalid = errors.New("audit: invalid")
	// ErrLocked: another Log (in this or another process) has the log open.
	ErrLocked = errors.New("audit: log is open elsewhere")
	// ErrClosed: the Log has been closed.
	ErrClosed = errors.New("audit: log closed")
	// ErrUncovered: Open found complete entries after the last checkpoint
	// and Options.StrictOpen forbids sealing them.
	ErrUncovered = errors.New("audit: entries after the last checkpoint")
	// ErrExist: Init found an audit log or key already there.
	ErrExist = errors.New("audit: already initialised")
	// ErrBroken: an earlier write failed; the Log accepts no more appends.
	// Reopen it: Open repairs a torn tail (see docs/audit.md).
	ErrBroken = errors.New("audit: log broken by an earlier write error")
	// ErrProof: an inclusion or consistency proof, or a checkpoint
	// signature, does not verify.
	ErrProof = errors.New("audit: proof does not verify")
)
