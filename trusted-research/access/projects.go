package access

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Project is an approved use of the data: a name, a purpose, and an end
// after which none of its tokens works.
type Project struct {
	Name    string
	Purpose Purpose
	Created time.Time
	// End is the instant the project ends: from then on, every token bound
	// to it is refused (ErrUnauthenticated).
	End time.Time
	// Settings are per-project overrides (see Settings); nil when none.
	Settings map[string]string
}

// Ended reports whether the project has ended at time now.
func (p Project) Ended(now time.Time) bool { return !now.Before(p.End) }

// ProjectSpec describes a project to create.
type ProjectSpec struct {
	Name    string
	Purpose Purpose
	// End is when the project ends; zero means Options.ProjectTerm after
	// creation (a year by default). Every project has an end: approvals are
	// for a term, and extending one is an explicit act (SetProjectEnd).
	End      time.Time
	Settings map[string]string
}

// Setting describes a per-project setting key.
type Setting struct {
	Key     string
	Default string
	Doc     string
	check   func(string) error
}

// settings are the keys a project may set; others are refused, so that a
// misspelt key fails rather than silently leaving the default. The
// disclosure package applies the defaults when a key is absent.
var settings = [...]Setting{
	{"disclosure.epsilon", "0.5", "ε spent by one disclosure-controlled query", positiveFloat(10)},
	{"disclosure.budget", "2.0", "total ε per industry partner, project and data release", positiveFloat(1000)},
}

// Settings returns the settings a project may set, with their defaults.
func Settings() []Setting { s := settings; return s[:] }

func positiveFloat(max float64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || f <= 0 || f > max {
			return fmt.Errorf("want a number in (0, %g]", max)
		}
		return nil
	}
}

// ValidateSetting checks one setting key and value.
func ValidateSetting(key, value string) error {
	for _, st := range settings {
		if st.Key == key {
			if err := st.check(value); err != nil {
				return fmt.Errorf("%w setting %s=%q: %v", ErrInvalid, key, value, err)
			}
			return nil
		}
	}
	return fmt.Errorf("%w setting: unknown key %q", ErrInvalid, key)
}

// ValidateProjectName checks a project name: 1–64 characters from
// lower-case letters, digits and . _ -, starting with a letter or digit
// (names appear in URLs and file names).
func ValidateProjectName(name string) error {
	if err := validateName("project name", name, "._-"); err != nil {
		return err
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c >= 'A' && c <= 'Z' {
			return fmt.Errorf("%w project name: upper-case letter at character %d (names are lower case)", ErrInvalid, i+1)
		}
	}
	return nil
}

// ParseEndDate turns a project end date written YYYY-MM-DD into the
// instant the project ends: the project runs through that whole day (UTC)
// and ends at the following midnight.
func ParseEndDate(s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w end date %q: want YYYY-MM-DD", ErrInvalid, s)
	}
	return d.AddDate(0, 0, 1), nil
}

func encodeProject(p Project) []byte {
	e := newEncoder(kindProject)
	e.str(p.Name)
	e.str(string(p.Purpose))
	e.int(unixNano(p.Created))
	e.int(unixNano(p.End))
	keys := slices.Sorted(maps.Keys(p.Settings))
	e.int(int64(len(keys)))
	for _, k := range keys {
		e.str(k)
		e.str(p.Settings[k])
	}
	return e.finish()
}

// decodeProject decodes a project record; without settings it skips the
// settings map (for Authenticate, which needs only purpose and end).
func decodeProject(rec []byte, withSettings bool) (Project, error) {
	d, err := newDecoder(kindProject, rec)
	if err != nil {
		return Project{}, err
	}
	var p Project
	if withSettings {
		p.Name = d.str()
	} else {
		d.bytes()
	}
	p.Purpose = purposeOf(d.bytes())
	p.Created = fromUnixNano(d.int())
	p.End = fromUnixNano(d.int())
	if !withSettings {
		return p, nil // the checksum covered the rest
	}
	n := d.int()
	if n < 0 || n > int64(len(settings)) {
		return Project{}, fmt.Errorf("%w: project has %d settings", ErrCorrupt, n)
	}
	if n > 0 {
		p.Settings = make(map[string]string, n)
	}
	for range n {
		k := d.str()
		p.Settings[k] = d.str()
	}
	if err := d.err(); err != nil {
		return Project{}, err
	}
	if !p.Purpose.Valid() {
		return Project{}, fmt.Errorf("%w: project purpose", ErrCorrupt)
	}
	return p, nil
}

// purposeOf converts stored bytes to a Purpose without allocating ("" if
// unknown).
func purposeOf(b []byte) Purpose {
	switch string(b) {
	case string(PurposeResearch):
		return PurposeResearch
	case string(PurposePlanning):
		return PurposePlanning
	case string(PurposeCare):
		return PurposeCare
	}
	return ""
}

// CreateProject records a new project.
func (s *Store) CreateProject(spec ProjectSpec) (Project, error) {
	if err := ValidateProjectName(spec.Name); err != nil {
		return Project{}, fmt.Errorf("access: %w", err)
	}
	if !spec.Purpose.Valid() {
		return Project{}, fmt.Errorf("access: %w purpose %q: want research, planning or care", ErrInvalid, spec.Purpose)
	}
	for k, v := range spec.Settings {
		if err := ValidateSetting(k, v); err != nil {
			return Project{}, fmt.Errorf("access: %w", err)
		}
	}
	now := s.now()
	p := Project{Name: spec.Name, Purpose: spec.Purpose, Created: now, End: spec.End.UTC(), Settings: maps.Clone(spec.Settings)}
	if spec.End.IsZero() {
		p.End = now.Add(s.opts.ProjectTerm)
	} else if !now.Before(p.End) {
		return Project{}, fmt.Errorf("access: %w project end: not in the future", ErrInvalid)
	}
	if len(p.Settings) == 0 {
		p.Settings = nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketProjects)
		if err != nil {
			return err
		}
		if b.Get([]byte(p.Name)) != nil {
			return fmt.Errorf("project %q: %w", p.Name, ErrExists)
		}
		return b.Put([]byte(p.Name), encodeProject(p))
	})
	if err != nil {
		return Project{}, fmt.Errorf("access: %w", err)
	}
	return p, nil
}

// getProject reads a project in tx.
func getProject(tx *bolt.Tx, name string, withSettings bool) (Project, error) {
	b, err := bucket(tx, bucketProjects)
	if err != nil {
		return Project{}, err
	}
	rec := b.Get([]byte(name))
	if rec == nil {
		return Project{}, fmt.Errorf("project %q: %w", name, ErrNotFound)
	}
	return decodeProject(rec, withSettings)
}

// Project returns one project.
func (s *Store) Project(name string) (Project, error) {
	if err := ValidateProjectName(name); err != nil {
		return Project{}, fmt.Errorf("access: %w", err)
	}
	var p Project
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		p, err = getProject(tx, name, true)
		return err
	})
	if err != nil {
		return Project{}, fmt.Errorf("access: %w", err)
	}
	return p, nil
}

// ListProjects returns every project, ordered by name.
func (s *Store) ListProjects() ([]Project, error) {
	var out []Project
	err := s.db.View(func(tx *bolt.Tx) error {
		b, err := bucket(tx, bucketProjects)
		if err != nil {
			return err
		}
		return b.ForEach(func(_, v []byte) error {
			p, err := decodeProject(v, true)
			if err != nil {
				return err
			}
			out = append(out, p)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("access: %w", err)
	}
	return out, nil
}

// updateProject applies f to a stored project.
func (s *Store) updateProject(name string, f func(*Project) error) error {
	if err := ValidateProjectName(name); err != nil {
		return fmt.Errorf("access: %w", err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		p, err := getProject(tx, name, true)
		if err != nil {
			return err
		}
		if err := f(&p); err != nil {
			return err
		}
		b, err := bucket(tx, bucketProjects)
		if err != nil {
			return err
		}
		return b.Put([]byte(name), encodeProject(p))
	})
	if err != nil {
		return fmt.Errorf("access: %w", err)
	}
	return nil
}

// SetProjectEnd moves a project's end: later to extend it, or to now (or
// any time after its creation) to close it, which stops its tokens at once.
func (s *Store) SetProjectEnd(name string, end time.Time) error {
	return s.updateProject(name, func(p *Project) error {
		if end.IsZero() || !end.After(p.Created) {
			return fmt.Errorf("%w project end: must be after the project's creation", ErrInvalid)
		}
		p.End = end.UTC()
		return nil
	})
}

// SetProjectSetting sets one setting of a project; an empty value removes
// it (back to the default).
func (s *Store) SetProjectSetting(name, key, value string) error {
	if value != "" {
		if err := ValidateSetting(key, value); err != nil {
			return fmt.Errorf("access: %w", err)
		}
	}
	return s.updateProject(name, func(p *Project) error {
		if value == "" {
			delete(p.Settings, key)
			return nil
		}
		if p.Settings == nil {
			p.Settings = make(map[string]string)
		}
		p.Settings[key] = value
		return nil
	})
}
