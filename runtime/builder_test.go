package runtime_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

func TestBuilderNamesAndOutputs(t *testing.T) {
	b := runtime.NewBuilder("names")
	x := b.Input("x", tensor.Float32, runtime.Static(2))
	h := b.Op("relu", nil, x)
	b.Output("h", h)
	// h was renamed to "h"; the old handle must keep working.
	b.Output("y", b.Op("neg", nil, h))
	b.Output("x_out", x) // a graph input as output needs an identity node
	b.Output("h_again", h)
	a, err := b.Build()
	require.NoError(t, err)
	names := []string{}
	for _, o := range a.Outputs {
		names = append(names, o.Name)
	}
	require.Equal(t, []string{"h", "y", "x_out", "h_again"}, names)
	require.Equal(t, "h", a.Nodes[1].Inputs[0], "neg reads the renamed value")
	require.Len(t, a.Nodes, 4, "relu, neg and two identities")
}

func TestBuilderCollectsErrors(t *testing.T) {
	b := runtime.NewBuilder("broken")
	x := b.Input("x", tensor.Float32, runtime.Static(2))
	b.Input("x", tensor.Float32, runtime.Static(2)) // duplicate
	b.Weight("w", nil)                              // nil weight
	b.Op("relu", ops.Attrs{"alpha": struct{}{}}, x) // attribute of no supported type
	b.Output("y", runtime.Value{})                  // undefined value
	_, err := b.Build()
	require.ErrorIs(t, err, runtime.ErrInvalidArtifact)
	for _, want := range []string{`input "x": name already used`, `weight "w" is nil`, "unsupported attribute value type", "not defined"} {
		require.ErrorContains(t, err, want)
	}
}

func TestBuilderCanonicalisesAttributes(t *testing.T) {
	b := runtime.NewBuilder("attrs")
	x := b.Input("x", tensor.Float32, runtime.Dims(1, 1, 4)...)
	y := b.Op("max_pool", ops.Attrs{"kernel_shape": []int64{2}, "strides": []int32{2}, "ceil_mode": false}, x)
	b.Output("y", y)
	a, err := b.Build()
	require.NoError(t, err)
	require.Equal(t, ops.Attrs{"kernel_shape": []int{2}, "strides": []int{2}, "ceil_mode": 0}, a.Nodes[0].Attrs)
}
