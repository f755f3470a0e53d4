package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gentre/gentre/engine/store"
	"github.com/gentre/gentre/ingest/linkage"
)

func runIngestFHIR(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ingest fhir")
	dir := fs.String("store", "", "store folder")
	prof := addProfileFlags(fs)
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := requireStore(*dir); err != nil {
		return err
	}
	if len(files) == 0 {
		return usageError("no input FILE given")
	}
	stopProfile, err := prof.start()
	if err != nil {
		return err
	}
	defer stopProfile()
	ch, err := beginChange(*dir, nil)
	if err != nil {
		return err
	}
	defer ch.Close()
	var total int64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			total += fi.Size()
		}
	}
	start := time.Now()
	prog := newProgress(stderr, "fhir", 0)
	sum, err := linkage.LoadFHIR(ch.st, ch.key, files, linkage.Options{Progress: func(n int, b int64) { prog.update(int64(n), b) }})
	prog.finish()
	if err != nil {
		return err
	}
	el := time.Since(start).Seconds()
	if sum.Files > 0 {
		if err := ch.audit("ingest.fhir", fmt.Sprintf("%d file(s), %d resources, %d patients, skipped %s", sum.Files, sum.Resources, sum.Patients, formatCounts(sum.Skipped))); err != nil {
			return err
		}
	}
	if sum.Files == 0 {
		fmt.Fprintf(stderr, "fhir: every file was ingested before: nothing to do\n")
		return stopProfile()
	}
	fmt.Fprintf(stderr, "fhir: %d file(s) (%d skipped as already ingested), %s resources (%s/s), %s patients (%s new people), %s events stored; skipped: %s; release %d\n",
		sum.Files, sum.SkippedFiles, groupDigits(int64(sum.Resources)), groupDigits(int64(float64(sum.Resources)/max(el, 1e-9))),
		groupDigits(int64(sum.Patients)), groupDigits(int64(sum.NewPeople)), groupDigits(int64(sum.Events)), formatCounts(sum.Skipped), sum.Release)
	return stopProfile()
}

func formatCounts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func runIngestManifest(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ingest manifest")
	dir := fs.String("store", "", "store folder")
	ops, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := requireStore(*dir); err != nil {
		return err
	}
	if len(ops) != 1 {
		return usageError("expected one manifest TSV")
	}
	ch, err := beginChange(*dir, nil)
	if err != nil {
		return err
	}
	defer ch.Close()
	before := ch.st.Manifest().Release
	if err := ingestManifest(ch.st, ch.key, ops[0], stderr); err != nil {
		return err
	}
	if ch.st.Manifest().Release == before {
		return nil
	}
	return ch.audit("ingest.manifest", filepath.Base(ops[0]))
}

func ingestManifest(st *store.Store, key keyType, path string, stderr io.Writer) error {
	sum, err := linkage.LoadManifest(st, key, path)
	if err != nil {
		return err
	}
	if sum.Unchanged {
		fmt.Fprintf(stderr, "manifest: %d links, all known already: nothing to do\n", sum.Links)
		return nil
	}
	fmt.Fprintf(stderr, "manifest: %d links (%d new): %d samples linked to people, %d to people without care records yet, %d samples not ingested yet, %d of opted-out people (%d stored samples removed); release %d\n",
		sum.Links, sum.New, sum.Linked, sum.Pending, sum.Unstored, sum.OptedOut, sum.Removed, sum.Release)
	return nil
}

func runOptOut(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("optout")
	dir := fs.String("store", "", "store folder")
	ops, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := requireStore(*dir); err != nil {
		return err
	}
	if len(ops) != 1 {
		return usageError("expected one FILE of NHS numbers")
	}
	numbers, err := linkage.ReadNHSNumbers(ops[0])
	if err != nil {
		return err
	}
	ch, err := beginChange(*dir, nil)
	if err != nil {
		return err
	}
	defer ch.Close()
	sum, err := linkage.OptOut(ch.st, ch.key, numbers)
	if err != nil {
		return err
	}
	if err := ch.audit("optout", fmt.Sprintf("%d NHS numbers (%d new): removed %d people, %d events, %d samples", sum.Numbers, sum.New, sum.PeopleRemoved, sum.EventsRemoved, sum.SamplesRemove)); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "optout: %d NHS numbers (%d new to the list): removed %d people, %d events, %d samples; %d people on the opt-out list; release %d\n",
		sum.Numbers, sum.New, sum.PeopleRemoved, sum.EventsRemoved, sum.SamplesRemove, sum.Total, sum.Release)
	return nil
}
