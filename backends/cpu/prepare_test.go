package cpu_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/cpu"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Prepare compiles the plan of a model whose input shapes are all known, so
// the first request runs instead of compiling; a model with a symbolic
// dimension compiles on its first request, per signature.
func TestPrepareCompilesStaticModels(t *testing.T) {
	build := func(batch runtime.Dim) *runtime.Artifact {
		b := runtime.NewBuilder("affine")
		x := b.Input("x", tensor.Float32, batch, runtime.Static(2))
		w := b.Weight("w", tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
		b.Output("y", b.Op("relu", nil, b.Op("matmul", nil, x, w)))
		a, err := b.Build()
		require.NoError(t, err)
		return a
	}
	for _, c := range []struct {
		name           string
		batch          runtime.Dim
		afterPrepare   int64
		afterFirstRun  int64
		firstRunIsAHit bool
	}{
		{"static", runtime.Static(1), 1, 1, true},
		{"symbolic batch", runtime.Symbolic("batch"), 0, 1, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := cpu.New(cpu.Options{}).Prepare(context.Background(), build(c.batch))
			require.NoError(t, err)
			defer p.Close()
			stats := p.(runtime.CompileReporter)
			require.Equal(t, c.afterPrepare, stats.CompileStats().Compiles)
			out, err := p.Run(context.Background(), []*tensor.Tensor{tensor.MustFromSlice([]float32{1, 1}, 1, 2)})
			require.NoError(t, err)
			// [1 1]·[[1 2 3] [4 5 6]] = [5 7 9] (relu keeps it).
			require.Equal(t, []float32{5, 7, 9}, tensor.MustView[float32](out[0]))
			s := stats.CompileStats()
			require.Equal(t, c.afterFirstRun, s.Compiles)
			require.Equal(t, c.firstRunIsAHit, s.Hits == 1)
		})
	}
}
