package access

import "fmt"

// Role is what a token lets its holder be. A token has exactly one role.
type Role string

// The roles. Their order (Roles) is the column order of the permission
// matrix.
const (
	// DataManager loads data and applies opt-outs (genomics pipelines). No
	// project: ingest is store-wide.
	DataManager Role = "data-manager"
	// Researcher gets exact results and project pseudonyms inside one
	// project; nothing leaves except through the airlock.
	Researcher Role = "researcher"
	// Industry gets aggregates only, through disclosure control and a
	// privacy budget, inside one research project.
	Industry Role = "industry"
	// OutputChecker reviews one project's airlock requests.
	OutputChecker Role = "output-checker"
	// Auditor reads and verifies the audit log. No project: the log is
	// store-wide.
	Auditor Role = "auditor"
	// Citizen reads their own transparency record. No project; the token is
	// bound to the citizen's person pseudonym.
	Citizen Role = "citizen"
)

// numRoles is the number of roles, the width of a matrix row.
const numRoles = 6

var roles = [numRoles]Role{DataManager, Researcher, Industry, OutputChecker, Auditor, Citizen}

// Roles returns every role, in matrix column order.
func Roles() []Role { r := roles; return r[:] }

// index returns the role's matrix column, or -1 for an unknown role.
func (r Role) index() int {
	switch r {
	case DataManager:
		return 0
	case Researcher:
		return 1
	case Industry:
		return 2
	case OutputChecker:
		return 3
	case Auditor:
		return 4
	case Citizen:
		return 5
	}
	return -1
}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r.index() >= 0 }

// NeedsProject reports whether a token of this role must name a project
// (researcher, industry, output-checker) — and, for the other roles, must
// not name one.
func (r Role) NeedsProject() bool {
	return r == Researcher || r == Industry || r == OutputChecker
}

// ParseRole parses a role name as written on the command line.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", fmt.Errorf("%w role %q: want one of data-manager, researcher, industry, output-checker, auditor, citizen", ErrInvalid, s)
	}
	return r, nil
}

// Purpose is why a project was approved. It limits which roles may work in
// the project and what they may do (see PurposeRules).
type Purpose string

// The purposes.
const (
	// PurposeResearch is approved research: every project role.
	PurposeResearch Purpose = "research"
	// PurposePlanning is NHS service planning: aggregates only (no
	// person-level output such as carriers' pseudonyms), no industry.
	PurposePlanning Purpose = "planning"
	// PurposeCare is direct care (for example cascade testing): no
	// industry.
	PurposeCare Purpose = "care"
)

// Purposes returns every purpose.
func Purposes() []Purpose { return []Purpose{PurposeResearch, PurposePlanning, PurposeCare} }

// Valid reports whether p is one of the purposes.
func (p Purpose) Valid() bool {
	return p == PurposeResearch || p == PurposePlanning || p == PurposeCare
}

// ParsePurpose parses a purpose as written on the command line.
func ParsePurpose(s string) (Purpose, error) {
	p := Purpose(s)
	if !p.Valid() {
		return "", fmt.Errorf("%w purpose %q: want research, planning or care", ErrInvalid, s)
	}
	return p, nil
}
