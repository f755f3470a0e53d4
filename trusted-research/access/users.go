package access

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// User is someone (or some pipeline) tokens are issued to. A user has no
// rights of its own: rights come with each token's role and project.
type User struct {
	ID      string
	Created time.Time
}

// MaxNameLen is the longest user ID or project name.
const MaxNameLen = 64

// ValidateUserID checks a user ID: 1–64 characters from letters, digits and
// . _ @ + -, starting with a letter or digit, with fewer than ten digits in
// all, so that no NHS number (ten digits) can be used as, or inside, a user
// ID and so be stored.
func ValidateUserID(id string) error {
	if err := validateName("user ID", id, "._@+-"); err != nil {
		return err
	}
	digits := 0
	for i := 0; i < len(id); i++ {
		if id[i] >= '0' && id[i] <= '9' {
			digits++
		}
	}
	if digits >= 10 {
		return fmt.Errorf("%w user ID: ten or more digits (it could hold an NHS number)", ErrInvalid)
	}
	return nil
}

// validateName checks a name of 1–MaxNameLen ASCII letters, digits and the
// extra characters given, starting with a letter or digit. Its errors do
// not quote the name.
func validateName(what, s, extra string) error {
	if s == "" {
		return fmt.Errorf("%w %s: empty", ErrInvalid, what)
	}
	if len(s) > MaxNameLen {
		return fmt.Errorf("%w %s: longer than %d characters", ErrInvalid, what, MaxNameLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i == 0 && !alnum {
			return fmt.Errorf("%w %s: must start with a letter or digit", ErrInvalid, what)
		}
		if !alnum && !containsByte(extra, c) {
			return fmt.Errorf("%w %s: character %d is not a letter, digit or one of %s", ErrInvalid, what, i+1, extra)
		}
	}
	return nil
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

func encodeUser(u User) []byte {
	e := newEncoder(kindUser)
	e.str(u.ID)
	e.int(unixNano(u.Created))
	return e.finish()
}

func decodeUser(rec []byte) (User, error) {
	d, err := newDecoder(kindUser, rec)
	if err != nil {
		return User{}, err
	}
	u := User{ID: d.str(), Created: fromUnixNano(d.int())}
	return u, d.err()
}

// CreateUser records a new user. Creating a token for an unknown user
// creates the user too, so this is needed only to register users ahead.
func (s *Store) CreateUser(id string) (User, error) {
	if err := ValidateUserID(id); err != nil {
		return User{}, fmt.Errorf("access: %w", err)
	}
	u := User{ID: id, Created: s.now()}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketUsers)
		if err != nil {
			return err
		}
		if b.Get([]byte(id)) != nil {
			return fmt.Errorf("user %q: %w", id, ErrExists)
		}
		return b.Put([]byte(id), encodeUser(u))
	})
	if err != nil {
		return User{}, fmt.Errorf("access: %w", err)
	}
	return u, nil
}

// ensureUser records user id in tx unless it exists.
func ensureUser(tx *bolt.Tx, id string, now time.Time) error {
	b, err := bucket(tx, bucketUsers)
	if err != nil {
		return err
	}
	if b.Get([]byte(id)) != nil {
		return nil
	}
	return b.Put([]byte(id), encodeUser(User{ID: id, Created: now}))
}

// User returns one user.
func (s *Store) User(id string) (User, error) {
	if err := ValidateUserID(id); err != nil {
		return User{}, fmt.Errorf("access: %w", err)
	}
	var u User
	err := s.db.View(func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketUsers)
		if err != nil {
			return err
		}
		rec := b.Get([]byte(id))
		if rec == nil {
			return fmt.Errorf("user %q: %w", id, ErrNotFound)
		}
		u, err = decodeUser(rec)
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("access: %w", err)
	}
	return u, nil
}

// ListUsers returns every user, ordered by ID.
func (s *Store) ListUsers() ([]User, error) {
	var out []User
	err := s.db.View(func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketUsers)
		if err != nil {
			return err
		}
		return b.ForEach(func(_, v []byte) error {
			u, err := decodeUser(v)
			if err != nil {
				return err
			}
			out = append(out, u)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("access: %w", err)
	}
	return out, nil
}
