package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"strings"
	"testing"
)

// smallLog is a closed log of n entries, one checkpoint per entry plus
// genesis.
func smallLog(t *testing.T, n int) testLog {
	tl := newTestLog(t)
	tl.build(t, n, nil)
	return tl
}

// TestEveryByteFlipDetected changes every byte of all three files of a
// small log, one at a time (xor 0x01, 0x80 and 0xff): Verify must
// fail, naming a place no later than the change, and Open must refuse,
// leaving the file as it was.
func TestEveryByteFlipDetected(t *testing.T) {
	tl := smallLog(t, 4)
	for _, name := range []string{EntriesFile, CheckpointsFile, PublicKeyFile} {
		orig := readFile(t, tl.path(name))
		f, err := os.OpenFile(tl.path(name), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3*len(orig); i++ {
			off, x := i/3, [...]byte{0x01, 0x80, 0xff}[i%3]
			if _, err := f.WriteAt([]byte{orig[off] ^ x}, int64(off)); err != nil {
				t.Fatal(err)
			}
			_, err := Verify(tl.dir, tl.pub)
			var p *Problem
			if !errors.As(err, &p) {
				t.Fatalf("%s byte %d ^%#x: Verify error %v", name, off, x, err)
			}
			if p.File == name && p.Offset > int64(off) {
				t.Fatalf("%s byte %d: problem reported after it, at %d", name, off, p.Offset)
			}
			if l, err := Open(tl.dir, tl.secrets, nil); err == nil {
				l.Close()
				t.Fatalf("%s byte %d ^%#x: Open accepted the changed log", name, off, x)
			}
			if b := readFile(t, tl.path(name)); len(b) != len(orig) || b[off] != orig[off]^x {
				t.Fatalf("%s byte %d: refused Open changed the file", name, off)
			}
			if _, err := f.WriteAt(orig[off:off+1], int64(off)); err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
	}
	tl.mustVerify(t)
}

// TestProblemLocatesEntry: a change inside entry k is reported at entry k's
// offset, without its content.
func TestProblemLocatesEntry(t *testing.T) {
	tl := smallLog(t, 6)
	orig := readFile(t, tl.path(EntriesFile))
	hdr, recs := splitFrames(t, orig)
	off := len(hdr)
	for k, r := range recs {
		b := append([]byte(nil), orig...)
		b[off+len(r)-3] ^= 0x20
		writeFile(t, tl.path(EntriesFile), b)
		p := tl.mustFail(t, "flip in entry")
		if p.File != EntriesFile || p.Offset != int64(off) || p.Entry != int64(k) {
			t.Errorf("entry %d at %d: problem %+v", k, off, p)
		}
		if strings.Contains(p.Error(), "researcher") || strings.Contains(p.Error(), "count") {
			t.Errorf("problem quotes entry content: %v", p)
		}
		off += len(r)
	}
}

func TestRecordLevelTampering(t *testing.T) {
	base := smallLog(t, 6)
	ents := readFile(t, base.path(EntriesFile))
	hdr, recs := splitFrames(t, ents)
	cks := readFile(t, base.path(CheckpointsFile))
	chdr, crecs := splitFrames(t, cks)
	with := func(rs ...[]byte) [][]byte { return append([][]byte(nil), rs...) } // a copy: callers append
	// repaired: Open accepts the change as what a crash leaves (a cut or
	// torn end, or complete entries after the last checkpoint) and seals
	// it; every other change is refused.
	cases := map[string]struct {
		entries, checkpoints []byte
		repaired             bool
	}{
		"entry removed":    {entries: joinFrames(hdr, append(with(recs[:2]...), recs[3:]...))},
		"last removed":     {entries: joinFrames(hdr, recs[:5])},
		"entries swapped":  {entries: joinFrames(hdr, with(recs[0], recs[2], recs[1], recs[3], recs[4], recs[5]))},
		"entry duplicated": {entries: joinFrames(hdr, append(with(recs[:3]...), recs[2:]...))},
		"forged entry appended": {entries: joinFrames(hdr, append(with(recs...),
			frameEntry(t, Entry{Seq: 6, Actor: "mallory", Action: "query", Decision: "allowed"}))), repaired: true},
		"checkpoint removed":     {checkpoints: joinFrames(chdr, append(with(crecs[:3]...), crecs[4:]...))},
		"last checkpoint gone":   {checkpoints: joinFrames(chdr, crecs[:6]), repaired: true},
		"checkpoints swapped":    {checkpoints: joinFrames(chdr, with(crecs[0], crecs[1], crecs[3], crecs[2], crecs[4], crecs[5], crecs[6]))},
		"checkpoint duplicated":  {checkpoints: joinFrames(chdr, append(with(crecs...), crecs[6]))},
		"genesis removed":        {checkpoints: joinFrames(chdr, crecs[1:])},
		"checkpoints emptied":    {checkpoints: chdr},
		"trailing byte entries":  {entries: append(append([]byte(nil), ents...), 0), repaired: true},
		"trailing byte ckpts":    {checkpoints: append(append([]byte(nil), cks...), 0), repaired: true},
		"entries file empty":     {entries: []byte{}},
		"checkpoints file empty": {checkpoints: []byte{}},
		"entries file missing":   {entries: []byte("rm")},
		"checkpoints missing":    {checkpoints: []byte("rm")},
	}
	for name, c := range cases {
		tl := base.copy(t)
		for f, b := range map[string][]byte{EntriesFile: c.entries, CheckpointsFile: c.checkpoints} {
			switch {
			case string(b) == "rm":
				if err := os.Remove(tl.path(f)); err != nil {
					t.Fatal(err)
				}
			case b != nil:
				writeFile(t, tl.path(f), b)
			}
		}
		tl.mustFail(t, name)
		l, err := Open(tl.dir, tl.secrets, nil)
		if !c.repaired {
			if err == nil || (!errors.Is(err, ErrCorrupt) && !errors.Is(err, os.ErrNotExist)) {
				t.Errorf("%s: Open %v, want ErrCorrupt", name, err)
			}
			if err == nil {
				l.Close()
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Open %v, want a repair", name, err)
			continue
		}
		rec := l.Recovery()
		l.Close()
		if rec == (Recovery{}) {
			t.Errorf("%s: Open repaired nothing", name)
		}
		tl.mustVerify(t)
	}
}

// resign rewrites checkpoint i (0-based, genesis included) with change
// applied, signed by key, and optionally re-chains the ones after it.
func resign(t *testing.T, tl testLog, i int, key ed25519.PrivateKey, rechain bool, change func(*Checkpoint)) {
	hdr, recs := splitFrames(t, readFile(t, tl.path(CheckpointsFile)))
	var prevHash [32]byte
	for j := range recs {
		c, err := ParseCheckpoint(recs[j][frameOverhead:])
		if err != nil {
			t.Fatal(err)
		}
		if j == i || (rechain && j > i) {
			if j > i {
				c.Prev = prevHash
			} else {
				change(&c)
			}
			c.sign(key)
			recs[j] = appendFrame(nil, c.bytes())
		}
		prevHash = c.Hash()
	}
	writeFile(t, tl.path(CheckpointsFile), joinFrames(hdr, recs))
}

func TestForgedCheckpoints(t *testing.T) {
	base := smallLog(t, 5)
	_, mallory, _ := ed25519.GenerateKey(rand.Reader)
	key, err := readPrivateKey(base.secrets)
	if err != nil {
		t.Fatal(err)
	}
	nop := func(*Checkpoint) {}

	// Re-signed with the wrong key, chain intact.
	tl := base.copy(t)
	resign(t, tl, 3, mallory, true, nop)
	if p := tl.mustFail(t, "wrong key"); p.Checkpoint != 3 || p.File != CheckpointsFile {
		t.Errorf("wrong key: %+v", p)
	}

	// A forged entry appended with a checkpoint signed by another key.
	tl = base.copy(t)
	l := tl.open(t, nil)
	if _, err := l.Append(testEntry(99)); err != nil {
		t.Fatal(err)
	}
	l.Close()
	resign(t, tl, 6, mallory, false, nop)
	if p := tl.mustFail(t, "forged tail checkpoint"); p.Checkpoint != 6 {
		t.Errorf("forged tail: %+v", p)
	}

	// The whole log re-signed by another key, audit.pub replaced: the
	// pinned key still rejects it.
	tl = base.copy(t)
	resign(t, tl, 0, mallory, true, nop)
	pem, _ := encodePublicKey(mallory.Public().(ed25519.PublicKey))
	writeFile(t, tl.path(PublicKeyFile), pem)
	if p := tl.mustFail(t, "replaced key"); p.File != PublicKeyFile {
		t.Errorf("replaced key: %+v", p)
	}
	if err := os.Remove(tl.path(PublicKeyFile)); err != nil {
		t.Fatal(err)
	}
	if p := tl.mustFail(t, "re-signed log, no audit.pub"); p.Checkpoint != 0 {
		t.Errorf("re-signed log: %+v", p)
	}

	// The right key, but the chain broken (an insider with the key who
	// replaces a checkpoint without rewriting every later one).
	tl = base.copy(t)
	resign(t, tl, 2, key, false, func(c *Checkpoint) { c.Time = c.Time.Add(1) })
	if p := tl.mustFail(t, "chain break"); p.Checkpoint != 3 || !strings.Contains(p.Reason, "chain") {
		t.Errorf("chain break: %+v", p)
	}
	tl = base.copy(t)
	resign(t, tl, 4, key, false, func(c *Checkpoint) { c.Prev[0] ^= 1 })
	if p := tl.mustFail(t, "prev link changed"); p.Checkpoint != 4 {
		t.Errorf("prev link changed: %+v", p)
	}

	// The right key, re-chained, but the root no longer matches the entries.
	tl = base.copy(t)
	resign(t, tl, 3, key, true, func(c *Checkpoint) { c.Root[5] ^= 1 })
	if p := tl.mustFail(t, "wrong root"); p.Checkpoint != 3 || p.File != EntriesFile || p.Entry != 2 {
		t.Errorf("wrong root: %+v", p)
	}
	// ... or claims more entries than there are.
	tl = base.copy(t)
	resign(t, tl, 5, key, true, func(c *Checkpoint) { c.Size++ })
	tl.mustFail(t, "size beyond the file")
	// ... or a wrong end offset.
	tl = base.copy(t)
	resign(t, tl, 5, key, true, func(c *Checkpoint) { c.End-- })
	tl.mustFail(t, "end offset")
	// ... or time going backwards.
	tl = base.copy(t)
	resign(t, tl, 5, key, true, func(c *Checkpoint) { c.Time = c.Time.Add(-1e12) })
	if p := tl.mustFail(t, "time backwards"); p.Checkpoint != 5 {
		t.Errorf("time backwards: %+v", p)
	}
}

// fuzzVerifyFile: for a closed log, Verify accepts exactly one content for
// each file, the original; whatever the fuzzer writes instead must fail,
// and neither Verify nor Open may panic. Fuzz with -fuzzminimizetime 2s:
// each run writes files, and the default minute of minimising per new
// input dominates otherwise.
func fuzzVerifyFile(f *testing.F, name string) {
	tl := newTestLog(f)
	tl.build(f, 3, nil)
	orig := map[string][]byte{}
	for _, n := range []string{EntriesFile, CheckpointsFile} {
		orig[n] = readFile(f, tl.path(n))
	}
	f.Add(orig[name])
	f.Add(orig[name][:len(orig[name])-1])
	f.Add(append(append([]byte(nil), orig[name]...), orig[name][headerSize:]...))
	c := tl.copy(f) // one scratch log per fuzzing process, restored each run
	f.Fuzz(func(t *testing.T, b []byte) {
		for n, data := range orig {
			if n == name {
				data = b
			}
			writeFile(t, c.path(n), data)
		}
		_, err := Verify(c.dir, c.pub)
		if string(b) == string(orig[name]) {
			if err != nil {
				t.Fatalf("original rejected: %v", err)
			}
			return
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("changed %s accepted (%v)", name, err)
		}
		if l, err := Open(c.dir, c.secrets, &Options{NoSync: true}); err == nil {
			l.Close()
			if _, err := Verify(c.dir, c.pub); err != nil {
				t.Fatalf("Open accepted a changed %s and left it failing Verify: %v", name, err)
			}
		}
	})
}

func FuzzVerifyEntries(f *testing.F)     { fuzzVerifyFile(f, EntriesFile) }
func FuzzVerifyCheckpoints(f *testing.F) { fuzzVerifyFile(f, CheckpointsFile) }

// TestInsiderResignedLog: someone holding the signing key reorders two
// entries and re-signs a consistent chain over the new order. Signatures,
// links and roots all check; the sequence numbers inside the entries do
// not, and Verify says where.
func TestInsiderResignedLog(t *testing.T) {
	tl := smallLog(t, 6)
	key, err := readPrivateKey(tl.secrets)
	if err != nil {
		t.Fatal(err)
	}
	hdr, recs := splitFrames(t, readFile(t, tl.path(EntriesFile)))
	recs[1], recs[2] = recs[2], recs[1]
	writeFile(t, tl.path(EntriesFile), joinFrames(hdr, recs))
	leaves := make([][]byte, len(recs))
	for i, r := range recs {
		leaves[i] = r[frameOverhead:]
	}
	chdr, crecs := splitFrames(t, readFile(t, tl.path(CheckpointsFile)))
	var prevHash [32]byte
	for i := range crecs {
		c, err := ParseCheckpoint(crecs[i][frameOverhead:])
		if err != nil {
			t.Fatal(err)
		}
		copy(c.Root[:], refRoot(leaves[:c.Size]))
		c.Prev = prevHash
		c.sign(key)
		crecs[i] = appendFrame(nil, c.bytes())
		prevHash = c.Hash()
	}
	writeFile(t, tl.path(CheckpointsFile), joinFrames(chdr, crecs))
	p := tl.mustFail(t, "re-signed reorder")
	if p.Entry != 1 || !strings.Contains(p.Reason, "sequence number") {
		t.Errorf("problem %+v", p)
	}
}

// TestPublicKeyFileExact: audit.pub must be byte for byte what Init wrote;
// a spelling of the same key that base64 tolerates (unused low bits set
// in the last character) is still a change.
func TestPublicKeyFileExact(t *testing.T) {
	tl := smallLog(t, 1)
	orig := readFile(t, tl.path(PublicKeyFile))
	i := strings.IndexByte(string(orig), '=') - 1 // the last data character
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	v := strings.IndexByte(alphabet, orig[i])
	if i < 0 || v < 0 || v&3 != 0 {
		t.Fatalf("setup: unexpected PEM %q", orig)
	}
	b := append([]byte(nil), orig...)
	b[i] = alphabet[v|1]
	writeFile(t, tl.path(PublicKeyFile), b)
	if k, err := ReadPublicKey(tl.dir); err == nil || k != nil {
		t.Errorf("non-canonical audit.pub accepted")
	}
	if p := tl.mustFail(t, "non-canonical audit.pub"); p.File != PublicKeyFile {
		t.Errorf("problem %+v", p)
	}
}
