package ortpeer

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/internal/modroot"
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/models/onnx/onnxtest"
	"github.com/backplane-ml/backplane/tensor"
)

// sharedDataEnv overrides where the shared ONNX backend-test folders are,
// as for models/onnx/onnxtest's tests.
const sharedDataEnv = "BACKPLANE_ONNX_TESTDATA"

// sharedDataDir is ../shared/testdata/onnx beside the module root unless
// sharedDataEnv says otherwise.
func sharedDataDir(t *testing.T) string {
	if dir := os.Getenv(sharedDataEnv); dir != "" {
		return dir
	}
	wd, err := os.Getwd()
	require.NoError(t, err)
	roots := modroot.Find(wd)
	require.NotEmpty(t, roots, "no backplane go.mod above the test's directory")
	return filepath.Join(filepath.Dir(roots[0]), "shared", "testdata", "onnx")
}

// readPB decodes one serialized TensorProto.
func readPB(t *testing.T, path string) *tensor.Tensor {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	p, err := onnxpb.DecodeTensor(data)
	require.NoError(t, err)
	v, err := onnxpb.ToTensor(p, onnxpb.DirLoader(filepath.Dir(path)))
	require.NoError(t, err)
	return v
}

// TestSharedONNXTests runs ONNX backend-test folders on ONNX Runtime and
// compares with the outputs stored beside them: the peer's plumbing
// (names, dtypes, shapes, int64 inputs) is right when a third party's
// expected values come back.
func TestSharedONNXTests(t *testing.T) {
	requireORT(t)
	dir := sharedDataDir(t)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared ONNX test data not found at %s (set %s to point elsewhere)", dir, sharedDataEnv)
	}
	for _, c := range []struct {
		folder string
		tol    tensor.Tolerance
	}{
		// The ONNX model-zoo tests' own rule for these two is rtol 1e-3, atol 1e-7;
		// ONNX Runtime's reassociated sums stay within rtol 1e-3, atol 1e-5.
		{"light/test_resnet50", tensor.Tolerance{RTol: 1e-3, ATol: 1e-5}},
		{"light/test_squeezenet", tensor.Tolerance{RTol: 1e-3, ATol: 1e-5}},
		{"pytorch-converted/test_Conv2d_groups", onnxtest.DefaultTolerance},
		{"pytorch-converted/test_Embedding", onnxtest.DefaultTolerance}, // int64 indices in
		{"pytorch-converted/test_ConvTranspose2d", onnxtest.DefaultTolerance},
	} {
		t.Run(filepath.Base(c.folder), func(t *testing.T) {
			cases, err := onnxtest.Discover(filepath.Join(dir, c.folder))
			require.NoError(t, err)
			require.Len(t, cases, 1)
			model, err := os.ReadFile(cases[0].ModelPath)
			require.NoError(t, err)
			s, err := Load(model, Options{Name: cases[0].Name})
			require.NoError(t, err)
			defer s.Close()
			for _, ds := range cases[0].DataSets {
				var in []*tensor.Tensor
				for _, p := range ds.Inputs {
					in = append(in, readPB(t, p))
				}
				got, err := s.Run(in)
				require.NoError(t, err)
				require.Len(t, got, len(ds.Outputs))
				for i, p := range ds.Outputs {
					cmp := tensor.Compare(got[i], readPB(t, p), c.tol)
					require.True(t, cmp.Equal, "%s output %d: %s", ds.Dir, i, cmp)
					t.Logf("%s output %d: %s; %s", filepath.Base(ds.Dir), i, cmp, got[i].Summary())
				}
			}
		})
	}
}
