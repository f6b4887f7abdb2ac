package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/models/onnx"
)

func newExportCmd() *cobra.Command {
	var (
		out   string
		opset int
		dims  []string
	)
	c := &cobra.Command{
		Use:   "export -o OUT.onnx|OUT.bpa [flags] MODEL",
		Short: "Write a model as an ONNX model (.onnx) or a backplane artifact (.bpa)",
		Long: "Writes MODEL as an ONNX model that peer runtimes such as ONNX Runtime can run (-o X.onnx),\n" +
			"or as a saved backplane artifact (-o X.bpa: versioned, checksummed, loaded by run, bench\n" +
			"and runtime.LoadArtifact without importing again). An ONNX MODEL goes through the importer.\n\n" +
			modelHelp,
		Example: "  backplane export mlp -o mlp.bpa\n" +
			"  backplane export -o model.onnx --opset 20 model.bpa\n" +
			"  backplane export resnet50 --dim batch=8 -o resnet50-b8.onnx",
		Args:              args(1, 1, "one MODEL"),
		ValidArgsFunction: completeModel,
		RunE: action(func(cmd *cobra.Command, a []string) error {
			bind, err := parseDims(dims)
			if err != nil {
				return &usageError{err}
			}
			return exportArtifact(a[0], out, opset, bind, cmd.OutOrStdout())
		}),
	}
	f := c.Flags()
	f.StringVarP(&out, "output", "o", "", "file to write: OUT.onnx (ONNX) or OUT.bpa (backplane artifact)")
	f.IntVar(&opset, "opset", 0,
		fmt.Sprintf("default-domain opset of an ONNX output, %d to %d; 0: the lowest from %d that expresses every node",
			onnx.MinExportOpset, onnx.MaxExportOpset, onnx.DefaultExportOpset))
	f.StringArrayVar(&dims, "dim", nil, "bind a symbolic dimension as NAME=N, making it static in the output (repeatable)")
	_ = c.MarkFlagRequired("output")
	_ = c.MarkFlagFilename("output", "onnx", "bpa")
	return c
}

func exportArtifact(in, out string, opset int, bind map[string]int, stdout io.Writer) error {
	ext := strings.ToLower(filepath.Ext(out))
	if ext != ".onnx" && ext != ".bpa" {
		return usagef("-o %s: the output's extension says its format: .onnx or .bpa", out)
	}
	a, imported, err := loadModel(in, bind)
	if err != nil {
		return err
	}
	if len(bind) > 0 && !imported {
		// A zoo model is rebuilt at the batch asked for; a saved artifact keeps its dims.
		z, isZoo := models.ZooByName(in)
		_, batchOnly := bind["batch"]
		if !isZoo || !batchOnly || len(bind) != 1 {
			return usagef("--dim binds the dims of ONNX models, and the batch of zoo models (--dim batch=N)")
		}
		if a, err = z.Build(bind["batch"]); err != nil {
			return err
		}
	}
	if ext == ".bpa" {
		if err := a.Save(out); err != nil {
			return err
		}
	} else {
		if opset == 0 {
			if opset, err = onnx.LowestExportOpset(a); err != nil {
				return err
			}
		}
		if err := onnx.ExportFile(out, a, onnx.ExportOptions{Opset: opset}); err != nil {
			return err
		}
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	format := fmt.Sprintf("ONNX opset %d", opset)
	if ext == ".bpa" {
		format = "backplane artifact"
	}
	fmt.Fprintf(stdout, "wrote %s: model %q, %s, %d catalog nodes, %d weights, %d bytes\n",
		out, a.Name, format, len(a.Nodes), len(a.Initializers), st.Size())
	return nil
}
