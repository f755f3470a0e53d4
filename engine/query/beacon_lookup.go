package query

import "context"

// Allele is one ALT allele of a site with its allele count over every
// sample of the release (linked or not): what a beacon needs to decide
// whether the allele may be reported.
type Allele struct {
	Pos      int64 // 1-based, as in the VCF
	Ref, Alt string
	AC       int64
}

// Alleles calls fn for every ALT allele of the sites of contig (the
// store's name: see ResolveContig) at 1-based positions [start, end], in
// file order (position, then ALT order), with its AC over every sample,
// counted as freq counts it (batches merged by position and REF). A site
// without an ALT allele is reported once with Alt ".". fn's error stops the
// walk and is returned. The Allele passed to fn is reused between calls.
func (e *Engine) Alleles(ctx context.Context, contig string, start, end int64, fn func(*Allele) error) error {
	var a Allele
	return e.Freq(ctx, &FreqPlan{Contig: contig, Start: start, End: end}, func(r *FreqRow) error {
		a = Allele{Pos: r.Pos, Ref: r.Ref, Alt: r.Alt, AC: r.In.AC}
		return fn(&a)
	})
}

// BatchHeaders returns the VCF meta-information kept for each batch of
// the release (the lines without their leading "##", one string a batch),
// in batch order. Callers read declarations from it (the reference
// assembly); it may name files and tools, so it is not for answers.
func (e *Engine) BatchHeaders() []string {
	m := e.st.Manifest()
	out := make([]string, 0, len(m.Batches))
	for i := range m.Batches {
		out = append(out, m.Batches[i].Header)
	}
	return out
}
