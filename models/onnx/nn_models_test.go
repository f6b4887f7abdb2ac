package onnx

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// nnPyTorchDir holds the ONNX backend test suite's models converted from
// PyTorch layer tests, each with one input/output set.
const nnPyTorchDir = "/work/shared/testdata/onnx/pytorch-converted"

// nnPyTorchModels are the name prefixes of the models there that exercise
// the nn ops (the others test other op families).
var nnPyTorchModels = []string{"test_AvgPool", "test_BatchNorm", "test_Conv", "test_Linear", "test_LogSoftmax",
	"test_MaxPool", "test_Softmax", "test_log_softmax", "test_softmax"}

// TestNNPyTorchConverted imports and runs the pytorch-converted models that
// exercise the nn ops, comparing with the outputs stored next to them. A
// model that also needs an op this importer does not map is skipped.
func TestNNPyTorchConverted(t *testing.T) {
	if _, err := os.Stat(nnPyTorchDir); err != nil {
		t.Skip("test data not available")
	}
	dirs, err := filepath.Glob(filepath.Join(nnPyTorchDir, "test_*"))
	require.NoError(t, err)
	for _, dir := range dirs {
		if !slices.ContainsFunc(nnPyTorchModels, func(p string) bool { return strings.HasPrefix(filepath.Base(dir), p) }) {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			art, err := ImportFile(filepath.Join(dir, "model.onnx"), Options{})
			var e *Error
			if errors.As(err, &e) && errors.Is(err, ErrUnsupported) {
				t.Skipf("not importable yet: %v", err)
			}
			require.NoError(t, err)
			in := nnLoadPB(t, filepath.Join(dir, "test_data_set_0", "input_0.pb"))
			want := nnLoadPB(t, filepath.Join(dir, "test_data_set_0", "output_0.pb"))
			rt, err := runtime.New(runtime.WithBackends("ref"))
			require.NoError(t, err)
			defer rt.Close()
			mod, err := rt.Load(context.Background(), art)
			require.NoError(t, err)
			out, err := mod.Run(context.Background(), in)
			require.NoError(t, err)
			require.Len(t, out, 1)
			// The stored outputs come from PyTorch in float32: compare as the
			// ONNX backend tests do (rtol 1e-3, atol 1e-7), a bit looser in atol.
			cmp := tensor.Compare(out[0], want, tensor.Tolerance{RTol: 1e-3, ATol: 1e-5})
			require.True(t, cmp.Equal, "%v", cmp)
		})
	}
}

func nnLoadPB(t *testing.T, path string) *tensor.Tensor {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	p, err := onnxpb.DecodeTensor(data)
	require.NoError(t, err)
	v, err := onnxpb.ToTensor(p, nil)
	require.NoError(t, err)
	return v
}
