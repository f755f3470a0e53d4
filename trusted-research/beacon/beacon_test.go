package beacon

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/gentre/gentre/engine/query"
)

func ptr(v int64) *int64 { return &v }

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Params
		want string // canonical form, or the error's field and reason
	}{
		{"exact", Params{ReferenceName: "22", Start: 24316206, ReferenceBases: "a", AlternateBases: "g"},
			"g_variants referenceName=22 start=24316206 referenceBases=A alternateBases=G requestedGranularity=boolean"},
		{"range", Params{ReferenceName: "chr1", Start: 0, End: ptr(1000), Granularity: "COUNT"},
			"g_variants referenceName=chr1 start=0 end=1000 requestedGranularity=count"},
		{"range with filters", Params{ReferenceName: "X", Start: 5, End: ptr(6), ReferenceBases: "N", AlternateBases: "TN", AssemblyID: "hg38"},
			"g_variants referenceName=X start=5 end=6 referenceBases=N alternateBases=TN requestedGranularity=boolean"},
		{"no name", Params{Start: 1, ReferenceBases: "A", AlternateBases: "G"}, "referenceName: required"},
		{"bad name", Params{ReferenceName: "chr1:5", ReferenceBases: "A", AlternateBases: "G"}, "referenceName: character 5"},
		{"long name", Params{ReferenceName: strings.Repeat("c", 65), ReferenceBases: "A", AlternateBases: "G"}, "referenceName: longer"},
		{"negative start", Params{ReferenceName: "1", Start: -1, ReferenceBases: "A", AlternateBases: "G"}, "start: negative"},
		{"huge start", Params{ReferenceName: "1", Start: 1 << 31, ReferenceBases: "A", AlternateBases: "G"}, "start: beyond"},
		{"exact without ref", Params{ReferenceName: "1", AlternateBases: "G"}, "referenceBases: required without end"},
		{"exact without alt", Params{ReferenceName: "1", ReferenceBases: "A"}, "alternateBases: required without end"},
		{"bad ref", Params{ReferenceName: "1", ReferenceBases: "AX", AlternateBases: "G"}, "referenceBases: character 2 is not one of A C G T N"},
		{"symbolic alt", Params{ReferenceName: "1", ReferenceBases: "A", AlternateBases: "<DEL>"}, "alternateBases: character 1"},
		{"long bases", Params{ReferenceName: "1", ReferenceBases: strings.Repeat("A", 1001), AlternateBases: "G"}, "referenceBases: longer than 1000"},
		{"empty range", Params{ReferenceName: "1", Start: 10, End: ptr(10)}, "end: not after start"},
		{"reversed range", Params{ReferenceName: "1", Start: 10, End: ptr(3)}, "end: not after start"},
		{"record granularity", Params{ReferenceName: "1", End: ptr(3), Granularity: "record"}, "requestedGranularity: record granularity is not offered"},
		{"bad granularity", Params{ReferenceName: "1", End: ptr(3), Granularity: "yes"}, "requestedGranularity: want boolean or count"},
		{"bad assembly", Params{ReferenceName: "1", End: ptr(3), AssemblyID: "GRCh38 "}, "assemblyId: character 7"},
	} {
		q, err := Parse(tc.p)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
			}
			continue
		}
		if got := q.String(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	q, err := Parse(Params{ReferenceName: "22", Start: 9, ReferenceBases: "A", AlternateBases: "G"})
	if err != nil || q.Range || q.Start != 9 || q.End != 10 {
		t.Fatalf("exact query: %+v %v", q, err)
	}
	if q.Canonical("chr22") != strings.Replace(q.String(), "=22 ", "=chr22 ", 1) {
		t.Fatalf("canonical with the store's contig: %q", q.Canonical("chr22"))
	}
}

func TestAssembly(t *testing.T) {
	for _, tc := range []struct {
		headers []string
		want    string
	}{
		{nil, ""},
		{[]string{"fileformat=VCFv4.2\nsource=x"}, ""},
		{[]string{"fileformat=VCFv4.2\nreference=file:///refs/GRCh38_full_analysis_set.fa"}, "GRCh38"},
		{[]string{"reference=hg19.fa", "contig=<ID=1,length=5,assembly=b37>"}, "GRCh37"},
		{[]string{"contig=<ID=chr1,assembly=hg38,length=5>"}, "GRCh38"},
		{[]string{"reference=GRCh38", "reference=GRCh37"}, ""}, // they disagree: unknown
		{[]string{"reference=hg380"}, ""},                      // not a word
		{[]string{"reference=/x/hs37d5.fa.gz"}, "GRCh37"},
	} {
		if got := StoreAssembly(tc.headers); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.headers, got, tc.want)
		}
	}
	for _, tc := range []struct {
		client, store string
		ok            bool
	}{
		{"", "GRCh38", true}, {"GRCh38", "", true}, {"hg38", "GRCh38", true}, {"GRCh38.p14", "GRCh38", true},
		{"GRCh37", "GRCh38", false}, {"hg19", "GRCh38", false}, {"CHM13", "GRCh38", false}, {"CHM13", "", true},
	} {
		q, err := Parse(Params{ReferenceName: "1", End: ptr(2), AssemblyID: tc.client})
		if err != nil {
			t.Fatal(err)
		}
		err = CheckAssembly(q, tc.store)
		if (err == nil) != tc.ok || (err != nil && !strings.HasPrefix(err.Error(), "assemblyId: the store's genomes are "+tc.store)) {
			t.Errorf("client %q store %q: %v", tc.client, tc.store, err)
		}
	}
}

// fakeSource is a release with the alleles given, on the contigs given.
type fakeSource struct {
	contigs []string
	alleles map[string][]query.Allele
}

func (f *fakeSource) ResolveContig(c string) (string, error) {
	for _, name := range f.contigs {
		if name == c || name == "chr"+c || "chr"+name == c {
			return name, nil
		}
	}
	return "", fmt.Errorf("contig %s: %w", c, query.ErrNotFound)
}

func (f *fakeSource) Alleles(ctx context.Context, contig string, start, end int64, fn func(*query.Allele) error) error {
	for _, a := range f.alleles[contig] {
		if a.Pos >= start && a.Pos <= end {
			a := a
			if err := fn(&a); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestLookup(t *testing.T) {
	src := &fakeSource{contigs: []string{"chr1", "22"}, alleles: map[string][]query.Allele{
		"chr1": {
			{Pos: 100, Ref: "A", Alt: "G", AC: 8},
			{Pos: 101, Ref: "C", Alt: "T", AC: 7},
			{Pos: 102, Ref: "G", Alt: "A", AC: 30}, {Pos: 102, Ref: "G", Alt: "C", AC: 2}, {Pos: 102, Ref: "G", Alt: "T", AC: 9},
			{Pos: 103, Ref: "AT", Alt: "A", AC: 50},
			{Pos: 104, Ref: "C", Alt: "<DEL>", AC: 50}, {Pos: 104, Ref: "C", Alt: "*", AC: 50},
			{Pos: 105, Ref: "t", Alt: "c", AC: 40},
			{Pos: 106, Ref: "A", Alt: ".", AC: 0},
		},
		"22": {{Pos: 5, Ref: "A", Alt: "G", AC: 100}},
	}}
	v := func(pos int64, ref, alt string) Variant {
		return Variant{Contig: "chr1", Start: pos - 1, Ref: ref, Alt: alt}
	}
	for _, tc := range []struct {
		name string
		p    Params
		want []Variant
	}{
		{"exact AC 8 shown", Params{ReferenceName: "1", Start: 99, ReferenceBases: "A", AlternateBases: "G"}, []Variant{v(100, "A", "G")}},
		{"exact AC 7 hidden", Params{ReferenceName: "chr1", Start: 100, ReferenceBases: "C", AlternateBases: "T"}, nil},
		{"wrong alt", Params{ReferenceName: "chr1", Start: 99, ReferenceBases: "A", AlternateBases: "C"}, nil},
		{"wrong ref", Params{ReferenceName: "chr1", Start: 99, ReferenceBases: "C", AlternateBases: "G"}, nil},
		{"off by one (1-based start)", Params{ReferenceName: "chr1", Start: 100, ReferenceBases: "A", AlternateBases: "G"}, nil},
		{"multi-allelic: one shown", Params{ReferenceName: "chr1", Start: 101, ReferenceBases: "G", AlternateBases: "A"}, []Variant{v(102, "G", "A")}},
		{"multi-allelic: rare one hidden", Params{ReferenceName: "chr1", Start: 101, ReferenceBases: "G", AlternateBases: "C"}, nil},
		{"N matches any base", Params{ReferenceName: "chr1", Start: 101, ReferenceBases: "N", AlternateBases: "N"}, []Variant{v(102, "G", "A"), v(102, "G", "T")}},
		{"N keeps the length", Params{ReferenceName: "chr1", Start: 102, ReferenceBases: "N", AlternateBases: "N"}, nil},
		{"deletion", Params{ReferenceName: "chr1", Start: 102, ReferenceBases: "AN", AlternateBases: "A"}, []Variant{v(103, "AT", "A")}},
		{"lower-case store", Params{ReferenceName: "chr1", Start: 104, ReferenceBases: "T", AlternateBases: "C"}, []Variant{v(105, "t", "c")}},
		{"range", Params{ReferenceName: "chr1", Start: 99, End: ptr(106)},
			[]Variant{v(100, "A", "G"), v(102, "G", "A"), v(102, "G", "T"), v(103, "AT", "A"), v(105, "t", "c")}},
		{"range is half-open", Params{ReferenceName: "chr1", Start: 100, End: ptr(102)}, []Variant{v(102, "G", "A"), v(102, "G", "T")}},
		{"range with alt filter", Params{ReferenceName: "chr1", Start: 0, End: ptr(1000), AlternateBases: "A"}, []Variant{v(102, "G", "A"), v(103, "AT", "A")}},
		{"range with ref filter", Params{ReferenceName: "chr1", Start: 0, End: ptr(1000), ReferenceBases: "NN"}, []Variant{v(103, "AT", "A")}},
		{"no chr in the store", Params{ReferenceName: "chr22", Start: 4, ReferenceBases: "A", AlternateBases: "G"}, []Variant{{"22", 4, "A", "G"}}},
		{"unknown contig", Params{ReferenceName: "chr9", Start: 4, ReferenceBases: "A", AlternateBases: "G"}, nil},
	} {
		q, err := Parse(tc.p)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		contig, err := Resolve(src, q)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		res, err := Lookup(context.Background(), src, q, contig, 0)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !reflect.DeepEqual(res.Variants, tc.want) || res.Exists() != (len(tc.want) > 0) {
			t.Errorf("%s: %+v, want %+v", tc.name, res.Variants, tc.want)
		}
	}
	q, _ := Parse(Params{ReferenceName: "chr1", Start: 0, End: ptr(1000)})
	if _, err := Lookup(context.Background(), src, q, "chr1", 5); !errors.Is(err, ErrTooMany) {
		t.Fatalf("11 alleles with a limit of 5: %v", err)
	}
	if _, err := Lookup(context.Background(), src, q, "chr1", 11); err != nil {
		t.Fatalf("11 alleles with a limit of 11: %v", err)
	}
}

func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, allele string
		want            bool
	}{
		{"", "A", true}, {"", "ACGTN", true}, {"", "<DEL>", false}, {"", "*", false}, {"", ".", false}, {"", "", false},
		{"A", "A", true}, {"A", "a", true}, {"N", "G", true}, {"N", "GG", false}, {"NA", "GA", true}, {"NA", "GC", false},
		{"G", "N", false}, {"N", "N", true}, {"N", "*", false}, {"A", "A]1:5]", false},
	} {
		if got := matches(tc.pattern, tc.allele); got != tc.want {
			t.Errorf("matches(%q, %q) = %v", tc.pattern, tc.allele, got)
		}
	}
}

func openDB(t *testing.T) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "tre.db"), 0o600, &bbolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestLedger(t *testing.T) {
	db := openDB(t)
	l := NewLedger(db)
	if n, err := l.Asked("p", "proj", "1"); n != 0 || err != nil {
		t.Fatalf("empty ledger: %d %v", n, err)
	}
	for i, q := range []string{"q1", "q2", "q1", "q3", "q2"} {
		n, err := l.Spend("p", "proj", "1", q, 3)
		want := []int{1, 2, 2, 3, 3}[i]
		if err != nil || n != want {
			t.Fatalf("question %d (%s): %d %v, want %d", i, q, n, err, want)
		}
	}
	n, err := l.Spend("p", "proj", "1", "q4", 3)
	if !errors.Is(err, ErrLimit) || n != 3 || !strings.Contains(err.Error(), "3 of the 3") {
		t.Fatalf("a fourth question: %d %v", n, err)
	}
	// Asked before: still answered, not counted.
	if n, err := l.Spend("p", "proj", "1", "q3", 3); err != nil || n != 3 {
		t.Fatalf("a question asked before, at the limit: %d %v", n, err)
	}
	// Other partners, projects and releases have their own allowance; the
	// scope encoding keeps ("p","roj1",…) apart from ("pr","oj1",…).
	for _, s := range [][3]string{{"p2", "proj", "1"}, {"p", "proj2", "1"}, {"p", "proj", "2"}, {"pp", "roj", "1"}} {
		if n, err := l.Spend(s[0], s[1], s[2], "q4", 3); err != nil || n != 1 {
			t.Fatalf("%v: %d %v", s, n, err)
		}
	}
	if n, _ := l.Asked("p", "proj", "1"); n != 3 {
		t.Fatalf("asked %d", n)
	}
	if _, err := l.Spend("", "proj", "1", "q", 3); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty partner: %v", err)
	}
	// The ledger holds hashes, never question text.
	db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketLedger).ForEach(func(k, v []byte) error {
			if strings.Contains(string(k), "q1") || strings.Contains(string(v), "q1") {
				t.Errorf("question text in the ledger: %q", k)
			}
			return nil
		})
	})
}

// TestLedgerConcurrent: concurrent distinct questions never pass the limit.
func TestLedgerConcurrent(t *testing.T) {
	l := NewLedger(openDB(t))
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := l.Spend("p", "proj", "1", fmt.Sprint("q", i), 25); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if !errors.Is(err, ErrLimit) {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if n, _ := l.Asked("p", "proj", "1"); ok != 25 || n != 25 {
		t.Fatalf("%d answered, %d counted, want 25", ok, n)
	}
}

// FuzzParse: Parse never panics, refuses only with a *FieldError, and a
// query it accepts round-trips through its canonical form's fields.
func FuzzParse(f *testing.F) {
	f.Add("22", int64(24316206), int64(-1), "A", "G", "count", "GRCh38")
	f.Add("chr1", int64(0), int64(100), "", "N", "", "")
	f.Add("", int64(-5), int64(3), "x", "<DEL>", "record", "hg 19")
	f.Fuzz(func(t *testing.T, name string, start, end int64, ref, alt, gran, asm string) {
		p := Params{ReferenceName: name, Start: start, ReferenceBases: ref, AlternateBases: alt, Granularity: gran, AssemblyID: asm}
		if end >= 0 {
			p.End = &end
		}
		q, err := Parse(p)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("error %v is not a field error", err)
			}
			return
		}
		if q.Start < 0 || q.End <= q.Start || (q.Granularity != Boolean && q.Granularity != Count) || (!q.Range && (q.Ref == "" || q.Alt == "")) {
			t.Fatalf("accepted %+v", q)
		}
		back := Params{ReferenceName: q.Contig, Start: q.Start, ReferenceBases: q.Ref, AlternateBases: q.Alt, Granularity: q.Granularity, AssemblyID: q.Assembly}
		if q.Range {
			back.End = &q.End
		}
		q2, err := Parse(back)
		if err != nil || q2.String() != q.String() {
			t.Fatalf("%q does not round-trip: %v %v", q.String(), q2, err)
		}
	})
}
