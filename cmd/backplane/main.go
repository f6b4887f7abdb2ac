// Command backplane runs, inspects, converts and benchmarks backplane models.
//
//	backplane backends [MODEL]       which backends can run here, and whether they support MODEL
//	backplane run [flags] MODEL      run a model on random, .npy or .pb inputs; latency and dispatch
//	backplane check [flags] PATH...  run ONNX backend-test folders and compare the outputs
//	backplane export -o OUT MODEL    write MODEL as ONNX (OUT.onnx) or as a backplane artifact (OUT.bpa)
//	backplane bench [flags]          time zoo models on backends and ONNX Runtime; table and SVG chart
//	backplane demo [flags]           zoo models on every available backend and through the dispatcher
//	backplane soak [flags]           mixed models under injected faults; memory and goroutines over time
//	backplane version                module version, Go version and the backends compiled in
//	backplane completion SHELL       shell completion script (bash, zsh, fish, powershell)
//
// MODEL is a saved artifact (.bpa), an ONNX model (.onnx) or the name of a zoo
// model (mlp, cnn, resnet50, ...). Flags may come before or after arguments,
// with one dash or two. "backplane help COMMAND" or "backplane COMMAND --help"
// prints a command's flags.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	_ "github.com/backplane-ml/backplane/backends/all"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// usageError is a mistake in how a command was called: exit status 2, with
// a pointer to the command's help.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError.
func usagef(format string, args ...any) error { return &usageError{fmt.Errorf(format, args...)} }

// exitStatus is returned by a command that has printed its own report and
// wants the process to exit with that status (check and bench: 1 when a row
// failed).
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// failure is an error of a command's own work (a file that does not load, a
// model no backend runs): exit status 1.
type failure struct{ err error }

func (e *failure) Error() string { return e.err.Error() }
func (e *failure) Unwrap() error { return e.err }

// action adapts a command body to cobra: usage mistakes and exit statuses
// pass through; any other error is a failure of the command's work. Errors
// cobra itself returns (unknown flags or commands, a missing required flag,
// the wrong number of arguments) are not failures, so run treats them as
// usage errors.
func action(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := f(cmd, args)
		var ue *usageError
		var st exitStatus
		if err == nil || errors.As(err, &ue) || errors.As(err, &st) {
			return err
		}
		return &failure{err}
	}
}

// args checks a command's positional arguments, reporting a mismatch as a
// usage error that says what was expected.
func args(min, max int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		switch {
		case len(a) < min:
			return usagef("missing %s", what)
		case max >= 0 && len(a) > max:
			return usagef("unexpected argument %q (takes %s)", a[max], what)
		}
		return nil
	}
}

// newRoot builds the command tree. A fresh tree per call keeps flag values
// from leaking between calls (the tests run many command lines).
func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "backplane",
		Short: "Run, inspect, convert and benchmark backplane models",
		Long: "backplane runs ML models (saved artifacts, ONNX files, zoo models) on pluggable backends:\n" +
			"ref (pure Go, the numeric ground truth), gomlx and xla (GoMLX), coreml (macOS), with a\n" +
			"dispatcher that picks the fastest that works and falls back when one fails.\n\n" +
			"MODEL arguments take a .bpa artifact, an .onnx file or a zoo model name (" + strings.Join(zooNames(), ", ") + ").",
		Version:       moduleVersion(),
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, a []string) error {
			cmd.SetOut(cmd.ErrOrStderr())
			_ = cmd.Usage()
			return exitStatus(2)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [COMMAND]",
		Short: "Help about any command",
		Long:  "Prints a command's description, usage and flags (the same as backplane COMMAND --help).",
		RunE: func(c *cobra.Command, a []string) error {
			cmd, rest, err := c.Root().Find(a)
			if cmd == nil || err != nil || len(rest) > 0 {
				return usagef("no command %q (backplane --help lists them)", strings.Join(a, " "))
			}
			cmd.InitDefaultHelpFlag()
			return cmd.Help()
		},
	})
	root.AddCommand(newBackendsCmd(), newRunCmd(), newCheckCmd(), newExportCmd(), newBenchCmd(),
		newDemoCmd(), newSoakCmd(), newVersionCmd())
	return root
}

// run executes the command line args and returns the exit status: 0 on
// success (and for --help), 1 when the command's work failed, 2 for a usage
// mistake.
func run(argv []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(dashDashLongFlags(root, argv))
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	var st exitStatus
	if errors.As(err, &st) {
		return int(st)
	}
	name := "backplane"
	if cmd != nil && cmd != root {
		name = cmd.CommandPath()
	}
	// The command's name already says "backplane"; the runtime's errors begin with it too.
	fmt.Fprintf(stderr, "%s: %s\n", name, strings.TrimPrefix(err.Error(), "backplane: "))
	var f *failure
	if errors.As(err, &f) {
		return 1
	}
	fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", name)
	return 2
}

// dashDashLongFlags rewrites "-name" and "-name=value" as "--name..." when
// name is a long flag of some command, so the single-dash spelling of Go's
// flag package (which earlier versions of this CLI used) keeps working under
// pflag. Arguments after "--" are left alone.
func dashDashLongFlags(root *cobra.Command, argv []string) []string {
	long := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		add := func(f *pflag.Flag) { long[f.Name] = true }
		c.Flags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = a
		if a == "--" {
			copy(out[i:], argv[i:])
			break
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			if len(name) > 1 && long[name] {
				out[i] = "-" + a
			}
		}
	}
	return out
}
