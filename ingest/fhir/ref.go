package fhir

import (
	"net/url"
	"strings"
)

// parseRef parses a reference string or a Bundle fullUrl. It reports false
// for what cannot name a resource (empty, a search URL other than a
// conditional reference by NHS number, a malformed id).
func parseRef(s string) (Ref, bool) {
	switch {
	case s == "":
		return Ref{}, false
	case s[0] == '#':
		if len(s) == 1 {
			return Ref{}, false
		}
		return Ref{KindContained, s[1:]}, true
	case strings.HasPrefix(s, "urn:"):
		return parseURN(s)
	}
	if i := strings.IndexByte(s, '?'); i >= 0 {
		return parseConditional(s[:i], s[i+1:])
	}
	if i := strings.Index(s, "/_history/"); i >= 0 {
		s = s[:i]
	}
	j := strings.LastIndexByte(s, '/')
	if j <= 0 {
		return Ref{}, false
	}
	id, kind := s[j+1:], s[:j]
	if k := strings.LastIndexByte(kind, '/'); k >= 0 {
		kind = kind[k+1:]
	}
	if !isTypeName(kind) || !isID(id) {
		return Ref{}, false
	}
	return Ref{canonicalType(kind), id}, true
}

// parseURN parses urn:uuid:X and urn:oid:X (and other urn:NID:X).
func parseURN(s string) (Ref, bool) {
	rest := s[len("urn:"):]
	i := strings.IndexByte(rest, ':')
	if i <= 0 || i == len(rest)-1 {
		return Ref{}, false
	}
	kind := s[:len("urn:")+i]
	switch kind {
	case KindUUID:
		kind = KindUUID
	case KindOID:
		kind = KindOID
	}
	return Ref{kind, rest[i+1:]}, true
}

// parseConditional accepts a conditional reference to a Patient by NHS
// number, "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|N".
func parseConditional(path, query string) (Ref, bool) {
	if path != "Patient" && !strings.HasSuffix(path, "/Patient") {
		return Ref{}, false
	}
	q, err := url.ParseQuery(query)
	if err != nil || len(q) != 1 || len(q["identifier"]) != 1 {
		return Ref{}, false
	}
	system, value, ok := strings.Cut(q["identifier"][0], "|")
	if !ok || !isNHSSystem(system) {
		return Ref{}, false
	}
	if v := stripSpaces(value); v != "" {
		return Ref{KindNHSNumber, v}, true
	}
	return Ref{}, false
}

func isNHSSystem(s string) bool { return s == NHSNumberSystem || s == legacyNHSNumberSystem }

// stripSpaces removes spaces (an NHS number is often written 943 476 5919).
func stripSpaces(s string) string {
	if strings.IndexByte(s, ' ') < 0 {
		return s
	}
	return strings.ReplaceAll(s, " ", "")
}

// isTypeName reports whether s looks like a resource type name.
func isTypeName[T string | []byte](s T) bool {
	if len(s) == 0 || len(s) > 64 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// isID reports whether s is a FHIR id: [A-Za-z0-9\-\.]{1,64}.
func isID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
