package audit

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"
)

func TestAppendVerifyRoundTrip(t *testing.T) {
	tl := newTestLog(t)
	l := tl.open(t, nil)
	const n = 50
	for i := 0; i < n; i++ {
		seq, err := l.Append(testEntry(i))
		if err != nil {
			t.Fatal(err)
		}
		if seq != uint64(i) {
			t.Fatalf("Append %d returned seq %d", i, seq)
		}
		if c := l.Checkpoint(); c.Size != uint64(i+1) {
			t.Fatalf("after Append %d the checkpoint covers %d entries", i, c.Size)
		}
	}
	for i := 0; i < n; i++ {
		b, err := l.Entry(uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		e, err := ParseEntry(b)
		if err != nil {
			t.Fatal(err)
		}
		want := testEntry(i)
		want.Seq, want.Time = e.Seq, e.Time
		if e != want || e.Seq != uint64(i) || e.Time.IsZero() || e.Time.Location() != time.UTC {
			t.Fatalf("entry %d read back as %+v", i, e)
		}
	}
	last := l.Checkpoint()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	r := tl.mustVerify(t)
	if r.Entries != n || r.Checkpoints != n+1 || r.Covered != n || r.Pending != 0 || r.Recovered != 0 || r.Open {
		t.Errorf("report %+v", r)
	}
	if r.Last != last {
		t.Errorf("report's last checkpoint %v, log's %v", r.Last, last)
	}
	if st, _ := os.Stat(tl.path(EntriesFile)); r.EntriesBytes != st.Size() {
		t.Errorf("Verify read %d of %d entry bytes", r.EntriesBytes, st.Size())
	}
	if st, _ := os.Stat(tl.path(CheckpointsFile)); r.CheckpointsBytes != st.Size() {
		t.Errorf("Verify read %d of %d checkpoint bytes", r.CheckpointsBytes, st.Size())
	}
	// Files hold exactly the records: no preallocated or unused space.
	st, _ := os.Stat(tl.path(CheckpointsFile))
	if want := int64(headerSize + (n+1)*(frameOverhead+CheckpointSize)); st.Size() != want {
		t.Errorf("checkpoints file is %d bytes, want %d", st.Size(), want)
	}
}

func TestCheckpointEveryN(t *testing.T) {
	tl := newTestLog(t)
	l := tl.open(t, &Options{CheckpointEvery: 10})
	for i := 0; i < 25; i++ {
		if _, err := l.Append(testEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	if c := l.Checkpoint(); c.Size != 20 {
		t.Errorf("checkpoint covers %d, want 20", c.Size)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	r := tl.mustVerify(t)
	if r.Checkpoints != 4 || r.Covered != 25 { // genesis, 10, 20, Close's 25
		t.Errorf("report %+v", r)
	}
	// Close with nothing uncovered adds no checkpoint.
	l = tl.open(t, nil)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if r := tl.mustVerify(t); r.Checkpoints != 4 {
		t.Errorf("an empty open/close added a checkpoint: %d", r.Checkpoints)
	}
}

func TestReopenContinues(t *testing.T) {
	tl := newTestLog(t)
	tl.build(t, 21, nil)
	l := tl.open(t, nil)
	old := l.Checkpoint()
	if l.Size() != 21 || old.Size != 21 {
		t.Fatalf("reopened size %d, checkpoint %d", l.Size(), old.Size)
	}
	if rec := l.Recovery(); rec != (Recovery{}) {
		t.Errorf("clean reopen recovered %+v", rec)
	}
	for i := 21; i < 40; i++ {
		seq, err := l.Append(testEntry(i))
		if err != nil || seq != uint64(i) {
			t.Fatalf("Append after reopen: seq %d, %v", seq, err)
		}
	}
	cur := l.Checkpoint()
	p, err := l.ConsistencyProof(old.Size, cur.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyCheckpoints(tl.pub, old, cur, p); err != nil {
		t.Errorf("old checkpoint not consistent with new: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if r := tl.mustVerify(t); r.Entries != 40 || r.Covered != 40 {
		t.Errorf("report %+v", r)
	}
	// The tree rebuilt at Open gives the same roots as the one built by
	// appending.
	l = tl.open(t, nil)
	defer l.Close()
	for _, c := range []Checkpoint{old, cur} {
		root, err := l.RootAt(c.Size)
		if err != nil || string(root) != string(c.Root[:]) {
			t.Errorf("RootAt(%d) after reopen differs from the checkpoint (%v)", c.Size, err)
		}
	}
}

func TestConcurrentAppends(t *testing.T) {
	tl := newTestLog(t)
	l := tl.open(t, nil)
	const workers, per = 16, 60
	seqs := make([][]uint64, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				e := testEntry(w*per + i)
				e.Actor = "worker"
				e.Release = uint64(w*per + i)
				seq, err := l.Append(e)
				if err != nil {
					t.Error(err)
					return
				}
				seqs[w] = append(seqs[w], seq)
			}
		}(w)
	}
	wg.Wait()
	var all []uint64
	for _, s := range seqs {
		all = append(all, s...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	if len(all) != workers*per {
		t.Fatalf("%d appends returned", len(all))
	}
	for i, s := range all {
		if s != uint64(i) {
			t.Fatalf("sequence numbers not 0..%d: position %d holds %d", workers*per-1, i, s)
		}
	}
	// Every entry is there once, under the sequence number its Append
	// returned.
	for w := range seqs {
		for i, seq := range seqs[w] {
			b, err := l.Entry(seq)
			if err != nil {
				t.Fatal(err)
			}
			e, err := ParseEntry(b)
			if err != nil || e.Release != uint64(w*per+i) || e.Seq != seq {
				t.Fatalf("entry %d: %+v %v", seq, e, err)
			}
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	r := tl.mustVerify(t)
	if r.Entries != workers*per || r.Covered != workers*per {
		t.Errorf("report %+v", r)
	}
	t.Logf("%d entries in %d checkpoints (group commit)", r.Entries, r.Checkpoints-1)
}

func TestLockAndVerifyWhileOpen(t *testing.T) {
	tl := newTestLog(t)
	l := tl.open(t, &Options{CheckpointEvery: 100})
	if _, err := Open(tl.dir, tl.secrets, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	for i := 0; i < 3; i++ {
		if _, err := l.Append(testEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	r := tl.mustVerify(t)
	if !r.Open || r.Pending != 3 || r.Covered != 0 {
		t.Errorf("verify of an open log: %+v", r)
	}
	// A copy of the same bytes, not open, fails: uncovered entries.
	c := tl.copy(t)
	if p := c.mustFail(t, "uncovered entries of a closed log"); p.Entry != 0 || p.File != EntriesFile {
		t.Errorf("problem %+v", p)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(testEntry(9)); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v", err)
	}
	if err := l.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	if r := tl.mustVerify(t); r.Open || r.Covered != 3 {
		t.Errorf("verify after close: %+v", r)
	}
	l = tl.open(t, nil) // the lock was released
	l.Close()
}

func TestBrokenLogFailsClosed(t *testing.T) {
	tl := newTestLog(t)
	l := tl.open(t, nil)
	if _, err := l.Append(testEntry(0)); err != nil {
		t.Fatal(err)
	}
	l.cf.Close() // the next checkpoint write fails
	if _, err := l.Append(testEntry(1)); !errors.Is(err, ErrBroken) {
		t.Fatalf("Append with a failing checkpoint write: %v, want ErrBroken", err)
	}
	if _, err := l.Append(testEntry(2)); !errors.Is(err, ErrBroken) {
		t.Fatalf("Append on a broken log: %v, want ErrBroken", err)
	}
	if err := l.Close(); !errors.Is(err, ErrBroken) {
		t.Errorf("Close of a broken log: %v", err)
	}
	// Entry 1 reached the file but no checkpoint: reopening seals it, and
	// says so.
	l = tl.open(t, nil)
	if rec := l.Recovery(); rec.Sealed != 1 {
		t.Errorf("recovery %+v", rec)
	}
	l.Close()
	if r := tl.mustVerify(t); r.Entries != 2 || r.Recovered != 1 {
		t.Errorf("report %+v", r)
	}
}

func TestStrictOpenRefusesUncovered(t *testing.T) {
	tl := newTestLog(t)
	l := tl.open(t, &Options{CheckpointEvery: 100})
	if _, err := l.Append(testEntry(0)); err != nil {
		t.Fatal(err)
	}
	c := tl.copy(t) // the state a crash before Close leaves
	l.Close()
	before := readFile(t, c.path(EntriesFile))
	if _, err := Open(c.dir, c.secrets, &Options{StrictOpen: true}); !errors.Is(err, ErrUncovered) {
		t.Fatalf("strict Open: %v, want ErrUncovered", err)
	}
	if string(readFile(t, c.path(EntriesFile))) != string(before) {
		t.Error("refused Open changed the entries file")
	}
	l = c.open(t, nil)
	if rec := l.Recovery(); rec.Sealed != 1 {
		t.Errorf("recovery %+v", rec)
	}
	l.Close()
	if r := c.mustVerify(t); r.Recovered != 1 || r.Covered != 1 {
		t.Errorf("report %+v", r)
	}
}

func TestInit(t *testing.T) {
	tl := newTestLog(t)
	if err := Init(tl.dir, tl.secrets); !errors.Is(err, ErrExist) {
		t.Errorf("second Init: %v, want ErrExist", err)
	}
	st, err := os.Stat(filepath.Join(tl.secrets, PrivateKeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v)", st.Mode(), err)
	}
	r := tl.mustVerify(t)
	if r.Entries != 0 || r.Checkpoints != 1 {
		t.Errorf("new log report %+v", r)
	}
	// A key readable by others is refused.
	if err := os.Chmod(filepath.Join(tl.secrets, PrivateKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(tl.dir, tl.secrets, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Open with a 0644 key: %v", err)
	}
	// Another log's key does not open this one.
	other := newTestLog(t)
	if _, err := Open(tl.dir, other.secrets, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Open with another log's key: %v", err)
	}
	if _, err := Open(tl.dir, tl.secrets, &Options{CheckpointEvery: -1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Open with CheckpointEvery -1: %v", err)
	}
}

func TestCheckpointTimesNeverGoBack(t *testing.T) {
	tl := newTestLog(t)
	clock := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	l := tl.open(t, &Options{Now: func() time.Time { clock = clock.Add(-time.Minute); return clock }})
	for i := 0; i < 3; i++ {
		if _, err := l.Append(testEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	tl.mustVerify(t)
}

// TestVerifyDuringAppends: an auditor verifying a log that is being
// appended to sees an intact, open log every time.
func TestVerifyDuringAppends(t *testing.T) {
	for _, every := range []int{1, 7} {
		tl := newTestLog(t)
		l := tl.open(t, &Options{NoSync: true, CheckpointEvery: every})
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < 300; i++ {
					if _, err := l.Append(testEntry(w*1000 + i)); err != nil {
						t.Error(err)
						return
					}
				}
			}(w)
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		runs := 0
		for running := true; running; runs++ {
			select {
			case <-done:
				running = false
			default:
			}
			r, err := Verify(tl.dir, tl.pub)
			if err != nil {
				t.Fatalf("every %d, run %d: %v", every, runs, err)
			}
			if !r.Open {
				t.Fatalf("every %d: log not seen open", every)
			}
		}
		l.Close()
		if r := tl.mustVerify(t); r.Entries != 1200 || r.Pending != 0 {
			t.Errorf("every %d: %+v", every, r)
		}
		t.Logf("every %d: %d verifications during appends", every, runs)
	}
}
