package hostile

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	_ "github.com/backplane-ml/backplane/backends/cpu"
	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// The cpu backend runs ops without a native kernel through ops/reference;
// a data error from one of those kernels is the caller's too: typed as input
// data, no fallback to ref, cpu keeps serving.
func TestCPUDataErrorsDoNotBlameCPU(t *testing.T) {
	art, err := onnx.Import(GatherModel(), onnx.Options{})
	require.NoError(t, err)
	rt, err := runtime.New(runtime.WithBackends("cpu", "ref"), runtime.WithPolicy(runtime.Policy{NoExploration: true}))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, rt.Close()) })
	m, err := rt.Load(context.Background(), art)
	require.NoError(t, err)
	for i := range 10 {
		_, info, err := m.RunWithInfo(context.Background(), tensor.MustFromSlice([]int64{0, 7, 1}, 3))
		var e *runtime.Error
		require.ErrorAs(t, err, &e, "request %d", i)
		require.Equal(t, runtime.ModeInputData, e.Mode)
		require.Equal(t, "cpu", e.Backend)
		require.Equal(t, "g", e.Node)
		require.Len(t, info.Attempts, 1, "no fallback: %v", info.Attempts)
	}
	s := stats(rt, "cpu")
	require.EqualValues(t, 10, s.InputErrors)
	require.Zero(t, s.Breaker.Trips)
	out, info, err := m.RunWithInfo(context.Background(), tensor.MustFromSlice([]int64{4, -5, 1}, 3))
	require.NoError(t, err)
	require.Equal(t, "cpu", info.Backend)
	// Rows 4, 0 (-5 wraps to 0) and 1 of the model's 5×2 table, whose row r is {10r, 10r+1}.
	require.Equal(t, []float32{40, 41, 0, 1, 10, 11}, tensor.MustView[float32](out[0]))
}
