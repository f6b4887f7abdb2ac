package cpu_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/cpu"
	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// TestZooParity runs every zoo model at batch 1 and 2 on the default kernel
// path and on ref, and compares the outputs; the small models (under 50
// MMACs) also run on every other kernel path.
func TestZooParity(t *testing.T) {
	ctx := context.Background()
	paths := kernelPaths(t)
	for _, z := range models.Zoo() {
		t.Run(z.Name, func(t *testing.T) {
			art, err := z.Build(0)
			require.NoError(t, err)
			cost, err := models.FLOPs(art, map[string]int{"batch": 1})
			require.NoError(t, err)
			if raceEnabled && cost.MACs > 50e6 {
				t.Skipf("%.2f GMACs: too slow under the race detector; make test runs it without", float64(cost.MACs)/1e9)
			}
			refRT, err := runtime.New(runtime.WithBackends("ref"))
			require.NoError(t, err)
			defer refRT.Close()
			refM, err := refRT.Load(ctx, art)
			require.NoError(t, err)
			var wants [][]*tensor.Tensor
			var ins [][]*tensor.Tensor
			for _, batch := range []int{1, 2} {
				in, err := models.Inputs(art, batch, uint64(batch))
				require.NoError(t, err)
				want, err := refM.Run(ctx, in...)
				require.NoError(t, err)
				ins, wants = append(ins, in), append(wants, want)
			}
			for i, b := range paths {
				if i > 0 && (cost.MACs > 50e6 || raceEnabled) {
					continue
				}
				rt, err := runtime.New(runtime.UsingBackends(b))
				require.NoError(t, err)
				m, err := rt.Load(ctx, art)
				require.NoError(t, err)
				for bi, in := range ins {
					got, err := m.Run(ctx, in...)
					require.NoError(t, err)
					for o := range wants[bi] {
						c := tensor.Compare(got[o], wants[bi][o], cpu.ZooTolerance)
						require.True(t, c.Equal, "%s %s batch %d output %d: %s", z.Name, b.Kernels(), bi+1, o, c.Reason)
						t.Logf("%s batch %d output %q: max abs err %.2g, max rel err %.2g", b.Kernels(), bi+1, art.Outputs[o].Name, c.MaxAbsErr, c.MaxRelErr)
					}
				}
				require.NoError(t, rt.Close())
			}
		})
	}
}
