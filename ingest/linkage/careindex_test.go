package linkage

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gentre/gentre/engine/care"
	"github.com/gentre/gentre/engine/geno"
	"github.com/gentre/gentre/engine/sites"
	"github.com/gentre/gentre/engine/store"
	"github.com/gentre/gentre/pseudonymise"
)

// Four people; p2 has a condition, an observation and a medication.
var indexNDJSON = strings.Join([]string{
	`{"resourceType":"Patient","id":"p1","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"gender":"female","birthDate":"1961-03-14"}`,
	`{"resourceType":"Patient","id":"p2","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000026"}],"gender":"male","birthDate":"1948-11-30"}`,
	`{"resourceType":"Patient","id":"p3","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000034"}],"gender":"female"}`,
	`{"resourceType":"Patient","id":"p4","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000042"}]}`,
	`{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}}`,
	`{"resourceType":"Condition","id":"c2","subject":{"reference":"Patient/p2"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}]}}`,
	`{"resourceType":"Observation","id":"o2","subject":{"reference":"Patient/p2"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"1003671000000109"}]},"valueQuantity":{"value":52.5,"unit":"mmol/mol"}}`,
	`{"resourceType":"Observation","id":"o3","subject":{"reference":"Patient/p3"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"1003671000000109"}]},"valueQuantity":{"value":40,"unit":"mmol/mol"}}`,
	`{"resourceType":"MedicationRequest","id":"m2","subject":{"reference":"Patient/p2"},"medicationCodeableConcept":{"coding":[{"system":"https://dmd.nhs.uk","code":"10481911000001102"}]}}`,
}, "\n") + "\n"

const indexManifest = "sample_id\tnhs_number\nLAB-1\t9990000018\nLAB-2\t9990000026\nLAB-3\t9990000034\nLAB-4\t9990000042\n"

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// openIndex opens the release's care index and checks it whole and
// against the release: built from its people, events and links, with the
// digest of its sample list.
func openIndex(t *testing.T, st *store.Store) *care.Index {
	t.Helper()
	c := &st.Manifest().Care
	if c.Index == "" {
		t.Fatal("the release has no care index")
	}
	data, err := st.ReadFile(c.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := care.VerifyIndex(c.Index, data); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); c.IndexSHA256 != hex.EncodeToString(sum[:]) {
		t.Fatal("the manifest's index digest does not match the file")
	}
	x, err := care.OpenIndex(c.Index, strings.NewReader(string(data)), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	digest, err := st.SampleListDigest()
	if err != nil {
		t.Fatal(err)
	}
	s := x.Stamp()
	want := care.IndexStamp{People: c.People, Events: c.Events, Links: c.Links}
	if !s.SameCare(&want) || s.Samples != digest || x.NSamples() != st.Manifest().NSamples {
		t.Fatalf("index stamp %+v, release %+v, sample digest %q", s, want, digest)
	}
	return x
}

func addBatch(t *testing.T, st *store.Store, key *pseudonymise.Key, contig string, ids ...string) {
	t.Helper()
	s, err := Load(st, key)
	if err != nil {
		t.Fatal(err)
	}
	spec := store.BatchSpec{Source: ids[0] + ".vcf", Size: int64(len(ids))}
	for i, id := range ids {
		spec.Samples = append(spec.Samples, s.SamplePseudonym(id))
		if s.OptedOutSample(spec.Samples[i]) {
			spec.Drop = append(spec.Drop, i)
		}
	}
	bw, err := st.NewBatch(spec)
	if err != nil {
		t.Fatal(err)
	}
	var row geno.Row
	row.Reset(2, len(ids), 2)
	site := sites.Site{Chrom: contig, Pos: 10, ID: ".", Ref: "A", Alts: []string{"G"}, Qual: float32(math.NaN()), Filter: "PASS", Info: "."}
	if err := bw.Add(&site, &row, nil, nil); err != nil {
		bw.Abort()
		t.Fatal(err)
	}
	if err := RefreshCareIndex(bw.Tx(), bw.Samples()); err != nil {
		bw.Abort()
		t.Fatal(err)
	}
	if _, err := bw.Commit(ids[0]); err != nil {
		t.Fatal(err)
	}
}

// TestCareIndexFollowsEveryChange: each ingest (care, manifest, genomes)
// and an opt-out leave a current index in the release they make; after
// the opt-out the person is in no set and no code's people, has no
// samples, and their pseudonym is a tombstone.
func TestCareIndexFollowsEveryChange(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	if err := store.Init(dir); err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenWriter(dir, &store.Options{NoSync: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, err := pseudonymise.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	// Genomes before any care records: no index yet (no people).
	addBatch(t, st, key, "chr1", "LAB-3", "LAB-9")
	if st.Manifest().Care.Index != "" {
		t.Fatal("an index without people")
	}
	if _, err := LoadFHIR(st, key, []string{writeTemp(t, "care.ndjson", indexNDJSON)}, Options{}); err != nil {
		t.Fatal(err)
	}
	x := openIndex(t, st)
	if sm, _ := x.SampleMap(); !slices.Equal(sm, []int32{-1, -1}) {
		t.Fatalf("before the manifest: sample map %v", sm)
	}
	if _, err := LoadManifest(st, key, writeTemp(t, "m.tsv", indexManifest)); err != nil {
		t.Fatal(err)
	}
	x = openIndex(t, st)
	if sm, _ := x.SampleMap(); !slices.Equal(sm, []int32{2, -1}) {
		t.Fatalf("after the manifest: sample map %v", sm)
	}
	addBatch(t, st, key, "chr1", "LAB-1", "LAB-2")
	x = openIndex(t, st)
	if sm, _ := x.SampleMap(); !slices.Equal(sm, []int32{2, -1, 0, 1}) {
		t.Fatalf("after the genomes: sample map %v", sm)
	}
	// A batch of known samples changes no sample list: the index stays.
	before := st.Manifest().Care.Index
	addBatch(t, st, key, "chr2", "LAB-2", "LAB-1")
	if st.Manifest().Care.Index != before {
		t.Fatal("index rewritten for an unchanged sample list")
	}

	// Coverage of a sample with no genotypes adds it to the sample list.
	s, err := Load(st, key)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := st.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.AddCoverage(s.SamplePseudonym("LAB-4"), "lab4.bam", []byte("coverage"), store.QC{}); err != nil {
		t.Fatal(err)
	}
	if err := RefreshCareIndex(tx, nil); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	x = openIndex(t, st)
	if sm, _ := x.SampleMap(); !slices.Equal(sm, []int32{2, -1, 0, 1, 3}) {
		t.Fatalf("after the coverage: sample map %v", sm)
	}
	before = st.Manifest().Care.Index

	// Opt person 2 (p2, LAB-2) out.
	sum, err := OptOut(st, key, []string{"9990000026"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.PeopleRemoved != 1 || sum.SamplesRemove != 1 {
		t.Fatalf("opt-out: %+v", sum)
	}
	x = openIndex(t, st)
	if st.Manifest().Care.Index == before {
		t.Fatal("opt-out kept the old index")
	}
	all, bySex, err := x.PeopleSets()
	if err != nil {
		t.Fatal(err)
	}
	if all.Contains(1) || bySex[care.SexMale].GetCardinality() != 0 || all.GetCardinality() != 3 {
		t.Fatalf("opted-out person still in the people sets: %v", all.ToArray())
	}
	psn, _ := x.Pseudonyms()
	if psn[1] != care.RemovedPerson {
		t.Fatal("opted-out person's pseudonym kept")
	}
	if sm, _ := x.SampleMap(); !slices.Equal(sm, []int32{2, -1, 0, -1, 3}) {
		t.Fatalf("after the opt-out: sample map %v", sm)
	}
	for _, k := range care.IndexedKinds {
		d, err := x.Codes(k)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < d.Len(); i++ {
			if k == care.Observation {
				o, _ := d.Observations(i)
				for j := 0; j < o.Len(); j++ {
					if o.Person(j) == 1 {
						t.Fatalf("opted-out person's observation %q kept", d.Code(i))
					}
				}
				continue
			}
			if b, _ := d.Bitmap(i); b.Contains(1) {
				t.Fatalf("opted-out person's %s %q kept", k, d.Code(i))
			}
		}
	}
	if d, _ := x.Codes(care.Medication); d.Len() != 0 {
		t.Fatalf("the opted-out person's medication code is still listed")
	}
	d, _ := x.Codes(care.Condition)
	if i, ok := d.Find("44054006"); !ok {
		t.Fatal("other people's condition lost")
	} else if b, _ := d.Bitmap(i); !slices.Equal(b.ToArray(), []uint32{0}) {
		t.Fatalf("condition 44054006: %v", b.ToArray())
	}
	// The old index file is gone with the release it belonged to.
	if _, err := os.Stat(filepath.Join(dir, before)); !os.IsNotExist(err) {
		t.Fatalf("old index file: %v", err)
	}
}

// TestRefreshCareIndexRebuildsMissing: a release made before the index
// existed gets one at the next change, and a refresh of a current index
// does nothing.
func TestRefreshCareIndexRebuildsMissing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	if err := store.Init(dir); err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenWriter(dir, &store.Options{NoSync: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, _ := pseudonymise.NewKey()
	if _, err := LoadFHIR(st, key, []string{writeTemp(t, "care.ndjson", indexNDJSON)}, Options{}); err != nil {
		t.Fatal(err)
	}
	// Drop the index as a release written before it existed has none.
	tx, _ := st.Begin()
	tx.Obsolete(tx.Manifest().Care.Index)
	tx.Manifest().Care.Index, tx.Manifest().Care.IndexSHA256 = "", ""
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	tx, _ = st.Begin()
	if err := RefreshCareIndex(tx, nil); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	openIndex(t, st)
	rel := st.Manifest().Care.Index
	tx, _ = st.Begin()
	if err := RefreshCareIndex(tx, nil); err != nil {
		t.Fatal(err)
	}
	if tx.Manifest().Care.Index != rel {
		t.Fatal("a current index was rewritten")
	}
	tx.Abort()
}
