package cpu

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

func TestThreadsFromOptionsThenRuntimeSettings(t *testing.T) {
	b := runtime.NewBuilder("affine")
	x := b.Input("x", tensor.Float32, runtime.Static(1), runtime.Static(2))
	w := b.Weight("w", tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	b.Output("y", b.Op("matmul", nil, x, w))
	a, err := b.Build()
	require.NoError(t, err)
	withThreads := func(n int) context.Context {
		return runtime.ContextWithSettings(context.Background(), runtime.Settings{Threads: n})
	}
	for _, c := range []struct {
		name     string
		opts     Options
		ctx      context.Context
		expected int
	}{
		{"runtime.WithThreads", Options{}, withThreads(1), 1},
		{"Options.Threads wins", Options{Threads: 3}, withThreads(1), 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := New(c.opts).Prepare(c.ctx, a)
			require.NoError(t, err)
			defer p.Close()
			require.Equal(t, c.expected, p.(*prepared).threads)
			out, err := p.Run(context.Background(), []*tensor.Tensor{tensor.MustFromSlice([]float32{2, 1}, 1, 2)})
			require.NoError(t, err)
			require.Equal(t, []float32{6, 9, 12}, tensor.MustView[float32](out[0])) // [2·1+1·4, 2·2+1·5, 2·3+1·6]
		})
	}
}

func TestDetailNamesKernelsAndThreads(t *testing.T) {
	b := New(Options{Threads: 3})
	require.Contains(t, b.Detail(), "kernels "+b.Kernels())
	require.Contains(t, b.Detail(), "3 threads per run")
}
