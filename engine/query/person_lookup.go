package query

import "github.com/gentre/gentre/engine/care"

// PersonIndex returns the index of the person whose person pseudonym (hex,
// as stored in the people table) is psn, and false when the release has no
// such person: never ingested, or opted out (a tombstone matches nothing).
// Indices are stable across data releases (people are appended; an
// opt-out empties a row without renumbering), so the index also names the
// person in person sets recorded on earlier releases.
//
// It scans the people's pseudonyms (one string comparison a person): it is
// meant for a citizen looking up their own record, not for a hot path.
func (e *Engine) PersonIndex(psn string) (uint32, bool, error) {
	if psn == "" || psn == care.RemovedPerson {
		return 0, false, nil
	}
	ix, err := e.care()
	if err != nil {
		return 0, false, err
	}
	all, err := ix.pseudonyms()
	if err != nil {
		return 0, false, err
	}
	for i, p := range all {
		if p == psn {
			return uint32(i), true, nil
		}
	}
	return 0, false, nil
}
