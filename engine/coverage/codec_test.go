package coverage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func sameSample(t testing.TB, got, want *Sample) {
	t.Helper()
	if got.Flagstat != want.Flagstat {
		t.Fatalf("flagstat %+v, want %+v", got.Flagstat, want.Flagstat)
	}
	if len(got.Contigs()) != len(want.Contigs()) {
		t.Fatalf("%d contigs, want %d", len(got.Contigs()), len(want.Contigs()))
	}
	for i, c := range got.Contigs() {
		w := want.Contigs()[i]
		ge, gd := c.Runs()
		we, wd := w.Runs()
		if c.Name() != w.Name() || c.Length() != w.Length() || c.Reads() != w.Reads() ||
			!reflect.DeepEqual(ge, we) && len(ge)+len(we) > 0 || !reflect.DeepEqual(gd, wd) && len(gd)+len(wd) > 0 {
			t.Fatalf("contig %d differs: %s/%d/%d", i, c.Name(), c.Length(), c.Reads())
		}
	}
}

func TestCodecRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for iter := 0; iter < 100; iter++ {
		s, _ := randomSample(t, rng)
		b := Encode(s)
		got, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		sameSample(t, got, s)
		if !bytes.Equal(Encode(got), b) {
			t.Fatal("re-encoding differs")
		}
	}
}

func TestCodecExtremes(t *testing.T) {
	// Maximum length, maximum depth, a single run; and a contig with a
	// periodic pattern that zstd shrinks beyond the ratio a reader accepts,
	// which the writer must then store raw.
	big, err := NewContig("big", MaxLength, []uint32{1, MaxLength}, []uint32{1<<32 - 1, 0}, 1<<62)
	if err != nil {
		t.Fatal(err)
	}
	n := 1 << 21
	ends, depths := make([]uint32, n), make([]uint32, n)
	for i := range ends {
		ends[i] = uint32(i + 1)
		depths[i] = uint32(i % 2)
	}
	periodic, err := NewContig("periodic", int64(n), ends, depths, 3)
	if err != nil {
		t.Fatal(err)
	}
	empty, _ := NewContig("empty", 0, nil, nil, 0)
	s, err := NewSample([]*Contig{big, periodic, empty}, Flagstat{Total: [2]int64{1<<63 - 1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	b := Encode(s)
	if b[10] != codecStored {
		t.Fatalf("codec %d: a body zstd shrinks %d-fold must be stored raw", b[10], n/len(b))
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	sameSample(t, got, s)
	if d, _ := got.DepthAt("big", 1); d != 1<<32-1 {
		t.Fatalf("depth %d", d)
	}
	// A typical sample (depth steps of ±1, short runs) compresses.
	rng := rand.New(rand.NewPCG(1, 1))
	d := make([]uint32, 100000)
	depth := uint32(30)
	for i := range d {
		if rng.IntN(3) == 0 {
			if depth == 0 || rng.IntN(2) == 0 {
				depth++
			} else {
				depth--
			}
		}
		d[i] = depth
	}
	s2, err := NewSample([]*Contig{mustContig(t, "c", d, 9)}, Flagstat{})
	if err != nil {
		t.Fatal(err)
	}
	b2 := Encode(s2)
	if b2[10] != codecZstd {
		t.Fatalf("codec %d for a typical sample", b2[10])
	}
	got2, err := Decode(b2)
	if err != nil {
		t.Fatal(err)
	}
	sameSample(t, got2, s2)
}

// reseal fixes the trailing CRC after a deliberate change.
func reseal(b []byte) []byte {
	b = append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], crcTable))
	return b
}

// storedForm encodes s with the raw body (codec 0), for edits.
func storedForm(s *Sample) []byte {
	raw := encodeBody(s)
	out := append([]byte(magic), 1, 0, codecStored, 0)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(raw)))
	out = append(out, raw...)
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, crcTable))
}

// zstdBody frames raw as codec 1 (CRC left zero: reseal it).
func zstdBody(raw []byte) []byte {
	out := append([]byte(magic), 1, 0, codecZstd, 0)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(raw)))
	out = append(out, zstdEncoder().EncodeAll(raw, nil)...)
	return append(out, 0, 0, 0, 0)
}

func TestDecodeErrors(t *testing.T) {
	s, _ := randomSample(t, rand.New(rand.NewPCG(3, 3)))
	good := Encode(s)
	stored := storedForm(s)
	if _, err := Decode(stored); err != nil {
		t.Fatal(err)
	}
	zstdForm := reseal(zstdBody(encodeBody(s)))
	set := func(b []byte, i int, v byte) []byte { b = append([]byte(nil), b...); b[i] = v; return b }
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"magic", set(good, 1, 'X'), "magic"},
		{"crc", set(good, len(good)-10, good[len(good)-10]^1), "checksum"},
		{"truncated", good[:len(good)-1], "checksum"},
		{"version", reseal(set(good, 8, 2)), "version 2"},
		{"codec", reseal(set(good, 10, 9)), "codec 9"},
		{"reserved", reseal(set(good, 11, 1)), "reserved"},
		{"raw length", reseal(set(zstdForm, 12, zstdForm[12]+1)), "decompresses to"},
		{"huge raw length", reseal(set(zstdForm, 19, 0x7f)), "implausible"},
		{"stored length", reseal(set(stored, 12, stored[12]+1)), "stored body"},
		{"trailing bytes", func() []byte {
			b := storedForm(s)
			b = append(b[:len(b)-4], 0, 0, 0, 0, 0)
			binary.LittleEndian.PutUint64(b[12:], binary.LittleEndian.Uint64(b[12:])+1)
			return reseal(b)
		}(), "after the last contig"},
		{"body cut", func() []byte {
			b := storedForm(s)
			b = append(b[:len(b)-6], 0, 0, 0, 0)
			binary.LittleEndian.PutUint64(b[12:], binary.LittleEndian.Uint64(b[12:])-2)
			return reseal(b)
		}(), "corrupt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.b)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrCorrupt with %q", err, tc.want)
			}
		})
	}
}

// TestDecodeBodyChecks edits single fields of a hand-built body.
func TestDecodeBodyChecks(t *testing.T) {
	body := func(contig ...uint64) []byte {
		var b []byte
		for range 32 {
			b = append(b, 0)
		}
		b = append(b, 1, 1, 'c')
		for _, v := range contig {
			b = binary.AppendUvarint(b, v)
		}
		return b
	}
	tests := []struct {
		name   string
		contig []uint64 // length, reads, nRuns, then runs
		ok     bool
	}{
		{"good", []uint64{5, 1, 2, 1, 4, 2, 3}, true},                  // runs 1-2 at 2 (zigzag 4), 3-5 at 0 (zigzag(-2) = 3)
		{"runs past the end", []uint64{5, 1, 2, 1, 2, 4, 1}, false},    // 2 + 5 > 5
		{"runs short of the end", []uint64{5, 1, 1, 2, 2}, false},      // ends at 3
		{"same depth", []uint64{5, 1, 2, 1, 2, 2, 0}, false},           // delta 0
		{"negative depth", []uint64{5, 1, 1, 4, 1}, false},             // zigzag 1 = -1
		{"more runs than bases", []uint64{1, 0, 2, 0, 2, 0, 1}, false}, // 2 runs > length 1
		{"length too big", []uint64{1 << 31, 0, 1, 1<<31 - 1, 2}, false},
		{"huge step", []uint64{5, 1, 2, 1<<64 - 1, 2, 0, 1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := body(tc.contig...)
			_, err := decodeBody(raw)
			if (err == nil) != tc.ok {
				t.Fatalf("decodeBody: %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
		})
	}
}

// FuzzCoverageDecode: Decode never panics, whatever the bytes, and what
// it accepts re-encodes to a sample that decodes the same. The fuzzer
// mostly makes bad checksums, so every input is also tried resealed.
func FuzzCoverageDecode(f *testing.F) {
	rng := rand.New(rand.NewPCG(5, 5))
	for range 4 {
		s, _ := randomSample(f, rng)
		f.Add(Encode(s))
		f.Add(storedForm(s))
	}
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		try := func(b []byte) {
			s, err := Decode(b)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("error %v does not wrap ErrCorrupt", err)
				}
				return
			}
			again, err := Decode(Encode(s))
			if err != nil {
				t.Fatalf("re-encoded sample does not decode: %v", err)
			}
			sameSample(t, again, s)
		}
		try(b)
		if len(b) >= headerLen+4 {
			try(reseal(b))
		}
	})
}
