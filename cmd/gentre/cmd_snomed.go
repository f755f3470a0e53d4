package main

import (
	"fmt"
	"io"
	"time"

	"github.com/gentre/gentre/engine/store"
	"github.com/gentre/gentre/ingest/snomed"
)

// runIngestSNOMED loads a SNOMED CT RF2 relationship snapshot: the active
// is-a hierarchy is built, checked, and kept in the store in its binary
// form (replacing any earlier one) so queries load it in milliseconds.
func runIngestSNOMED(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ingest snomed")
	dir := fs.String("store", "", "store folder")
	ops, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := requireStore(*dir); err != nil {
		return err
	}
	if len(ops) != 1 {
		return usageError("expected one RF2 relationship FILE")
	}
	start := time.Now()
	h, st, err := snomed.ParseRF2File(ops[0])
	if err != nil {
		return err
	}
	bin, err := h.MarshalBinary()
	if err != nil {
		return err
	}
	ch, err := beginChange(*dir, nil)
	if err != nil {
		return err
	}
	defer ch.Close()
	tx, err := ch.st.Begin()
	if err != nil {
		return err
	}
	rel, err := tx.CreateFile(store.DirCare, ".concepts", bin)
	if err != nil {
		tx.Abort()
		return err
	}
	c := &tx.Manifest().Care
	tx.Obsolete(c.Concepts)
	c.Concepts = rel
	if err := tx.Commit(); err != nil {
		return err
	}
	if err := ch.audit("ingest.snomed", fmt.Sprintf("%d concepts, %d is-a edges, release %d", st.Concepts, st.Edges, st.Release)); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "snomed: %s rows, %s active is-a edges over %s concepts (%s inactive, %s of other types ignored), release %d, %.2fs; store release %d\n",
		groupDigits(int64(st.Rows)), groupDigits(int64(st.Edges)), groupDigits(int64(st.Concepts)), groupDigits(int64(st.Inactive)),
		groupDigits(int64(st.OtherType)), st.Release, time.Since(start).Seconds(), ch.st.Manifest().Release)
	return nil
}
