package xla_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/models/onnx/onnxtest"
	"github.com/backplane-ml/backplane/runtime"
)

// TestSharedONNXSuite runs every ONNX backend-test folder of the shared test
// data on each engine (xla only where a PJRT plugin is installed), comparing
// with the expected outputs at ONNX's tolerances (onnxtest.DefaultTolerance).
// A test is skipped only when the model uses an op still pending a lowering;
// every other outcome but PASS fails.
func TestSharedONNXSuite(t *testing.T) {
	cases := onnxtest.SharedCases(t)
	for _, b := range engines() {
		t.Run(b.Name(), func(t *testing.T) {
			requireAvailable(t, b)
			counts := map[string]int{}
			for _, c := range cases {
				t.Run(c.Name, func(t *testing.T) {
					if why := pendingIn(t, b.Supports, c.ModelPath); why != "" {
						counts["pending"]++
						t.Skip(why)
					}
					r := onnxtest.Run(context.Background(), c, b.Name(), onnxtest.DefaultTolerance)
					counts[string(r.Status)]++
					require.Equal(t, onnxtest.Pass, r.Status, r.Reason)
					t.Logf("PASS  max abs err %.2g, max rel err %.2g", r.MaxAbsErr, r.MaxRelErr)
				})
			}
			t.Logf("%s: %d passed, %d failed, %d skipped (pending ops), of %d", b.Name(),
				counts[string(onnxtest.Pass)], counts[string(onnxtest.Fail)]+counts[string(onnxtest.Skip)],
				counts["pending"], len(cases))
		})
	}
}

// pendingIn returns why the model cannot run yet when the only reason is an
// op in pendingOps, and "" otherwise.
func pendingIn(t *testing.T, supports func(*runtime.Artifact) error, modelPath string) string {
	art, err := onnx.ImportFile(modelPath, onnx.Options{})
	if err != nil {
		return "" // onnxtest.Run reports it
	}
	err = supports(art)
	var e *runtime.Error
	if errors.Is(err, runtime.ErrUnsupported) && errors.As(err, &e) && slices.Contains(pendingOps, e.Op) {
		return "op " + e.Op + " is pending a lowering"
	}
	return ""
}
