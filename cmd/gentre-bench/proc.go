package main

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// measure is the cost of one run of a step (one or more processes run one
// after the other): wall clock, CPU from the processes' rusage (which, for
// a shell, includes the pipeline it waited for) and the largest peak RSS.
type measure struct {
	Wall      time.Duration
	User, Sys time.Duration
	MaxRSS    int64 // bytes
}

func (m measure) CPU() time.Duration { return m.User + m.Sys }

func (m *measure) add(o measure) {
	m.Wall += o.Wall
	m.User += o.User
	m.Sys += o.Sys
	m.MaxRSS = max(m.MaxRSS, o.MaxRSS)
}

// timing is the result of k runs of a step.
type timing struct {
	Runs []measure
}

// Best is the run with the smallest wall-clock time.
func (t timing) Best() measure {
	if len(t.Runs) == 0 {
		return measure{}
	}
	return slices.MinFunc(t.Runs, func(a, b measure) int { return cmp.Compare(a.Wall, b.Wall) })
}

// Median is the median wall-clock time.
func (t timing) Median() time.Duration {
	if len(t.Runs) == 0 {
		return 0
	}
	w := make([]time.Duration, len(t.Runs))
	for i, r := range t.Runs {
		w[i] = r.Wall
	}
	slices.Sort(w)
	return w[len(w)/2]
}

// command is one process to run: argv, and where its stdout goes (a file
// path, or discarded when empty).
type command struct {
	Args   []string
	Stdout string
	Dir    string
}

func (c command) String() string {
	s := shellJoin(c.Args)
	if c.Stdout != "" {
		s += " > " + c.Stdout
	}
	return s
}

// shellJoin quotes args for display (and for bash -c when needed).
func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=,:+@%^", r))
		}) < 0 {
			q[i] = a
			continue
		}
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// gnuTime is the GNU time binary used to measure peak RSS, or "" when
// there is none. It is needed because Go starts children with
// CLONE_VM|CLONE_VFORK: Linux then folds the parent's high-water RSS into
// the child's ru_maxrss at exec, so wait4's maxrss of a child of the
// harness is never below the harness's own peak. GNU time starts the
// command with a real fork from its own small image, and reports the
// command's peak alone.
var gnuTime = findGNUTime()

func findGNUTime() string {
	for _, p := range []string{"/usr/bin/time", "/bin/time"} {
		if out, err := exec.Command(p, "--version").CombinedOutput(); err == nil && strings.Contains(string(out), "GNU") {
			return p
		}
	}
	return ""
}

// rssMethod says how peak RSS was measured, for the report.
func rssMethod() string {
	if gnuTime != "" {
		return "GNU time's %M (" + gnuTime + ")"
	}
	return "wait4's ru_maxrss (an upper bound: includes the harness's own peak, GNU time not found)"
}

// run runs c and measures it. A non-zero exit is an error quoting the end
// of stderr.
func run(c command) (measure, error) {
	args := c.Args
	var rssFile string
	if gnuTime != "" {
		f, err := os.CreateTemp("", "gentre-bench-rss-")
		if err != nil {
			return measure{}, err
		}
		rssFile = f.Name()
		f.Close()
		defer os.Remove(rssFile)
		args = append([]string{gnuTime, "-f", "%M", "-o", rssFile}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = c.Dir
	var stderr bytes.Buffer
	cmd.Stderr = &tail{buf: &stderr, max: 4096}
	if c.Stdout != "" {
		f, err := os.Create(c.Stdout)
		if err != nil {
			return measure{}, err
		}
		defer f.Close()
		cmd.Stdout = f
	}
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return measure{}, fmt.Errorf("%s: %w: %s", c, err, strings.TrimSpace(stderr.String()))
	}
	m := measure{Wall: wall, User: cmd.ProcessState.UserTime(), Sys: cmd.ProcessState.SystemTime()}
	if rssFile != "" {
		kb, err := readRSSFile(rssFile)
		if err != nil {
			return measure{}, fmt.Errorf("%s: reading GNU time's output: %w", c, err)
		}
		m.MaxRSS = kb * 1024
	} else if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.MaxRSS = ru.Maxrss * 1024 // Linux reports KiB
	}
	return m, nil
}

// tail keeps the last max bytes written to it.
type tail struct {
	buf *bytes.Buffer
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

var _ io.Writer = (*tail)(nil)

// step is one measured operation of one tool: prepare (untimed: clean up
// the previous run's output), then the commands in order (timed together).
type step struct {
	Tool     string
	Prepare  func() error
	Commands []command
}

// repeat runs s k times and returns every run's measure.
func repeat(s step, k int) (timing, error) {
	var t timing
	for range k {
		if s.Prepare != nil {
			if err := s.Prepare(); err != nil {
				return t, fmt.Errorf("%s: prepare: %w", s.Tool, err)
			}
		}
		var m measure
		for _, c := range s.Commands {
			one, err := run(c)
			if err != nil {
				return t, fmt.Errorf("%s: %w", s.Tool, err)
			}
			m.add(one)
		}
		t.Runs = append(t.Runs, m)
	}
	return t, nil
}

// output runs argv and returns its stdout (for version strings).
func output(args ...string) (string, error) {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// interleave runs k rounds of every step in turn (A B C A B C ...), so that
// a change in the machine's load during the run affects every tool alike,
// and returns each tool's timing.
func interleave(steps []step, k int) (map[string]timing, error) {
	out := make(map[string]timing, len(steps))
	for range k {
		for _, s := range steps {
			t, err := repeat(s, 1)
			if err != nil {
				return nil, err
			}
			prev := out[s.Tool]
			prev.Runs = append(prev.Runs, t.Runs...)
			out[s.Tool] = prev
		}
	}
	return out, nil
}

// readRSSFile reads the KiB that GNU time -f %M wrote as its last line.
func readRSSFile(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("empty")
	}
	return strconv.ParseInt(f[len(f)-1], 10, 64)
}
