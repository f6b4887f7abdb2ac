package onnxtest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxtest"
)

// sharedDataEnv overrides where TestSharedONNXSuite looks for the ONNX
// backend-test folders, for checkouts (git worktrees) not laid out next to
// the shared directory.
const sharedDataEnv = "BACKPLANE_ONNX_TESTDATA"

// sharedDataDir is ../shared/testdata/onnx relative to the repository root
// (the directory holding go.mod), unless sharedDataEnv says otherwise.
func sharedDataDir(t *testing.T) string {
	if dir := os.Getenv(sharedDataEnv); dir != "" {
		return dir
	}
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared", "testdata", "onnx")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// TestSharedONNXSuite runs every ONNX backend-test folder of the shared test
// data (PyTorch-converted layer tests, resnet50, squeezenet) on the
// reference backend; each must pass.
func TestSharedONNXSuite(t *testing.T) {
	dir := sharedDataDir(t)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared ONNX test data not found at %s (set %s to point elsewhere)", dir, sharedDataEnv)
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
