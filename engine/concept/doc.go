// Package concept is the engine's view of a clinical terminology's is-a
// hierarchy (SNOMED CT): concepts mapped to dense indices, descendants-or-self
// closure as flat bitsets (the query language's condition(<<X)), ancestors,
// is-a tests, and a checksummed binary form the store keeps as an immutable
// file. It knows no file formats: ingest/snomed reads RF2 and calls Build.
//
// # Dense indices
//
// Every concept gets a dense int32 index in [0, Len()). Indices are a
// pre-order of a depth-first walk of the is-a DAG that enters a concept only
// after all of its parents have been numbered, so the order is topological
// and each subtree of the walk's spanning tree is one contiguous interval of
// indices: a descendant set is a few runs of consecutive indices, and
// closure only follows the is-a edges that leave an interval.
//
// A concept set (*ConceptSet, from DescendantSet) is a flat bitset over dense
// indices: membership of a code turned into a dense index once is a single
// bit test. Dense indices are private to one Hierarchy value (one release):
// the store keeps SCTIDs as the durable codes.
//
// A Hierarchy is immutable and safe for concurrent use.
package concept

import "errors"

// Sentinel errors, for errors.Is.
var (
	// ErrInvalid: Build was given an edge that is not between two concept
	// SCTIDs, or too many edges.
	ErrInvalid = errors.New("concept: invalid is-a edge")
	// ErrCycle: the is-a edges contain a cycle.
	ErrCycle = errors.New("concept: is-a cycle")
	// ErrUnknownConcept: the SCTID is not a concept of this hierarchy.
	ErrUnknownConcept = errors.New("concept: unknown concept")
	// ErrCorrupt: the binary form of a hierarchy is damaged (bad magic,
	// unsupported version, truncation, checksum or structure).
	ErrCorrupt = errors.New("concept: corrupt hierarchy file")
)

// IsA is the SNOMED CT concept 116680003 |Is a (attribute)|, the typeId of
// the relationships that make the hierarchy.
const IsA int64 = 116680003

// Root is 138875005 |SNOMED CT Concept (SNOMED RT+CTV3)|, the root of a full
// SNOMED CT release (fragments and synthetic files may have other roots).
const Root int64 = 138875005

// Edge is one is-a link: Child is-a Parent.
type Edge struct {
	Child, Parent int64
}
