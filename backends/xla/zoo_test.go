package xla_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// zooTolerance is the parity asked of a whole zoo model: float32 rounding
// differs from ref's float64 accumulation in every one of tens of layers,
// and the worst element of a thousand logits is compared. Measured maxima
// are far inside it (see TestZooParity's log).
var zooTolerance = tensor.Tolerance{RTol: 1e-3, ATol: 1e-4}

// TestZooParity runs every zoo model at full size, batch 1 and 2, on each
// engine (XLA where a plugin is found) and on ref, and compares the outputs. Under the race
// detector it runs only the small models; `make test` runs the whole zoo in
// a separate non-race step.
func TestZooParity(t *testing.T) {
	ctx := context.Background()
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
			var ins, wants [][]*tensor.Tensor
			for _, batch := range []int{1, 2} {
				in, err := models.Inputs(art, batch, uint64(batch))
				require.NoError(t, err)
				want, err := refM.Run(ctx, in...)
				require.NoError(t, err)
				ins, wants = append(ins, in), append(wants, want)
			}
			for _, b := range engines() {
				t.Run(b.Name(), func(t *testing.T) {
					requireAvailable(t, b)
					rt, err := runtime.New(runtime.UsingBackends(b))
					require.NoError(t, err)
					defer rt.Close()
					m, err := rt.Load(ctx, art)
					require.NoError(t, err)
					for k, in := range ins {
						got, err := m.Run(ctx, in...)
						require.NoError(t, err)
						for i, want := range wants[k] {
							c := tensor.Compare(got[i], want, zooTolerance)
							require.True(t, c.Equal, "%s batch %d output %d: %s", z.Name, k+1, i, c.Reason)
							t.Logf("batch %d output %q: max abs err %.2g, max rel err %.2g", k+1, art.Outputs[i].Name, c.MaxAbsErr, c.MaxRelErr)
						}
					}
				})
			}
		})
	}
}
