package query

import (
	"sync"

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
	byKey map[string]*store.Chunk
	size  map[string]int64
	order []string
}

func newChunkCache(limit int64) *chunkCache {
	return &chunkCache{limit: limit, byKey: map[string]*store.Chunk{}, size: map[string]int64{}}
}

func (c *chunkCache) get(file string) *store.Chunk {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byKey[file]
}

func (c *chunkCache) put(file string, ch *store.Chunk, bytes int64) {
	if c == nil || bytes > c.limit {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[file]; ok {
		return
	}
	for c.used+bytes > c.limit && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.used -= c.size[old]
		delete(c.byKey, old)
		delete(c.size, old)
	}
	c.byKey[file] = ch
	c.size[file] = bytes
	c.used += bytes
	c.order = append(c.order, file)
}

// SetChunkCache makes the engine keep up to limit bytes of decoded chunks
// in memory between queries (0 turns it off, the default: a one-shot
// command gains nothing from it).
func (e *Engine) SetChunkCache(limit int64) {
	if limit <= 0 {
		e.chunks = nil
		return
	}
	e.chunks = newChunkCache(limit)
}

// readChunk returns a chunk's genotypes, from the cache when it has them.
func (e *Engine) readChunk(ref *store.ChunkRef) (*store.Chunk, error) {
	if c := e.chunks.get(ref.File); c != nil {
		return c, nil
	}
	c, err := e.st.ReadChunk(ref, store.PartGenotypes)
	if err != nil {
		return nil, err
	}
	if e.chunks != nil {
		var n int64
		for i := 0; i < c.Len(); i++ {
			n += int64(len(c.Row(i))) + 64
		}
		e.chunks.put(ref.File, c, n+int64(4*len(c.Samples)))
	}
	return c, nil
}
