package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/runtime"
)

// modelHelp describes a MODEL argument, for the commands' help.
const modelHelp = "MODEL is a saved artifact (.bpa), an ONNX model (.onnx) or a zoo model name (backplane run mlp)."

// loadModel reads a MODEL argument: an .onnx file (imported with the given
// dims bound), a zoo model name that is not also a file here (built with a
// symbolic batch, so --dim batch=N sizes it), or a saved artifact.
func loadModel(arg string, dims map[string]int) (a *runtime.Artifact, imported bool, err error) {
	if strings.EqualFold(filepath.Ext(arg), ".onnx") {
		a, err = onnx.ImportFile(arg, onnx.Options{Dims: dims})
		return a, true, err
	}
	if z, ok := models.ZooByName(arg); ok {
		if _, statErr := os.Stat(arg); statErr != nil {
			a, err = z.Build(0)
			return a, false, err
		}
	}
	a, err = runtime.LoadArtifact(arg)
	if err != nil && !strings.Contains(arg, string(filepath.Separator)) && filepath.Ext(arg) == "" {
		err = fmt.Errorf("%w (not a zoo model either: the zoo has %s)", err, strings.Join(zooNames(), ", "))
	}
	return a, false, err
}

// completeModel offers zoo names and .bpa/.onnx files for a MODEL argument.
func completeModel(_ *cobra.Command, a []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(a) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return zooNames(), cobra.ShellCompDirectiveDefault
}

// completeBackends offers the registered backend names (and extra, e.g. "auto").
func completeBackends(extra ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return append(runtime.BackendNames(), extra...), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeZoo offers zoo model names for a comma-separated --models flag.
func completeZoo(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return zooNames(), cobra.ShellCompDirectiveNoFileComp
}

// cause is an error's text without the "backplane: <kind>, backend X" frame,
// for tables whose row already names the backend.
func cause(err error) string {
	for {
		e, ok := err.(*runtime.Error)
		if !ok || e.Err == nil {
			return err.Error()
		}
		err = e.Err
	}
}
