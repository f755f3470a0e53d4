package disclosure

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"go.etcd.io/bbolt"
)

// The differencing benchmark's fixture: one project with 1,000 released
// person sets of 100,000 people each, over a population of 500,000, built
// once per test binary.
const (
	benchSets       = 1000
	benchSetSize    = 100000
	benchPopulation = 500000
)

type guardFixture struct {
	dir   string
	db    *bbolt.DB
	first *roaring.Bitmap // the first stored set
	fresh *roaring.Bitmap // a cohort of the same size, far from every stored set
}

var (
	fixtures   = map[string]*guardFixture{}
	fixturesMu sync.Mutex
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range fixtures {
		f.db.Close()
		os.RemoveAll(f.dir)
	}
	os.Exit(code)
}

// randomSet returns n distinct people from [0, benchPopulation).
func randomSet(rng *rand.Rand, n int) *roaring.Bitmap {
	b := roaring.New()
	for b.GetCardinality() < uint64(n) {
		b.Add(uint32(rng.IntN(benchPopulation)))
	}
	return b
}

// swap returns b with k members swapped for k non-members (same size).
func swap(rng *rand.Rand, b *roaring.Bitmap, k int) *roaring.Bitmap {
	c := b.Clone()
	for range k {
		x, err := c.Select(uint32(rng.IntN(int(c.GetCardinality()))))
		if err != nil {
			panic(err)
		}
		c.Remove(x)
	}
	for added := 0; added < k; {
		if x := uint32(rng.IntN(benchPopulation)); !b.Contains(x) && !c.Contains(x) {
			c.Add(x)
			added++
		}
	}
	return c
}

// fixture builds the stored sets:
//   - "equal": every stored set has exactly 100,000 people and shares 98% of
//     them with the new cohort (the size filter skips none);
//   - "near": every stored set is the new cohort with 4..8 people swapped
//     out and in, 8..16 people away (the size filter skips none and the
//     guard must not refuse: the closest a set can be and still pass);
//   - "spread": sizes spread over 50,000..150,000 (the size filter leaves a
//     handful).
func fixture(b *testing.B, mode string) *guardFixture {
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f := fixtures[mode]; f != nil {
		return f
	}
	dir, err := os.MkdirTemp("", "disclosure-bench-")
	if err != nil {
		b.Fatal(err)
	}
	db, err := bbolt.Open(filepath.Join(dir, "tre.db"), 0o600, &bbolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	f := &guardFixture{dir: dir, db: db}
	fixtures[mode] = f
	if _, err := New(db, nil); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	base := randomSet(rng, benchSetSize)
	f.fresh = swap(rng, base, 2000)
	digest := sha256.Sum256([]byte("count stored"))
	for i := 0; i < benchSets; i += 100 {
		err := db.Update(func(tx *bbolt.Tx) error {
			p, err := projectRW(tx, "proj")
			if err != nil {
				return err
			}
			for j := i; j < i+100; j++ {
				var s *roaring.Bitmap
				switch mode {
				case "equal":
					s = swap(rng, base, 2000)
				case "near":
					s = swap(rng, f.fresh, 4+rng.IntN(5))
				default:
					s = randomSet(rng, 50000+rng.IntN(100001))
				}
				if j == 0 {
					f.first = s
				}
				if err := storeSets(p, []*roaring.Bitmap{s}, digest); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return f
}

func (f *guardFixture) check(b *testing.B, cand *roaring.Bitmap) bool {
	var refuse bool
	err := f.db.View(func(tx *bbolt.Tx) error {
		var err error
		refuse, err = tooClose(projectRO(tx, "proj"), []*roaring.Bitmap{cand},
			sha256.Sum256([]byte("count new")), DefaultThreshold, false)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return refuse
}

// BenchmarkDifferencing: one new 100,000-person cohort against 1,000 stored
// 100,000-person sets. Reports stored sets compared per second.
func BenchmarkDifferencing(b *testing.B) {
	for _, mode := range []string{"equal", "near", "spread"} {
		b.Run("stored="+mode, func(b *testing.B) {
			f := fixture(b, mode)
			// Check the result first: the fresh cohort passes, the first
			// stored set minus one person is refused.
			if f.check(b, f.fresh) {
				b.Fatal("a cohort 8 or more people from every stored set was refused")
			}
			if !f.check(b, without(f.first, f.first.Minimum())) {
				b.Fatal("a stored set minus one person was not refused")
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				if f.check(b, f.fresh) {
					b.Fatal("refused")
				}
			}
			b.ReportMetric(float64(benchSets)*float64(b.N)/time.Since(start).Seconds(), "stored-sets/s")
		})
	}
}

// BenchmarkSpend: one Spend transaction, committed with fsync as in
// production.
func BenchmarkSpend(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "tre.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.SetSettings("proj", Settings{Budget: 1e6}); err != nil {
		b.Fatal(err)
	}
	if err := s.Spend("acme", "proj", "r1", 0.001); err != nil {
		b.Fatal(err)
	}
	if spent, _, _ := s.Ledger("acme", "proj", "r1"); spent != 0.001 {
		b.Fatalf("spent %v, want 0.001", spent)
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if err := s.Spend("acme", "proj", "r1", 0.001); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "spends/s")
}

// BenchmarkCount: a whole new count question (cache miss, budget, guard
// against the project's earlier answers, noise, cache and ledger writes),
// committed with fsync.
func BenchmarkCount(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "tre.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.SetSettings("proj", Settings{Budget: 1e6}); err != nil {
		b.Fatal(err)
	}
	a, err := s.Count(q("acme", "proj", "r1", "count warmup"), one(span(0, 100)))
	if err != nil || a.Table.Cells[0].Suppressed {
		b.Fatalf("%+v, %v", a, err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		lo := uint32(1000 + 100*i)
		if _, err := s.Count(q("acme", "proj", "r1", fmt.Sprint("count ", i)), one(span(lo, lo+50))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "questions/s")
}
