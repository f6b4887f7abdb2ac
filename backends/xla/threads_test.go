package xla

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

func TestWithThreadsOpensABoundedGoEngine(t *testing.T) {
	b := runtime.NewBuilder("affine")
	x := b.Input("x", tensor.Float32, runtime.Static(1), runtime.Static(2))
	w := b.Weight("w", tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	b.Output("y", b.Op("matmul", nil, x, w))
	a, err := b.Build()
	require.NoError(t, err)

	be := NewGoMLX(Options{})
	def, err := be.Prepare(context.Background(), a)
	require.NoError(t, err)
	defer def.Close()
	one, err := be.Prepare(runtime.ContextWithSettings(context.Background(), runtime.Settings{Threads: 1}), a)
	require.NoError(t, err)
	defer one.Close()
	again, err := be.Prepare(runtime.ContextWithSettings(context.Background(), runtime.Settings{Threads: 1}), a)
	require.NoError(t, err)
	defer again.Close()

	require.NotSame(t, def.(*prepared).be, one.(*prepared).be, "a thread bound gets its own engine")
	require.Same(t, one.(*prepared).be, again.(*prepared).be, "one engine per thread count")
	out, err := one.Run(context.Background(), []*tensor.Tensor{tensor.MustFromSlice([]float32{2, 1}, 1, 2)})
	require.NoError(t, err)
	require.Equal(t, []float32{6, 9, 12}, tensor.MustView[float32](out[0])) // [2·1+1·4, 2·2+1·5, 2·3+1·6]
}
