package sim

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// matrix is a parsed ms-format replicate: the site positions in [0,1) and
// a site-major bit matrix of the derived alleles (site i's haplotypes are
// bits[i*words : (i+1)*words]).
type matrix struct {
	pos   []float64
	words int
	bits  []uint64
}

func (m *matrix) nSites() int            { return len(m.pos) }
func (m *matrix) position(i int) float64 { return m.pos[i] }
func (m *matrix) site(i int) []uint64    { return m.bits[i*m.words : (i+1)*m.words] }
func (m *matrix) set(site, hap int)      { m.bits[site*m.words+hap>>6] |= 1 << (hap & 63) }
func (m *matrix) has(site, hap int) bool { return m.bits[site*m.words+hap>>6]>>(hap&63)&1 == 1 }
func wordsFor(nHap int) int              { return (nHap + 63) / 64 }
func harmonic(n int) (a float64) {
	for i := 1; i < n; i++ {
		a += 1 / float64(i)
	}
	return a
}

// scrmArgs returns the scrm arguments for o: nHap haplotypes, one locus,
// theta = Sites / a_n (Watterson: E[S] = theta × Σ_{i<n} 1/i), rho =
// RhoPerTheta × theta over a locus of ContigLength bp, positions printed
// with 12 significant digits (ms scaling, [0,1)).
func scrmArgs(o *Options) []string {
	nHap := 2 * o.Samples
	theta := float64(o.Sites) / harmonic(nHap)
	args := []string{
		strconv.Itoa(nHap), "1",
		"-t", strconv.FormatFloat(theta, 'g', 10, 64),
	}
	if rho := o.RhoPerTheta * theta; rho > 0 {
		args = append(args,
			"-r", strconv.FormatFloat(rho, 'g', 10, 64), strconv.FormatInt(o.ContigLength, 10),
			"-l", strconv.FormatInt(o.Window, 10))
	}
	seed := splitmix(o.Seed^0x5c5a)%(1<<31-2) + 1
	return append(args, "-seed", strconv.FormatUint(seed, 10), "-p", "12")
}

// runScrm runs scrm and parses its output.
func runScrm(o *Options) (*matrix, string, error) {
	args := scrmArgs(o)
	cmdline := o.Scrm + " " + strings.Join(args, " ")
	cmd := exec.Command(o.Scrm, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, cmdline, err
	}
	if err := cmd.Start(); err != nil {
		return nil, cmdline, fmt.Errorf("sim: starting scrm: %w", err)
	}
	m, perr := parseMS(out, 2*o.Samples)
	if perr != nil {
		_, _ = io.Copy(io.Discard, out)
	}
	werr := cmd.Wait()
	if werr != nil {
		return nil, cmdline, fmt.Errorf("sim: scrm: %w: %s", werr, strings.TrimSpace(stderr.String()))
	}
	return m, cmdline, perr
}

// parseMS reads the first replicate of ms-format output (as written by ms
// and scrm): lines up to "//", then "segsites: S", "positions: p1 ... pS"
// (when S > 0) and nHap lines of S characters '0'/'1'. Other lines before
// segsites (trees, seeds) are skipped.
func parseMS(r io.Reader, nHap int) (*matrix, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var line []byte
	var err error
	next := func() bool {
		line, err = readLine(br, line[:0])
		return err == nil
	}
	for next() {
		if bytes.HasPrefix(line, []byte("//")) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sim: ms output: no replicate (\"//\" line): %w", eofToUnexpected(err))
	}
	segsites := -1
	for next() {
		if s, ok := bytes.CutPrefix(line, []byte("segsites:")); ok {
			n, perr := strconv.Atoi(string(bytes.TrimSpace(s)))
			if perr != nil || n < 0 {
				return nil, fmt.Errorf("sim: ms output: bad segsites line")
			}
			segsites = n
			break
		}
	}
	if segsites < 0 {
		return nil, fmt.Errorf("sim: ms output: no segsites line: %w", eofToUnexpected(err))
	}
	m := &matrix{words: wordsFor(nHap)}
	if segsites == 0 {
		return m, nil
	}
	if !next() {
		return nil, fmt.Errorf("sim: ms output: no positions line: %w", eofToUnexpected(err))
	}
	p, ok := bytes.CutPrefix(line, []byte("positions:"))
	if !ok {
		return nil, fmt.Errorf("sim: ms output: expected positions line after segsites")
	}
	m.pos = make([]float64, 0, segsites)
	for _, f := range bytes.Fields(p) {
		x, perr := strconv.ParseFloat(string(f), 64)
		if perr != nil || x < 0 {
			return nil, fmt.Errorf("sim: ms output: bad position %q", f)
		}
		if n := len(m.pos); n > 0 && x < m.pos[n-1] {
			return nil, fmt.Errorf("sim: ms output: positions not sorted")
		}
		m.pos = append(m.pos, x)
	}
	if len(m.pos) != segsites {
		return nil, fmt.Errorf("sim: ms output: %d positions for %d segsites", len(m.pos), segsites)
	}
	m.bits = make([]uint64, segsites*m.words)
	for h := 0; h < nHap; h++ {
		if !next() {
			return nil, fmt.Errorf("sim: ms output: %d haplotypes, want %d: %w", h, nHap, eofToUnexpected(err))
		}
		if len(line) != segsites {
			return nil, fmt.Errorf("sim: ms output: haplotype %d has %d sites, want %d", h+1, len(line), segsites)
		}
		// Derived alleles are sparse: jump from '1' to '1'.
		for j := 0; ; {
			k := bytes.IndexByte(line[j:], '1')
			if k < 0 {
				break
			}
			m.set(j+k, h)
			j += k + 1
		}
		if bytes.Count(line, []byte{'0'})+bytes.Count(line, []byte{'1'}) != segsites {
			return nil, fmt.Errorf("sim: ms output: haplotype %d: characters other than 0 and 1", h+1)
		}
	}
	return m, nil
}

// readLine appends the next line (without its newline) to buf. A last line
// without a newline is returned with a nil error; io.EOF only when nothing
// is left.
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		switch err {
		case nil:
			return bytes.TrimRight(buf, "\r\n"), nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			if len(buf) > 0 {
				return buf, nil
			}
			return buf, io.EOF
		default:
			return buf, err
		}
	}
}

func eofToUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
