package sim

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// ErrNoScrm is returned when Generator is GeneratorScrm and scrm cannot be run.
var ErrNoScrm = errors.New("sim: scrm not found")

// Simulate writes the cohort described by o to path: plain VCF, or BGZF
// (through bgzip, and indexed with tabix when o.Index) when o.Gzip is set
// or path ends in ".gz".
// The file is written under a temporary name and renamed into place only
// when complete.
func Simulate(path string, o Options) (*Result, error) {
	if strings.HasSuffix(path, ".gz") {
		o.Gzip = true
	}
	o.EnsureDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	defer os.Remove(tmp)
	var res *Result
	if o.Gzip {
		res, err = writeBgzip(f, &o)
	} else {
		res, err = Write(f, o)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	if o.Index {
		var stderr bytes.Buffer
		cmd := exec.Command(tabixFor(o.Bgzip), "-f", "-p", "vcf", path)
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("sim: tabix: %w: %s", err, strings.TrimSpace(stderr.String()))
		}
	}
	res.Path = path
	return res, nil
}

// tabixFor returns the tabix beside the given bgzip (same directory).
func tabixFor(bgzip string) string {
	if i := strings.LastIndexByte(bgzip, '/'); i >= 0 {
		return bgzip[:i+1] + "tabix"
	}
	return "tabix"
}

// writeBgzip streams the VCF text through "bgzip -c -@ threads" into f.
func writeBgzip(f *os.File, o *Options) (*Result, error) {
	cmd := exec.Command(o.Bgzip, "-c", "-@", strconv.Itoa(o.Threads))
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = f, &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("sim: starting bgzip: %w", err)
	}
	res, werr := Write(in, *o)
	cerr := in.Close()
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("sim: bgzip: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if werr != nil {
		return nil, werr
	}
	return res, cerr
}

// Write simulates the cohort described by o and streams it to w as plain
// VCF text (o.Gzip and o.Index are ignored).
func Write(w io.Writer, o Options) (*Result, error) {
	o.EnsureDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	res := &Result{Samples: o.Samples}
	var src haplotypes
	gen := o.Generator
	if gen == GeneratorAuto {
		gen = GeneratorGo
		if _, err := exec.LookPath(o.Scrm); err == nil {
			gen = GeneratorScrm
		}
	}
	source := fmt.Sprintf("gentre-bench/sim generator=%s seed=%d", gen, o.Seed)
	switch gen {
	case GeneratorScrm:
		if _, err := exec.LookPath(o.Scrm); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoScrm, err)
		}
		m, cmdline, err := runScrm(&o)
		if err != nil {
			return nil, err
		}
		if m.nSites() > int(o.ContigLength) {
			return nil, fmt.Errorf("%w: scrm gave %d sites for a contig of %d bp", ErrOptions, m.nSites(), o.ContigLength)
		}
		src = m
		res.Command = cmdline
		source += " scrm=\"" + strings.Join(scrmArgs(&o), " ") + "\""
	default:
		src = newFallback(&o)
	}
	res.Generator = gen
	wr := &writer{
		o:        &o,
		src:      src,
		pos:      intPositions(src, o.ContigLength),
		w:        bufio.NewWriterSize(w, 1<<20),
		nSamples: o.Samples,
		planted:  sortedPlanted(o.Planted),
	}
	if err := avoidPlanted(wr.pos, wr.planted, o.ContigLength); err != nil {
		return nil, err
	}
	if err := wr.write(source); err != nil {
		return nil, fmt.Errorf("sim: writing: %w", err)
	}
	res.Counts = wr.counts
	return res, nil
}
