package xla

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// A cast to bfloat16 must round to nearest even: 1 + 3·2^-9 lies 3/4 of a
// bfloat16 ulp (2^-7) above 1, so it rounds up to 1 + 2^-7; truncation would
// give 1. The gomlx engine truncates, so it refuses the cast by name.
func TestCastToBFloat16RoundsOrIsRefused(t *testing.T) {
	b := runtime.NewBuilder("to-bf16")
	x := b.Input("x", tensor.Float32, runtime.Static(1))
	b.Output("y", b.Op("cast", ops.Attrs{"to": "bfloat16"}, x))
	a, err := b.Build()
	require.NoError(t, err)
	for _, be := range testEngines(t, Options{}) {
		t.Run(be.Name(), func(t *testing.T) {
			if be.Name() == GoMLXName {
				err := be.Supports(a)
				require.ErrorIs(t, err, runtime.ErrUnsupported)
				require.ErrorContains(t, err, "truncates")
				return
			}
			require.NoError(t, be.Supports(a))
			p, err := be.Prepare(context.Background(), a)
			require.NoError(t, err)
			defer p.Close()
			out, err := p.Run(context.Background(), []*tensor.Tensor{tensor.MustFromSlice([]float32{1 + 3.0/512}, 1)})
			require.NoError(t, err)
			f32, err := out[0].AsType(tensor.Float32)
			require.NoError(t, err)
			require.Equal(t, []float32{1 + 1.0/128}, tensor.MustView[float32](f32))
		})
	}
}
