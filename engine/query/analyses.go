package query

import (
	"context"
	"fmt"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/gentre/gentre/engine/care"
	"github.com/gentre/gentre/engine/geno"
)

// CountRow is one row of a count answer: a group ("" without by) and the
// number of people in the cohort and the group.
type CountRow struct {
	Group string
	Count int
}

// AgeBands are the 10-year bands of count ... by age.
var AgeBands = []string{"0-9", "10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80-89", "90+"}

// Count answers count COHORT [by sex|age]. Groups come in a fixed order
// (female, male, other, unknown; age bands ascending, then unknown) and
// every group is listed, empty or not.
func (e *Engine) Count(ctx context.Context, q *Query) ([]CountRow, *roaring.Bitmap, error) {
	people, err := e.People(ctx, q.Cohort)
	if err != nil {
		return nil, nil, err
	}
	ix, _ := e.care()
	switch q.By {
	case "":
		return []CountRow{{Count: int(people.GetCardinality())}}, people, nil
	case "sex":
		var rows []CountRow
		for _, s := range []care.Sex{care.SexFemale, care.SexMale, care.SexOther, care.SexUnknown} {
			n := 0
			if b := ix.sex[s]; b != nil {
				n = int(people.AndCardinality(b))
			}
			rows = append(rows, CountRow{Group: s.String(), Count: n})
		}
		return rows, people, nil
	case "age":
		if err := ix.loadBirths(); err != nil {
			return nil, nil, err
		}
		counts := make([]int, len(AgeBands)+1)
		it := people.Iterator()
		for it.HasNext() {
			years, ok := e.ageOf(ix.birth(it.Next()))
			switch {
			case !ok:
				counts[len(AgeBands)]++
			default:
				counts[min(years/10, len(AgeBands)-1)]++
			}
		}
		rows := make([]CountRow, 0, len(counts))
		for i, b := range AgeBands {
			rows = append(rows, CountRow{Group: b, Count: counts[i]})
		}
		rows = append(rows, CountRow{Group: "unknown", Count: counts[len(AgeBands)]})
		return rows, people, nil
	}
	return nil, nil, fmt.Errorf("count by %q: %w", q.By, ErrUnsupported)
}

// FreqPlanFor resolves a freq query: the contig, the region, and the sample
// sets of its cohorts. Without "in", every sample counts (linked or not);
// with "in COHORT", the samples linked to people in the cohort.
func (e *Engine) FreqPlanFor(ctx context.Context, q *Query) (*FreqPlan, *roaring.Bitmap, *roaring.Bitmap, error) {
	contig, err := e.ResolveContig(q.Region.Contig)
	if err != nil {
		return nil, nil, nil, err
	}
	plan := &FreqPlan{Contig: contig, Start: q.Region.Start, End: q.Region.End}
	var inPeople, vsPeople *roaring.Bitmap
	if q.Cohort != nil {
		ix, err := e.care()
		if err != nil {
			return nil, nil, nil, err
		}
		if inPeople, err = e.eval(ctx, ix, q.Cohort); err != nil {
			return nil, nil, nil, err
		}
		plan.In = e.samplesOf(ix, inPeople)
	}
	if q.Vs != nil {
		ix, err := e.care()
		if err != nil {
			return nil, nil, nil, err
		}
		if vsPeople, err = e.eval(ctx, ix, q.Vs); err != nil {
			return nil, nil, nil, err
		}
		plan.Vs, plan.HasVs = e.samplesOf(ix, vsPeople), true
	}
	if len(e.st.Manifest().Coverage) > 0 {
		if plan.Covered, err = e.newCoveredCounter(inPeople, contig); err != nil {
			return nil, nil, nil, err
		}
	}
	return plan, inPeople, vsPeople, nil
}

// Carriers returns the person pseudonyms (store-wide, sorted) of the
// people in the cohort with a sample carrying the variant's ALT allele.
// Callers turn them into project pseudonyms before they leave.
func (e *Engine) Carriers(ctx context.Context, q *Query) ([]string, *roaring.Bitmap, error) {
	ix, err := e.care()
	if err != nil {
		return nil, nil, err
	}
	people, err := e.eval(ctx, ix, Carrier{Variant: q.Variant})
	if err != nil {
		return nil, nil, err
	}
	if q.Cohort != nil {
		in, err := e.eval(ctx, ix, q.Cohort)
		if err != nil {
			return nil, nil, err
		}
		people.And(in)
	}
	psn, err := ix.pseudonyms()
	if err != nil {
		return nil, nil, err
	}
	out := make([]string, 0, people.GetCardinality())
	it := people.Iterator()
	for it.HasNext() {
		out = append(out, psn[it.Next()])
	}
	sort.Strings(out)
	return out, people, nil
}

// SampleCount returns the number of samples a sample set holds (every
// live sample when nil).
func (e *Engine) SampleCount(s *geno.Bitset) int { return e.cohortSize(s) }
