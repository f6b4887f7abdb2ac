package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/runtime"
)

// backendsCmd lists the registered backends and whether they can run here;
// given a model (a saved artifact, an .onnx file or a zoo model name), it
// also says whether each backend supports it, which works even for a backend
// that cannot run on this machine (Core ML's converter answers on Linux too).
func backendsCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) > 1 {
		fmt.Fprintln(stderr, "usage: backplane backends [MODEL.bpa|MODEL.onnx|ZOO-NAME]")
		return 2
	}
	var a *runtime.Artifact
	if len(args) == 1 {
		var err error
		if a, err = loadForSupport(args[0]); err != nil {
			fmt.Fprintln(stderr, "backplane backends:", err)
			return 1
		}
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	if a != nil {
		fmt.Fprintf(tw, "BACKEND\tAVAILABLE\tSUPPORTS %s\tDETAIL\n", a.Name)
	} else {
		fmt.Fprintln(tw, "BACKEND\tAVAILABLE\tDETAIL")
	}
	for _, b := range runtime.Backends() {
		avail, reason := "yes", ""
		if err := runtime.Availability(b); err != nil {
			avail, reason = "no", err.Error()
		} else if d, ok := b.(detailer); ok {
			reason = d.Detail()
		}
		if a == nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", b.Name(), avail, reason)
			continue
		}
		sup := "yes"
		if err := supportsRecovered(b, a); err != nil {
			sup = "no: " + unsupportedWhat(err)
			if !errors.Is(err, runtime.ErrUnsupported) {
				sup = "no: " + err.Error()
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", b.Name(), avail, sup, reason)
	}
	tw.Flush()
	return 0
}

// detailer is implemented by backends that can say more about what they run
// on once available (the xla backend: its PJRT plugin and API version).
type detailer interface{ Detail() string }

// loadForSupport reads a model named on the command line.
func loadForSupport(arg string) (*runtime.Artifact, error) {
	switch {
	case strings.EqualFold(filepath.Ext(arg), ".onnx"):
		return onnx.ImportFile(arg, onnx.Options{})
	case strings.EqualFold(filepath.Ext(arg), ".bpa"):
		return runtime.LoadArtifact(arg)
	}
	if z, ok := models.ZooByName(arg); ok {
		return z.Build(1)
	}
	return runtime.LoadArtifact(arg)
}

func supportsRecovered(b runtime.Backend, a *runtime.Artifact) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("Supports panicked: %v", r)
		}
	}()
	return b.Supports(a)
}
