// Package snomed reads the SNOMED CT is-a hierarchy from an RF2 relationship
// file into the engine's concept hierarchy (engine/concept), and provides
// the synthetic and curated RF2 files the demo cohort and the benchmarks use.
//
//	ParseRF2 (sct2_Relationship_Snapshot_*.txt) ─> concept.Build ─> *concept.Hierarchy ─ MarshalBinary ─> store
package snomed

import (
	"errors"

	"github.com/gentre/gentre/engine/concept"
)

// ErrFormat: the RF2 input is malformed (bad header, column count,
// identifier, date, flag, duplicate relationship version, or an is-a cycle).
// The message names file:line and the column.
var ErrFormat = errors.New("snomed: malformed RF2")

// The engine's types and errors, under the names this package's callers use.
type (
	Hierarchy  = concept.Hierarchy
	ConceptSet = concept.ConceptSet
	Run        = concept.Run
	Edge       = concept.Edge
)

var (
	ErrCycle          = concept.ErrCycle
	ErrUnknownConcept = concept.ErrUnknownConcept
	ErrCorrupt        = concept.ErrCorrupt
)

const (
	IsA  = concept.IsA
	Root = concept.Root
)

// SCTID helpers from the engine.
var (
	MakeSCTID     = concept.MakeSCTID
	ValidSCTID    = concept.ValidSCTID
	IsConceptID   = concept.IsConceptID
	VerhoeffValid = concept.VerhoeffValid
	ReadHierarchy = concept.ReadHierarchy
	Build         = concept.Build
)

const (
	PartConcept      = concept.PartConcept
	PartDescription  = concept.PartDescription
	PartRelationship = concept.PartRelationship
)
