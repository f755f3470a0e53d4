package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// machine describes where the benchmark ran.
type machine struct {
	CPU      string // model name from /proc/cpuinfo
	Cores    int    // logical CPUs available to the process
	MemBytes int64  // MemTotal from /proc/meminfo
	Kernel   string
	Load     string // /proc/loadavg's 1, 5 and 15 minute load averages when the run started
}

func readMachine() machine {
	m := machine{Cores: runtime.NumCPU(), CPU: "unknown"}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		m.CPU = cpuModel(f)
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		m.MemBytes = memTotal(f)
		f.Close()
	}
	m.Load = loadAvg()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// cpuModel returns the first "model name" of a /proc/cpuinfo.
func cpuModel(r io.Reader) string {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// memTotal returns MemTotal from a /proc/meminfo, in bytes.
func memTotal(r io.Reader) int64 {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// versions are the tools' version strings.
type versions struct {
	Gentre   string // git commit of the checkout the binary was built from
	Go       string
	Bcftools string
	Plink2   string
	Scrm     string
}

func readVersions(repo, gentreBin string, built bool) versions {
	first := func(args ...string) string {
		out, err := output(args...)
		if err != nil && out == "" {
			return "unavailable"
		}
		line, _, _ := strings.Cut(out, "\n")
		return line
	}
	v := versions{
		Go:       first("go", "version"),
		Bcftools: first("bcftools", "--version"),
		Plink2:   first("plink2", "--version"),
		Scrm:     first("scrm", "--version"),
	}
	if built {
		v.Gentre = gitDescribe(repo)
	} else {
		v.Gentre = gentreBin + " (prebuilt; checkout at " + gitDescribe(repo) + ")"
	}
	return v
}

// gitDescribe is the checkout's commit, with "+dirty" when a package the
// gentre binary is built from (./cmd/gentre and its dependencies inside
// the repository) has uncommitted changes or untracked files: the
// benchmarked code is then not exactly the commit. Other work in the
// checkout (say, this harness before it is committed) does not count.
func gitDescribe(repo string) string {
	commit, err := output("git", "-C", repo, "rev-parse", "--short=12", "HEAD")
	if err != nil {
		return "unknown"
	}
	if dirtyDeps(repo) {
		commit += "+dirty"
	}
	return commit
}

func dirtyDeps(repo string) bool {
	list := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", "./cmd/gentre")
	list.Dir = repo
	out, err := list.Output()
	if err != nil {
		return false
	}
	root, err := filepath.Abs(repo)
	if err != nil {
		return false
	}
	args := []string{"-C", repo, "status", "--porcelain", "--"}
	for _, dir := range strings.Fields(string(out)) {
		if rel, err := filepath.Rel(root, dir); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			// Only the package's own files, not its subpackages.
			args = append(args, ":(glob)"+filepath.ToSlash(rel)+"/*")
		}
	}
	st, err := output(append([]string{"git"}, args...)...)
	return err == nil && st != ""
}

// loadAvg returns the 1, 5 and 15 minute load averages (other work on the
// machine makes timings noisy: the report says how busy it was).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// metaRows emits the rows every results table starts with: when, on what
// machine, under what load, and which versions of the tools.
func metaRows(row func(tool, metric string, value any), date time.Time, m machine, loadEnd string, v versions) {
	row("", "date", date.Format(time.RFC3339))
	row("", "cpu", m.CPU)
	row("", "cores", m.Cores)
	row("", "mem_bytes", m.MemBytes)
	row("", "loadavg_start", m.Load)
	row("", "loadavg_end", loadEnd)
	row("gentre", "version", v.Gentre)
	row("bcftools", "version", v.Bcftools)
	row("plink2", "version", v.Plink2)
	row("go", "version", v.Go)
	row("scrm", "version", v.Scrm)
}
