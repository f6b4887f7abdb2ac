//go:build cgo

package ortpeer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// scanAllEnv makes TestNodeTestsNeverPanic run every ONNX node test, not
// only the ones that used to panic (about 15 s).
const scanAllEnv = "BACKPLANE_ORT_SCAN_ALL"

// The node tests that made the peer panic before issue 15 (a model without
// inputs; outputs onnxruntime_go cannot convert, which it leaves as typed
// nils).
var onceCrashing = []string{"test_constant", "test_det_2d", "test_matmul_1d_1d", "test_einsum_scalar",
	"test_einsum_inner_prod", "test_dynamicquantizelinear", "test_bitcast_scalar_float32_to_int32"}

// TestNodeTestsNeverPanic runs ONNX's node tests through the peer: every
// one must give outputs or a typed *runtime.Error, never a panic.
func TestNodeTestsNeverPanic(t *testing.T) {
	requireORT(t)
	root := filepath.Join(filepath.Dir(sharedDataDir(t)), "onnx-node")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("ONNX node tests not found at %s", root)
	}
	dirs := make([]string, 0, len(onceCrashing))
	for _, n := range onceCrashing {
		dirs = append(dirs, filepath.Join(root, n))
	}
	if os.Getenv(scanAllEnv) != "" {
		dirs, _ = filepath.Glob(filepath.Join(root, "test_*"))
	}
	ran, typed := 0, 0
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, "model.onnx"))
		if err != nil {
			continue
		}
		ins, ok := readInputs(d)
		if !ok {
			continue
		}
		ran++
		require.NotPanics(t, func() {
			s, err := Load(data, Options{Name: filepath.Base(d), IntraOpThreads: 1})
			if err == nil {
				_, err = s.Run(ins)
				require.NoError(t, s.Close())
			}
			var re *runtime.Error
			if err != nil {
				require.True(t, errors.As(err, &re), "%s: untyped error %v", filepath.Base(d), err)
				typed++
			}
		}, filepath.Base(d))
	}
	require.Positive(t, ran)
	t.Logf("%d node tests run on the peer, %d gave typed errors, none panicked", ran, typed)
}

func readInputs(dir string) ([]*tensor.Tensor, bool) {
	var ins []*tensor.Tensor
	for i := 0; ; i++ {
		b, err := os.ReadFile(filepath.Join(dir, "test_data_set_0", fmt.Sprintf("input_%d.pb", i)))
		if err != nil {
			return ins, true
		}
		p, err := onnxpb.DecodeTensor(b)
		if err != nil {
			return nil, false
		}
		v, err := onnxpb.ToTensor(p, nil)
		if err != nil {
			return nil, false // a dtype backplane has no tensor for
		}
		ins = append(ins, v)
	}
}
