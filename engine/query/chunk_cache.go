package query

import (
	"context"
	"math/bits"
	"sync"

	"github.com/gentre/gentre/engine/geno"
	"github.com/gentre/gentre/engine/store"
)

// chunkCache keeps decoded chunks of one data release in memory, up to a
// byte budget, so that a long-lived engine (the gateway's) does not
// decompress the same chunks for every query. Chunks are immutable, so a
// cached one is always current for its release. Eviction is first in,
// first out: simple, and a whole-chromosome scan does not thrash a
// smaller working set more than LRU would.
type chunkCache struct {
	mu    sync.Mutex
	limit int64
	used  int64
	byKey map[string]*cachedChunk
	order []string
	// evicted counts dropped entries (Warm stops at the first).
	evicted int64
}

// cachedChunk is a cached chunk and, built on first need, its sample
// index.
type cachedChunk struct {
	ch    *store.Chunk
	bytes int64

	once sync.Once
	ix   *sampleIndex
}

func newChunkCache(limit int64) *chunkCache {
	return &chunkCache{limit: limit, byKey: map[string]*cachedChunk{}}
}

func (c *chunkCache) get(file string) *cachedChunk {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byKey[file]
}

// put caches ch and returns its entry (nil when it is larger than the
// whole budget). A chunk cached meanwhile by another query wins.
func (c *chunkCache) put(file string, ch *store.Chunk, bytes int64) *cachedChunk {
	if c == nil || bytes > c.limit {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cc, ok := c.byKey[file]; ok {
		return cc
	}
	c.evict(bytes)
	cc := &cachedChunk{ch: ch, bytes: bytes}
	c.byKey[file] = cc
	c.used += bytes
	c.order = append(c.order, file)
	return cc
}

// evict drops the oldest entries until room bytes more fit. c.mu held.
func (c *chunkCache) evict(room int64) {
	for c.used+room > c.limit && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		if cc := c.byKey[old]; cc != nil {
			c.used -= cc.bytes
		}
		delete(c.byKey, old)
		c.evicted++
	}
}

// index returns cc's sample index, building it on first use; its memory
// is charged to the cache.
func (c *chunkCache) index(cc *cachedChunk) *sampleIndex {
	cc.once.Do(func() {
		cc.ix = buildSampleIndex(cc.ch)
		n := cc.ix.bytes()
		c.mu.Lock()
		if c.byKey[cc.ch.Name] == cc {
			cc.bytes += n
			c.used += n
		}
		c.mu.Unlock()
	})
	return cc.ix
}

// SetChunkCache makes the engine keep up to limit bytes of decoded chunks
// (and their sample indexes) in memory between queries (0 turns it off,
// the default: a one-shot command gains nothing from it).
func (e *Engine) SetChunkCache(limit int64) {
	if limit <= 0 {
		e.chunks = nil
		return
	}
	e.chunks = newChunkCache(limit)
}

// readChunk returns a chunk's genotypes, from the cache when it has them,
// and its cache entry (nil without a cache).
func (e *Engine) readChunk(ref *store.ChunkRef) (*store.Chunk, *cachedChunk, error) {
	return e.readChunkReusing(ref, nil)
}

// readChunkReusing is readChunk decoding into reuse (when not nil and the
// engine has no chunk cache) instead of a new Chunk: a caller that is done
// with each chunk before it reads the next then allocates its buffers once.
func (e *Engine) readChunkReusing(ref *store.ChunkRef, reuse *store.Chunk) (*store.Chunk, *cachedChunk, error) {
	if cc := e.chunks.get(ref.File); cc != nil {
		return cc.ch, cc, nil
	}
	if e.chunks == nil && reuse != nil {
		if err := e.st.ReadChunkInto(ref, store.PartGenotypes, reuse); err != nil {
			return nil, nil, err
		}
		return reuse, nil, nil
	}
	c, err := e.st.ReadChunk(ref, store.PartGenotypes)
	if err != nil {
		return nil, nil, err
	}
	var cc *cachedChunk
	if e.chunks != nil {
		var n int64
		for i := 0; i < c.Len(); i++ {
			n += int64(len(c.Row(i))) + 64
		}
		if cc = e.chunks.put(ref.File, c, n+int64(4*len(c.Samples))); cc != nil {
			c = cc.ch
		}
	}
	return c, cc, nil
}

// sampleIndex is a chunk's Simple rows (engine/geno: biallelic diploid
// variants, most of a chromosome's) turned sample-major: for each column
// of the batch, what it adds to a cohort's counts at those rows beyond a
// hom-REF call (missing calls, half calls, and the ALT carriers of rows
// stored sparse). A cohort of at most half the batch is then counted by
// walking its members' events instead of every row's missing set,
// exceptions and carrier list; a dense row's planes are still counted
// row-wise, word by word (chunkWorker.count).
type sampleIndex struct {
	slot  []int32  // per chunk row: its slot among the Simple rows, or -1
	dense []bool   // per chunk row: a dense Simple row (its planes are counted row-wise)
	nSlot int      // Simple rows
	off   []uint32 // per column: its events are ev[off[c]:off[c+1]]
	ev    []uint32 // slot<<eventBits | code, code indexing kinds
	kinds []geno.SimpleEvent
	// tot holds, per slot, the sums over every column (count's five
	// sums, a dense row's planes included): the counts of every sample,
	// and of a large cohort less its complement's.
	tot []int32
}

// eventBits holds an event's code: a diploid biallelic row has at most
// 3 + 16 kinds of event (missing, het, hom, and one per exception layout).
const eventBits = 5

// Per slot, count keeps the five sums of geno.SimpleEvent.
const sums = 5

func (ix *sampleIndex) bytes() int64 {
	return int64(5*len(ix.slot) + 4*len(ix.off) + 4*len(ix.ev) + 4*len(ix.tot))
}

// buildSampleIndex reads every row of c once. Rows that do not parse are
// left to the row-wise path, which reports them.
func buildSampleIndex(c *store.Chunk) *sampleIndex {
	ns := len(c.Samples)
	ix := &sampleIndex{slot: make([]int32, c.Len()), dense: make([]bool, c.Len()), off: make([]uint32, ns+1)}
	codes := map[geno.SimpleEvent]uint64{}
	var v geno.View
	var body geno.Counts
	var pairs []uint64 // column<<32 | event
	for i := range ix.slot {
		ix.slot[i] = -1
		if v.Reset(c.Row(i), ns) != nil || !v.Simple() {
			continue
		}
		s := uint64(ix.nSlot)
		ix.slot[i] = int32(ix.nSlot)
		ix.dense[i] = v.Dense()
		ix.nSlot++
		var t [sums]int32
		v.EachSimple(func(col int, e geno.SimpleEvent) {
			code, ok := codes[e]
			if !ok {
				code = uint64(len(ix.kinds))
				codes[e] = code
				ix.kinds = append(ix.kinds, e)
			}
			pairs = append(pairs, uint64(col)<<32|s<<eventBits|code)
			t[0] += int32(e.AN)
			t[1] += int32(e.Missing)
			t[2] += int32(e.AC)
			t[3] += int32(e.Het)
			t[4] += int32(e.HomAlt)
		})
		if ix.dense[i] {
			body.Reset(1)
			v.CountBody(nil, &body)
			t[2] += int32(body.AC[0])
			t[3] += int32(body.Het[0])
			t[4] += int32(body.HomAlt[0])
		}
		ix.tot = append(ix.tot, t[:]...)
	}
	if len(ix.kinds) > 1<<eventBits {
		// Cannot happen for diploid biallelic rows; count row by row.
		for i := range ix.slot {
			ix.slot[i] = -1
		}
		ix.nSlot, pairs, ix.tot = 0, nil, nil
	}
	// Counting sort by column.
	for _, p := range pairs {
		ix.off[p>>32+1]++
	}
	for col := 1; col <= ns; col++ {
		ix.off[col] += ix.off[col-1]
	}
	ix.ev = make([]uint32, len(pairs))
	next := append([]uint32(nil), ix.off[:ns]...)
	for _, p := range pairs {
		col := p >> 32
		ix.ev[next[col]] = uint32(p)
		next[col]++
	}
	return ix
}

// count adds the events of the cohort's columns (in, local to the batch)
// to cnt, sums counters a slot.
func (ix *sampleIndex) count(in *geno.Bitset, cnt []int32) {
	const mask = 1<<eventBits - 1
	for wi, w := range in.Words {
		for ; w != 0; w &= w - 1 {
			col := wi<<6 | bits.TrailingZeros64(w)
			if col >= len(ix.off)-1 {
				break
			}
			for _, e := range ix.ev[ix.off[col]:ix.off[col+1]] {
				k := &ix.kinds[e&mask]
				c := cnt[(e>>eventBits)*sums:][:sums]
				c[0] += int32(k.AN)
				c[1] += int32(k.Missing)
				c[2] += int32(k.AC)
				c[3] += int32(k.Het)
				c[4] += int32(k.HomAlt)
			}
		}
	}
}

// fillSimple sets c to the counts of the Simple row in slot s for a
// cohort of size samples, from count's counters.
func fillSimple(c *geno.Counts, cnt []int32, s int, size int) {
	k := cnt[s*sums:][:sums]
	c.Reset(1)
	c.AN = 2*int64(size) + int64(k[0])
	c.Missing = int64(k[1])
	c.AC[0] = int64(k[2])
	c.Het[0] = int64(k[3])
	c.HomAlt[0] = int64(k[4])
}

// Warm reads the release's chunks into the cache, with their sample
// indexes, in contig and position order until the cache's budget is used
// or ctx is done, so that the first queries after a release opens do not
// pay for decompression and indexing. It does nothing without a cache.
// It returns the number of chunks warmed.
func (e *Engine) Warm(ctx context.Context) (int, error) {
	if e.chunks == nil {
		return 0, nil
	}
	m := e.st.Manifest()
	n := 0
	for i := range m.Chunks {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		before := e.chunks.evictions()
		_, cc, err := e.readChunk(&m.Chunks[i])
		if err != nil {
			return n, err
		}
		if cc == nil {
			continue // larger than the whole budget
		}
		e.chunks.index(cc)
		n++
		if e.chunks.evictions() != before {
			break // full: warming more would only push out what it warmed
		}
	}
	return n, nil
}

// evictions returns how many entries the cache has dropped.
func (c *chunkCache) evictions() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.evicted
}
