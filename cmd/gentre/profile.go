package main

import (
	"errors"
	"flag"
	"os"
	"path/filepath"

	"github.com/pkg/profile"
)

// profileFlags adds --cpuprofile and --memprofile to a command.
type profileFlags struct{ cpu, mem *string }

func addProfileFlags(fs *flag.FlagSet) profileFlags {
	return profileFlags{
		cpu: fs.String("cpuprofile", "", "write a CPU profile (pprof) to this file"),
		mem: fs.String("memprofile", "", "write a heap profile (pprof) to this file"),
	}
}

// start begins the requested profile; the returned function stops it and
// moves the profile to the file asked for. Only one of the two can run.
func (p profileFlags) start() (stop func() error, err error) {
	var mode func(*profile.Profile)
	var file, produced string
	switch {
	case *p.cpu != "" && *p.mem != "":
		return nil, usageError("--cpuprofile and --memprofile cannot be used together")
	case *p.cpu != "":
		mode, file, produced = profile.CPUProfile, *p.cpu, "cpu.pprof"
	case *p.mem != "":
		mode, file, produced = profile.MemProfile, *p.mem, "mem.pprof"
	default:
		return func() error { return nil }, nil
	}
	tmp, err := os.MkdirTemp(filepath.Dir(file), ".gentre-profile-")
	if err != nil {
		return nil, err
	}
	pr := profile.Start(mode, profile.ProfilePath(tmp), profile.Quiet, profile.NoShutdownHook)
	return func() error {
		pr.Stop()
		err := os.Rename(filepath.Join(tmp, produced), file)
		return errors.Join(err, os.RemoveAll(tmp))
	}, nil
}
