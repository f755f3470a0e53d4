package linkage

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/gentre/gentre/engine/care"
	"github.com/gentre/gentre/engine/store"
	"github.com/gentre/gentre/ingest/fhir"
	"github.com/gentre/gentre/pseudonymise"
)

// ErrLink is wrapped by errors about records that cannot be linked (a
// reference to no Patient, an invalid NHS number). Messages name file,
// line and field, never a value.
var ErrLink = errors.New("cannot link record")

// Options tune loading.
type Options struct {
	// Area maps postcodes to LSOA codes; without it postcodes are cut to
	// their district.
	Area pseudonymise.AreaLookup
	// Progress, when set, is called now and then with resources read and
	// the bytes of the current file read so far.
	Progress func(resources int, bytes int64)
}

// FHIRSummary says what LoadFHIR did.
type FHIRSummary struct {
	Release      uint64
	Files        int
	SkippedFiles int // already ingested (same content)
	Resources    int
	Patients     int // Patient resources kept
	NewPeople    int
	Events       int // event rows stored
	// Skipped counts resources not kept by reason: resource types that are
	// not care records, "opted out" patients, "no NHS number" patients,
	// and "events of skipped patients".
	Skipped map[string]int
}

// pending holds events whose subject is not resolved yet, column by column.
type pending struct {
	ref   []int32
	kind  []care.Kind
	sys   []string
	code  []string
	date  []int32
	value []float64
	unit  []string
	file  []int16
	line  []int32
	med   []int32 // medication reference to resolve, or -1
}

type loader struct {
	s       *State
	opts    Options
	sum     *FHIRSummary
	files   []string
	intern  map[string]string
	refs    map[fhir.Ref]int32 // subject references seen -> ref id
	refList []fhir.Ref
	local   map[fhir.Ref]int32 // references resolved by patients of this load
	skipped map[fhir.Ref]string
	meds    map[fhir.Ref][]fhir.Coding
	medRefs map[fhir.Ref]int32
	medList []fhir.Ref
	ev      pending
	changed bool
}

func (l *loader) str(s string) string {
	if v, ok := l.intern[s]; ok {
		return v
	}
	l.intern[s] = s
	return s
}

// LoadFHIR reads FHIR R4 files (NDJSON or Bundles, any order) and commits
// their people and events as one new data release. References resolve
// within and across the files and against people stored before. On any
// error the store is unchanged.
func LoadFHIR(st *store.Store, key *pseudonymise.Key, paths []string, opts Options) (*FHIRSummary, error) {
	s, err := Load(st, key)
	if err != nil {
		return nil, err
	}
	l := &loader{s: s, opts: opts, sum: &FHIRSummary{Skipped: map[string]int{}},
		intern: map[string]string{}, refs: map[fhir.Ref]int32{}, local: map[fhir.Ref]int32{},
		skipped: map[fhir.Ref]string{}, meds: map[fhir.Ref][]fhir.Coding{}, medRefs: map[fhir.Ref]int32{}}
	sources := st.Manifest().Care.Sources
	var newSources []string
	for _, path := range paths {
		sum, err := store.FileSHA256(path)
		if err != nil {
			return nil, err
		}
		if slices.Contains(sources, sum) || slices.Contains(newSources, sum) {
			l.sum.SkippedFiles++
			continue
		}
		newSources = append(newSources, sum)
		if err := l.readFile(path); err != nil {
			return nil, err
		}
		l.sum.Files++
	}
	if l.sum.Files == 0 {
		return l.sum, nil
	}
	tx, err := st.Begin()
	if err != nil {
		return nil, err
	}
	if err := l.commit(tx); err != nil {
		tx.Abort()
		return nil, err
	}
	c := &tx.Manifest().Care
	c.Sources = append(c.Sources, newSources...)
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	l.sum.Release = st.Manifest().Release
	return l.sum, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (l *loader) readFile(path string) error {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cr := &countingReader{r: f}
	rd, err := fhir.NewReader(cr, name)
	if err != nil {
		return err
	}
	defer rd.Close()
	fileIdx := int16(len(l.files))
	l.files = append(l.files, name)
	for n := 0; ; n++ {
		it, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch {
		case it.Patient != nil:
			if err := l.patient(name, it.Line, it.Patient); err != nil {
				return err
			}
		case it.Event != nil:
			if err := l.event(name, fileIdx, it.Line, it.Event); err != nil {
				return err
			}
		case it.Medication != nil:
			for _, k := range it.Medication.Keys {
				l.meds[k] = it.Medication.Codes
			}
		}
		if l.opts.Progress != nil && n&4095 == 0 {
			l.opts.Progress(l.sum.Resources+rd.Stats().Resources, cr.n)
		}
	}
	st := rd.Stats()
	l.sum.Resources += st.Resources
	for k, v := range st.Skipped {
		l.sum.Skipped[k] += v
	}
	return nil
}

func (l *loader) patient(name string, line int, p *fhir.Patient) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s:%d: Patient: %s: %w", name, line, fmt.Sprintf(format, args...), ErrLink)
	}
	if p.NHSNumber == "" {
		l.sum.Skipped["no NHS number"]++
		for _, k := range p.Keys {
			l.skipped[k] = "no NHS number"
		}
		return nil
	}
	nhs, err := pseudonymise.NormaliseNHSNumber(p.NHSNumber)
	if err != nil {
		return bad("identifier (NHS number): %v", err)
	}
	psn := l.s.PersonPseudonym(nhs)
	if l.s.OptOut[psn] {
		l.sum.Skipped["opted out"]++
		for _, k := range p.Keys {
			l.skipped[k] = "opted out"
		}
		return nil
	}
	person := care.Person{Pseudonym: psn, Sex: care.ParseSex(p.Gender)}
	if p.BirthDate != "" {
		y, m, err := pseudonymise.BirthMonth(p.BirthDate)
		if err != nil {
			return bad("birthDate: %v", err)
		}
		person.BirthYear, person.BirthMonth = int16(y), int8(m)
	}
	if p.PostalCode != "" {
		area, err := l.opts.Area.Area(p.PostalCode)
		if err != nil {
			return bad("address.postalCode: %v", err)
		}
		person.Area = area
	}
	for _, k := range p.Keys {
		if k.Kind == fhir.KindNHSNumber {
			continue // found through the person pseudonym
		}
		person.Refs = append(person.Refs, l.s.refPseudonym(k.Kind, k.ID))
	}
	idx, ok := l.s.byPsn[psn]
	if ok {
		old := &l.s.People[idx]
		if person.Sex != care.SexUnknown {
			old.Sex = person.Sex
		}
		if person.BirthYear != 0 {
			old.BirthYear, old.BirthMonth = person.BirthYear, person.BirthMonth
		}
		if person.Area != "" {
			old.Area = person.Area
		}
		for _, r := range person.Refs {
			if !slices.Contains(old.Refs, r) {
				old.Refs = append(old.Refs, r)
			}
		}
	} else {
		idx = int32(len(l.s.People))
		l.s.People = append(l.s.People, person)
		l.sum.NewPeople++
	}
	l.s.index(idx)
	for _, k := range p.Keys {
		l.local[k] = idx
		delete(l.skipped, k)
	}
	l.sum.Patients++
	l.changed = true
	return nil
}

var kindOf = map[fhir.EventType]care.Kind{
	fhir.Condition: care.Condition, fhir.Observation: care.Observation,
	fhir.MedicationRequest: care.Medication, fhir.MedicationStatement: care.Medication,
	fhir.Procedure: care.Procedure, fhir.Encounter: care.Encounter,
}

func (l *loader) event(name string, file int16, line int, e *fhir.Event) error {
	date, err := care.Days(e.Date)
	if err != nil {
		return fmt.Errorf("%s:%d: %s: date: %v: %w", name, line, e.Type, err, ErrLink)
	}
	ref, ok := l.refs[e.Subject]
	if !ok {
		ref = int32(len(l.refList))
		l.refs[e.Subject] = ref
		l.refList = append(l.refList, e.Subject)
	}
	med := int32(-1)
	if len(e.Codes) == 0 && !e.Medication.IsZero() {
		m, ok := l.medRefs[e.Medication]
		if !ok {
			m = int32(len(l.medList))
			l.medRefs[e.Medication] = m
			l.medList = append(l.medList, e.Medication)
		}
		med = m
	}
	value := math.NaN()
	if e.HasValue {
		value = e.Value
	}
	codes := e.Codes
	if len(codes) == 0 {
		codes = []fhir.Coding{{}}
	}
	for _, c := range codes {
		p := &l.ev
		p.ref = append(p.ref, ref)
		p.kind = append(p.kind, kindOf[e.Type])
		p.sys = append(p.sys, l.str(c.System))
		p.code = append(p.code, l.str(c.Code))
		p.date = append(p.date, date)
		p.value = append(p.value, value)
		p.unit = append(p.unit, l.str(e.Unit))
		p.file = append(p.file, file)
		p.line = append(p.line, int32(line))
		p.med = append(p.med, med)
	}
	return nil
}

// commit resolves every pending event's subject and writes the tables.
func (l *loader) commit(tx *store.Tx) error {
	person := make([]int32, len(l.refList))
	for i, r := range l.refList {
		person[i] = -1
		if idx, ok := l.local[r]; ok {
			person[i] = idx
			continue
		}
		if r.Kind == fhir.KindNHSNumber {
			if nhs, err := pseudonymise.NormaliseNHSNumber(r.ID); err == nil {
				if idx, ok := l.s.byPsn[l.s.PersonPseudonym(nhs)]; ok {
					person[i] = idx
					continue
				}
				if l.s.OptOut[l.s.PersonPseudonym(nhs)] {
					person[i] = -2
					continue
				}
			}
		} else if idx, ok := l.s.byRef[l.s.refPseudonym(r.Kind, r.ID)]; ok {
			person[i] = idx
			continue
		}
		if _, ok := l.skipped[r]; ok {
			person[i] = -2
		}
	}
	ew := care.NewEventWriter()
	p := &l.ev
	for i := range p.ref {
		idx := person[p.ref[i]]
		switch idx {
		case -1:
			return fmt.Errorf("%s:%d: %s: subject: the reference names no Patient in these files or the store: %w",
				l.files[p.file[i]], p.line[i], p.kind[i], ErrLink)
		case -2:
			l.sum.Skipped["events of skipped patients"]++
			continue
		}
		e := care.Event{Person: idx, Kind: p.kind[i], System: p.sys[i], Code: p.code[i], Date: p.date[i], Value: p.value[i], Unit: p.unit[i]}
		if p.med[i] >= 0 {
			codes := l.meds[l.medList[p.med[i]]]
			if len(codes) == 0 {
				return fmt.Errorf("%s:%d: medication: the reference names no Medication in these files: %w",
					l.files[p.file[i]], p.line[i], ErrLink)
			}
			for _, c := range codes {
				e.System, e.Code = c.System, c.Code
				ew.Add(&e)
				l.sum.Events++
			}
			continue
		}
		ew.Add(&e)
		l.sum.Events++
	}
	if err := l.s.save(tx, l.changed, false, false); err != nil {
		return err
	}
	if ew.Len() > 0 {
		var buf bytes.Buffer
		if err := ew.WriteParquet(&buf); err != nil {
			return err
		}
		rel, err := tx.CreateFile(store.DirCare, ".events.parquet", buf.Bytes())
		if err != nil {
			return err
		}
		c := &tx.Manifest().Care
		c.Events = append(c.Events, rel)
		c.NEvents += int64(ew.Len())
	}
	return l.s.writeIndex(tx, nil)
}
