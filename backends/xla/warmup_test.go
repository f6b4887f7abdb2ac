package xla

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Prepare warms up only models whose every value fits warmUpMaxValueBytes:
// the warm-up is charged to no budget.
func TestWarmUpOnlySmallValues(t *testing.T) {
	for _, c := range []struct {
		name  string
		elems int
		want  bool
	}{
		{"exactly the bound", warmUpMaxValueBytes / 4, true},
		{"one float32 over", warmUpMaxValueBytes/4 + 1, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := runtime.NewBuilder("expand")
			x := b.Input("x", tensor.Float32, runtime.Static(1))
			b.Output("y", b.Op("expand", ops.Attrs{"shape": []int{c.elems}}, x))
			a, err := b.Build()
			require.NoError(t, err)
			plan, err := a.Plan()
			require.NoError(t, err)
			require.Equal(t, c.want, smallValues(plan, a.InputTypes(nil)))
		})
	}
}
