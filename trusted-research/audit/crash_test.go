package audit

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// truncator makes copies of a log's files cut short, in one scratch
// folder reused for every cut.
type truncator struct {
	scratch testLog
	orig    map[string][]byte
}

func newTruncator(t *testing.T, tl testLog) *truncator {
	tr := &truncator{scratch: tl.copy(t), orig: map[string][]byte{}}
	for _, name := range []string{EntriesFile, CheckpointsFile} {
		tr.orig[name] = readFile(t, tl.path(name))
	}
	return tr
}

// cut restores the scratch log and cuts file name to n bytes.
func (tr *truncator) cut(t *testing.T, name string, n int64) testLog {
	for f, b := range tr.orig {
		if f == name {
			b = b[:n]
		}
		if cur, err := os.ReadFile(tr.scratch.path(f)); err == nil && string(cur) == string(b) {
			continue
		}
		writeFile(t, tr.scratch.path(f), b)
	}
	return tr.scratch
}

// noSync: the repairs these tests make need not reach the disk.
var noSync = &Options{NoSync: true}

// TestTruncateEntriesEveryOffset: with every entry covered, cutting the
// entries file anywhere loses covered bytes: Verify fails and Open refuses
// without touching anything.
func TestTruncateEntriesEveryOffset(t *testing.T) {
	tl := smallLog(t, 4)
	tr := newTruncator(t, tl)
	for n := int64(0); n < int64(len(tr.orig[EntriesFile])); n++ {
		c := tr.cut(t, EntriesFile, n)
		c.mustFail(t, fmt.Sprintf("entries cut to %d", n))
		if _, err := Open(c.dir, c.secrets, nil); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("entries cut to %d: Open %v, want ErrCorrupt", n, err)
		}
		if st, _ := os.Stat(c.path(EntriesFile)); st.Size() != n {
			t.Fatalf("entries cut to %d: refused Open changed the size to %d", n, st.Size())
		}
	}
}

// TestTruncateCheckpointsEveryOffset: cutting the checkpoints file makes
// Verify fail; Open refuses if the genesis checkpoint is gone, and
// otherwise drops the torn checkpoint and seals the entries it no longer
// covers with a recovery checkpoint, which Verify then accepts and counts.
func TestTruncateCheckpointsEveryOffset(t *testing.T) {
	tl := smallLog(t, 4)
	tr := newTruncator(t, tl)
	const frame = frameOverhead + CheckpointSize
	for n := int64(0); n < int64(len(tr.orig[CheckpointsFile])); n++ {
		c := tr.cut(t, CheckpointsFile, n)
		c.mustFail(t, fmt.Sprintf("checkpoints cut to %d", n))
		l, err := Open(c.dir, c.secrets, noSync)
		if n < headerSize+frame {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("checkpoints cut to %d: Open %v, want ErrCorrupt", n, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("checkpoints cut to %d: Open %v", n, err)
		}
		whole := (n - headerSize) / frame // complete checkpoints left, genesis included
		rec := l.Recovery()
		if rec.TornCheckpointBytes != (n-headerSize)%frame || rec.Sealed != uint64(4-(whole-1)) || rec.TornEntryBytes != 0 {
			t.Fatalf("checkpoints cut to %d: recovery %+v", n, rec)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		r := c.mustVerify(t)
		if r.Entries != 4 || r.Covered != 4 || r.Recovered != rec.Sealed {
			t.Fatalf("checkpoints cut to %d: after recovery %+v", n, r)
		}
	}
}

// crashedLog is a log with covered entries and then uncovered ones, as a
// crash before the next checkpoint leaves it (CheckpointEvery 100).
func crashedLog(t *testing.T, covered, uncovered int) (testLog, Checkpoint) {
	tl := newTestLog(t)
	tl.build(t, covered, nil)
	l := tl.open(t, &Options{CheckpointEvery: 100})
	for i := covered; i < covered+uncovered; i++ {
		if _, err := l.Append(testEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	c := tl.copy(t)
	last := l.Checkpoint()
	l.Close()
	return c, last
}

// TestTruncateUncoveredTailEveryOffset: cutting the entries file inside
// the uncovered tail is a crash mid-append: Open keeps every complete
// entry, cuts the partial one, seals, and the log verifies.
func TestTruncateUncoveredTailEveryOffset(t *testing.T) {
	tl, last := crashedLog(t, 3, 4)
	tr := newTruncator(t, tl)
	orig := tr.orig[EntriesFile]
	_, recs := splitFrames(t, orig)
	for n := int64(last.End); n <= int64(len(orig)); n++ {
		c := tr.cut(t, EntriesFile, n)
		complete, end := 0, int64(last.End)
		for _, r := range recs[3:] {
			if end+int64(len(r)) > n {
				break
			}
			end += int64(len(r))
			complete++
		}
		l := c.open(t, &Options{NoSync: true})
		rec := l.Recovery()
		if rec.Sealed != uint64(complete) || rec.TornEntryBytes != n-end {
			t.Fatalf("entries cut to %d: recovery %+v, want %d sealed, %d torn", n, rec, complete, n-end)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if r := c.mustVerify(t); r.Entries != uint64(3+complete) || r.Recovered != uint64(complete) {
			t.Fatalf("entries cut to %d: after recovery %+v", n, r)
		}
	}
}

// TestOpenRefusesBadUncoveredRecord: a record after the last checkpoint
// with a valid checksum that is not the next entry is not a crash: Open
// refuses it.
func TestOpenRefusesBadUncoveredRecord(t *testing.T) {
	tl := smallLog(t, 3)
	hdr, recs := splitFrames(t, readFile(t, tl.path(EntriesFile)))
	for name, extra := range map[string][]byte{
		"duplicate":       recs[2],
		"sequence gap":    frameEntry(t, Entry{Seq: 7, Actor: "a", Action: "query", Decision: "allowed"}),
		"not an entry":    appendFrame(nil, []byte(`{"seq":3}`)),
		"not canonical":   appendFrame(nil, []byte(`{"seq": 3}`)),
		"valid crc, junk": appendFrame(nil, []byte{0}),
	} {
		c := tl.copy(t)
		writeFile(t, c.path(EntriesFile), joinFrames(hdr, append(append([][]byte(nil), recs...), extra)))
		if _, err := Open(c.dir, c.secrets, nil); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Open %v, want ErrCorrupt", name, err)
		}
		c.mustFail(t, name)
	}
	// A well-formed next entry appended behind the log's back cannot be
	// told from a crash after the entry's fsync: Open seals it, and the
	// recovery checkpoint says so.
	c := tl.copy(t)
	writeFile(t, c.path(EntriesFile), joinFrames(hdr, append(append([][]byte(nil), recs...),
		frameEntry(t, Entry{Seq: 3, Actor: "a", Action: "query", Decision: "allowed"}))))
	c.mustFail(t, "appended entry")
	l := c.open(t, nil)
	l.Close()
	if r := c.mustVerify(t); r.Recovered != 1 {
		t.Errorf("sealed entry not reported: %+v", r)
	}
}

// TestTornZeroFill: a crash can leave zeros from a sector boundary to the
// end of the file where an append's data was lost. In the final
// checkpoint that is torn (repaired); any other change there is refused.
func TestTornZeroFill(t *testing.T) {
	const frame = frameOverhead + CheckpointSize
	n := 1 // entries: the final checkpoint frame must straddle a sector boundary
	for ; (headerSize+(n+1)*frame)%sectorSize >= frame || (headerSize+(n+1)*frame)%sectorSize == 0; n++ {
	}
	tl := smallLog(t, n)
	orig := readFile(t, tl.path(CheckpointsFile))
	boundary := len(orig) / sectorSize * sectorSize
	if boundary <= len(orig)-frame {
		t.Fatalf("setup: no boundary in the final frame")
	}
	c := tl.copy(t)
	b := append([]byte(nil), orig...)
	clear(b[boundary:])
	writeFile(t, c.path(CheckpointsFile), b)
	c.mustFail(t, "zero-filled final checkpoint")
	l := c.open(t, nil)
	if rec := l.Recovery(); rec.TornCheckpointBytes != frame || rec.Sealed != 1 {
		t.Errorf("recovery %+v", rec)
	}
	l.Close()
	c.mustVerify(t)

	// Zeros not reaching back to a sector boundary: refused.
	c = tl.copy(t)
	b = append([]byte(nil), orig...)
	clear(b[len(b)-2:])
	writeFile(t, c.path(CheckpointsFile), b)
	if b[boundary] == 0 {
		t.Skip("setup: signature byte happens to be 0")
	}
	if _, err := Open(c.dir, c.secrets, nil); !errors.Is(err, ErrCorrupt) {
		t.Errorf("zeroed last bytes: Open %v, want ErrCorrupt", err)
	}
}

// TestKillDuringAppends kills a process appending from 16 goroutines at a
// random moment, several times: each time the log reopens (repairing what
// the kill left) and verifies, and no acknowledged entry is lost.
func TestKillDuringAppends(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	tl := newTestLog(t)
	acked := filepath.Join(t.TempDir(), "acked")
	var want uint64
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$")
		cmd.Env = append(os.Environ(), "AUDIT_KILL_CHILD="+tl.dir+"|"+tl.secrets+"|"+acked)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(150+100*round) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		// The child records the highest acknowledged sequence number
		// before appending more; at least that many entries must survive.
		if b, err := os.ReadFile(acked); err == nil {
			fmt.Sscan(string(b), &want)
		}
		l := tl.open(t, nil)
		if l.Size() < want {
			t.Fatalf("round %d: %d entries after the kill, %d were acknowledged", round, l.Size(), want)
		}
		t.Logf("round %d: %d entries, recovery %+v", round, l.Size(), l.Recovery())
		l.Close()
		tl.mustVerify(t)
	}
}

// TestKillChild is the process TestKillDuringAppends kills.
func TestKillChild(t *testing.T) {
	spec := os.Getenv("AUDIT_KILL_CHILD")
	if spec == "" {
		t.Skip("helper process for TestKillDuringAppends")
	}
	parts := strings.Split(spec, "|")
	dir, secrets, acked := parts[0], parts[1], parts[2]
	l, err := Open(dir, secrets, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan uint64)
	for w := 0; w < 16; w++ {
		go func(w int) {
			for i := 0; ; i++ {
				seq, err := l.Append(testEntry(w + i))
				if err != nil {
					panic(err)
				}
				done <- seq
			}
		}(w)
	}
	var max uint64
	for seq := range done {
		if seq+1 > max {
			max = seq + 1
			if max%8 == 0 {
				os.WriteFile(acked, []byte(fmt.Sprint(max)), 0o600)
			}
		}
	}
}
