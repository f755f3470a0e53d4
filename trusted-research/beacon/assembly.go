package beacon

import "strings"

// The assemblies recognised, by their GRC names, with the aliases that
// VCF headers and clients use for them.
var assemblies = []struct {
	name    string
	aliases []string // lower case; matched as words inside header values
}{
	{"GRCh38", []string{"grch38", "hg38", "hs38"}},
	{"GRCh37", []string{"grch37", "hg19", "b37", "hs37d5", "hs37"}},
	{"NCBI36", []string{"ncbi36", "hg18", "b36"}},
}

// parseAssembly validates a client's assemblyId and returns it normalised
// (GRCh38 for hg38, ...), or as given when not recognised.
func parseAssembly(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if len(s) > maxNameLen {
		return "", fieldErr("assemblyId", "longer than %d characters", maxNameLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return "", fieldErr("assemblyId", "character %d is not a letter, digit, '.', '_' or '-'", i+1)
		}
	}
	if a := recognise(s); a != "" {
		return a, nil
	}
	return s, nil
}

// recognise returns the GRC name of the first assembly an alias of which
// appears as a word in s (case-insensitive), or "".
func recognise(s string) string {
	s = strings.ToLower(s)
	for _, a := range assemblies {
		for _, alias := range a.aliases {
			if containsWord(s, alias) {
				return a.name
			}
		}
	}
	return ""
}

// containsWord reports whether w occurs in s with no letter or digit
// directly before or after it ("GRCh38.p14" and "/ref/hg38.fa" contain
// their assembly; "hg380" does not contain hg38).
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(w)
		if (j == 0 || !alnum(s[j-1])) && (end == len(s) || !alnum(s[end])) {
			return true
		}
		i = j + 1
	}
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// StoreAssembly reads the assembly the store's genomes declare from their
// VCF meta-information (one string a batch, lines without "##"): the
// ##reference line and the assembly= of ##contig lines. It returns the
// assembly when every batch that declares one declares the same, and ""
// when none does or they disagree.
func StoreAssembly(headers []string) string {
	found := ""
	for _, h := range headers {
		for line := range strings.SplitSeq(h, "\n") {
			var v string
			switch {
			case strings.HasPrefix(line, "reference="):
				v = line[len("reference="):]
			case strings.HasPrefix(line, "contig=<"):
				i := strings.Index(line, "assembly=")
				if i < 0 {
					continue
				}
				v = line[i+len("assembly="):]
				if k := strings.IndexAny(v, ",>"); k >= 0 {
					v = v[:k]
				}
			default:
				continue
			}
			a := recognise(v)
			switch {
			case a == "":
			case found == "":
				found = a
			case found != a:
				return ""
			}
		}
	}
	return found
}

// CheckAssembly refuses a question whose assembly differs from the store's
// (both known). A store that declares no assembly accepts any.
func CheckAssembly(q *Query, store string) error {
	if q.Assembly == "" || store == "" || q.Assembly == store {
		return nil
	}
	return fieldErr("assemblyId", "the store's genomes are %s", store)
}
