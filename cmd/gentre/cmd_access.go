package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/gentre/gentre/engine/store"
	"github.com/gentre/gentre/trusted-research/access"
)

// treDB is the trusted research environment's own database (users, token
// hashes, projects) inside the store folder.
func treDB(dir string) string { return filepath.Join(dir, "tre.db") }

// openAccess opens the TRE database of the store in dir for a command
// that api (METHOD /path) does through a running gateway: while `gentre
// serve` holds tre.db, the message says to use that endpoint instead.
func openAccess(dir, api string) (*access.Store, error) {
	// Only an existing gentre store gets a TRE database.
	if _, err := store.Open(dir, nil); err != nil {
		return nil, err
	}
	a, err := access.Open(treDB(dir), access.Options{})
	if errors.Is(err, access.ErrLocked) {
		return nil, fmt.Errorf("tre.db is held by another gentre process (gentre serve?): while the server runs, "+
			"use its API instead, %s with a data-manager token (docs/api.md, \"Administration\"), or stop the server", api)
	}
	return a, err
}

func runProjectCreate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("project create")
	dir := fs.String("store", "", "store folder")
	name := fs.String("name", "", "project name")
	purpose := fs.String("purpose", "", "research, planning or care")
	end := fs.String("end", "", "last day of the project, YYYY-MM-DD (default: a year from today)")
	if err := parseStoreFlags(fs, args, dir); err != nil {
		return err
	}
	if *name == "" || *purpose == "" {
		return usageError("--name and --purpose are required")
	}
	p, err := access.ParsePurpose(*purpose)
	if err != nil {
		return usageError("--purpose: %v", err)
	}
	spec := access.ProjectSpec{Name: *name, Purpose: p}
	if *end != "" {
		if spec.End, err = access.ParseEndDate(*end); err != nil {
			return usageError("--end: %v", err)
		}
	}
	a, err := openAccess(*dir, "POST /v1/projects")
	if err != nil {
		return err
	}
	defer a.Close()
	proj, err := a.CreateProject(spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "project %s (%s) created, ends %s\n", proj.Name, proj.Purpose, proj.End.Format("2006-01-02"))
	return nil
}

// runTokenCreate prints only the token, one line on stdout.
func runTokenCreate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token create")
	dir := fs.String("store", "", "store folder")
	user := fs.String("user", "", "user the token is for")
	role := fs.String("role", "", "data-manager, researcher, industry, output-checker, auditor or citizen")
	project := fs.String("project", "", "project (researcher, industry, output-checker)")
	nhs := fs.String("nhs-number", "", "the citizen's NHS number (role citizen); only its pseudonym is kept")
	if err := parseStoreFlags(fs, args, dir); err != nil {
		return err
	}
	if *user == "" || *role == "" {
		return usageError("--user and --role are required")
	}
	r, err := access.ParseRole(*role)
	if err != nil {
		return usageError("--role: %v", err)
	}
	spec := access.TokenSpec{User: *user, Role: r, Project: *project}
	if *nhs != "" {
		key, err := loadKey(*dir)
		if err != nil {
			return err
		}
		p, err := access.CitizenPseudonym(key, *nhs)
		if err != nil {
			return usageError("--nhs-number: %v", err)
		}
		spec.Person = &p
	}
	a, err := openAccess(*dir, "POST /v1/tokens")
	if err != nil {
		return err
	}
	defer a.Close()
	token, info, err := a.CreateToken(spec)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, token)
	fmt.Fprintf(stderr, "token %s for %s (%s) expires %s\n", info.ID, info.User, info.Role, info.Expires.Format("2006-01-02"))
	return nil
}
