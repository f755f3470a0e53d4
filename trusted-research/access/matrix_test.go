package access

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// expectGrants is the permission matrix written out independently of
// matrix.go, as the roles that may take each action: "role" for exact
// answers, "role*" for disclosure-controlled ones. Every role not listed is
// denied. A change to the matrix must be made here too.
var expectGrants = map[string]string{
	"cohort.count":    "researcher industry*",
	"freq":            "researcher industry*",
	"case_control":    "researcher industry*",
	"carriers":        "researcher",
	"coverage":        "researcher industry*",
	"beacon":          "researcher industry*",
	"projects.list":   "data-manager researcher industry output-checker auditor",
	"projects.create": "data-manager",
	"airlock.request": "researcher",
	"airlock.review":  "output-checker",
	"airlock.get":     "researcher output-checker",
	"airlock.content": "researcher output-checker",
	"audit.read":      "auditor",
	"audit.verify":    "auditor",
	"me.uses":         "citizen",
	"ingest":          "data-manager",
	"optout":          "data-manager",
	"tokens.create":   "data-manager",
	"tokens.list":     "data-manager",
	"tokens.revoke":   "data-manager",
}

// expectProjectScoped are the actions about one project's data.
var expectProjectScoped = "cohort.count freq case_control carriers coverage beacon airlock.request airlock.review airlock.get airlock.content"

var allRoleNames = []string{"data-manager", "researcher", "industry", "output-checker", "auditor", "citizen"}

// expectCell returns (allowed, controlled) for role and action from
// expectGrants.
func expectCell(role, action string) (bool, bool) {
	for _, w := range strings.Fields(expectGrants[action]) {
		if w == role {
			return true, false
		}
		if w == role+"*" {
			return true, true
		}
	}
	return false, false
}

// principalFor builds a principal of the role, bound to project "alpha"
// of the given purpose when the role needs a project.
func principalFor(role string, purpose Purpose) *Principal {
	p := &Principal{TokenID: "0123456789abcdef", User: "u", Role: Role(role)}
	switch role {
	case "researcher", "industry", "output-checker":
		p.Project, p.Purpose = "alpha", purpose
	case "citizen":
		p.Person[0] = 1
	}
	return p
}

func TestMatrixActionsAreExactlyExpected(t *testing.T) {
	var got []string
	for _, a := range Actions() {
		got = append(got, string(a))
	}
	var want []string
	for a := range expectGrants {
		want = append(want, a)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("actions\n got %v\nwant %v", got, want)
	}
	var roleNames []string
	for _, r := range Roles() {
		roleNames = append(roleNames, string(r))
	}
	if !slices.Equal(roleNames, allRoleNames) {
		t.Fatalf("roles %v, want %v", roleNames, allRoleNames)
	}
}

// TestMatrixEveryRoleAction checks every role × action (and unknown ones)
// against expectGrants, in a research project, naming the project and not.
func TestMatrixEveryRoleAction(t *testing.T) {
	actions := append(Actions(), "cohort.delete", "", "FREQ")
	for _, role := range append(slices.Clone(allRoleNames), "admin", "") {
		for _, a := range actions {
			wantOK, wantDC := expectCell(role, string(a))
			p := principalFor(role, PurposeResearch)
			for _, project := range []string{"", p.Project} {
				err := Allowed(p, a, project)
				if wantOK && err != nil {
					t.Errorf("%s %s project %q: %v, want allowed", role, a, project, err)
				}
				if !wantOK {
					if !errors.Is(err, ErrForbidden) {
						t.Errorf("%s %s project %q: %v, want ErrForbidden", role, a, project, err)
					} else if !strings.Contains(err.Error(), `"`+role+`"`) || !strings.Contains(err.Error(), `"`+string(a)+`"`) {
						t.Errorf("%s %s: message %q does not name role and action", role, a, err)
					}
				}
			}
			if got := Controlled(Role(role), a); got != wantDC {
				t.Errorf("%s %s: Controlled %v, want %v", role, a, got, wantDC)
			}
			if got := GrantOf(Role(role), a).Allowed(); got != wantOK {
				t.Errorf("%s %s: GrantOf allowed %v, want %v", role, a, got, wantOK)
			}
		}
	}
}

func TestMatrixScopes(t *testing.T) {
	for _, r := range Matrix() {
		want := ScopeStore
		if slices.Contains(strings.Fields(expectProjectScoped), string(r.Action)) {
			want = ScopeProject
		}
		if r.Scope != want {
			t.Errorf("%s: scope %v, want %v", r.Action, r.Scope, want)
		}
		// A project-scoped action must be granted only to roles bound to a
		// project: Allowed cannot tell which project another role means.
		if r.Scope == ScopeProject {
			for _, role := range Roles() {
				if r.Grant(role).Allowed() && !role.NeedsProject() {
					t.Errorf("%s granted to %s, which has no project", r.Action, role)
				}
			}
		}
		// Only industry is disclosure-controlled, and industry only so.
		for _, role := range Roles() {
			if g := r.Grant(role); g.Controlled() != (role == Industry && g.Allowed() && r.Scope == ScopeProject) {
				t.Errorf("%s %s: grant %v", r.Action, role, g)
			}
		}
	}
}

func TestMatrixIsACopy(t *testing.T) {
	m := Matrix()
	m[0].Grants[Researcher.index()] = Deny
	if Allowed(principalFor("researcher", PurposeResearch), m[0].Action, "") != nil {
		t.Fatal("changing Matrix()'s result changed the matrix")
	}
}

// TestOtherProjectForbidden: a principal bound to project alpha asking
// about project beta is refused for every action, even those it may take on
// alpha; roles without a project are unaffected by the project named.
func TestOtherProjectForbidden(t *testing.T) {
	for _, role := range allRoleNames {
		p := principalFor(role, PurposeResearch)
		for _, a := range Actions() {
			if ok, _ := expectCell(role, string(a)); !ok {
				continue
			}
			err := Allowed(p, a, "beta")
			if Role(role).NeedsProject() {
				if !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "own project") {
					t.Errorf("%s of alpha, %s on beta: %v, want ErrForbidden", role, a, err)
				}
			} else if err != nil {
				t.Errorf("%s, %s naming a project: %v", role, a, err)
			}
		}
	}
}

func TestPurposeRules(t *testing.T) {
	cases := []struct {
		role    string
		purpose Purpose
		action  Action
		ok      bool
	}{
		{"researcher", PurposeResearch, ActionCarriers, true},
		{"researcher", PurposePlanning, ActionCarriers, false}, // aggregates only
		{"researcher", PurposePlanning, ActionCohortCount, true},
		{"researcher", PurposePlanning, ActionFreq, true},
		{"researcher", PurposePlanning, ActionAirlockRequest, true},
		{"researcher", PurposeCare, ActionCarriers, true},
		{"industry", PurposeResearch, ActionCohortCount, true},
		{"industry", PurposeCare, ActionCohortCount, false},
		{"industry", PurposeCare, ActionProjectsList, false},
		{"industry", PurposePlanning, ActionFreq, false},
		{"output-checker", PurposePlanning, ActionAirlockReview, true},
		{"output-checker", PurposeCare, ActionAirlockReview, true},
		{"researcher", "", ActionCohortCount, false}, // unknown purpose
	}
	for _, c := range cases {
		err := Allowed(principalFor(c.role, c.purpose), c.action, "alpha")
		if c.ok != (err == nil) || (err != nil && !errors.Is(err, ErrForbidden)) {
			t.Errorf("%s in %q project, %s: %v, want allowed %v", c.role, c.purpose, c.action, err, c.ok)
		}
	}
	for _, r := range []Role{Researcher, Industry, OutputChecker} {
		for _, pu := range Purposes() {
			want := r != Industry || pu == PurposeResearch
			if got := PurposeAllowsRole(pu, r) == nil; got != want {
				t.Errorf("PurposeAllowsRole(%s, %s) = %v, want %v", pu, r, got, want)
			}
		}
	}
}

func TestAllowedEdgeCases(t *testing.T) {
	if err := Allowed(nil, ActionFreq, ""); err != ErrUnauthenticated {
		t.Errorf("nil principal: %v", err)
	}
	// A project-bound role with no project (not a token CreateToken makes).
	p := &Principal{Role: Researcher}
	if err := Allowed(p, ActionFreq, ""); !errors.Is(err, ErrForbidden) {
		t.Errorf("researcher without project: %v", err)
	}
	// A role without project that somehow carries one.
	p = &Principal{Role: DataManager, Project: "alpha", Purpose: PurposeResearch}
	if err := Allowed(p, ActionIngest, ""); !errors.Is(err, ErrForbidden) {
		t.Errorf("data-manager with a project: %v", err)
	}
}

func TestCanIssue(t *testing.T) {
	dm := principalFor("data-manager", "")
	for _, r := range Roles() {
		err := CanIssue(dm, r)
		want := r != DataManager && r != Auditor
		if (err == nil) != want {
			t.Errorf("data-manager issues %s: %v", r, err)
		}
	}
	if err := CanIssue(principalFor("researcher", PurposeResearch), Researcher); !errors.Is(err, ErrForbidden) {
		t.Errorf("researcher issues: %v", err)
	}
	if err := CanIssue(dm, "root"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown role: %v", err)
	}
}

// TestDocsMatrix checks that the table in docs/access.md is the matrix.
func TestDocsMatrix(t *testing.T) {
	b, err := os.ReadFile("../../docs/access.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(strings.Trim(line, " |"), "|")
		if len(f) < 2+numRoles {
			continue
		}
		a := strings.Trim(strings.TrimSpace(f[0]), "`")
		if _, found := RuleOf(Action(a)); !found {
			continue
		}
		if _, dup := rows[a]; dup {
			t.Errorf("docs: action %s twice", a)
		}
		rows[a] = f[1:]
	}
	sym := map[Grant]string{Deny: "–", Allow: "✓", AllowControlled: "DC"}
	for _, r := range Matrix() {
		f, found := rows[string(r.Action)]
		if !found {
			t.Errorf("docs: no row for %s", r.Action)
			continue
		}
		if got := strings.TrimSpace(f[0]); got != r.Scope.String() {
			t.Errorf("docs %s: scope %q, want %q", r.Action, got, r.Scope)
		}
		for i, role := range Roles() {
			if got, want := strings.TrimSpace(f[1+i]), sym[r.Grant(role)]; got != want {
				t.Errorf("docs %s %s: %q, want %q", r.Action, role, got, want)
			}
		}
	}
}
