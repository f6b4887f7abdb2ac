package onnxtest_test

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxtest"
)

// sharedDataDir is the shared ONNX test data folder (onnxtest.SharedDir).
func sharedDataDir(t *testing.T) string {
	dir, err := onnxtest.SharedDir()
	require.NoError(t, err)
	return dir
}

// TestSharedONNXSuite runs every ONNX backend-test folder of the shared test
// data (PyTorch-converted layer tests, resnet50, squeezenet) on the
// reference backend; each must pass.
func TestSharedONNXSuite(t *testing.T) {
	dir := sharedDataDir(t)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared ONNX test data not found at %s (set %s to point elsewhere)", dir, onnxtest.SharedDataEnv)
	}
	cases, err := onnxtest.Discover(dir)
	require.NoError(t, err)
	counts := map[onnxtest.Status]int{}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			r := onnxtest.Run(context.Background(), c, "ref", onnxtest.DefaultTolerance)
			counts[r.Status]++
			if r.Status == onnxtest.Pass {
				t.Logf("PASS  %s  max abs err %.2g, max rel err %.2g", c.Name, r.MaxAbsErr, r.MaxRelErr)
				return
			}
			t.Errorf("%s  %s  %s", r.Status, c.Name, r.Reason)
		})
	}
	t.Logf("%d passed, %d failed, %d skipped (of %d under %s)",
		counts[onnxtest.Pass], counts[onnxtest.Fail], counts[onnxtest.Skip], len(cases), dir)
}
