package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	art, err := models.MLP(models.MLPConfig{Inputs: 4, Hidden: []int{3}, Classes: 2, Seed: 7})
	require.NoError(t, err)
	saved := filepath.Join(dir, "mlp.bpa")
	require.NoError(t, art.Save(saved))

	out := filepath.Join(dir, "mlp.onnx")
	stdout, stderr, status := cli(t, "export", "-opset", "20", "-o", out, saved)
	require.Equal(t, 0, status, stderr)
	require.Contains(t, stdout, "wrote "+out)
	require.Contains(t, stdout, "opset 20, 6 catalog nodes, 4 weights") // matmul add relu matmul add softmax
	back, err := onnx.ImportFile(out, onnx.Options{})
	require.NoError(t, err)
	require.Equal(t, "20", back.Metadata["onnx_opset"])

	// An ONNX model goes through the importer and out again; the result runs.
	again := filepath.Join(dir, "again.onnx")
	stdout, stderr, status = cli(t, "export", "-o", again, out)
	require.Equal(t, 0, status, stderr)
	require.Contains(t, stdout, "ONNX opset 17,", "without -opset, the lowest that expresses the model")
	_, stderr, status = cli(t, "run", "--dim", "batch=2", again)
	require.Equal(t, 0, status, stderr)

	_, stderr, status = cli(t, "export", saved)
	require.Equal(t, 2, status)
	require.Contains(t, stderr, `required flag(s) "output" not set`, "the missing flag is named")

	// A zoo name is a model too, and a .bpa output writes a saved artifact.
	bpa := filepath.Join(dir, "cnn-b2.bpa")
	stdout, stderr, status = cli(t, "export", "cnn", "--dim", "batch=2", "-o", bpa)
	require.Equal(t, 0, status, stderr)
	require.Contains(t, stdout, "backplane artifact")
	loaded, err := runtime.LoadArtifact(bpa)
	require.NoError(t, err)
	require.Equal(t, 2, loaded.Inputs[0].Dims[0].Size, "batch bound to 2")
	_, stderr, status = cli(t, "export", "cnn", "-o", filepath.Join(dir, "x.txt"))
	require.Equal(t, 2, status)
	require.Contains(t, stderr, ".onnx or .bpa")
	_, stderr, status = cli(t, "export", "-opset", "16", "-o", out, saved)
	require.Equal(t, 1, status)
	require.Contains(t, stderr, "opset 16 (supported: 17 to 26)")

	// A model with a node only opset 26 has is written at 26 without -opset,
	// and refused, naming the node, at an older target.
	b := runtime.NewBuilder("cumulative")
	x := b.Input("x", tensor.Float32, runtime.Dims(2, 3)...)
	b.Output("y", b.NamedOp("products", "cumprod", 1, ops.Attrs{"axis": 1}, x)[0])
	cum, err := b.Build()
	require.NoError(t, err)
	savedCum := filepath.Join(dir, "cum.bpa")
	require.NoError(t, cum.Save(savedCum))
	stdout, stderr, status = cli(t, "export", "-o", filepath.Join(dir, "cum.onnx"), savedCum)
	require.Equal(t, 0, status, stderr)
	require.Contains(t, stdout, "ONNX opset 26,")
	_, stderr, status = cli(t, "export", "-opset", "21", "-o", filepath.Join(dir, "cum21.onnx"), savedCum)
	require.Equal(t, 1, status)
	require.Contains(t, stderr, `node "products" (cumprod)`)
	require.Contains(t, stderr, "opset 26")
}
