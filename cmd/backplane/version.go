package main

import (
	"fmt"
	goruntime "runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/backplane-ml/backplane/runtime"
)

// modulePath is the backplane module's import path.
const modulePath = "github.com/backplane-ml/backplane"

// moduleVersion is the backplane module's version in this binary: the tag
// when built with `go install ...@vX`, "(devel)" in a clone, with the VCS
// revision when the build recorded one.
func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "backplane (unknown version: no build information)"
	}
	v := bi.Main.Version
	if bi.Main.Path != modulePath { // a program that uses backplane as a dependency
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				v = d.Version
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " (" + rev + modified + ")"
	}
	return "backplane " + v
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the module version, the Go version and the backends compiled in",
		Long: "Prints backplane's module version (a tag, or (devel) with the VCS revision in a clone),\n" +
			"the Go version and platform it was built with, and the backends compiled in; whether\n" +
			"each can run on this machine is what backplane backends says.",
		Args: args(0, 0, "no arguments"),
		RunE: action(func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			fmt.Fprintln(w, moduleVersion())
			fmt.Fprintf(w, "%s %s/%s\n", goruntime.Version(), goruntime.GOOS, goruntime.GOARCH)
			fmt.Fprintf(w, "backends compiled in: %s (backplane backends: which can run here)\n",
				strings.Join(runtime.BackendNames(), ", "))
			return nil
		}),
	}
}
