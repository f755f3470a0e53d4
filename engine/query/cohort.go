package query

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/gentre/gentre/engine/care"
	"github.com/gentre/gentre/engine/geno"
)

// care returns the release's care index, loading it on first use.
func (e *Engine) care() (*careIndex, error) {
	if e.careIx == nil {
		ix, err := loadCare(e.st)
		if err != nil {
			return nil, err
		}
		e.careIx = ix
	}
	return e.careIx, nil
}

// SetAsOf sets the date age() is computed on (default: today, UTC).
func (e *Engine) SetAsOf(t time.Time) { e.asOf = t }

// People evaluates a cohort to the set of person indices in it.
func (e *Engine) People(ctx context.Context, c Cohort) (*roaring.Bitmap, error) {
	ix, err := e.care()
	if err != nil {
		return nil, err
	}
	return e.eval(ctx, ix, c)
}

func (e *Engine) eval(ctx context.Context, ix *careIndex, c Cohort) (*roaring.Bitmap, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch c := c.(type) {
	case All:
		return ix.all.Clone(), nil
	case Sex:
		s := care.ParseSex(c.Value)
		if b := ix.sex[s]; b != nil {
			return b.Clone(), nil
		}
		return roaring.New(), nil
	case Age:
		return e.age(ix, c), nil
	case Condition:
		return e.codes(ix, care.Condition, c.Code, c.Descendants, c.String())
	case Medication:
		return e.codes(ix, care.Medication, c.Code, false, c.String())
	case Observation:
		out := roaring.New()
		for _, o := range ix.obs[c.Code] {
			if compare(o.value, c.Op, c.Value) {
				out.Add(uint32(o.person))
			}
		}
		return out, nil
	case QC:
		out := roaring.New()
		for _, ref := range e.st.Manifest().Coverage {
			v, ok := ref.QC.Field(c.Field)
			if !ok || !compare(v, c.Op, c.Value) || int(ref.Sample) >= len(ix.samplePerson) {
				continue
			}
			if p := ix.samplePerson[ref.Sample]; p >= 0 {
				out.Add(uint32(p))
			}
		}
		return out, nil
	case Carrier:
		samples, err := e.carrierSamples(ctx, c.Variant)
		if err != nil {
			return nil, err
		}
		out := roaring.New()
		for _, g := range samples {
			if int(g) < len(ix.samplePerson) && ix.samplePerson[g] >= 0 {
				out.Add(uint32(ix.samplePerson[g]))
			}
		}
		return out, nil
	case And:
		l, err := e.eval(ctx, ix, c.L)
		if err != nil {
			return nil, err
		}
		r, err := e.eval(ctx, ix, c.R)
		if err != nil {
			return nil, err
		}
		l.And(r)
		return l, nil
	case Or:
		l, err := e.eval(ctx, ix, c.L)
		if err != nil {
			return nil, err
		}
		r, err := e.eval(ctx, ix, c.R)
		if err != nil {
			return nil, err
		}
		l.Or(r)
		return l, nil
	case Not:
		x, err := e.eval(ctx, ix, c.X)
		if err != nil {
			return nil, err
		}
		out := ix.all.Clone()
		out.AndNot(x)
		return out, nil
	}
	return nil, fmt.Errorf("cohort %v: %w", c, ErrUnsupported)
}

func compare(v float64, op string, x float64) bool {
	switch op {
	case ">":
		return v > x
	case ">=":
		return v >= x
	case "<":
		return v < x
	case "<=":
		return v <= x
	}
	return v == x
}

// codes returns the people with an event of the kind whose code is code
// or, with descendants, any SNOMED CT descendant of it.
func (e *Engine) codes(ix *careIndex, kind care.Kind, code string, descendants bool, what string) (*roaring.Bitmap, error) {
	byCode := ix.byKind[kind]
	out := roaring.New()
	if !descendants {
		if b := byCode[code]; b != nil {
			out.Or(b)
		}
		return out, nil
	}
	if ix.hierarchy == nil {
		return nil, fmt.Errorf("%s: no SNOMED CT hierarchy in the store (gentre ingest snomed): %w", what, ErrUnsupported)
	}
	id, err := strconv.ParseInt(code, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%s: not a SNOMED CT concept id", what)
	}
	set, err := ix.hierarchy.DescendantSet(id, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", what, ErrNotFound, err)
	}
	// Walk the codes people have (few) rather than the descendants (maybe many).
	for c, b := range byCode {
		v, err := strconv.ParseInt(c, 10, 64)
		if err != nil {
			continue
		}
		if i, ok := ix.hierarchy.Index(v); ok && set.Contains(i) {
			out.Or(b)
		}
	}
	return out, nil
}

// age returns the people whose completed years on the as-of date are in
// [Lo, Hi], taking the birth day as the first of the birth month.
func (e *Engine) age(ix *careIndex, a Age) *roaring.Bitmap {
	out := roaring.New()
	for i, p := range ix.people {
		if years, ok := e.ageOf(&p); ok && years >= a.Lo && years <= a.Hi {
			out.Add(uint32(i))
		}
	}
	return out
}

func (e *Engine) ageOf(p *care.Person) (int, bool) {
	if p.BirthYear == 0 {
		return 0, false
	}
	asOf := e.asOf
	if asOf.IsZero() {
		asOf = time.Now().UTC()
	}
	month := int(p.BirthMonth)
	if month == 0 {
		month = 1 // a year alone: born by 1 January of it at the latest
	}
	years := asOf.Year() - int(p.BirthYear)
	if int(asOf.Month()) < month {
		years-- // birthday (the 1st of the birth month) not reached yet
	}
	if years < 0 {
		return 0, false
	}
	return years, true
}

// samplesOf returns the global sample set of the people in a cohort.
func (e *Engine) samplesOf(ix *careIndex, people *roaring.Bitmap) *geno.Bitset {
	b := geno.NewBitset(len(ix.samplePerson))
	it := people.Iterator()
	for it.HasNext() {
		for _, g := range ix.personSamples[int32(it.Next())] {
			b.Set(int(g))
		}
	}
	return b
}

// carrierSamples returns the global indices of samples carrying v's ALT.
func (e *Engine) carrierSamples(ctx context.Context, v Variant) ([]uint32, error) {
	contig, err := e.ResolveContig(v.Contig)
	if err != nil {
		return nil, err
	}
	found := false
	var out []uint32
	var view geno.View
	for _, ref := range e.chunksIn(contig, v.Pos, v.Pos) {
		c, err := e.readChunk(ref)
		if err != nil {
			return nil, err
		}
		for i, pos := range c.Pos {
			if pos != v.Pos {
				continue
			}
			al := c.Alleles(i)
			if string(al[0]) != v.Ref {
				continue
			}
			for j := 1; j < len(al); j++ {
				if string(al[j]) != v.Alt {
					continue
				}
				found = true
				if err := view.Reset(c.Row(i), len(c.Samples)); err != nil {
					return nil, err
				}
				set := geno.NewBitset(len(c.Samples))
				view.Carriers(j, set)
				for col, g := range c.Samples {
					if set.Has(col) {
						out = append(out, g)
					}
				}
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("variant %s: %w", v, ErrNotFound)
	}
	return out, nil
}
