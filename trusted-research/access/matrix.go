package access

import (
	"fmt"
	"slices"
)

// Action names something a request does. The gateway maps each endpoint to
// one action and asks Allowed before doing anything else.
type Action string

// The actions (the rows of the permission matrix).
const (
	ActionCohortCount    Action = "cohort.count"
	ActionFreq           Action = "freq"
	ActionCaseControl    Action = "case_control"
	ActionCarriers       Action = "carriers"
	ActionCoverage       Action = "coverage"
	ActionBeacon         Action = "beacon"
	ActionProjectsList   Action = "projects.list"
	ActionProjectsCreate Action = "projects.create"
	ActionAirlockRequest Action = "airlock.request"
	ActionAirlockReview  Action = "airlock.review"
	ActionAirlockGet     Action = "airlock.get"
	ActionAirlockContent Action = "airlock.content"
	ActionAuditRead      Action = "audit.read"
	ActionAuditVerify    Action = "audit.verify"
	ActionMeUses         Action = "me.uses"
	ActionIngest         Action = "ingest"
	ActionOptOut         Action = "optout"
	ActionTokensCreate   Action = "tokens.create"
	ActionTokensList     Action = "tokens.list"
	ActionTokensRevoke   Action = "tokens.revoke"
)

// Grant is one cell of the matrix: what a role may do with an action.
type Grant uint8

const (
	// Deny: the role may not take the action (403).
	Deny Grant = iota
	// Allow: the role may take the action and gets exact answers.
	Allow
	// AllowControlled: the role may take the action, and every answer goes
	// through disclosure control (suppression, rounding, noise, budget).
	AllowControlled
)

// Allowed reports whether the grant lets the role take the action.
func (g Grant) Allowed() bool { return g != Deny }

// Controlled reports whether answers go through disclosure control.
func (g Grant) Controlled() bool { return g == AllowControlled }

func (g Grant) String() string {
	switch g {
	case Allow:
		return "allow"
	case AllowControlled:
		return "allow, disclosure-controlled"
	}
	return "deny"
}

// Scope says what an action is about.
type Scope uint8

const (
	// ScopeProject: the action reads or writes one project's data or
	// requests; a project-bound token may use it on its own project only.
	ScopeProject Scope = iota + 1
	// ScopeStore: the action is about the store as a whole (ingest, audit,
	// tokens, the project list, a citizen's record). A project-bound token
	// naming another project is still refused.
	ScopeStore
)

func (s Scope) String() string {
	if s == ScopeProject {
		return "project"
	}
	return "store"
}

// Rule is one row of the permission matrix.
type Rule struct {
	Action Action
	Scope  Scope
	// Grants holds one cell per role, in the order of Roles().
	Grants [numRoles]Grant
	// Note says what the gateway must still narrow (for example "own
	// project only"), for the documentation.
	Note string
}

// Grant returns the row's cell for role r (Deny for an unknown role).
func (r Rule) Grant(role Role) Grant {
	i := role.index()
	if i < 0 {
		return Deny
	}
	return r.Grants[i]
}

// Short names for the cells, so that the table below reads as a table.
const (
	no = Deny
	ok = Allow
	dc = AllowControlled
)

// matrix is the permission matrix: the one place that says who may do what.
// docs/access.md shows the same table, and matrix_test.go checks it against
// an expectation written out independently.
var matrix = [...]Rule{
	//                                 data-mgr researcher industry checker auditor citizen
	{ActionCohortCount, ScopeProject, [numRoles]Grant{no, ok, dc, no, no, no}, ""},
	{ActionFreq, ScopeProject, [numRoles]Grant{no, ok, dc, no, no, no}, ""},
	{ActionCaseControl, ScopeProject, [numRoles]Grant{no, ok, dc, no, no, no}, ""},
	{ActionCarriers, ScopeProject, [numRoles]Grant{no, ok, no, no, no, no}, "project pseudonyms; not in planning projects"},
	{ActionCoverage, ScopeProject, [numRoles]Grant{no, ok, dc, no, no, no}, ""},
	{ActionBeacon, ScopeProject, [numRoles]Grant{no, ok, dc, no, no, no}, ""},
	{ActionProjectsList, ScopeStore, [numRoles]Grant{ok, ok, ok, ok, ok, no}, "project-bound roles see their own project only"},
	{ActionProjectsCreate, ScopeStore, [numRoles]Grant{ok, no, no, no, no, no}, ""},
	{ActionAirlockRequest, ScopeProject, [numRoles]Grant{no, ok, no, no, no, no}, ""},
	{ActionAirlockReview, ScopeProject, [numRoles]Grant{no, no, no, ok, no, no}, "a checker may not review a request they made"},
	{ActionAirlockGet, ScopeProject, [numRoles]Grant{no, ok, no, ok, no, no}, "a researcher sees their own requests"},
	{ActionAirlockContent, ScopeProject, [numRoles]Grant{no, ok, no, ok, no, no}, "a researcher gets content once approved"},
	{ActionAuditRead, ScopeStore, [numRoles]Grant{no, no, no, no, ok, no}, ""},
	{ActionAuditVerify, ScopeStore, [numRoles]Grant{no, no, no, no, ok, no}, ""},
	{ActionMeUses, ScopeStore, [numRoles]Grant{no, no, no, no, no, ok}, "the citizen's own person pseudonym only"},
	{ActionIngest, ScopeStore, [numRoles]Grant{ok, no, no, no, no, no}, ""},
	{ActionOptOut, ScopeStore, [numRoles]Grant{ok, no, no, no, no, no}, ""},
	{ActionTokensCreate, ScopeStore, [numRoles]Grant{ok, no, no, no, no, no}, "not for data-manager or auditor tokens (see CanIssue)"},
	{ActionTokensList, ScopeStore, [numRoles]Grant{ok, no, no, no, no, no}, ""},
	{ActionTokensRevoke, ScopeStore, [numRoles]Grant{ok, no, no, no, no, no}, ""},
}

// actionIndex maps an action to its row in matrix.
var actionIndex = func() map[Action]int {
	m := make(map[Action]int, len(matrix))
	for i, r := range matrix {
		m[r.Action] = i
	}
	return m
}()

// Matrix returns a copy of the permission matrix, one rule per action, so
// that callers (the gateway's tests) can iterate every action × role.
func Matrix() []Rule { m := matrix; return m[:] }

// Actions returns every action, in matrix order.
func Actions() []Action {
	a := make([]Action, len(matrix))
	for i, r := range matrix {
		a[i] = r.Action
	}
	return a
}

// RuleOf returns the matrix row of an action.
func RuleOf(a Action) (Rule, bool) {
	i, found := actionIndex[a]
	if !found {
		return Rule{}, false
	}
	return matrix[i], true
}

// GrantOf returns the matrix cell for role and action, before the project
// and purpose checks (Deny for unknown roles and actions).
func GrantOf(r Role, a Action) Grant {
	rule, found := RuleOf(a)
	if !found {
		return Deny
	}
	return rule.Grant(r)
}

// Controlled reports whether the role's answers to the action go through
// disclosure control (industry: yes; researcher: no, exact inside the TRE).
func Controlled(r Role, a Action) bool { return GrantOf(r, a).Controlled() }

// PurposeRule limits what may happen in projects of one purpose.
type PurposeRule struct {
	Purpose Purpose
	// Roles are the project-bound roles that may hold a token for such a
	// project (checked at token creation and again by Allowed).
	Roles []Role
	// Denied are actions no role may take in such a project.
	Denied []Action
}

// purposeRules are the purpose rules, in the order of Purposes().
var purposeRules = [...]PurposeRule{
	{PurposeResearch, []Role{Researcher, Industry, OutputChecker}, nil},
	{PurposePlanning, []Role{Researcher, OutputChecker}, []Action{ActionCarriers}},
	{PurposeCare, []Role{Researcher, OutputChecker}, nil},
}

// PurposeRules returns a copy of the purpose rules.
func PurposeRules() []PurposeRule {
	out := make([]PurposeRule, len(purposeRules))
	for i, r := range purposeRules {
		out[i] = PurposeRule{r.Purpose, slices.Clone(r.Roles), slices.Clone(r.Denied)}
	}
	return out
}

func purposeRule(p Purpose) *PurposeRule {
	for i := range purposeRules {
		if purposeRules[i].Purpose == p {
			return &purposeRules[i]
		}
	}
	return nil
}

// PurposeAllowsRole reports whether a token of role r may be bound to a
// project of purpose p.
func PurposeAllowsRole(p Purpose, r Role) error {
	pr := purposeRule(p)
	if pr == nil {
		return fmt.Errorf("%w purpose %q", ErrInvalid, p)
	}
	if !slices.Contains(pr.Roles, r) {
		return fmt.Errorf("%w: role %s may not work in a %s project", ErrInvalid, r, p)
	}
	return nil
}

// Allowed says whether principal p may take action a on project (the
// project the request names; "" means the principal's own project, which
// the caller must then use). It returns nil, ErrUnauthenticated for a nil
// principal, or an error wrapping ErrForbidden whose message names the
// role and the action. Checks, in order: the action is known; the matrix
// cell for the role allows it; a project-bound principal names no other
// project; the project's purpose admits the role and the action.
func Allowed(p *Principal, a Action, project string) error {
	if p == nil {
		return ErrUnauthenticated
	}
	i, found := actionIndex[a]
	if !found {
		return forbidden(p.Role, a, "unknown action")
	}
	rule := &matrix[i]
	if rule.Grant(p.Role) == Deny {
		return forbidden(p.Role, a, "not granted to the role")
	}
	if !p.Role.NeedsProject() {
		if rule.Scope == ScopeProject || p.Project != "" {
			// Cannot happen with the matrix and tokens as built (tested);
			// refuse rather than guess which project is meant.
			return forbidden(p.Role, a, "the role has no project")
		}
		return nil
	}
	if p.Project == "" {
		return forbidden(p.Role, a, "the token has no project")
	}
	if project != "" && project != p.Project {
		return forbidden(p.Role, a, "only on the token's own project")
	}
	pr := purposeRule(p.Purpose)
	if pr == nil || !slices.Contains(pr.Roles, p.Role) {
		return forbidden(p.Role, a, "not in a project of this purpose")
	}
	if slices.Contains(pr.Denied, a) {
		return forbidden(p.Role, a, "not in a "+string(p.Purpose)+" project")
	}
	return nil
}

func forbidden(r Role, a Action, why string) error {
	return fmt.Errorf("%w: role %q may not %q: %s", ErrForbidden, r, a, why)
}

// CanIssue says whether principal p may create a token of role r through
// the API (action tokens.create). Data-manager and auditor tokens are made
// only on the host, with the command line: a leaked pipeline token must not
// mint more pipeline tokens or the auditor tokens that watch it.
func CanIssue(p *Principal, r Role) error {
	if err := Allowed(p, ActionTokensCreate, ""); err != nil {
		return err
	}
	if !r.Valid() {
		return fmt.Errorf("%w role %q", ErrInvalid, r)
	}
	if r == DataManager || r == Auditor {
		return fmt.Errorf("%w: role %q may not issue %q tokens through the API", ErrForbidden, p.Role, r)
	}
	return nil
}
