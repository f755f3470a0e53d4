package gateway

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gentre/gentre/engine/query"
	"github.com/gentre/gentre/engine/store"
)

// release is one open data release of the store and the query engine over
// it. The engine is safe for concurrent use (it guards what it loads
// lazily), so requests on one release run at once; each query's own work
// is also parallel inside the engine.
type release struct {
	id    uint64
	name  string // the release number in decimal: disclosure's release key
	stamp os.FileInfo

	eng *query.Engine
}

// current returns the store's current data release, opening it when the
// manifest has changed since the last request. The check is one stat of
// the manifest (a commit renames a new one over it: a new inode, time and
// size), so it costs about a microsecond per request.
func (g *Gateway) current() (*release, error) {
	path := filepath.Join(g.dir, manifestFile)
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errors.New("gateway: " + g.dir + " is not a gentre store (no MANIFEST; run gentre init)")
		}
		return nil, err
	}
	g.relMu.Lock()
	defer g.relMu.Unlock()
	if r := g.rel; r != nil && sameStamp(r.stamp, fi) {
		return r, nil
	}
	// Stat before open: if a commit lands in between, the stamp is older
	// than the release opened and the next request simply reopens.
	st, err := store.Open(g.dir, nil)
	if err != nil {
		return nil, err
	}
	eng := query.NewEngine(st, g.opts.Workers)
	switch {
	case g.opts.ChunkCache == 0:
		eng.SetChunkCache(1 << 30)
	case g.opts.ChunkCache > 0:
		eng.SetChunkCache(g.opts.ChunkCache)
	}
	if !g.opts.AsOf.IsZero() {
		eng.SetAsOf(g.opts.AsOf)
	}
	id := st.Manifest().Release
	if g.rel != nil && g.rel.id != id {
		g.opts.Logf("data release %d opened (was %d)", id, g.rel.id)
	}
	g.rel = &release{id: id, name: strconv.FormatUint(id, 10), stamp: fi, eng: eng}
	g.warm(eng, id)
	return g.rel, nil
}

func sameStamp(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// withRelease runs fn on the current release's engine. A commit may remove files of the release it replaces
// (an opt-out rewrites chunks): a query that finds a file gone while a new
// release exists is run once more on the new one.
func (g *Gateway) withRelease(ctx context.Context, c *call, fn func(r *release, e *query.Engine) error) error {
	for attempt := 0; ; attempt++ {
		r, err := g.current()
		if err != nil {
			return err
		}
		c.release = r.id
		err = ctx.Err()
		if err == nil {
			err = fn(r, r.eng)
		}
		if attempt == 0 && errors.Is(err, fs.ErrNotExist) {
			if nr, nerr := g.current(); nerr == nil && nr != r {
				continue
			}
		}
		return err
	}
}

// warm fills a newly opened release's chunk cache in the background (one
// goroutine, stopped by Close or when a newer release replaces this one),
// so that its first queries do not pay for decompression and indexing;
// requests meanwhile are answered as usual. g.relMu held.
func (g *Gateway) warm(e *query.Engine, id uint64) {
	if g.warmStop != nil {
		g.warmStop() // the release it was warming is no longer current
		g.warmStop = nil
	}
	if g.opts.ChunkCache < 0 || g.opts.NoWarm {
		return
	}
	ctx, stop := context.WithCancel(g.warmCtx)
	g.warmStop = stop
	g.warmWG.Add(1)
	go func() {
		defer g.warmWG.Done()
		defer stop()
		start := time.Now()
		n, err := e.Warm(ctx)
		switch {
		case err != nil && !errors.Is(err, context.Canceled):
			g.opts.Logf("data release %d: warming the chunk cache: %v", id, err)
		case err == nil && n > 0:
			g.opts.Logf("data release %d: %d chunks decoded and indexed in %s", id, n, time.Since(start).Round(time.Millisecond))
		}
	}()
}
