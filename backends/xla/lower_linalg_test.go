package xla

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// TestDetSizeLimit: det unrolls one elimination step per column, so
// matrices above detMaxSize are refused by Supports, naming the op.
func TestDetSizeLimit(t *testing.T) {
	build := func(m int) *runtime.Artifact {
		b := runtime.NewBuilder("det")
		x := b.Input("x", tensor.Float32, runtime.Static(m), runtime.Static(m))
		b.Output("y", b.Op("det", nil, x))
		a, err := b.Build()
		require.NoError(t, err)
		return a
	}
	for _, be := range []*Backend{NewGoMLX(Options{}), NewXLA(Options{})} {
		require.NoError(t, be.Supports(build(detMaxSize)), be.Name())
		err := be.Supports(build(detMaxSize + 1))
		require.ErrorIs(t, err, runtime.ErrUnsupported, be.Name())
		require.ErrorContains(t, err, `op "det"`)
		require.ErrorContains(t, err, "at most 128")
	}
}
