package onnxtest_test

import (
	"context"
	"testing"

	"github.com/backplane-ml/backplane/models/onnx/onnxtest"
)

// TestSharedONNXSuite runs every ONNX backend-test folder of the shared test
// data (PyTorch-converted layer tests, resnet50, squeezenet) on the
// reference backend; each must pass.
func TestSharedONNXSuite(t *testing.T) {
	cases := onnxtest.SharedCases(t)
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
	t.Logf("%d passed, %d failed, %d skipped (of %d in %s)",
		counts[onnxtest.Pass], counts[onnxtest.Fail], counts[onnxtest.Skip], len(cases), "the shared ONNX test data")
}
