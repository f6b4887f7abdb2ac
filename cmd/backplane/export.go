package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/runtime"
)

func exportCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "ONNX file to write (required)")
	opset := fs.Int("opset", onnx.DefaultExportOpset,
		fmt.Sprintf("default-domain opset to target, %d to %d", onnx.MinExportOpset, onnx.MaxExportOpset))
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: backplane export [flags] -o OUT.onnx ARTIFACT|MODEL.onnx\n\n"+
			"Writes a saved artifact, or an ONNX model after a round trip through the importer,\n"+
			"as an ONNX model that peer runtimes such as ONNX Runtime can run.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return usageStatus(err)
	}
	if fs.NArg() != 1 || *out == "" {
		fs.Usage()
		return 2
	}
	if err := exportArtifact(fs.Arg(0), *out, *opset, stdout); err != nil {
		fmt.Fprintln(stderr, "backplane export:", err)
		return 1
	}
	return 0
}

func exportArtifact(in, out string, opset int, stdout io.Writer) error {
	var (
		a   *runtime.Artifact
		err error
	)
	if strings.EqualFold(filepath.Ext(in), ".onnx") {
		a, err = onnx.ImportFile(in, onnx.Options{})
	} else {
		a, err = runtime.LoadArtifact(in)
	}
	if err != nil {
		return err
	}
	if err := onnx.ExportFile(out, a, onnx.ExportOptions{Opset: opset}); err != nil {
		return err
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: model %q, opset %d, %d catalog nodes, %d weights, %d bytes\n",
		out, a.Name, opset, len(a.Nodes), len(a.Initializers), st.Size())
	return nil
}
