package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/models/onnx"
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
	_, stderr, status = cli(t, "export", "-o", again, out)
	require.Equal(t, 0, status, stderr)
	_, stderr, status = cli(t, "run", "--dim", "batch=2", again)
	require.Equal(t, 0, status, stderr)

	_, stderr, status = cli(t, "export", saved)
	require.Equal(t, 2, status)
	require.Contains(t, stderr, "usage: backplane export")
	_, stderr, status = cli(t, "export", "-opset", "16", "-o", out, saved)
	require.Equal(t, 1, status)
	require.Contains(t, stderr, "opset 16 (supported: 17 to 21)")
}
