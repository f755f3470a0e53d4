package gateway

import (
	"strconv"
	"strings"

	"github.com/gentre/gentre/engine/query"
)

// The API carries a query's parts in separate fields (a cohort, a region,
// a variant) and the gateway builds the query tree from them, parsing each
// part on its own so that one field cannot smuggle in another's syntax
// (a cohort field ending in "by sex", a region ending in "in ...").

// parseCohort parses a COHORT expression. field names the request field
// in error messages; columns count from the start of the field.
func (g *Gateway) parseCohort(field, text string) (query.Cohort, error) {
	if err := g.checkLen(field, text); err != nil {
		return nil, err
	}
	if strings.TrimSpace(text) == "" {
		return nil, invalid("%s: empty cohort (use \"all\" for everyone)", field)
	}
	const prefix = "count "
	q, err := query.Parse(prefix + text)
	if err != nil {
		return nil, invalid("%s: %s", field, shiftColumn(err.Error(), len(prefix)))
	}
	if q.By != "" {
		return nil, invalid("%s: a cohort cannot contain \"by\": put the grouping in the by field", field)
	}
	return q.Cohort, nil
}

// parseRegion parses CONTIG or CONTIG:START-END.
func (g *Gateway) parseRegion(text string) (query.Region, error) {
	if err := g.checkLen("region", text); err != nil {
		return query.Region{}, err
	}
	const prefix = "freq "
	q, err := query.Parse(prefix + text)
	if err != nil {
		return query.Region{}, invalid("region: %s", shiftColumn(err.Error(), len(prefix)))
	}
	if q.Cohort != nil || q.Vs != nil {
		return query.Region{}, invalid("region: give the cohorts in the cohort and vs fields")
	}
	return q.Region, nil
}

// parseVariant parses CONTIG:POS:REF:ALT.
func (g *Gateway) parseVariant(text string) (query.Variant, error) {
	if err := g.checkLen("variant", text); err != nil {
		return query.Variant{}, err
	}
	const prefix = "carriers "
	q, err := query.Parse(prefix + text)
	if err != nil {
		return query.Variant{}, invalid("variant: %s", shiftColumn(err.Error(), len(prefix)))
	}
	if q.Cohort != nil {
		return query.Variant{}, invalid("variant: give the cohort in the cohort field")
	}
	return q.Variant, nil
}

// parseOptionalCohort is parseCohort for a field that may be empty.
func (g *Gateway) parseOptionalCohort(field, text string) (query.Cohort, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	return g.parseCohort(field, text)
}

func (g *Gateway) checkLen(field, text string) error {
	if len(text) > g.opts.MaxQueryBytes {
		return invalid("%s: longer than %d bytes", field, g.opts.MaxQueryBytes)
	}
	return nil
}

// shiftColumn rewrites the parser's "column N" so that it counts from the
// start of the request field rather than of the query built around it.
func shiftColumn(msg string, by int) string {
	const word = "column "
	i := strings.Index(msg, word)
	if i < 0 {
		return msg
	}
	j := i + len(word)
	k := j
	n := 0
	for k < len(msg) && msg[k] >= '0' && msg[k] <= '9' {
		n = n*10 + int(msg[k]-'0')
		k++
	}
	if k == j {
		return msg
	}
	n -= by
	if n < 1 {
		n = 1
	}
	return msg[:j] + strconv.Itoa(n) + msg[k:]
}
