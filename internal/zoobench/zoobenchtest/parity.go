package zoobenchtest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// HeavyMACs is the batch-1 size (multiply-accumulates) above which a zoo
// model is too slow for the race detector; make test runs those without it.
const HeavyMACs = 50e6

// ParityCase is a zoo model at full size with seeded inputs at batch 1 and 2
// and ref's outputs for each: what a backend's zoo parity test compares to.
type ParityCase struct {
	Art   *runtime.Artifact
	MACs  int64 // at batch 1
	Ins   [][]*tensor.Tensor
	Wants [][]*tensor.Tensor
}

// NewParityCase builds z with a symbolic batch and runs it on ref at batch 1
// and 2. Under the race detector (race) it skips models above HeavyMACs.
// The ref backend must be registered in the test binary.
func NewParityCase(t *testing.T, z models.ZooModel, race bool) *ParityCase {
	t.Helper()
	ctx := context.Background()
	art, err := z.Build(0)
	require.NoError(t, err)
	cost, err := models.FLOPs(art, map[string]int{"batch": 1})
	require.NoError(t, err)
	if race && cost.MACs > HeavyMACs {
		t.Skipf("%.2f GMACs: too slow under the race detector; make test runs it without", float64(cost.MACs)/1e9)
	}
	refRT, err := runtime.New(runtime.WithBackends("ref"))
	require.NoError(t, err)
	defer refRT.Close()
	refM, err := refRT.Load(ctx, art)
	require.NoError(t, err)
	pc := &ParityCase{Art: art, MACs: cost.MACs}
	for _, batch := range []int{1, 2} {
		in, err := models.Inputs(art, batch, uint64(batch))
		require.NoError(t, err)
		want, err := refM.Run(ctx, in...)
		require.NoError(t, err)
		pc.Ins, pc.Wants = append(pc.Ins, in), append(pc.Wants, want)
	}
	return pc
}

// RequireMatches loads the case on backend b alone, runs every batch and
// requires each output within tol of ref's, logging the errors under label.
func (pc *ParityCase) RequireMatches(t *testing.T, b runtime.Backend, tol tensor.Tolerance, label string) {
	t.Helper()
	ctx := context.Background()
	rt, err := runtime.New(runtime.UsingBackends(b))
	require.NoError(t, err)
	defer rt.Close()
	m, err := rt.Load(ctx, pc.Art)
	require.NoError(t, err)
	for k, in := range pc.Ins {
		got, err := m.Run(ctx, in...)
		require.NoError(t, err)
		for i, want := range pc.Wants[k] {
			c := tensor.Compare(got[i], want, tol)
			require.True(t, c.Equal, "%s %s batch %d output %d: %s", pc.Art.Name, label, k+1, i, c.Reason)
			t.Logf("%s batch %d output %q: max abs err %.2g, max rel err %.2g", label, k+1, pc.Art.Outputs[i].Name, c.MaxAbsErr, c.MaxRelErr)
		}
	}
}
