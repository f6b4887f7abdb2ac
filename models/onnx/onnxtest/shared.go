package onnxtest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// SharedDataEnv names the environment variable that overrides where
// SharedDir finds the shared ONNX test data (for checkouts, such as git
// worktrees, not laid out next to the shared directory).
const SharedDataEnv = "BACKPLANE_ONNX_TESTDATA"

// SharedDir returns the shared ONNX backend-test data folder:
// $BACKPLANE_ONNX_TESTDATA if set, else ../shared/testdata/onnx next to the
// module root (the nearest directory above the working directory holding
// go.mod). It does not check that the folder exists.
func SharedDir() (string, error) {
	if dir := os.Getenv(SharedDataEnv); dir != "" {
		return dir, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared", "testdata", "onnx"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("onnxtest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// SharedCases discovers every test folder of the shared ONNX test data for
// a test, skipping it (saying where it looked and how to point elsewhere)
// when the data is absent, and failing it when the data cannot be read.
func SharedCases(t testing.TB) []Case {
	t.Helper()
	dir, err := SharedDir()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared ONNX test data not found at %s (set %s to point elsewhere)", dir, SharedDataEnv)
	}
	cases, err := Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}
