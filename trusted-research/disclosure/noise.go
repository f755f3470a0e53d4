package disclosure

import (
	crand "crypto/rand"
	"encoding/binary"
	"math"
	"math/rand/v2"
)

// CryptoSource is the noise source of production releases: every draw comes
// from crypto/rand (the kernel's CSPRNG). A seeded math/rand/v2 source
// (rand.NewPCG, rand.NewChaCha8) is for tests only: noise an attacker can
// predict is no noise. It is safe for concurrent use.
var CryptoSource rand.Source = cryptoSource{}

type cryptoSource struct{}

// Uint64 implements rand.Source. crypto/rand.Read never fails (since Go
// 1.24 it is documented never to return an error; the runtime aborts if the
// kernel cannot supply randomness), so there is no error to return.
func (cryptoSource) Uint64() uint64 {
	var b [8]byte
	_, _ = crand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// laplace draws from Laplace(0, scale) as a random sign times an
// exponential: one 64-bit draw gives the sign (its lowest bit) and a uniform
// u = (m + ½)/2^53 from its top 53 bits, which lies strictly inside (0, 1),
// so log(u) is finite (no log(0), no Inf, no NaN). The magnitude
// −scale·ln(u) is then Exp(1/scale), and ±Exp is Laplace. The largest
// possible magnitude is scale·ln(2^54) ≈ 37.4·scale.
func laplace(rng rand.Source, scale float64) float64 {
	x := rng.Uint64()
	u := (float64(x>>11) + 0.5) * 0x1p-53
	e := -math.Log(u) * scale
	if x&1 == 1 {
		return -e
	}
	return e
}
