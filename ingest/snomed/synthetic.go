package snomed

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
)

// SNOMED CT metadata concepts used in generated rows.
const (
	coreModule    int64 = 900000000000207008 // SNOMED CT core module
	inferred      int64 = 900000000000011006 // Inferred relationship
	existential   int64 = 900000000000451002 // Existential restriction modifier
	findingSiteID int64 = 363698007          // Finding site (attribute)
)

// syntheticDAG is a random is-a DAG shaped like SNOMED CT: one root
// (138875005), each new concept under a uniformly chosen earlier one (a
// random recursive tree: mean depth ~ln n, about 13 for 350,000 concepts),
// and about 30% of concepts with a second parent and 8% with a third, chosen
// near the first (see relative).
type syntheticDAG struct {
	ids   []int64 // concept i's SCTID; ids[0] = Root
	edges []Edge
	rng   *rand.Rand
}

func newSyntheticDAG(n int, seed int64) *syntheticDAG {
	if n < 2 {
		n = 2
	}
	g := &syntheticDAG{rng: rand.New(rand.NewPCG(uint64(seed), 0x5eed5a0de))}
	seen := map[int64]bool{Root: true}
	g.ids = append(make([]int64, 0, n), Root)
	for len(g.ids) < n {
		var payload int64
		part := PartConcept
		if g.rng.IntN(20) == 0 { // long format: 15 digits (item id + namespace)
			payload = 1e14 + g.rng.Int64N(9e14)
			part = 10
		} else { // short format: 4 to 7 digit item id, 7 to 10 digits in all
			digits := 4 + g.rng.IntN(4)
			lo := int64(1)
			for range digits - 1 {
				lo *= 10
			}
			payload = lo + g.rng.Int64N(9*lo)
		}
		id, ok := MakeSCTID(payload, part)
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		g.ids = append(g.ids, id)
	}
	g.edges = make([]Edge, 0, n*14/10)
	first := make([]int32, n)      // first parent (the tree the extra links hang off)
	children := make([][]int32, n) // children by first parent
	for i := 1; i < n; i++ {
		p := g.rng.IntN(i)
		first[i] = int32(p)
		g.edges = append(g.edges, Edge{Child: g.ids[i], Parent: g.ids[p]})
		extra := 0
		if r := g.rng.IntN(100); r < 8 {
			extra = 2
		} else if r < 38 {
			extra = 1
		}
		chosen := []int{p}
		for try := 0; extra > 0 && try < 8; try++ {
			q := g.relative(p, first, children)
			if slices.Contains(chosen, q) {
				continue
			}
			chosen = append(chosen, q)
			g.edges = append(g.edges, Edge{Child: g.ids[i], Parent: g.ids[q]})
			extra--
		}
		children[p] = append(children[p], int32(i)) // after: i is not its own relative
	}
	return g
}

// relative picks an extra parent near p, as SNOMED's extra parents are (a
// diabetic eye disorder is-a diabetes disorder and is-a eye disorder, both
// under Disease): up 1 to 3 levels from p, then down as many random steps.
// Every concept it can reach already exists, so the links stay acyclic.
func (g *syntheticDAG) relative(p int, first []int32, children [][]int32) int {
	up := 1 + g.rng.IntN(3)
	a := p
	for k := 0; k < up && a != 0; k++ {
		a = int(first[a])
	}
	for k := 0; k < up && len(children[a]) > 0; k++ {
		a = int(children[a][g.rng.IntN(len(children[a]))])
	}
	return a
}

// SyntheticEdges returns the active is-a links of the random DAG that
// Synthetic(n, seed) writes (n >= 2 concepts).
func SyntheticEdges(n int, seed int64) []Edge {
	return newSyntheticDAG(n, seed).edges
}

// Synthetic returns an RF2 relationship snapshot of a random SNOMED-shaped
// is-a DAG of n concepts (see WriteSynthetic).
func Synthetic(n int, seed int64) []byte {
	var b bytes.Buffer
	b.Grow(n * 170)
	if err := WriteSynthetic(&b, n, seed); err != nil {
		panic(err) // a bytes.Buffer does not fail
	}
	return b.Bytes()
}

// WriteSynthetic writes an RF2 relationship snapshot (CRLF line ends, as
// released) of a random is-a DAG of n concepts with valid Verhoeff SCTIDs,
// rooted at 138875005: the active is-a rows are SyntheticEdges(n, seed);
// it adds, as a real snapshot has, inactive is-a rows (5% of n, between random
// concepts, so some would make cycles if they counted) and active finding-site
// rows (10% of n), all in random order. The same n and seed give the same
// bytes.
func WriteSynthetic(w io.Writer, n int, seed int64) error {
	g := newSyntheticDAG(n, seed)
	type row struct {
		src, dst, typ int64
		active        bool
		group         int
	}
	rows := make([]row, 0, len(g.edges)+n*15/100)
	for _, e := range g.edges {
		rows = append(rows, row{src: e.Child, dst: e.Parent, typ: IsA, active: true})
	}
	for range len(g.ids) / 20 {
		a, b := g.ids[g.rng.IntN(len(g.ids))], g.ids[g.rng.IntN(len(g.ids))]
		rows = append(rows, row{src: a, dst: b, typ: IsA})
	}
	for range len(g.ids) / 10 {
		a, b := g.ids[g.rng.IntN(len(g.ids))], g.ids[g.rng.IntN(len(g.ids))]
		rows = append(rows, row{src: a, dst: b, typ: findingSiteID, active: true, group: 1 + g.rng.IntN(3)})
	}
	g.rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })

	releases := [...]string{"20020131", "20090731", "20150131", "20200731", "20240101"}
	seenRel := make(map[int64]bool, len(rows))
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString(headerText())
	bw.WriteString("\r\n")
	var line []byte
	for _, r := range rows {
		var rid int64
		for {
			id, ok := MakeSCTID(1e5+g.rng.Int64N(9e8), PartRelationship)
			if ok && !seenRel[id] {
				seenRel[id], rid = true, id
				break
			}
		}
		active := "0"
		if r.active {
			active = "1"
		}
		line = strconv.AppendInt(line[:0], rid, 10)
		line = append(line, '\t')
		line = append(line, releases[g.rng.IntN(len(releases))]...)
		line = append(line, '\t')
		line = append(line, active...)
		for _, v := range [...]int64{coreModule, r.src, r.dst} {
			line = append(line, '\t')
			line = strconv.AppendInt(line, v, 10)
		}
		line = append(line, '\t')
		line = strconv.AppendInt(line, int64(r.group), 10)
		for _, v := range [...]int64{r.typ, inferred, existential} {
			line = append(line, '\t')
			line = strconv.AppendInt(line, v, 10)
		}
		line = append(line, '\r', '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}
