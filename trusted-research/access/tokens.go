package access

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/gentre/gentre/pseudonymise"
)

// Token format: TokenPrefix then the base64url (no padding) of TokenBytes
// bytes from crypto/rand. The prefix makes leaked tokens recognisable to
// secret scanners and log redaction (LooksLikeToken).
const (
	TokenPrefix = "gtr_"
	TokenBytes  = 32
	TokenLen    = len(TokenPrefix) + (TokenBytes*8+5)/6 // 47
)

// lookupLen is how much of a token's SHA-256 keys the tokens bucket; the
// record holds all 32 bytes, compared in constant time.
const lookupLen = 16

// tokenIDDomain separates token IDs from token hashes.
const tokenIDDomain = "gentre-token-id\x00"

// TokenSpec describes a token to create.
type TokenSpec struct {
	User string
	Role Role
	// Project is required for researcher, industry and output-checker and
	// refused for the other roles.
	Project string
	// Person is the citizen's person pseudonym (CitizenPseudonym), required
	// for role citizen and refused for the others.
	Person *pseudonymise.Pseudonym
	// TTL is the token's lifetime; zero means Options.TokenTTL (90 days).
	TTL time.Duration
}

// TokenInfo describes a stored token, without its secret or hash.
type TokenInfo struct {
	ID        string
	User      string
	Role      Role
	Project   string
	Created   time.Time
	Expires   time.Time
	Revoked   bool
	RevokedAt time.Time
	// Citizen reports whether the token is bound to a person pseudonym (the
	// pseudonym itself is not listed).
	Citizen bool
}

// Principal is who a request comes from: what Authenticate returns and
// Allowed checks.
type Principal struct {
	TokenID string
	User    string
	Role    Role
	// Project and Purpose are the token's project and that project's
	// purpose; both empty for roles without a project.
	Project string
	Purpose Purpose
	// Person is a citizen's person pseudonym (zero for other roles): their
	// transparency record is the uses of this pseudonym.
	Person  pseudonymise.Pseudonym
	Expires time.Time
}

// CitizenPseudonym validates an NHS number (modulus 11, spaces and hyphens
// allowed) and returns its person pseudonym under the store key, the same
// pseudonym ingest gives the person. The number itself goes no further.
func CitizenPseudonym(key *pseudonymise.Key, nhsNumber string) (pseudonymise.Pseudonym, error) {
	n, err := pseudonymise.NormaliseNHSNumber(nhsNumber)
	if err != nil {
		return pseudonymise.Pseudonym{}, fmt.Errorf("access: %w", err)
	}
	return key.Of(pseudonymise.DomainPerson, n), nil
}

// TokenID returns the public ID of a token: 16 hex digits of a
// domain-separated SHA-256 of it. IDs name tokens in listings, audit
// records and Revoke; whoever finds a leaked token can compute its ID.
func TokenID(token string) string {
	h := sha256.New()
	h.Write([]byte(tokenIDDomain))
	h.Write([]byte(token))
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:8])
}

// LooksLikeToken reports whether s has the form of a gentre token (for
// redacting logs and scanning for leaks; it says nothing of validity).
func LooksLikeToken(s string) bool {
	if len(s) != TokenLen || s[:len(TokenPrefix)] != TokenPrefix {
		return false
	}
	for i := len(TokenPrefix); i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

type tokenRecord struct {
	hash      []byte
	id        []byte
	user      []byte
	role      Role
	project   []byte
	created   int64
	expires   int64
	revokedAt int64
	person    []byte
}

func encodeToken(t *tokenRecord) []byte {
	e := newEncoder(kindToken)
	e.bytes(t.hash)
	e.bytes(t.id)
	e.bytes(t.user)
	e.str(string(t.role))
	e.bytes(t.project)
	e.int(t.created)
	e.int(t.expires)
	e.int(t.revokedAt)
	e.bytes(t.person)
	return e.finish()
}

// decodeToken decodes a token record; its slices alias rec.
func decodeToken(rec []byte, t *tokenRecord) error {
	d, err := newDecoder(kindToken, rec)
	if err != nil {
		return err
	}
	t.hash = d.bytes()
	t.id = d.bytes()
	t.user = d.bytes()
	t.role = roleOf(d.bytes())
	t.project = d.bytes()
	t.created = d.int()
	t.expires = d.int()
	t.revokedAt = d.int()
	t.person = d.bytes()
	if err := d.err(); err != nil {
		return err
	}
	if len(t.hash) != sha256.Size || !t.role.Valid() || (len(t.person) != 0 && len(t.person) != len(pseudonymise.Pseudonym{})) {
		return fmt.Errorf("%w: token record fields", ErrCorrupt)
	}
	return nil
}

// roleOf converts stored bytes to a Role without allocating ("" if
// unknown).
func roleOf(b []byte) Role {
	for _, r := range roles {
		if string(b) == string(r) {
			return r
		}
	}
	return ""
}

func (t *tokenRecord) info() TokenInfo {
	return TokenInfo{
		ID:        string(t.id),
		User:      string(t.user),
		Role:      t.role,
		Project:   string(t.project),
		Created:   fromUnixNano(t.created),
		Expires:   fromUnixNano(t.expires),
		Revoked:   t.revokedAt != 0,
		RevokedAt: fromUnixNano(t.revokedAt),
		Citizen:   len(t.person) != 0,
	}
}

// validate checks a token spec without the database.
func (s *Store) validate(spec *TokenSpec) error {
	if err := ValidateUserID(spec.User); err != nil {
		return err
	}
	if !spec.Role.Valid() {
		return fmt.Errorf("%w role %q: want one of data-manager, researcher, industry, output-checker, auditor, citizen", ErrInvalid, spec.Role)
	}
	switch {
	case spec.Role.NeedsProject() && spec.Project == "":
		return fmt.Errorf("%w token: role %s needs a project", ErrInvalid, spec.Role)
	case !spec.Role.NeedsProject() && spec.Project != "":
		return fmt.Errorf("%w token: role %s is not bound to a project; give none", ErrInvalid, spec.Role)
	case spec.Role == Citizen && spec.Person == nil:
		return fmt.Errorf("%w token: role citizen needs the person's NHS number", ErrInvalid)
	case spec.Role != Citizen && spec.Person != nil:
		return fmt.Errorf("%w token: only a citizen token is bound to a person", ErrInvalid)
	case spec.TTL < 0:
		return fmt.Errorf("%w token lifetime: negative", ErrInvalid)
	case spec.TTL > s.opts.MaxTokenTTL:
		return fmt.Errorf("%w token lifetime: %v exceeds the maximum %v", ErrInvalid, spec.TTL, s.opts.MaxTokenTTL)
	}
	if spec.Project != "" {
		if err := ValidateProjectName(spec.Project); err != nil {
			return err
		}
	}
	return nil
}

// CreateToken makes a new token and stores its hash. It returns the token
// (shown once: it cannot be recovered) and its description. A token for a
// user not yet known creates the user.
func (s *Store) CreateToken(spec TokenSpec) (string, TokenInfo, error) {
	if err := s.validate(&spec); err != nil {
		return "", TokenInfo{}, fmt.Errorf("access: %w", err)
	}
	ttl := spec.TTL
	if ttl == 0 {
		ttl = s.opts.TokenTTL
	}
	var raw [TokenBytes]byte
	rand.Read(raw[:]) // never fails (crypto/rand since Go 1.24)
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	clear(raw[:])
	sum := sha256.Sum256([]byte(token))
	now := s.now()
	rec := tokenRecord{
		hash:    sum[:],
		id:      []byte(TokenID(token)),
		user:    []byte(spec.User),
		role:    spec.Role,
		project: []byte(spec.Project),
		created: now.UnixNano(),
		expires: now.Add(ttl).UnixNano(),
	}
	if spec.Person != nil {
		rec.person = spec.Person[:]
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if spec.Project != "" {
			p, err := getProject(tx, spec.Project, false)
			if err != nil {
				return err
			}
			if p.Ended(now) {
				return fmt.Errorf("%w token: project %q has ended", ErrInvalid, spec.Project)
			}
			if err := PurposeAllowsRole(p.Purpose, spec.Role); err != nil {
				return err
			}
		}
		if err := ensureUser(tx, spec.User, now); err != nil {
			return err
		}
		tb, err := bucket(tx, bucketTokens)
		if err != nil {
			return err
		}
		ib, err := bucket(tx, bucketTokenIDs)
		if err != nil {
			return err
		}
		// With 128- and 64-bit keys from a 256-bit random token these
		// cannot collide in practice; refuse rather than overwrite.
		if tb.Get(sum[:lookupLen]) != nil || ib.Get(rec.id) != nil {
			return fmt.Errorf("token hash collision; try again")
		}
		if err := tb.Put(sum[:lookupLen], encodeToken(&rec)); err != nil {
			return err
		}
		return ib.Put(rec.id, sum[:lookupLen])
	})
	if err != nil {
		return "", TokenInfo{}, fmt.Errorf("access: %w", err)
	}
	return token, rec.info(), nil
}

// Authenticate returns the principal of a bearer token, or exactly
// ErrUnauthenticated for a token that is malformed, unknown, expired,
// revoked, or of a project that has ended or no longer exists — the same
// error whichever it is. The token is looked up by its SHA-256 and the
// stored hash compared with hmac.Equal; beyond the public prefix and
// length, no step branches on the token's characters. Other errors mean the database failed (HTTP 500).
func (s *Store) Authenticate(token string) (*Principal, error) {
	if len(token) != TokenLen || token[:len(TokenPrefix)] != TokenPrefix {
		return nil, ErrUnauthenticated
	}
	var buf [TokenLen]byte
	copy(buf[:], token)
	sum := sha256.Sum256(buf[:])
	now := s.now()

	tx, err := s.db.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("access: %w", err)
	}
	defer tx.Rollback()
	tb, err := bucket(tx, bucketTokens)
	if err != nil {
		return nil, fmt.Errorf("access: %w", err)
	}
	v := tb.Get(sum[:lookupLen])
	if v == nil {
		return nil, ErrUnauthenticated
	}
	var t tokenRecord
	if err := decodeToken(v, &t); err != nil {
		return nil, fmt.Errorf("access: token record: %w", err)
	}
	if !hmac.Equal(t.hash, sum[:]) || t.revokedAt != 0 || now.UnixNano() >= t.expires {
		return nil, ErrUnauthenticated
	}
	p := &Principal{Role: t.role, Expires: fromUnixNano(t.expires)}
	if len(t.project) != 0 {
		proj, err := getProject(tx, string(t.project), false)
		if err != nil || proj.Ended(now) || !proj.Purpose.Valid() {
			return nil, ErrUnauthenticated
		}
		p.Project = string(t.project)
		p.Purpose = proj.Purpose
	}
	p.TokenID = string(t.id)
	p.User = string(t.user)
	copy(p.Person[:], t.person)
	return p, nil
}

// Revoke marks a token revoked, by ID; from then on it does not
// authenticate. Revoking a revoked token is not an error.
func (s *Store) Revoke(id string) error {
	if len(id) != 16 {
		return fmt.Errorf("access: %w token ID: want 16 hex digits", ErrInvalid)
	}
	if _, err := hex.DecodeString(id); err != nil {
		return fmt.Errorf("access: %w token ID: want 16 hex digits", ErrInvalid)
	}
	now := s.now()
	err := s.db.Update(func(tx *bolt.Tx) error {
		tb, err := bucket(tx, bucketTokens)
		if err != nil {
			return err
		}
		ib, err := bucket(tx, bucketTokenIDs)
		if err != nil {
			return err
		}
		key := ib.Get([]byte(id))
		if key == nil {
			return fmt.Errorf("token %s: %w", id, ErrNotFound)
		}
		key = bytes.Clone(key)
		v := tb.Get(key)
		if v == nil {
			return fmt.Errorf("%w: token %s indexed but absent", ErrCorrupt, id)
		}
		var t tokenRecord
		if err := decodeToken(v, &t); err != nil {
			return err
		}
		if t.revokedAt != 0 {
			return nil
		}
		t.revokedAt = now.UnixNano()
		return tb.Put(key, encodeToken(&t))
	})
	if err != nil {
		return fmt.Errorf("access: %w", err)
	}
	return nil
}

// ListTokens describes every token, without secrets, oldest first.
func (s *Store) ListTokens() ([]TokenInfo, error) {
	var out []TokenInfo
	err := s.db.View(func(tx *bolt.Tx) error {
		tb, err := bucket(tx, bucketTokens)
		if err != nil {
			return err
		}
		return tb.ForEach(func(_, v []byte) error {
			var t tokenRecord
			if err := decodeToken(v, &t); err != nil {
				return err
			}
			out = append(out, t.info())
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("access: %w", err)
	}
	slices.SortFunc(out, func(a, b TokenInfo) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}
