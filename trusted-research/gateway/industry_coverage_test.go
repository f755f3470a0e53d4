package gateway

import (
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gentre/gentre/engine/coverage"
	"github.com/gentre/gentre/engine/query"
	"github.com/gentre/gentre/engine/store"
	"github.com/gentre/gentre/ingest/linkage"
	"github.com/gentre/gentre/pseudonymise"
)

// addUniformCoverage gives samples LAB-from..LAB-(to-1) the depth d over
// the whole of chr1, in one new data release (the fixture's own coverage
// is samples 0..9: too few for any depth band to be released).
func addUniformCoverage(t *testing.T, dir string, from, to int, d uint32) {
	t.Helper()
	key, err := pseudonymise.ReadKeyFile(filepath.Join(dir, SecretsDir, "pseudonym.key"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenWriter(dir, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	links, err := linkage.Load(st, key)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := st.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i < to; i++ {
		c, err := coverage.NewContig("chr1", 1000, []uint32{1000}, []uint32{d}, 100)
		if err != nil {
			t.Fatal(err)
		}
		smp, err := coverage.NewSample([]*coverage.Contig{c}, coverage.Flagstat{})
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("LAB-%04d", i)
		if _, err := tx.AddCoverage(links.SamplePseudonym(name), name+".bam", coverage.Encode(smp), store.QC{MeanDepth: float64(d)}); err != nil {
			tx.Abort()
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestIndustryCoverageIsDisclosureControlled(t *testing.T) {
	// Samples 10..34 at depth 40 and 35..59 at 15, besides the fixture's
	// 0..9 (means over chr1:1-1000 of 2.45 × (i+1)): over chr1 the bands
	// <10, 10-19, 20-29, >=30 hold 4, 4+25, 2, 25 samples.
	s := startServer(t, serverOpts{beforeOpen: func(dir string) {
		addUniformCoverage(t, dir, 10, 35, 40)
		addUniformCoverage(t, dir, 35, 60, 15)
	}})
	e := engineAt(t, s.dir)
	tok := s.tokens["industry"]
	for i, tc := range []struct {
		cohort string
		bands  [4]int64 // true samples by band
	}{
		{"", [4]int64{4, 29, 2, 25}},
		{"condition(44054006)", [4]int64{4, 9, 2, 25}}, // people 0..39
	} {
		text := "coverage chr1"
		if tc.cohort != "" {
			text += " in " + tc.cohort
		}
		q, err := query.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		exact, err := e.Coverage(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := bandCounts(exact); fmt.Sprint(got) != fmt.Sprint(tc.bands[:]) {
			t.Fatalf("%s: bands %v, fixture says %v", text, got, tc.bands)
		}
		r := s.post("/v1/coverage", tok, map[string]any{"region": "chr1", "cohort": tc.cohort})
		if r.status != 200 {
			t.Fatalf("%s: %d %s", text, r.status, r.body)
		}
		// Bands of 1..7 are withheld: samples is the total of the others,
		// each a multiple of 5.
		samples := number(t, "samples", r.json["samples"])
		if samples%5 != 0 || samples < 0 || math.Abs(float64(samples)-float64(tc.bands[1]+tc.bands[3])) > 40 {
			t.Fatalf("%s: samples %d, true released bands %d", text, samples, tc.bands[1]+tc.bands[3])
		}
		if _, has := r.json["mean_depth"]; has {
			t.Fatalf("%s: an industry answer has a mean depth: %s", text, r.body)
		}
		f10, f20, f30 := r.json["frac_10x"].(float64), r.json["frac_20x"].(float64), r.json["frac_30x"].(float64)
		if samples > 0 {
			// Only the 10-19 and >=30 bands are released: frac_10x counts
			// both, frac_20x and frac_30x the >=30 band alone.
			n30 := f30 * float64(samples)
			if f10 != 1 || f20 != f30 || math.Abs(n30-math.Round(n30)) > 1e-9 || int(math.Round(n30))%5 != 0 {
				t.Fatalf("%s: fractions %v %v %v of %d", text, f10, f20, f30, samples)
			}
		}
		if r.header.Get("X-Gentre-Suppressed-Cells") != "2" || r.header.Get("X-Gentre-Cached") != "false" ||
			r.header.Get("X-Gentre-Epsilon-Spent") != fmt.Sprint(0.5*float64(i+1)) {
			t.Fatalf("%s: headers %v", text, r.header)
		}
		if r.json["query"] != text || number(t, "end", r.json["end"]) != 1000 {
			t.Fatalf("%s: %s", text, r.body)
		}
		// Again: the same answer from the cache, free.
		again := s.post("/v1/coverage", tok, map[string]any{"region": "chr1", "cohort": tc.cohort})
		if !reflect.DeepEqual(again.json, r.json) ||
			again.header.Get("X-Gentre-Cached") != "true" || again.header.Get("X-Gentre-Epsilon-Spent") != r.header.Get("X-Gentre-Epsilon-Spent") {
			t.Fatalf("%s: repeat %s %v, first %s", text, again.body, again.header, r.body)
		}
	}
}

// The fixture alone: ten samples with coverage, every band 0 or 1..7, so
// nothing but zeros is released, and the header says how much is withheld.
func TestIndustryCoverageAllWithheld(t *testing.T) {
	s := startServer(t, serverOpts{})
	r := s.post("/v1/coverage", s.tokens["industry"], map[string]any{"region": "chr1"})
	if r.status != 200 || number(t, "samples", r.json["samples"]) != 0 || r.json["frac_10x"] != 0.0 || r.json["mean_depth"] != nil {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// Means 2.45 × (i+1): bands 4, 4, 2 and a true 0.
	if r.header.Get("X-Gentre-Suppressed-Cells") != "3" {
		t.Fatalf("headers %v", r.header)
	}
}

func TestIndustryCoverageRules(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before []map[string]any // coverage questions answered first
		ask    map[string]any
		status int
		msg    string
	}{
		{"small cohort", nil, map[string]any{"region": "chr1", "cohort": "condition(46635009)"}, 403, "smaller than the minimum"},
		{"differencing", []map[string]any{{"region": "chr1", "cohort": "condition(44054006)"}},
			map[string]any{"region": "chr1:1-500", "cohort": "condition(44054006) and not carrier(chr1:300:G:A)"}, 403, "too similar"},
		{"the same cohort over another region", []map[string]any{{"region": "chr1", "cohort": "condition(44054006)"}},
			map[string]any{"region": "chr1:1-500", "cohort": "condition(44054006)"}, 200, ""},
		{"a freq cohort, then coverage of it", []map[string]any{{"freq": true, "region": "chr1:100-100", "cohort": "condition(44054006)"}},
			map[string]any{"region": "chr1", "cohort": "condition(44054006)"}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, serverOpts{mutate: func(o *Options) { o.Disclosure.Defaults.Budget = 100 }})
			tok := s.tokens["industry"]
			for _, b := range tc.before {
				path := "/v1/coverage"
				if b["freq"] == true {
					path = "/v1/freq"
					delete(b, "freq")
				}
				if r := s.post(path, tok, b); r.status != 200 {
					t.Fatalf("before: %d %s", r.status, r.body)
				}
			}
			before := spentOn(t, s, tok)
			r := s.post("/v1/coverage", tok, tc.ask)
			msg, _ := r.json["message"].(string)
			if r.status != tc.status || !strings.Contains(msg, tc.msg) {
				t.Fatalf("%d %s, want %d %q", r.status, r.body, tc.status, tc.msg)
			}
			if tc.status == 403 && (strings.ContainsAny(msg, "0123456789") || r.json["samples"] != nil) {
				t.Fatalf("refusal reveals a number: %s", r.body)
			}
			if after := spentOn(t, s, tok); after != before+0.5 {
				t.Fatalf("spent %v, before %v", after, before)
			}
		})
	}
}
