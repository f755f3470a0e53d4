package concept

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"slices"
	"testing"
)

// The hand-made hierarchy of ingest/snomed's testdata/small_relationships.txt
// (valid SCTIDs, payloads 101..108); its active is-a links:
//
//	A→R  B→R  C→A  C→B  D→C  E→A  F→E  F→D  G→B  F→C (redundant)
const (
	cR int64 = 101009
	cA int64 = 102002
	cB int64 = 103007
	cC int64 = 104001
	cD int64 = 105000
	cE int64 = 106004
	cF int64 = 107008
	cG int64 = 108003
)

func loadSmall(t testing.TB) *Hierarchy {
	t.Helper()
	h, err := Build([]Edge{{cA, cR}, {cB, cR}, {cC, cA}, {cC, cB}, {cD, cC}, {cE, cA}, {cF, cE}, {cF, cD}, {cG, cB}, {cF, cC}})
	if err != nil {
		t.Fatal(err)
	}
	h.SetRelease(20240731)
	return h
}

func TestBinaryRoundTrip(t *testing.T) {
	h := loadSmall(t)
	data, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var h2 Hierarchy
	if err := h2.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	if again, _ := h2.MarshalBinary(); !bytes.Equal(again, data) {
		t.Errorf("marshal of the loaded hierarchy differs from the file (%d vs %d bytes)", len(again), len(data))
	}
	if h2.Release() != 20240731 || h2.Len() != 8 || h2.Edges() != 10 {
		t.Errorf("Release %d Len %d Edges %d", h2.Release(), h2.Len(), h2.Edges())
	}
	for _, id := range []int64{cR, cA, cB, cC, cD, cE, cF, cG} {
		a, _ := h.DescendantsOrSelf(id)
		b, _ := h2.DescendantsOrSelf(id)
		if !slices.Equal(a, b) {
			t.Errorf("<<%d: %v after round trip, %v before", id, b, a)
		}
		i1, _ := h.Index(id)
		i2, _ := h2.Index(id)
		if i1 != i2 {
			t.Errorf("index of %d changed", id)
		}
	}
	again, _ := h2.MarshalBinary()
	if !bytes.Equal(data, again) {
		t.Error("re-encoding differs")
	}
	// data is not retained.
	clear(data)
	if got, _ := h2.DescendantsOrSelf(cB); len(got) != 5 {
		t.Error("UnmarshalBinary kept a reference to its input")
	}
}

// TestBinaryCorruption: every flipped byte, and every truncation, is refused
// with ErrCorrupt.
func TestBinaryCorruption(t *testing.T) {
	h := loadSmall(t)
	data, _ := h.MarshalBinary()
	for i := range data {
		for _, mask := range []byte{0x01, 0x80} {
			bad := slices.Clone(data)
			bad[i] ^= mask
			if _, err := ReadHierarchy(bad); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("byte %d ^ %#x: %v", i, mask, err)
			}
		}
	}
	for n := range len(data) {
		if _, err := ReadHierarchy(data[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d: %v", n, err)
		}
	}
	if _, err := ReadHierarchy(append(slices.Clone(data), 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatal("trailing byte accepted")
	}
}

// reseal recomputes the trailer CRC after a deliberate change.
func reseal(b []byte) []byte {
	body := b[:len(b)-trailerSize]
	binary.LittleEndian.PutUint32(b[len(body):], crc32.Checksum(body, castagnoli))
	return b
}

// offsets returns where each stored array starts in the binary form.
func offsets(h *Hierarchy) map[string]int {
	n, e, c := h.Len(), h.Edges(), len(h.crossDst)
	off := map[string]int{}
	at := headerSize
	for _, a := range []struct {
		name string
		size int
	}{{"sctid", 8 * n}, {"sortedIDs", 8 * n}, {"sortedIdx", 4 * n}, {"rank", 4 * n}, {"end", 4 * n},
		{"childOff", 4 * (n + 1)}, {"child", 4 * e}, {"parentOff", 4 * (n + 1)}, {"parent", 4 * e},
		{"crossOff", 4 * (n + 1)}, {"crossDst", 4 * c}} {
		off[a.name] = at
		at += a.size
	}
	return off
}

// TestBinaryStructure: with a valid checksum, out-of-bounds values are still
// refused by UnmarshalBinary, and inconsistent ones by Verify.
func TestBinaryStructure(t *testing.T) {
	h := loadSmall(t)
	if err := h.Verify(); err != nil {
		t.Fatalf("built hierarchy: %v", err)
	}
	data, _ := h.MarshalBinary()
	off := offsets(h)
	le := binary.LittleEndian
	put32 := func(b []byte, at int, v uint32) []byte { le.PutUint32(b[at:], v); return b }
	swap32 := func(b []byte, at, bt int) []byte {
		x, y := le.Uint32(b[at:]), le.Uint32(b[bt:])
		le.PutUint32(b[at:], y)
		le.PutUint32(b[bt:], x)
		return b
	}
	bounds := map[string]func([]byte) []byte{
		"version 2":          func(b []byte) []byte { return put32(b, 8, 2) },
		"unknown flags":      func(b []byte) []byte { b[10] = 1; return b },
		"reserved":           func(b []byte) []byte { return put32(b, 28, 1) },
		"concept count":      func(b []byte) []byte { return put32(b, 12, 7) },
		"cross count":        func(b []byte) []byte { return put32(b, 20, 11) },
		"SCTID range":        func(b []byte) []byte { le.PutUint64(b[off["sctid"]:], 10100); return b },
		"sorted IDs order":   func(b []byte) []byte { le.PutUint64(b[off["sortedIDs"]+8:], 101009); return b },
		"sorted index range": func(b []byte) []byte { return put32(b, off["sortedIdx"], 8) },
		"rank range":         func(b []byte) []byte { return put32(b, off["rank"]+4, 0xffffffff) },
		"interval end":       func(b []byte) []byte { return put32(b, off["end"], 9) },
		"interval empty":     func(b []byte) []byte { return put32(b, off["end"]+4, 1) },
		"child offset":       func(b []byte) []byte { return put32(b, off["childOff"]+4, 99) },
		"child offsets dec":  func(b []byte) []byte { return put32(b, off["childOff"]+4, 5) },
		"child range":        func(b []byte) []byte { return put32(b, off["child"], 8) },
		"parent range":       func(b []byte) []byte { return put32(b, off["parent"], 1<<31) },
		"parent offset":      func(b []byte) []byte { return put32(b, off["parentOff"], 1) },
		"cross offset":       func(b []byte) []byte { return put32(b, off["crossOff"]+4*8, 0) },
	}
	for name, f := range bounds {
		_, err := ReadHierarchy(reseal(f(slices.Clone(data))))
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v", name, err)
		}
	}
	consistency := map[string]func([]byte) []byte{
		"bad check digit":       func(b []byte) []byte { le.PutUint64(b[off["sctid"]:], 101008); return b },
		"rank swapped":          func(b []byte) []byte { return swap32(b, off["rank"], off["rank"]+4) },
		"sorted index swapped":  func(b []byte) []byte { return swap32(b, off["sortedIdx"], off["sortedIdx"]+4) },
		"child before parent":   func(b []byte) []byte { return put32(b, off["child"], 0) },
		"interval too wide":     func(b []byte) []byte { return put32(b, off["end"]+4*(h.Len()-2), 8) },
		"interval not a child":  func(b []byte) []byte { return put32(b, off["end"], 1) },
		"parent swapped":        func(b []byte) []byte { return swap32(b, off["parent"], off["parent"]+4*(h.Edges()-1)) },
		"cross link redirected": func(b []byte) []byte { return put32(b, off["crossDst"], 1) },
	}
	for name, f := range consistency {
		h2, err := ReadHierarchy(reseal(f(slices.Clone(data))))
		if err != nil {
			t.Errorf("%s: refused at load (%v); want Verify to refuse it", name, err)
			continue
		}
		if err := h2.Verify(); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Verify: %v", name, err)
		}
		exercise(h2) // wrong answers maybe, but no panic
	}
	if h2, err := ReadHierarchy(reseal(slices.Clone(data))); err != nil || h2.Verify() != nil {
		t.Errorf("resealed original: %v", err)
	}
}

func TestBinaryEmpty(t *testing.T) {
	h, _ := Build(nil)
	data, _ := h.MarshalBinary()
	h2, err := ReadHierarchy(data)
	if err != nil || h2.Len() != 0 {
		t.Fatalf("%v", err)
	}
	if _, err := ReadHierarchy([]byte("\x89SCT\r\n\x1a\n")); !errors.Is(err, ErrCorrupt) {
		t.Error(err)
	}
}

// FuzzUnmarshalBinary: no byte string makes the decoder panic, including
// ones whose checksum is made valid (so the structural checks are reached),
// and an accepted one answers every query without panicking.
func FuzzUnmarshalBinary(f *testing.F) {
	for _, h := range []*Hierarchy{loadSmall(f)} {
		bin, _ := h.MarshalBinary()
		f.Add(bin, false)
		f.Add(bin, true)
	}
	f.Fuzz(func(t *testing.T, data []byte, fixCRC bool) {
		if fixCRC && len(data) >= headerSize+trailerSize {
			data = reseal(bytes.Clone(data))
		}
		h, err := ReadHierarchy(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error without ErrCorrupt: %v", err)
			}
			return
		}
		if err := h.Verify(); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error without ErrCorrupt: %v", err)
			}
			exercise(h) // answers may be wrong, but must come
			return
		}
		checkConsistent(t, h)
	})
}

// exercise runs every query on every concept of a small hierarchy, checking
// nothing: it must not panic or hang.
func exercise(h *Hierarchy) {
	if h.Len() > 2000 {
		return
	}
	var s *ConceptSet
	for i := range int32(h.Len()) {
		id := h.SCTID(i)
		h.Index(id)
		s = h.DescendantSetOf(i, s)
		s.SCTIDs()
		s.AppendRuns(nil)
		h.Ancestors(id)
		h.Parents(id)
		h.Children(id)
		h.IsA(id, h.SCTID(int32(h.Len())-1-i))
		h.DescendantsOrSelf(id)
	}
	h.Roots()
}

// checkConsistent runs every query on every concept (small hierarchies).
func checkConsistent(t *testing.T, h *Hierarchy) {
	t.Helper()
	if h.Len() > 2000 {
		return
	}
	var s *ConceptSet
	for i := range int32(h.Len()) {
		id := h.SCTID(i)
		if j, ok := h.Index(id); !ok || j != i {
			t.Fatalf("Index(SCTID(%d)) = %d, %v", i, j, ok)
		}
		s = h.DescendantSetOf(i, s)
		if !s.Contains(i) {
			t.Fatalf("<<%d lacks itself", id)
		}
		anc, err := h.Ancestors(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range anc {
			if a == id {
				t.Fatalf("%d is its own ancestor", id)
			}
			if ok, _ := h.IsA(id, a); !ok {
				t.Fatalf("%d has ancestor %d but IsA is false", id, a)
			}
			if !h.Contains(a, id) {
				t.Fatalf("%d not in <<%d", id, a)
			}
		}
		if len(s.SCTIDs()) != s.Len() {
			t.Fatal("SCTIDs and Len disagree")
		}
	}
}
