package cpu_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/cpu"
	"github.com/backplane-ml/backplane/models"
)

// TestSteadyStateAllocations: once its plan is compiled, a Run allocates
// only its outputs — per output its data, the tensor, its shape and the
// boxed slice header tensor.FromSlice makes, plus
// the slice holding them — on models whose every op has a native kernel.
func TestSteadyStateAllocations(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"mlp", "cnn"} {
		z, ok := models.ZooByName(name)
		require.True(t, ok)
		art, err := z.Build(2)
		require.NoError(t, err)
		in, err := models.Inputs(art, 2, 1)
		require.NoError(t, err)
		p, err := cpu.New(cpu.Options{Threads: 2}).Prepare(ctx, art)
		require.NoError(t, err)
		_, err = p.Run(ctx, in) // compiles the plan
		require.NoError(t, err)
		allocs := testing.AllocsPerRun(20, func() {
			if _, err := p.Run(ctx, in); err != nil {
				t.Fatal(err)
			}
		})
		require.LessOrEqual(t, allocs, float64(1+4*len(art.Outputs)), "%s: allocations per Run", name)
		t.Logf("%s: %.0f allocations per Run, %d output(s)", name, allocs, len(art.Outputs))
		require.NoError(t, p.Close())
	}
}
