// Command backplane runs, inspects and demonstrates backplane models.
//
//	backplane backends            list backends and whether they can run here
//	backplane run [flags] FILE    run a saved artifact or ONNX model on random, .npy or .pb inputs
//	backplane check [flags] PATH  run ONNX backend-test folders and compare the outputs
//	backplane demo                run zoo models on every available backend and through the dispatcher
//	backplane soak [flags]        run mixed models under injected faults; report memory and goroutines
//	backplane export [flags] FILE write a saved artifact or ONNX model as an ONNX model
//	backplane bench [flags]       time zoo models on backends and ONNX Runtime; table and SVG chart
//
// Run "backplane COMMAND -h" for a command's flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	_ "github.com/backplane-ml/backplane/backends/all"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type command struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"backends", "list backends and whether they can run here", backendsCmd},
		{"run", "run a saved artifact or ONNX model on random, .npy or .pb inputs", runCmd},
		{"check", "run ONNX backend-test folders and compare the outputs", checkCmd},
		{"demo", "run the zoo models on every available backend and through the dispatcher", demoCmd},
		{"soak", "run mixed models under injected faults, reporting RSS and goroutines over time", soakCmd},
		{"export", "write a saved artifact or ONNX model as an ONNX model", exportCmd},
		{"bench", "time zoo models on backends and ONNX Runtime; table and SVG chart", benchCmd},
	}
}

// run executes the command line args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "backplane: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// usageStatus is the exit status after a flag parse error: 0 when the user
// asked for help (-h), 2 for a real usage error.
func usageStatus(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: backplane COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
}
