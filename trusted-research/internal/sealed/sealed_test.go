package sealed

import (
	"errors"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

var errTest = errors.New("corrupt")

// TestSealedDetectsDamage: every single-byte change of a sealed record is
// an error wrapping the caller's sentinel, and an intact one round-trips.
func TestSealedDetectsDamage(t *testing.T) {
	type rec struct {
		A string
		B []int
	}
	in := rec{"x", []int{1, 2, 3}}
	v, err := JSON(in)
	if err != nil {
		t.Fatal(err)
	}
	var out rec
	if err := UnJSON(v, &out, errTest); err != nil || out.A != "x" || len(out.B) != 3 {
		t.Fatalf("round trip: %+v %v", out, err)
	}
	bm := roaring.BitmapOf(1, 5, 70000, 1<<30)
	b, err := Bitmap(bm)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := BitmapView(b, errTest, "set"); err != nil || !got.Equals(bm) {
		t.Fatalf("bitmap round trip: %v", err)
	}
	for i := range v {
		w := append([]byte(nil), v...)
		w[i] ^= 0x40
		if err := UnJSON(w, &out, errTest); !errors.Is(err, errTest) {
			t.Fatalf("JSON byte %d flipped: %v", i, err)
		}
	}
	for i := range b {
		if i >= 4 && i < BitmapHeadSize {
			continue // the reserved zero bytes are not covered
		}
		w := append([]byte(nil), b...)
		w[i] ^= 0x40
		if _, err := BitmapView(w, errTest, "set"); !errors.Is(err, errTest) {
			t.Fatalf("bitmap byte %d flipped: %v", i, err)
		}
	}
}
