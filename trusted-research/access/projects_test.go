package access

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestProjectValidation(t *testing.T) {
	s, c, _ := openTest(t)
	mustProject(t, s, "alpha", PurposeResearch)
	cases := []struct {
		name string
		spec ProjectSpec
		want error
	}{
		{"empty name", ProjectSpec{Purpose: PurposeResearch}, ErrInvalid},
		{"upper case", ProjectSpec{Name: "Alpha2", Purpose: PurposeResearch}, ErrInvalid},
		{"slash", ProjectSpec{Name: "a/b", Purpose: PurposeResearch}, ErrInvalid},
		{"dot dot", ProjectSpec{Name: "..", Purpose: PurposeResearch}, ErrInvalid},
		{"leading dash", ProjectSpec{Name: "-a", Purpose: PurposeResearch}, ErrInvalid},
		{"space", ProjectSpec{Name: "a b", Purpose: PurposeResearch}, ErrInvalid},
		{"too long", ProjectSpec{Name: strings.Repeat("a", 65), Purpose: PurposeResearch}, ErrInvalid},
		{"no purpose", ProjectSpec{Name: "b"}, ErrInvalid},
		{"bad purpose", ProjectSpec{Name: "b", Purpose: "marketing"}, ErrInvalid},
		{"purpose case", ProjectSpec{Name: "b", Purpose: "Research"}, ErrInvalid},
		{"end now", ProjectSpec{Name: "b", Purpose: PurposeResearch, End: c.Now()}, ErrInvalid},
		{"end past", ProjectSpec{Name: "b", Purpose: PurposeResearch, End: c.Now().Add(-time.Hour)}, ErrInvalid},
		{"unknown setting", ProjectSpec{Name: "b", Purpose: PurposeResearch, Settings: map[string]string{"disclosure.epsilom": "1"}}, ErrInvalid},
		{"bad epsilon", ProjectSpec{Name: "b", Purpose: PurposeResearch, Settings: map[string]string{"disclosure.epsilon": "0"}}, ErrInvalid},
		{"nan epsilon", ProjectSpec{Name: "b", Purpose: PurposeResearch, Settings: map[string]string{"disclosure.epsilon": "NaN"}}, ErrInvalid},
		{"bad budget", ProjectSpec{Name: "b", Purpose: PurposeResearch, Settings: map[string]string{"disclosure.budget": "lots"}}, ErrInvalid},
		{"exists", ProjectSpec{Name: "alpha", Purpose: PurposeCare}, ErrExists},
	}
	for _, tc := range cases {
		if _, err := s.CreateProject(tc.spec); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	list, err := s.ListProjects()
	if err != nil || len(list) != 1 {
		t.Fatalf("failed creations left projects: %+v %v", list, err)
	}
	for _, bad := range []string{"", "x", "Research"} {
		if _, err := ParsePurpose(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParsePurpose(%q): %v", bad, err)
		}
		if _, err := ParseRole(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseRole(%q): %v", bad, err)
		}
	}
	for _, pu := range []string{"research", "planning", "care"} {
		if p, err := ParsePurpose(pu); err != nil || string(p) != pu {
			t.Errorf("ParsePurpose(%q) = %q, %v", pu, p, err)
		}
	}
	for _, r := range allRoleNames {
		if got, err := ParseRole(r); err != nil || string(got) != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
	}
}

func TestProjectLifecycle(t *testing.T) {
	s, c, _ := openTest(t)
	created := c.Now()
	p := mustProject(t, s, "beta", PurposeCare)
	if !p.Created.Equal(created) || !p.End.Equal(created.Add(DefaultProjectTerm)) || p.Settings != nil {
		t.Fatalf("new project %+v: want a year's term and no settings", p)
	}
	end, err := ParseEndDate("2027-03-31")
	if err != nil || !end.Equal(time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("ParseEndDate: %v %v", end, err)
	}
	for _, bad := range []string{"", "2027-02-30", "31/03/2027", "2027-03-31T00:00:00Z"} {
		if _, err := ParseEndDate(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseEndDate(%q): %v", bad, err)
		}
	}
	a, err := s.CreateProject(ProjectSpec{Name: "alpha", Purpose: PurposeResearch, End: end,
		Settings: map[string]string{"disclosure.epsilon": "1", "disclosure.budget": "4"}})
	if err != nil {
		t.Fatal(err)
	}
	if !a.End.Equal(end) || len(a.Settings) != 2 {
		t.Fatalf("%+v", a)
	}
	if err := s.SetProjectSetting("alpha", "disclosure.epsilon", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.SetProjectSetting("alpha", "disclosure.budget", "-1"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad setting: %v", err)
	}
	if err := s.SetProjectSetting("gamma", "disclosure.budget", "1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("setting on unknown project: %v", err)
	}
	if err := s.SetProjectEnd("alpha", created.Add(-time.Hour)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("end before creation: %v", err)
	}
	if err := s.SetProjectEnd("gamma", end); !errors.Is(err, ErrNotFound) {
		t.Fatalf("end of unknown project: %v", err)
	}
	c.Advance(time.Minute)
	if err := s.SetProjectEnd("beta", c.Now()); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListProjects()
	if err != nil || len(list) != 2 || list[0].Name != "alpha" || list[1].Name != "beta" {
		t.Fatalf("list %+v %v", list, err)
	}
	if got := list[0].Settings; len(got) != 1 || got["disclosure.budget"] != "4" {
		t.Fatalf("alpha settings %v", got)
	}
	if !list[1].Ended(c.Now()) || list[0].Ended(c.Now()) {
		t.Fatalf("ended: alpha %v beta %v", list[0].Ended(c.Now()), list[1].Ended(c.Now()))
	}
	if _, err := s.Project("gamma"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown project: %v", err)
	}
	if _, err := s.Project("Gamma"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("invalid project name: %v", err)
	}
	if len(Settings()) != 2 {
		t.Fatalf("settings %v", Settings())
	}
}

func TestUsers(t *testing.T) {
	s, _, _ := openTest(t)
	if _, err := s.CreateUser("ada"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser("ada"); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate user: %v", err)
	}
	for _, bad := range []string{"", "a b", ".ada", "943 476 5919", "x9434765919", "12345-67890"} {
		if _, err := s.CreateUser(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("CreateUser(%q): %v", bad, err)
		} else if strings.Contains(err.Error(), "9434765919") {
			t.Errorf("error quotes an NHS number: %v", err)
		}
	}
	if _, err := s.User("bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	// A token for a known user leaves its creation time alone.
	u, _ := s.User("ada")
	mustToken(t, s, TokenSpec{User: "ada", Role: Auditor})
	if u2, _ := s.User("ada"); !u2.Created.Equal(u.Created) {
		t.Fatal("user re-created")
	}
}
