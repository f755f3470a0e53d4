package access

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/gentre/gentre/pseudonymise"
)

// A valid NHS number (modulus 11) and how people write it.
const (
	testNHS       = "9434765919"
	testNHSSpaced = "943 476 5919"
)

func testKey(t testing.TB) *pseudonymise.Key {
	t.Helper()
	k, err := pseudonymise.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestTokenRoundTrip(t *testing.T) {
	s, c, _ := openTest(t)
	mustProject(t, s, "alpha", PurposeResearch)
	tok, info := mustToken(t, s, TokenSpec{User: "ada", Role: Researcher, Project: "alpha"})

	if !strings.HasPrefix(tok, TokenPrefix) || len(tok) != TokenLen || TokenLen != 47 || !LooksLikeToken(tok) {
		t.Fatalf("token %q does not have the documented form", tok)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(tok[len(TokenPrefix):]); err != nil || len(raw) != TokenBytes {
		t.Fatalf("token body: %d bytes, %v", len(raw), err)
	}
	if info.ID != TokenID(tok) || len(info.ID) != 16 {
		t.Fatalf("ID %q, TokenID %q", info.ID, TokenID(tok))
	}
	if want := c.Now().Add(DefaultTokenTTL); !info.Expires.Equal(want) {
		t.Fatalf("expires %v, want %v (90 days)", info.Expires, want)
	}

	p, err := s.Authenticate(tok)
	if err != nil {
		t.Fatal(err)
	}
	want := Principal{TokenID: info.ID, User: "ada", Role: Researcher, Project: "alpha", Purpose: PurposeResearch, Expires: info.Expires}
	if *p != want {
		t.Fatalf("principal\n got %+v\nwant %+v", *p, want)
	}
	if err := Allowed(p, ActionFreq, "alpha"); err != nil {
		t.Fatal(err)
	}

	// Two tokens differ; the user was created with the first.
	tok2, _ := mustToken(t, s, TokenSpec{User: "ada", Role: Researcher, Project: "alpha", TTL: time.Hour})
	if tok2 == tok {
		t.Fatal("two tokens are equal")
	}
	if u, err := s.User("ada"); err != nil || !u.Created.Equal(c.Now()) {
		t.Fatalf("user %+v %v", u, err)
	}
	c.Advance(time.Hour)
	if _, err := s.Authenticate(tok2); err != ErrUnauthenticated {
		t.Fatalf("one-hour token after an hour: %v", err)
	}
	if _, err := s.Authenticate(tok); err != nil {
		t.Fatalf("90-day token after an hour: %v", err)
	}
}

// TestBadTokensIdentical: every kind of bad token gives exactly
// ErrUnauthenticated, with one message.
func TestBadTokensIdentical(t *testing.T) {
	s, c, _ := openTest(t)
	mustProject(t, s, "alpha", PurposeResearch)
	if _, err := s.CreateProject(ProjectSpec{Name: "short", Purpose: PurposeResearch, End: c.Now().Add(48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	good, _ := mustToken(t, s, TokenSpec{User: "ada", Role: Researcher, Project: "alpha"})
	expiring, _ := mustToken(t, s, TokenSpec{User: "bob", Role: Auditor, TTL: 24 * time.Hour})
	revoked, rinfo := mustToken(t, s, TokenSpec{User: "cy", Role: DataManager})
	ending, _ := mustToken(t, s, TokenSpec{User: "di", Role: Industry, Project: "short"})
	closing, _ := mustToken(t, s, TokenSpec{User: "ed", Role: OutputChecker, Project: "alpha"})

	if err := s.Revoke(rinfo.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(rinfo.ID); err != nil {
		t.Fatalf("second revoke: %v", err)
	}
	c.Advance(48 * time.Hour) // expiring has expired, short has ended

	flip := []byte(good)
	flip[len(flip)-1] ^= 1
	bad := map[string]string{
		"empty":         "",
		"prefix only":   TokenPrefix,
		"garbage":       "not a token at all",
		"bearer":        "Bearer " + good,
		"trailing":      good + " ",
		"one bit":       string(flip),
		"upper prefix":  "GTR_" + good[len(TokenPrefix):],
		"no prefix":     good[len(TokenPrefix):] + "abcd",
		"unknown":       TokenPrefix + strings.Repeat("A", TokenLen-len(TokenPrefix)),
		"non-ascii":     TokenPrefix + strings.Repeat("é", 21) + "x",
		"expired":       expiring,
		"revoked":       revoked,
		"project ended": ending,
	}
	for name, tok := range bad {
		p, err := s.Authenticate(tok)
		if err != ErrUnauthenticated || p != nil {
			t.Errorf("%s: %v %v, want exactly ErrUnauthenticated", name, p, err)
		} else if err.Error() != ErrUnauthenticated.Error() {
			t.Errorf("%s: message %q", name, err)
		}
	}
	if _, err := s.Authenticate(good); err != nil {
		t.Fatalf("good token: %v", err)
	}
	// Closing a project early stops its tokens at once.
	if _, err := s.Authenticate(closing); err != nil {
		t.Fatal(err)
	}
	if err := s.SetProjectEnd("alpha", c.Now()); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{good, closing} {
		if _, err := s.Authenticate(tok); err != ErrUnauthenticated {
			t.Errorf("token of a closed project: %v", err)
		}
	}
	// Extending it brings them back (they have not expired).
	if err := s.SetProjectEnd("alpha", c.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(good); err != nil {
		t.Errorf("token of an extended project: %v", err)
	}
}

// TestOnlyHashStored scans the database file's bytes for every token in
// every encoding, and for the NHS number behind a citizen token.
func TestOnlyHashStored(t *testing.T) {
	s, _, path := openTest(t)
	mustProject(t, s, "alpha", PurposeResearch)
	key := testKey(t)
	person, err := CitizenPseudonym(key, testNHSSpaced)
	if err != nil {
		t.Fatal(err)
	}
	var toks []string
	for _, spec := range []TokenSpec{
		{User: "ada", Role: Researcher, Project: "alpha"},
		{User: "bob", Role: Industry, Project: "alpha"},
		{User: "pipeline", Role: DataManager},
		{User: "citizen-1", Role: Citizen, Person: &person},
	} {
		tok, _ := mustToken(t, s, spec)
		toks = append(toks, tok)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		body := tok[len(TokenPrefix):]
		raw, err := base64.RawURLEncoding.DecodeString(body)
		if err != nil {
			t.Fatal(err)
		}
		forms := map[string][]byte{
			"token":            []byte(tok),
			"body":             []byte(body),
			"raw":              raw,
			"hex":              []byte(hex.EncodeToString(raw)),
			"HEX":              []byte(strings.ToUpper(hex.EncodeToString(raw))),
			"base64":           []byte(base64.StdEncoding.EncodeToString(raw)),
			"base64 raw std":   []byte(base64.RawStdEncoding.EncodeToString(raw)),
			"token hex":        []byte(hex.EncodeToString([]byte(tok))),
			"token base64":     []byte(base64.StdEncoding.EncodeToString([]byte(tok))),
			"first half raw":   raw[:16],
			"first half body":  []byte(body[:20]),
			"second half body": []byte(body[20:]),
		}
		for name, f := range forms {
			if bytes.Contains(db, f) {
				t.Errorf("database file contains the %s form of a token", name)
			}
		}
		// Positive control: the scan does find what is stored.
		sum := sha256.Sum256([]byte(tok))
		if !bytes.Contains(db, sum[:]) {
			t.Errorf("database file lacks the token's SHA-256: the scan is not looking at the records")
		}
	}
	for _, nhs := range []string{testNHS, testNHSSpaced, "943-476-5919", hex.EncodeToString([]byte(testNHS))} {
		if bytes.Contains(db, []byte(nhs)) {
			t.Errorf("database file contains the NHS number (%d bytes form)", len(nhs))
		}
	}
	if !bytes.Contains(db, person[:]) {
		t.Error("database file lacks the citizen's pseudonym: the scan is not looking at the records")
	}
}

func TestCitizenToken(t *testing.T) {
	s, _, _ := openTest(t)
	key := testKey(t)
	person, err := CitizenPseudonym(key, testNHSSpaced)
	if err != nil {
		t.Fatal(err)
	}
	if person != key.Of(pseudonymise.DomainPerson, testNHS) {
		t.Fatal("citizen pseudonym differs from the person pseudonym ingest gives")
	}
	tok, info := mustToken(t, s, TokenSpec{User: "citizen-1", Role: Citizen, Person: &person})
	if !info.Citizen {
		t.Error("info does not say the token is bound to a person")
	}
	p, err := s.Authenticate(tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.Person != person || p.Role != Citizen || p.Project != "" {
		t.Fatalf("principal %+v", p)
	}
	if err := Allowed(p, ActionMeUses, ""); err != nil {
		t.Fatal(err)
	}
	// Other roles carry no person.
	dm, _ := mustToken(t, s, TokenSpec{User: "pipeline", Role: DataManager})
	if p, err := s.Authenticate(dm); err != nil || p.Person != (pseudonymise.Pseudonym{}) {
		t.Fatalf("data-manager principal %+v %v", p, err)
	}
	// A bad NHS number: an error that does not quote it.
	for _, badNHS := range []string{"9434765918", "94347659", "943476591x"} {
		_, err := CitizenPseudonym(key, badNHS)
		if !errors.Is(err, pseudonymise.ErrNHSNumber) || strings.Contains(err.Error(), badNHS) {
			t.Errorf("bad NHS number: %v", err)
		}
	}
}

func TestTokenSpecValidation(t *testing.T) {
	s, c, _ := openTest(t)
	mustProject(t, s, "alpha", PurposeResearch)
	mustProject(t, s, "plan", PurposePlanning)
	mustProject(t, s, "clinic", PurposeCare)
	if _, err := s.CreateProject(ProjectSpec{Name: "brief", Purpose: PurposeResearch, End: c.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	person := testKey(t).Of(pseudonymise.DomainPerson, testNHS)
	cases := []struct {
		name string
		spec TokenSpec
		want error
	}{
		{"researcher without project", TokenSpec{User: "a", Role: Researcher}, ErrInvalid},
		{"industry without project", TokenSpec{User: "a", Role: Industry}, ErrInvalid},
		{"checker without project", TokenSpec{User: "a", Role: OutputChecker}, ErrInvalid},
		{"data-manager with project", TokenSpec{User: "a", Role: DataManager, Project: "alpha"}, ErrInvalid},
		{"auditor with project", TokenSpec{User: "a", Role: Auditor, Project: "alpha"}, ErrInvalid},
		{"citizen with project", TokenSpec{User: "a", Role: Citizen, Project: "alpha", Person: &person}, ErrInvalid},
		{"citizen without person", TokenSpec{User: "a", Role: Citizen}, ErrInvalid},
		{"researcher with person", TokenSpec{User: "a", Role: Researcher, Project: "alpha", Person: &person}, ErrInvalid},
		{"unknown role", TokenSpec{User: "a", Role: "admin"}, ErrInvalid},
		{"empty role", TokenSpec{User: "a"}, ErrInvalid},
		{"empty user", TokenSpec{Role: DataManager}, ErrInvalid},
		{"user with space", TokenSpec{User: "a b", Role: DataManager}, ErrInvalid},
		{"user is an NHS number", TokenSpec{User: testNHS, Role: DataManager}, ErrInvalid},
		{"user holds an NHS number", TokenSpec{User: "nhs-943-476-5919", Role: DataManager}, ErrInvalid},
		{"user too long", TokenSpec{User: strings.Repeat("a", 65), Role: DataManager}, ErrInvalid},
		{"unknown project", TokenSpec{User: "a", Role: Researcher, Project: "nope"}, ErrNotFound},
		{"bad project name", TokenSpec{User: "a", Role: Researcher, Project: "../x"}, ErrInvalid},
		{"ended project", TokenSpec{User: "a", Role: Researcher, Project: "brief"}, ErrInvalid},
		{"industry in care", TokenSpec{User: "a", Role: Industry, Project: "clinic"}, ErrInvalid},
		{"industry in planning", TokenSpec{User: "a", Role: Industry, Project: "plan"}, ErrInvalid},
		{"negative ttl", TokenSpec{User: "a", Role: DataManager, TTL: -time.Second}, ErrInvalid},
		{"ttl too long", TokenSpec{User: "a", Role: DataManager, TTL: 400 * 24 * time.Hour}, ErrInvalid},
	}
	for _, tc := range cases {
		tok, _, err := s.CreateToken(tc.spec)
		if !errors.Is(err, tc.want) || tok != "" {
			t.Errorf("%s: %q %v, want %v", tc.name, tok, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), testNHS) {
			t.Errorf("%s: error quotes the NHS number: %v", tc.name, err)
		}
	}
	if toks, err := s.ListTokens(); err != nil || len(toks) != 0 {
		t.Fatalf("failed creations left tokens: %v %v", toks, err)
	}
	if users, err := s.ListUsers(); err != nil || len(users) != 0 {
		t.Fatalf("failed creations left users: %v %v", users, err)
	}
	// The valid neighbours of those cases.
	for _, spec := range []TokenSpec{
		{User: "a", Role: Researcher, Project: "plan"},
		{User: "a", Role: Researcher, Project: "clinic"},
		{User: "a", Role: OutputChecker, Project: "clinic"},
		{User: "a", Role: Industry, Project: "alpha"},
		{User: "jo.bloggs@nhs.net", Role: Auditor, TTL: DefaultMaxTokenTTL},
		{User: "a", Role: Citizen, Person: &person},
	} {
		mustToken(t, s, spec)
	}
}

func TestRevokeAndList(t *testing.T) {
	s, c, _ := openTest(t)
	mustProject(t, s, "alpha", PurposeResearch)
	var toks []string
	var ids []string
	for i, spec := range []TokenSpec{
		{User: "ada", Role: Researcher, Project: "alpha"},
		{User: "bob", Role: DataManager},
		{User: "cy", Role: Auditor},
	} {
		c.Advance(time.Duration(i) * time.Minute)
		tok, info := mustToken(t, s, spec)
		toks = append(toks, tok)
		ids = append(ids, info.ID)
	}
	if err := s.Revoke(ids[1]); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListTokens()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("%d tokens listed", len(list))
	}
	for i, info := range list {
		if info.ID != ids[i] {
			t.Errorf("list[%d] = %s, want %s (oldest first)", i, info.ID, ids[i])
		}
		if info.Revoked != (i == 1) || info.Revoked != !info.RevokedAt.IsZero() {
			t.Errorf("list[%d] revoked %v at %v", i, info.Revoked, info.RevokedAt)
		}
	}
	dump := fmt.Sprintf("%+v %#v", list, list)
	for _, tok := range toks {
		if strings.Contains(dump, tok[len(TokenPrefix):len(TokenPrefix)+12]) {
			t.Error("ListTokens shows a token")
		}
	}
	if _, err := s.Authenticate(toks[1]); err != ErrUnauthenticated {
		t.Errorf("revoked token: %v", err)
	}
	if err := s.Revoke("0123456789abcdef"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown ID: %v", err)
	}
	for _, id := range []string{"", "xyz", toks[0], "0123456789abcdeg"} {
		if err := s.Revoke(id); !errors.Is(err, ErrInvalid) {
			t.Errorf("malformed ID: %v", err)
		}
	}
	// A leaked token is revoked by the ID computed from it.
	if err := s.Revoke(TokenID(toks[2])); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(toks[2]); err != ErrUnauthenticated {
		t.Errorf("revoked leaked token: %v", err)
	}
	if _, err := s.Authenticate(toks[0]); err != nil {
		t.Errorf("other token: %v", err)
	}
}

// TestConcurrentAuthenticate runs Authenticate from many goroutines while
// tokens are created and revoked (run with -race).
func TestConcurrentAuthenticate(t *testing.T) {
	s, _, _ := openTest(t)
	mustProject(t, s, "alpha", PurposeResearch)
	const n = 8
	var toks [n]string
	for i := range toks {
		toks[i], _ = mustToken(t, s, TokenSpec{User: fmt.Sprintf("user-%d", i), Role: Researcher, Project: "alpha"})
	}
	doomed, dinfo := mustToken(t, s, TokenSpec{User: "doomed", Role: DataManager})

	var wg sync.WaitGroup
	errc := make(chan error, 64)
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				k := (g + i) % n
				p, err := s.Authenticate(toks[k])
				if err != nil || p.User != fmt.Sprintf("user-%d", k) || p.Project != "alpha" {
					errc <- fmt.Errorf("goroutine %d: %+v %v", g, p, err)
					return
				}
				if _, err := s.Authenticate(toks[k][:TokenLen-1] + "!"); err != ErrUnauthenticated {
					errc <- fmt.Errorf("goroutine %d: garbage: %v", g, err)
					return
				}
				if p, err := s.Authenticate(doomed); err == nil && p.Role != DataManager {
					errc <- fmt.Errorf("goroutine %d: doomed token principal %+v", g, p)
					return
				} else if err != nil && err != ErrUnauthenticated {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 20; i++ {
			if _, _, err := s.CreateToken(TokenSpec{User: "writer", Role: Auditor}); err != nil {
				errc <- err
				return
			}
			if i == 10 {
				if err := s.Revoke(dinfo.ID); err != nil {
					errc <- err
					return
				}
			}
		}
	}()
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if _, err := s.Authenticate(doomed); err != ErrUnauthenticated {
		t.Errorf("revoked during the run: %v", err)
	}
	if list, _ := s.ListTokens(); len(list) != n+1+20 {
		t.Errorf("%d tokens after the run, want %d", len(list), n+1+20)
	}
}

// TestFullHashCompared: a record found under a token's 16-byte lookup key
// must still match all 32 bytes of its hash. The collision is staged by
// copying a record under another token's key.
func TestFullHashCompared(t *testing.T) {
	s, _, _ := openTest(t)
	real, _ := mustToken(t, s, TokenSpec{User: "ada", Role: Auditor})
	other := TokenPrefix + strings.Repeat("B", TokenLen-len(TokenPrefix))
	realSum, otherSum := sha256.Sum256([]byte(real)), sha256.Sum256([]byte(other))
	if err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		return b.Put(otherSum[:lookupLen], append([]byte(nil), b.Get(realSum[:lookupLen])...))
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(other); err != ErrUnauthenticated {
		t.Fatalf("record under a colliding key: %v, want ErrUnauthenticated", err)
	}
	if _, err := s.Authenticate(real); err != nil {
		t.Fatal(err)
	}
}
