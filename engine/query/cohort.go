package query

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/gentre/gentre/engine/care"
	"github.com/gentre/gentre/engine/geno"
	"github.com/gentre/gentre/engine/store"
)

// care returns the release's care index, loading it on first use.
func (e *Engine) care() (*careIndex, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
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
		return e.age(ix, c)
	case Condition:
		return e.codes(ix, care.Condition, c.Code, c.Descendants, c.String())
	case Medication:
		return e.codes(ix, care.Medication, c.Code, false, c.String())
	case Observation:
		return ix.observation(c.Code, c.Op, c.Value)
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
	out := roaring.New()
	if !descendants {
		b, err := ix.code(kind, code)
		if err != nil {
			return nil, err
		}
		if b != nil {
			out.Or(b)
		}
		return out, nil
	}
	h, err := ix.concepts()
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, fmt.Errorf("%s: no SNOMED CT hierarchy in the store (gentre ingest snomed): %w", what, ErrUnsupported)
	}
	id, err := strconv.ParseInt(code, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%s: not a SNOMED CT concept id", what)
	}
	set, err := h.DescendantSet(id, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", what, ErrNotFound, err)
	}
	return ix.descendants(kind, h, set)
}

// age returns the people whose completed years on the as-of date are in
// [Lo, Hi], taking the birth day as the first of the birth month.
func (e *Engine) age(ix *careIndex, a Age) (*roaring.Bitmap, error) {
	if err := ix.loadBirths(); err != nil {
		return nil, err
	}
	out := roaring.New()
	for i := range ix.nPeople {
		if years, ok := e.ageOf(ix.birth(uint32(i))); ok && years >= a.Lo && years <= a.Hi {
			out.Add(uint32(i))
		}
	}
	return out, nil
}

// ageOf returns the completed years on the as-of date of a person born in
// year and month (0: unknown month, taken as January), and false when the
// year is unknown or the date is before the birth.
func (e *Engine) ageOf(year int16, month int8) (int, bool) {
	if year == 0 {
		return 0, false
	}
	asOf := e.asOf
	if asOf.IsZero() {
		asOf = time.Now().UTC()
	}
	m := int(month)
	if m == 0 {
		m = 1 // a year alone: born by 1 January of it at the latest
	}
	years := asOf.Year() - int(year)
	if int(asOf.Month()) < m {
		years-- // birthday (the 1st of the birth month) not reached yet
	}
	if years < 0 {
		return 0, false
	}
	return years, true
}

// samplesOf returns the global sample set of the people in a cohort.
func (e *Engine) samplesOf(ix *careIndex, people *roaring.Bitmap) *geno.Bitset {
	return ix.samplesOfPeople(people)
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
	var scratch store.Chunk // without the cache: split rows joined one at a time
	for _, ref := range e.chunksIn(contig, v.Pos, v.Pos) {
		c, _, err := e.readChunkReusing(ref, &scratch)
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
				row, err := c.WholeRow(i, nil)
				if err != nil {
					return nil, err
				}
				if err := view.Reset(row, len(c.Samples)); err != nil {
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
