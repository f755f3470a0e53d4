package disclosure

import (
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"go.etcd.io/bbolt"
)

// naiveTooClose is the slow reference of tooClose: every stored set, every
// element, no size pruning, no roaring arithmetic.
func naiveTooClose(stored []*roaring.Bitmap, storedTexts []string, cands []*roaring.Bitmap, text string, t int) bool {
	delta := func(a, b *roaring.Bitmap) int {
		in := map[uint32]int{}
		for _, x := range a.ToArray() {
			in[x]++
		}
		for _, x := range b.ToArray() {
			in[x]++
		}
		d := 0
		for _, n := range in {
			if n == 1 {
				d++
			}
		}
		return d
	}
	for i, a := range cands {
		for j := range i {
			if d := delta(a, cands[j]); d >= 1 && d <= t {
				return true
			}
		}
		for k, b := range stored {
			d := delta(a, b)
			if d <= t && !(d == 0 && storedTexts[k] == text) {
				return true
			}
		}
	}
	return false
}

// TestGuardMatchesNaive stores random sets (from three query texts) and
// checks tooClose against the reference on candidates made by perturbing
// stored sets by 0..12 people, and on fresh random ones.
func TestGuardMatchesNaive(t *testing.T) {
	s := openTest(t, 1, Settings{})
	rng := rand.New(rand.NewPCG(9, 9))
	texts := []string{"count a", "count b", "count c"}
	const universe = 60
	randomSet := func() *roaring.Bitmap {
		b := roaring.New()
		for x := range uint32(universe) {
			if rng.IntN(2) == 0 {
				b.Add(x)
			}
		}
		return b
	}
	var stored []*roaring.Bitmap
	var storedTexts []string
	outcomes := map[bool]int{}
	for trial := range 400 {
		// Sometimes store another set.
		if trial%4 == 0 {
			b, text := randomSet(), texts[rng.IntN(len(texts))]
			err := s.db.Update(func(tx *bbolt.Tx) error {
				p, err := projectRW(tx, "p")
				if err != nil {
					return err
				}
				return storeSets(p, []*roaring.Bitmap{b}, sha256.Sum256([]byte(text)))
			})
			if err != nil {
				t.Fatal(err)
			}
			stored, storedTexts = append(stored, b), append(storedTexts, text)
		}
		var cands []*roaring.Bitmap
		for range 1 + rng.IntN(2) {
			c := randomSet()
			if len(stored) > 0 && rng.IntN(3) > 0 {
				c = stored[rng.IntN(len(stored))].Clone()
				for range rng.IntN(13) {
					x := uint32(rng.IntN(universe))
					if c.Contains(x) {
						c.Remove(x)
					} else {
						c.Add(x)
					}
				}
			}
			cands = append(cands, c)
		}
		text := texts[rng.IntN(len(texts))]
		var got bool
		err := s.db.View(func(tx *bbolt.Tx) error {
			var err error
			got, err = tooClose(projectRO(tx, "p"), cands, sha256.Sum256([]byte(text)), 7, false)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := naiveTooClose(stored, storedTexts, cands, text, 7); got != want {
			t.Fatalf("trial %d: tooClose = %v, reference = %v", trial, got, want)
		}
		outcomes[got]++
	}
	if outcomes[true] < 50 || outcomes[false] < 50 {
		t.Fatalf("outcomes %v: the trials do not exercise both answers", outcomes)
	}
}

// TestGuardFailsClosedOnCorruption flips one byte of a stored set (its
// index record, or its bitmap): the next question that reaches the guard gets
// ErrCorrupt, not an answer, and spends nothing.
func TestGuardFailsClosedOnCorruption(t *testing.T) {
	for _, bucket := range [][]byte{bucketSets, bucketBitmaps} {
		t.Run(string(bucket), func(t *testing.T) {
			s := openTest(t, 1, Settings{})
			a := span(0, 100)
			if _, err := s.Count(q("p", "proj", "r1", "count A"), one(a)); err != nil {
				t.Fatal(err)
			}
			err := s.db.Update(func(tx *bbolt.Tx) error {
				sb := projectRO(tx, "proj").sub(bucket)
				k, v := sb.Cursor().First()
				bad := append([]byte(nil), v...)
				bad[len(bad)-1] ^= 0x40
				return sb.Put(append([]byte(nil), k...), bad)
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Count(q("p", "proj", "r1", "count B"), one(span(3, 103)))
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("got %v, want ErrCorrupt", err)
			}
			if spent, _, _ := s.Ledger("p", "proj", "r1"); spent != 0.5 {
				t.Fatalf("spent %v after a failed question, want 0.5 (the first only)", spent)
			}
		})
	}
}

// TestSketchBoundsDifference: the sketch distance never exceeds |A Δ B|
// (it is a lower bound, so skipping on it is exact).
func TestSketchBoundsDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for range 2000 {
		a := roaring.New()
		for range rng.IntN(300) {
			a.Add(uint32(rng.IntN(5000)))
		}
		b := a.Clone()
		for range rng.IntN(20) {
			x := uint32(rng.IntN(5000))
			if b.Contains(x) {
				b.Remove(x)
			} else {
				b.Add(x)
			}
		}
		d := roaring.Xor(a, b).GetCardinality()
		raw := encodeSetIndex(sketchOf(b), [32]byte{})[40:]
		for _, tt := range []uint64{0, 1, 7, d, d + 1} {
			if tt >= d && sketchOf(a).farther(raw, tt) {
				t.Fatalf("sketch distance exceeds t=%d although |A Δ B| = %d", tt, d)
			}
		}
	}
}
