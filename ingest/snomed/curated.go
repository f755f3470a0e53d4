package snomed

import (
	_ "embed"
	"slices"
	"strconv"
	"strings"
)

// Concept is a SNOMED CT concept with an English preferred term.
type Concept struct {
	ID   int64
	Term string
}

//go:embed testdata/curated_relationships.txt
var curatedRF2 []byte

// CuratedRF2 returns a small, real fragment of SNOMED CT (diabetes and
// cardiovascular disease) as an RF2 relationship snapshot: every concept id
// and every is-a link is real, each link being either a direct is-a of the
// International Edition or one implied by its transitive closure (the
// intermediate concepts are left out). The relationship ids and
// effectiveTimes are made up (valid SCTIDs, not real relationship ids).
// Parse it with ParseRF2; its concepts and terms are CuratedConcepts. The
// caller may modify the returned slice.
func CuratedRF2() []byte { return slices.Clone(curatedRF2) }

// CuratedConcepts returns the concepts of CuratedRF2 with their English
// preferred terms, in the order of curatedEdges' first mention (root first).
func CuratedConcepts() []Concept { return slices.Clone(curatedConcepts) }

// CuratedTerm returns the English term of a concept of CuratedRF2, or "".
func CuratedTerm(id int64) string {
	for _, c := range curatedConcepts {
		if c.ID == id {
			return c.Term
		}
	}
	return ""
}

var curatedConcepts = []Concept{
	{138875005, "SNOMED CT Concept"},
	{404684003, "Clinical finding"},
	{64572001, "Disease"},
	{362969004, "Disorder of endocrine system"},
	{126877002, "Disorder of glucose metabolism"},
	{73211009, "Diabetes mellitus"},
	{46635009, "Diabetes mellitus type 1"},
	{44054006, "Diabetes mellitus type 2"},
	{49601007, "Disorder of cardiovascular system"},
	{56265001, "Heart disease"},
	{414545008, "Ischemic heart disease"},
	{22298006, "Myocardial infarction"},
	{57054005, "Acute myocardial infarction"},
	{194828000, "Angina"},
	{84114007, "Heart failure"},
	{42343007, "Congestive heart failure"},
	{698247007, "Cardiac arrhythmia"},
	{49436004, "Atrial fibrillation"},
	{38341003, "Hypertensive disorder, systemic arterial"},
	{59621000, "Essential hypertension"},
	{62914000, "Cerebrovascular disease"},
	{230690007, "Cerebrovascular accident"},
	{55822004, "Hyperlipidemia"},
	{13644009, "Hypercholesterolemia"},
	{414916001, "Obesity"},
	{709044004, "Chronic kidney disease"},
}

// curatedEdges are the is-a links of CuratedRF2 (child is-a parent);
// testdata/curated_relationships.txt is rendered from them (go test -update).
// Diabetes mellitus has two parents, making a diamond under Disease.
var curatedEdges = []Edge{
	{Child: 404684003, Parent: 138875005}, // Clinical finding is-a SNOMED CT Concept
	{Child: 64572001, Parent: 404684003},  // Disease is-a Clinical finding
	{Child: 362969004, Parent: 64572001},  // Disorder of endocrine system is-a Disease
	{Child: 126877002, Parent: 64572001},  // Disorder of glucose metabolism is-a Disease
	{Child: 73211009, Parent: 362969004},  // Diabetes mellitus is-a Disorder of endocrine system
	{Child: 73211009, Parent: 126877002},  // Diabetes mellitus is-a Disorder of glucose metabolism
	{Child: 46635009, Parent: 73211009},   // Diabetes mellitus type 1 is-a Diabetes mellitus
	{Child: 44054006, Parent: 73211009},   // Diabetes mellitus type 2 is-a Diabetes mellitus
	{Child: 49601007, Parent: 64572001},   // Disorder of cardiovascular system is-a Disease
	{Child: 56265001, Parent: 49601007},   // Heart disease is-a Disorder of cardiovascular system
	{Child: 414545008, Parent: 56265001},  // Ischemic heart disease is-a Heart disease
	{Child: 22298006, Parent: 414545008},  // Myocardial infarction is-a Ischemic heart disease
	{Child: 57054005, Parent: 22298006},   // Acute myocardial infarction is-a Myocardial infarction
	{Child: 194828000, Parent: 414545008}, // Angina is-a Ischemic heart disease
	{Child: 84114007, Parent: 56265001},   // Heart failure is-a Heart disease
	{Child: 42343007, Parent: 84114007},   // Congestive heart failure is-a Heart failure
	{Child: 698247007, Parent: 49601007},  // Cardiac arrhythmia is-a Disorder of cardiovascular system
	{Child: 49436004, Parent: 698247007},  // Atrial fibrillation is-a Cardiac arrhythmia
	{Child: 38341003, Parent: 49601007},   // Hypertensive disorder is-a Disorder of cardiovascular system
	{Child: 59621000, Parent: 38341003},   // Essential hypertension is-a Hypertensive disorder
	{Child: 62914000, Parent: 64572001},   // Cerebrovascular disease is-a Disease
	{Child: 230690007, Parent: 62914000},  // Cerebrovascular accident is-a Cerebrovascular disease
	{Child: 55822004, Parent: 64572001},   // Hyperlipidemia is-a Disease
	{Child: 13644009, Parent: 55822004},   // Hypercholesterolemia is-a Hyperlipidemia
	{Child: 414916001, Parent: 64572001},  // Obesity is-a Disease
	{Child: 709044004, Parent: 64572001},  // Chronic kidney disease is-a Disease
}

// renderCurated writes curatedEdges as an RF2 snapshot: made-up relationship
// ids 1000<k>02<check>, effectiveTime 20240101, core module, inferred,
// existential, group 0, CRLF line ends.
func renderCurated() []byte {
	var b strings.Builder
	b.WriteString(headerText() + "\r\n")
	for k, e := range curatedEdges {
		rid, _ := MakeSCTID(int64(1000+k), PartRelationship)
		cols := []string{
			strconv.FormatInt(rid, 10), "20240101", "1", strconv.FormatInt(coreModule, 10),
			strconv.FormatInt(e.Child, 10), strconv.FormatInt(e.Parent, 10), "0",
			strconv.FormatInt(IsA, 10), strconv.FormatInt(inferred, 10), strconv.FormatInt(existential, 10),
		}
		b.WriteString(strings.Join(cols, "\t") + "\r\n")
	}
	return []byte(b.String())
}
