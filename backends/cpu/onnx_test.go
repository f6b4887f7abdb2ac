package cpu_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/cpu"
	"github.com/backplane-ml/backplane/models/onnx/onnxtest"
)

// TestSharedONNXSuite runs every ONNX backend-test folder of the shared test
// data on the cpu backend (its registered instance, default kernel path) at
// ONNX's tolerances; every outcome but PASS fails.
func TestSharedONNXSuite(t *testing.T) {
	cases := onnxtest.SharedCases(t)
	passed := 0
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			r := onnxtest.Run(context.Background(), c, cpu.Name, onnxtest.DefaultTolerance)
			require.Equal(t, onnxtest.Pass, r.Status, r.Reason)
			passed++
		})
	}
	t.Logf("cpu: %d passed of %d", passed, len(cases))
}
