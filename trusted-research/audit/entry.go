package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"
	"unicode/utf8"
)

// MaxEntrySize is the largest canonical entry, in bytes. Append refuses a
// larger one (ErrInvalid) and Verify treats a longer frame as corrupt.
const MaxEntrySize = 1 << 20

// Entry is one use of the data: a request, an ingest, an opt-out, a
// release, an airlock review. Its canonical bytes (AppendCanonical) are the
// Merkle tree leaf.
//
// Nothing identifying may be put in an Entry: Request carries the query as
// the gateway saw it after pseudonymisation, never an NHS number.
type Entry struct {
	// Seq is the entry's position in the log, from 0; it is also its Merkle
	// leaf index. Append assigns it (whatever the caller put there).
	Seq uint64
	// Time is when the use happened, stored in UTC to the nanosecond
	// (RFC 3339). Append sets it to the current time when zero.
	Time time.Time
	// Actor is who: a user id, or "cli:<uid>" for the command line.
	Actor string
	// Role is the actor's role (data-manager, researcher, industry, ...).
	Role string
	// Project and Purpose are the project the request ran in and its
	// approved purpose; empty for store-wide actions (ingest, opt-out).
	Project string
	Purpose string
	// Action is what was done: query, ingest.vcf, ingest.fhir, optout,
	// release, airlock.review, ...
	Action string
	// Request is the request as received, already pseudonymised (query
	// text, file names, counts): never an identifier.
	Request string
	// Result is the SHA-256 of the answer bytes (DigestOf); zero when there
	// was no answer (a denied request).
	Result Digest
	// Decision is allowed, "denied: <reason>", suppressed, ...
	Decision string
	// Release is the data release (committed store state) the action read
	// or produced.
	Release uint64
}

// CLIActor is the Actor for the command line: "cli:<uid>".
func CLIActor() string { return "cli:" + strconv.Itoa(os.Getuid()) }

// Digest is a SHA-256 digest. Its JSON form is 64 lower-case hex digits,
// or "" for the zero digest (no result).
type Digest [sha256.Size]byte

// DigestOf returns the SHA-256 of b: the Result of an answer b.
func DigestOf(b []byte) Digest { return sha256.Sum256(b) }

// IsZero reports whether d is the zero digest (no result).
func (d Digest) IsZero() bool { return d == Digest{} }

// String returns d in hex, or "" when zero.
func (d Digest) String() string {
	if d.IsZero() {
		return ""
	}
	return hex.EncodeToString(d[:])
}

// MarshalText implements encoding.TextMarshaler.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler. It accepts only the
// canonical forms: "" or 64 lower-case hex digits.
func (d *Digest) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Digest{}
		return nil
	}
	if len(b) != 2*sha256.Size {
		return fmt.Errorf("digest: want %d hex digits, have %d", 2*sha256.Size, len(b))
	}
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return fmt.Errorf("digest: not lower-case hex")
		}
	}
	var x Digest
	if _, err := hex.Decode(x[:], b); err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	if x.IsZero() {
		return fmt.Errorf("digest: the zero digest is written \"\"")
	}
	*d = x
	return nil
}

// timeLayout is RFC 3339 with nanoseconds, trailing zeros dropped; always
// UTC ("Z").
const timeLayout = time.RFC3339Nano

// validate checks what AppendCanonical needs.
func (e *Entry) validate() error {
	for _, f := range [...]struct{ name, v string }{
		{"actor", e.Actor}, {"role", e.Role}, {"project", e.Project}, {"purpose", e.Purpose},
		{"action", e.Action}, {"request", e.Request}, {"decision", e.Decision},
	} {
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%w: entry %s is not valid UTF-8", ErrInvalid, f.name)
		}
	}
	if e.Actor == "" || e.Action == "" || e.Decision == "" {
		return fmt.Errorf("%w: entry needs an actor, an action and a decision", ErrInvalid)
	}
	if y := e.Time.UTC().Year(); y < 1 || y > 9999 {
		return fmt.Errorf("%w: entry time out of range", ErrInvalid)
	}
	return nil
}

// appendCanonical appends the canonical form of a validated entry:
//
//	{"seq":N,"time":"T","actor":S,"role":S,"project":S,"purpose":S,
//	 "action":S,"request":S,"result":"H","decision":S,"release":N}
//
// on one line with no spaces; N in decimal without leading zeros; T in
// RFC 3339 UTC with nanoseconds, trailing zeros dropped; H 64 lower-case
// hex digits or empty; strings as appendString writes them. This form is
// fixed by docs/audit.md, not by any library's encoder.
func (e *Entry) appendCanonical(dst []byte) []byte {
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendUint(dst, e.Seq, 10)
	dst = append(dst, `,"time":"`...)
	dst = e.Time.UTC().AppendFormat(dst, timeLayout)
	dst = append(dst, `","actor":`...)
	dst = appendString(dst, e.Actor)
	dst = append(dst, `,"role":`...)
	dst = appendString(dst, e.Role)
	dst = append(dst, `,"project":`...)
	dst = appendString(dst, e.Project)
	dst = append(dst, `,"purpose":`...)
	dst = appendString(dst, e.Purpose)
	dst = append(dst, `,"action":`...)
	dst = appendString(dst, e.Action)
	dst = append(dst, `,"request":`...)
	dst = appendString(dst, e.Request)
	dst = append(dst, `,"result":"`...)
	if !e.Result.IsZero() {
		dst = hex.AppendEncode(dst, e.Result[:])
	}
	dst = append(dst, `","decision":`...)
	dst = appendString(dst, e.Decision)
	dst = append(dst, `,"release":`...)
	dst = strconv.AppendUint(dst, e.Release, 10)
	return append(dst, '}')
}

// appendString appends s (valid UTF-8) as a JSON string, escaping only
// what JSON requires: `"` and `\` as \" and \\, newline, carriage return
// and tab as \n, \r and \t, other bytes below 0x20 as \u00xx (lower-case
// hex). Everything else, non-ASCII included, is written as is.
func appendString(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendCanonical appends the canonical bytes of e (its Merkle leaf) to dst.
func (e *Entry) AppendCanonical(dst []byte) ([]byte, error) {
	if err := e.validate(); err != nil {
		return dst, err
	}
	return e.appendCanonical(dst), nil
}

// ParseEntry decodes canonical entry bytes. It fails (ErrCorrupt) unless b
// is exactly the canonical encoding of the entry it decodes to, so no two
// byte strings parse to the same Entry. Errors never quote b.
func ParseEntry(b []byte) (Entry, error) {
	p := entryParser{b: b}
	var e Entry
	p.lit(`{"seq":`)
	e.Seq = p.uint()
	p.lit(`,"time":`)
	ts := p.str()
	p.lit(`,"actor":`)
	e.Actor = p.str()
	p.lit(`,"role":`)
	e.Role = p.str()
	p.lit(`,"project":`)
	e.Project = p.str()
	p.lit(`,"purpose":`)
	e.Purpose = p.str()
	p.lit(`,"action":`)
	e.Action = p.str()
	p.lit(`,"request":`)
	e.Request = p.str()
	p.lit(`,"result":`)
	result := p.str()
	p.lit(`,"decision":`)
	e.Decision = p.str()
	p.lit(`,"release":`)
	e.Release = p.uint()
	p.lit(`}`)
	if p.bad || p.i != len(b) {
		return Entry{}, fmt.Errorf("%w: entry is not JSON of the entry form", ErrCorrupt)
	}
	t, err := time.Parse(timeLayout, ts)
	if err != nil {
		return Entry{}, fmt.Errorf("%w: entry time is not RFC 3339", ErrCorrupt)
	}
	e.Time = t.UTC()
	if err := e.Result.UnmarshalText([]byte(result)); err != nil {
		return Entry{}, fmt.Errorf("%w: entry result is not a digest", ErrCorrupt)
	}
	canon, err := e.AppendCanonical(make([]byte, 0, len(b)))
	if err != nil || !bytes.Equal(canon, b) {
		return Entry{}, fmt.Errorf("%w: entry is not in canonical form", ErrCorrupt)
	}
	return e, nil
}

// entryParser reads the canonical entry form: fixed keys in fixed order.
// It accepts some non-canonical spellings (escapes); ParseEntry's
// re-encoding check rejects them.
type entryParser struct {
	b   []byte
	i   int
	bad bool
}

func (p *entryParser) lit(s string) {
	if p.bad || !bytes.HasPrefix(p.b[p.i:], []byte(s)) {
		p.bad = true
		return
	}
	p.i += len(s)
}

func (p *entryParser) uint() uint64 {
	if p.bad {
		return 0
	}
	j := p.i
	for j < len(p.b) && p.b[j] >= '0' && p.b[j] <= '9' {
		j++
	}
	v, err := strconv.ParseUint(string(p.b[p.i:j]), 10, 64)
	if err != nil {
		p.bad = true
		return 0
	}
	p.i = j
	return v
}

// str reads a JSON string; the common case (no escapes) without
// encoding/json.
func (p *entryParser) str() string {
	if p.bad || p.i >= len(p.b) || p.b[p.i] != '"' {
		p.bad = true
		return ""
	}
	escaped := false
	for j := p.i + 1; j < len(p.b); j++ {
		switch p.b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			tok := p.b[p.i : j+1]
			p.i = j + 1
			if !escaped {
				return string(tok[1 : len(tok)-1])
			}
			var s string
			if err := json.Unmarshal(tok, &s); err != nil {
				p.bad = true
			}
			return s
		}
	}
	p.bad = true
	return ""
}
