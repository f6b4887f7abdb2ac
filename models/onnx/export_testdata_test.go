package onnx_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/models/onnx/onnxtest"
)

// exportSharedSuite is the ONNX backend test data (PyTorch-converted layer
// tests, ResNet-50, SqueezeNet), with inputs and outputs computed by PyTorch
// and ONNX's reference evaluator: a ground truth independent of backplane.
const exportSharedSuite = "/work/shared/testdata/onnx"

// TestExportSharedSuite imports each test model, exports it again, and runs
// the exported model through onnxtest.Run against the stored outputs, with
// the tolerances ONNX's own runner uses (rtol 1e-3, atol 1e-7). A model the
// importer does not take in the first place is skipped.
func TestExportSharedSuite(t *testing.T) {
	if _, err := os.Stat(exportSharedSuite); err != nil {
		t.Skip("shared ONNX test data not available")
	}
	cases, err := onnxtest.Discover(exportSharedSuite)
	require.NoError(t, err)
	require.NotEmpty(t, cases)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			art, err := onnx.ImportFile(c.ModelPath, onnx.Options{})
			if err != nil {
				t.Skipf("not importable: %v", err)
			}
			dir := filepath.Join(t.TempDir(), c.Name)
			require.NoError(t, os.Mkdir(dir, 0o755))
			require.NoError(t, onnx.ExportFile(filepath.Join(dir, "model.onnx"), art, onnx.ExportOptions{}))
			for _, ds := range c.DataSets {
				require.NoError(t, os.CopyFS(filepath.Join(dir, filepath.Base(ds.Dir)), os.DirFS(ds.Dir)))
			}
			exported, err := onnxtest.Discover(dir)
			require.NoError(t, err)
			require.Len(t, exported, 1)
			r := onnxtest.Run(context.Background(), exported[0], "ref", onnxtest.Tolerance{RTol: 1e-3, ATol: 1e-7})
			require.Equal(t, onnxtest.Pass, r.Status, r.Reason)
		})
	}
}
