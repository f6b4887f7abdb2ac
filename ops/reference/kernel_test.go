package reference

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/ops/optest"
	"github.com/backplane-ml/backplane/tensor"
)

// TestKernelsOnOpCases runs every hand-computed op case straight through Eval.
// The full backend (graph, runtime seam) is exercised by backendtest in ref_test.go.
func TestKernelsOnOpCases(t *testing.T) {
	for _, c := range optest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			got, err := Eval(c.Op, c.Attrs, c.Inputs...)
			require.NoError(t, err)
			require.Len(t, got, len(c.Want))
			for i, w := range c.Want {
				tol := c.Tol
				if tol == (tensor.Tolerance{}) {
					tol = optest.DefaultTolerance(w.DType())
				}
				cmp := tensor.Compare(got[i], w, tol)
				require.True(t, cmp.Equal, "output %d: %v", i, cmp)
			}
		})
	}
}

// TestEveryOpHasKernelAndCases keeps the catalog, the kernels and the cases in step.
func TestEveryOpHasKernelAndCases(t *testing.T) {
	covered := optest.Covered()
	for _, name := range ops.Names() {
		require.True(t, Supported(name), "op %s has no ref kernel", name)
		require.True(t, covered[name], "op %s has no hand-computed case in ops/optest", name)
	}
}
