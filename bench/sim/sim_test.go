package sim

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func have(t *testing.T, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s not installed", tool)
	}
}

// allOn turns every injection on at rates high enough to be measured on a
// small file.
func allOn() Injections {
	return Injections{MultiAllelic: 0.1, Missing: 0.02, HalfCall: 0.01, Haploid: 0.2, Unphased: 0.3, Symbolic: 0.05}
}

// parsed is a VCF read back by the test's own naive parser.
type parsed struct {
	samples []string
	sites   []SiteStats
	gts     [][]string // per record, per sample
}

// readVCF is the test's independent reader: it recomputes every SiteStats
// field from the genotype text, so it checks the writer's bookkeeping.
func readVCF(t *testing.T, data []byte) parsed {
	t.Helper()
	var p parsed
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "##") {
			continue
		}
		f := strings.Split(line, "\t")
		if strings.HasPrefix(line, "#CHROM") {
			p.samples = f[9:]
			continue
		}
		pos, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatalf("bad POS %q", f[1])
		}
		alts := strings.Split(f[4], ",")
		na := len(alts)
		st := SiteStats{Chrom: f[0], Pos: pos, Ref: f[3], Alt: alts,
			AC: make([]int, na), Het: make([]int, na), HomAlt: make([]int, na), HalfAC: make([]int, na)}
		for _, gt := range f[9:] {
			as := strings.FieldsFunc(gt, func(r rune) bool { return r == '/' || r == '|' })
			var called []int
			miss := false
			for _, a := range as {
				if a == "." {
					miss = true
					continue
				}
				v, err := strconv.Atoi(a)
				if err != nil || v > na {
					t.Fatalf("bad allele %q in %q", a, gt)
				}
				called = append(called, v)
				st.AN++
				if v > 0 {
					st.AC[v-1]++
				}
			}
			if miss {
				st.Missing++
				if len(called) == 1 && len(as) == 2 {
					st.HalfCalls++
					if called[0] > 0 {
						st.HalfAC[called[0]-1]++
					}
				}
				continue
			}
			switch {
			case len(called) == 1 || called[0] == called[1]:
				if called[0] > 0 {
					st.HomAlt[called[0]-1]++
				}
			default:
				for _, v := range called {
					if v > 0 {
						st.Het[v-1]++
					}
				}
			}
		}
		p.sites = append(p.sites, st)
		p.gts = append(p.gts, f[9:])
	}
	return p
}

func writeBytes(t *testing.T, o Options) ([]byte, *Result, []SiteStats) {
	t.Helper()
	var buf bytes.Buffer
	var stats []SiteStats
	o.OnSite = func(s *SiteStats) {
		c := *s
		c.Alt = slices.Clone(s.Alt)
		c.AC, c.Het, c.HomAlt, c.HalfAC = slices.Clone(s.AC), slices.Clone(s.Het), slices.Clone(s.HomAlt), slices.Clone(s.HalfAC)
		stats = append(stats, c)
	}
	res, err := Write(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), res, stats
}

func generators(t *testing.T) []string {
	g := []string{GeneratorGo}
	if _, err := exec.LookPath("scrm"); err == nil {
		g = append(g, GeneratorScrm)
	} else {
		t.Log("scrm not installed: testing the Go fallback only")
	}
	return g
}

func TestWriteShapeAndStats(t *testing.T) {
	for _, gen := range generators(t) {
		t.Run(gen, func(t *testing.T) {
			o := Options{Samples: 37, Sites: 300, Seed: 11, Generator: gen, Inject: allOn()}
			data, res, stats := writeBytes(t, o)
			p := readVCF(t, data)
			if len(p.samples) != 37 || p.samples[0] != "S000001" || p.samples[36] != "S000037" {
				t.Fatalf("samples: %d, %q..%q", len(p.samples), p.samples[0], p.samples[len(p.samples)-1])
			}
			if len(p.sites) != res.Counts.Records || len(stats) != res.Counts.Records {
				t.Fatalf("records: parsed %d, counted %d, reported %d", len(p.sites), res.Counts.Records, len(stats))
			}
			if gen == GeneratorGo && res.Counts.RawSites != 300 {
				t.Fatalf("raw sites %d, want 300", res.Counts.RawSites)
			}
			prev := int64(0)
			for i, s := range p.sites {
				if s.Pos <= prev || s.Pos > DefaultContigLength {
					t.Fatalf("record %d: position %d after %d", i, s.Pos, prev)
				}
				prev = s.Pos
				if s.Chrom != "chr22" {
					t.Fatalf("chrom %q", s.Chrom)
				}
				w := stats[i]
				w.Chrom = s.Chrom
				if !statsEqual(s, w) {
					t.Fatalf("record %d: written stats %+v, re-read %+v", i, w, s)
				}
			}
		})
	}
}

func statsEqual(a, b SiteStats) bool {
	return a.Chrom == b.Chrom && a.Pos == b.Pos && a.Ref == b.Ref && slices.Equal(a.Alt, b.Alt) &&
		slices.Equal(a.AC, b.AC) && a.AN == b.AN && slices.Equal(a.Het, b.Het) &&
		slices.Equal(a.HomAlt, b.HomAlt) && a.Missing == b.Missing &&
		a.HalfCalls == b.HalfCalls && slices.Equal(a.HalfAC, b.HalfAC)
}

func TestDeterministic(t *testing.T) {
	for _, gen := range generators(t) {
		t.Run(gen, func(t *testing.T) {
			o := Options{Samples: 25, Sites: 200, Seed: 5, Generator: gen, Inject: allOn()}
			a, _, _ := writeBytes(t, o)
			b, _, _ := writeBytes(t, o)
			if !bytes.Equal(a, b) {
				t.Fatal("same seed, different output")
			}
			o.Seed = 6
			c, _, _ := writeBytes(t, o)
			if bytes.Equal(a, c) {
				t.Fatal("different seeds, same output")
			}
		})
	}
}

// TestInjectionRates checks each injection happens at roughly its rate, on
// the Go fallback so it runs without scrm.
func TestInjectionRates(t *testing.T) {
	inj := Injections{MultiAllelic: 0.1, Missing: 0.02, HalfCall: 0.01, Haploid: 0.25, Unphased: 0.3, Symbolic: 0.05}
	o := Options{Samples: 400, Sites: 3000, Seed: 3, Generator: GeneratorGo, Inject: inj}
	data, res, _ := writeBytes(t, o)
	c := res.Counts
	near := func(name string, got, n, rate float64) {
		t.Helper()
		want := n * rate
		if sd := math.Sqrt(want * (1 - rate)); math.Abs(got-want) > 5*sd+1 {
			t.Errorf("%s: %g, want about %g (n=%g, rate %g)", name, got, want, n, rate)
		}
	}
	near("multi-allelic records", float64(c.MultiAllelic), float64(c.Records), inj.MultiAllelic)
	near("symbolic records", float64(c.Symbolic), float64(c.Records), inj.Symbolic)
	near("missing calls", float64(c.Missing), float64(c.Genotypes), inj.Missing)
	diploidGT := float64(c.Genotypes) * float64(o.Samples-c.Haploid) / float64(o.Samples)
	near("half calls", float64(c.HalfCalls), diploidGT, inj.HalfCall*(1-inj.Missing))
	near("haploid samples", float64(c.Haploid), float64(o.Samples), inj.Haploid)
	near("unphased samples", float64(c.Unphased), float64(o.Samples), inj.Unphased)

	// The text shows them: 2 and 3 alleles, ./., ./1 or 0/., haploid calls,
	// '/' and '|', * and <DEL>.
	s := string(data)
	for _, want := range []string{"\t./.", "\t./1", "\t0/.", "\t1/2", "\t2|", "\t3", ",*\t", "\t<DEL>\t", "\t0|1", "\t1/0"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// A haploid sample is haploid on every record.
	p := readVCF(t, data)
	for j := range p.samples {
		hap := !strings.ContainsAny(p.gts[0][j], "/|")
		for i := range p.gts {
			if got := !strings.ContainsAny(p.gts[i][j], "/|"); got != hap {
				t.Fatalf("sample %d: ploidy changes at record %d", j, i)
			}
		}
	}
}

func TestInjectionsOff(t *testing.T) {
	for _, gen := range generators(t) {
		data, res, _ := writeBytes(t, Options{Samples: 30, Sites: 200, Seed: 9, Generator: gen})
		p := readVCF(t, data)
		for i, g := range p.gts {
			if len(p.sites[i].Alt) != 1 || strings.HasPrefix(p.sites[i].Alt[0], "<") {
				t.Fatalf("%s: record %d has ALT %v", gen, i, p.sites[i].Alt)
			}
			for _, gt := range g {
				if len(gt) != 3 || gt[1] != '|' || gt[0] == '.' || gt[2] == '.' {
					t.Fatalf("%s: genotype %q with injections off", gen, gt)
				}
			}
		}
		if c := res.Counts; c.Missing+c.HalfCalls != 0 || c.MultiAllelic+c.Symbolic+c.Haploid+c.Unphased != 0 {
			t.Fatalf("%s: counts %+v with injections off", gen, c)
		}
	}
}

// TestOneInjectionLeavesOthers: each injection has its own random stream.
func TestOneInjectionLeavesOthers(t *testing.T) {
	base := Options{Samples: 20, Sites: 100, Seed: 4, Generator: GeneratorGo, Inject: Injections{Missing: 0.05}}
	a, _, _ := writeBytes(t, base)
	base.Inject.Unphased = 1
	b, _, _ := writeBytes(t, base)
	if !bytes.Equal(bytes.ReplaceAll(a, []byte("|"), []byte("/")), b) {
		t.Fatal("turning on unphased changed more than the separators")
	}
}

func TestContigAndSampleNames(t *testing.T) {
	data, _, _ := writeBytes(t, Options{Samples: 3, Sites: 10, Seed: 1, Generator: GeneratorGo, Contig: "X", ContigLength: 1000})
	s := string(data)
	if !strings.Contains(s, "##contig=<ID=X,length=1000>\n") || !strings.Contains(s, "\nX\t") {
		t.Fatal("contig name or length not used")
	}
	if got := sampleName(0, 1_500_000); got != "S0000001" {
		t.Fatalf("sampleName = %q", got)
	}
}

func TestValidate(t *testing.T) {
	for _, o := range []Options{
		{Samples: 0, Sites: 10},
		{Samples: 10, Sites: 0},
		{Samples: 10, Sites: 100, ContigLength: 50},
		{Samples: 10, Sites: 10, Generator: "msprime"},
		{Samples: 10, Sites: 10, Inject: Injections{Missing: 1.5}},
		{Samples: 10, Sites: 10, Index: true},
	} {
		if _, err := Write(&bytes.Buffer{}, o); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: err = %v, want ErrOptions", o, err)
		}
	}
}

type fixedPos []float64

func (f fixedPos) nSites() int            { return len(f) }
func (f fixedPos) position(i int) float64 { return f[i] }
func (f fixedPos) site(int) []uint64      { return nil }

func TestIntPositions(t *testing.T) {
	for _, tc := range []struct {
		pos    fixedPos
		length int64
		want   []int64
	}{
		{fixedPos{0, 0.5, 0.99}, 100, []int64{1, 51, 100}},
		{fixedPos{0.1, 0.1, 0.1}, 100, []int64{11, 12, 13}},
		{fixedPos{0.99, 0.999, 0.9999}, 100, []int64{98, 99, 100}},
		{fixedPos{0, 0, 0, 0}, 4, []int64{1, 2, 3, 4}},
	} {
		if got := intPositions(tc.pos, tc.length); !slices.Equal(got, tc.want) {
			t.Errorf("intPositions(%v, %d) = %v, want %v", tc.pos, tc.length, got, tc.want)
		}
	}
}

func TestParseMS(t *testing.T) {
	in := "scrm 4 1 -t 1\n1 2 3\n\n//\nsegsites: 3\npositions: 0.1 0.25 7.5e-01\n100\n010\n001\n000\n"
	m, err := parseMS(strings.NewReader(in), 4)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.pos, []float64{0.1, 0.25, 0.75}) {
		t.Fatalf("positions %v", m.pos)
	}
	for s := 0; s < 3; s++ {
		for h := 0; h < 4; h++ {
			if got, want := m.has(s, h), s == h; got != want {
				t.Fatalf("site %d hap %d: %v", s, h, got)
			}
		}
	}
	m, err = parseMS(strings.NewReader("//\nsegsites: 0\n"), 4)
	if err != nil || m.nSites() != 0 {
		t.Fatalf("segsites 0: %v %v", m, err)
	}
	for name, bad := range map[string]string{
		"no replicate": "scrm 4 1\n",
		"short hap":    "//\nsegsites: 2\npositions: 0.1 0.2\n10\n1\n",
		"few haps":     "//\nsegsites: 1\npositions: 0.1\n1\n0\n",
		"bad char":     "//\nsegsites: 1\npositions: 0.1\n1\n2\n1\n0\n",
		"count":        "//\nsegsites: 2\npositions: 0.1\n",
		"unsorted":     "//\nsegsites: 2\npositions: 0.3 0.2\n",
	} {
		if _, err := parseMS(strings.NewReader(bad), 4); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestScrmSiteCount(t *testing.T) {
	have(t, "scrm")
	_, res, _ := writeBytes(t, Options{Samples: 200, Sites: 2000, Seed: 2, Generator: GeneratorScrm})
	if n := res.Counts.RawSites; n < 1500 || n > 2500 {
		t.Fatalf("scrm gave %d sites for a target of 2000", n)
	}
}

func TestFallbackSpectrum(t *testing.T) {
	// Neutral SFS: singletons are about 1/H_{n-1} of all sites (≈ 0.15 for n = 400).
	o := Options{Samples: 200, Sites: 4000, Seed: 8, Generator: GeneratorGo}
	_, _, stats := writeBytes(t, o)
	single := 0
	for _, s := range stats {
		if s.AC[0] == 1 {
			single++
		}
	}
	want := float64(len(stats)) / harmonic(400)
	if math.Abs(float64(single)-want) > 0.2*want {
		t.Fatalf("%d singletons of %d sites, want about %.0f", single, len(stats), want)
	}
}

// TestBcftoolsAccepts: the file is valid for bcftools, has the right shape,
// and its INFO AC/AN are what bcftools +fill-tags computes.
func TestBcftoolsAccepts(t *testing.T) {
	have(t, "bcftools")
	have(t, "bgzip")
	dir := t.TempDir()
	for _, gen := range generators(t) {
		path := filepath.Join(dir, gen+".vcf.gz")
		res, err := Simulate(path, Options{Samples: 50, Sites: 400, Seed: 21, Generator: gen, Inject: allOn(), Gzip: true, Threads: 2, Index: true})
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, 4)
		f, _ := os.Open(path)
		f.Read(head)
		f.Close()
		if !bytes.Equal(head, []byte{0x1f, 0x8b, 8, 4}) {
			t.Fatalf("%s: not BGZF: % x", gen, head)
		}
		if _, err := os.Stat(path + ".tbi"); err != nil {
			t.Fatalf("%s: no index: %v", gen, err)
		}
		run := func(args ...string) string {
			out, err := exec.Command("bcftools", args...).Output()
			if err != nil {
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					t.Fatalf("bcftools %v: %v: %s", args, err, ee.Stderr)
				}
				t.Fatal(err)
			}
			return string(out)
		}
		if n := strings.Count(run("query", "-l", path), "\n"); n != 50 {
			t.Fatalf("%s: bcftools sees %d samples", gen, n)
		}
		recs := run("view", "-H", path)
		if n := strings.Count(recs, "\n"); n != res.Counts.Records {
			t.Fatalf("%s: bcftools sees %d records, wrote %d", gen, n, res.Counts.Records)
		}
		ours := run("query", "-f", "%POS %AC %AN\n", path)
		cmd := exec.Command("sh", "-c", "bcftools +fill-tags "+path+" -- -t AC,AN | bcftools query -f '%POS %AC %AN\n'")
		theirs, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if ours != string(theirs) {
			t.Fatalf("%s: INFO AC/AN differ from bcftools +fill-tags", gen)
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	o := Options{Samples: 1000, Sites: 1000, Seed: 1, Generator: GeneratorGo, Inject: Realistic()}
	var n int64
	for b.Loop() {
		res, err := Write(discard{}, o)
		if err != nil {
			b.Fatal(err)
		}
		n += res.Counts.Genotypes
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "genotypes/s")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
