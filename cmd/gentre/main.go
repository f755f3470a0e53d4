// Command gentre is the one binary of the gentre platform: thin subcommands
// over the engine, ingest, pseudonymise and trusted-research packages. The
// command line is a contract (DESIGN.md, "Command line").
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// exitError carries an exit status with a message already formatted.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// usageError reports a command-line mistake (exit status 2).
func usageError(format string, args ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, args...)}
}

type command struct {
	name  string
	usage string
	run   func(args []string, stdout, stderr io.Writer) error
}

var commands []command

func init() {
	commands = []command{
		{"init", "init --store DIR [--key-file FILE]", runInit},
		{"ingest vcf", "ingest vcf --store DIR [--manifest TSV] [--keep-format DP,GQ] [--threads N] FILE...", runIngestVCF},
		{"ingest manifest", "ingest manifest --store DIR TSV", runIngestManifest},
		{"ingest fhir", "ingest fhir --store DIR FILE...", runIngestFHIR},
		{"ingest bam", "ingest bam --store DIR --sample ID FILE.bam", runIngestBAM},
		{"ingest snomed", "ingest snomed --store DIR FILE", runIngestSNOMED},
		{"optout", "optout --store DIR FILE", runOptOut},
		{"query", "query --store DIR [--project P] [--as-of YYYY-MM-DD] [--format tsv|json] 'QUERY'", runQuery},
		{"dump", "dump --store DIR", runDump},
		{"project create", "project create --store DIR --name P --purpose research|planning|care [--end YYYY-MM-DD]", runProjectCreate},
		{"token create", "token create --store DIR --user U --role ROLE [--project P] [--nhs-number N]", runTokenCreate},
		{"serve", "serve --store DIR --addr HOST:PORT [--grpc-addr HOST:PORT] [--tls-cert F --tls-key F]", runServe},
		{"audit verify", "audit verify --store DIR", runAuditVerify},
		{"synth", "synth --out DIR [--patients N] [--sites N] [--seed S]", runSynth},
	}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "query" {
		oneShotGC()
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var cmd *command
	for i := range commands {
		words := strings.Fields(commands[i].name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == commands[i].name {
			if cmd == nil || len(words) > len(strings.Fields(cmd.name)) {
				cmd = &commands[i]
			}
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "gentre: unknown command %q\n", strings.Join(args[:min(len(args), 2)], " "))
		printUsage(stderr)
		return 2
	}
	err := cmd.run(args[len(strings.Fields(cmd.name)):], stdout, stderr)
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		fmt.Fprintf(stderr, "gentre %s: %s\n", cmd.name, ee.msg)
		if ee.code == 2 {
			fmt.Fprintf(stderr, "usage: gentre %s\n", cmd.usage)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "gentre %s: %v\n", cmd.name, err)
	return 1
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage:")
	for _, c := range commands {
		fmt.Fprintf(w, "  gentre %s\n", c.usage)
	}
}

// newFlags returns a flag set whose errors are returned, not printed.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args allowing flags and operands in any order (flags
// after FILE... too), and returns the operands.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var operands []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return operands, nil
		}
		if args[0] == "--" {
			return append(operands, args[1:]...), nil
		}
		operands = append(operands, args[0])
		args = args[1:]
	}
}

// requireStore returns the --store value or a usage error.
func requireStore(dir string) error {
	if dir == "" {
		return usageError("--store DIR is required")
	}
	return nil
}

// parseStoreFlags parses the flags of a command that takes --store (dir)
// and no operands.
func parseStoreFlags(fs *flag.FlagSet, args []string, dir *string) error {
	ops, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := requireStore(*dir); err != nil {
		return err
	}
	if len(ops) > 0 {
		return usageError("unexpected argument %q", ops[0])
	}
	return nil
}
