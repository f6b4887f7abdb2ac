package hostile

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	_ "github.com/backplane-ml/backplane/backends/ref"
	_ "github.com/backplane-ml/backplane/backends/xla"
	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// fast is the backend the blame tests expect to keep serving.
const fast = "gomlx"

func load(t *testing.T, data []byte) (*runtime.Runtime, *runtime.Model) {
	t.Helper()
	art, err := onnx.Import(data, onnx.Options{})
	require.NoError(t, err)
	rt, err := runtime.New(runtime.WithBackends(fast, "ref"), runtime.WithPolicy(runtime.Policy{NoExploration: true}))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, rt.Close()) })
	m, err := rt.Load(context.Background(), art)
	require.NoError(t, err)
	return rt, m
}

func stats(rt *runtime.Runtime, backend string) runtime.BackendStats {
	for _, s := range rt.Telemetry().Snapshot().Backends {
		if s.Backend == backend {
			return s
		}
	}
	return runtime.BackendStats{}
}

// requireFastHealthy checks that the fast backend's breaker never tripped
// and that a clean request is still served by it.
func requireFastHealthy(t *testing.T, rt *runtime.Runtime, m *runtime.Model, clean []*tensor.Tensor, want []*tensor.Tensor) {
	t.Helper()
	s := stats(rt, fast)
	require.Zero(t, s.Breaker.Trips, "%s's breaker tripped: %s", fast, s.Breaker.LastTripReason)
	require.Equal(t, runtime.BreakerClosed, s.Breaker.State)
	out, info, err := m.RunWithInfo(context.Background(), clean...)
	require.NoError(t, err)
	require.Equal(t, fast, info.Backend, "the clean request stays on the fast backend")
	for i := range want {
		require.True(t, tensor.Compare(out[i], want[i], tensor.Tolerance{RTol: 1e-6}).Equal, "output %d: %v want %v", i, out[i], want[i])
	}
}

// Attack 6: requests whose data every backend refuses (an index out of
// range, an integer division by zero) are the caller's errors: no fallback,
// no breaker charged, and the fast backend keeps serving clean traffic.
func TestDataErrorsDoNotBlameBackends(t *testing.T) {
	t.Run("gather index out of range", func(t *testing.T) {
		rt, m := load(t, GatherModel())
		for i := range 40 {
			_, info, err := m.RunWithInfo(context.Background(), tensor.MustFromSlice([]int64{0, 7, 1}, 3))
			require.ErrorIs(t, err, runtime.ErrInvalidInput, "request %d", i)
			var e *runtime.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, runtime.ModeInputData, e.Mode)
			require.Equal(t, "g", e.Node)
			require.Len(t, info.Attempts, 1, "no fallback: %v", info.Attempts)
		}
		require.EqualValues(t, 40, stats(rt, fast).InputErrors)
		requireFastHealthy(t, rt, m, []*tensor.Tensor{tensor.MustFromSlice([]int64{4, -5, 1}, 3)},
			[]*tensor.Tensor{tensor.MustFromSlice([]float32{40, 41, 0, 1, 10, 11}, 3, 2)})
	})
	t.Run("integer division by zero", func(t *testing.T) {
		rt, m := load(t, IntDivModel())
		for range 40 {
			_, err := m.Run(context.Background(), tensor.MustFromSlice([]int32{1, 2, 3, 4}, 4), tensor.MustFromSlice([]int32{1, 0, 1, 1}, 4))
			require.ErrorIs(t, err, runtime.ErrInvalidInput)
		}
		requireFastHealthy(t, rt, m, []*tensor.Tensor{tensor.MustFromSlice([]int32{7, -7, 9, 8}, 4), tensor.MustFromSlice([]int32{2, 2, -3, 8}, 4)},
			[]*tensor.Tensor{tensor.MustFromSlice([]int32{3, -3, -3, 1}, 4)})
	})
	t.Run("NaN inputs", func(t *testing.T) {
		rt, m := load(t, ScaleModel())
		for range 40 {
			out, info, err := m.RunWithInfo(context.Background(), tensor.MustFromSlice([]float32{1, NaN32, float32(math.Inf(1)), 2}, 4))
			require.NoError(t, err)
			require.Equal(t, fast, info.Backend)
			got := tensor.MustView[float32](out[0])
			require.Equal(t, float32(3), got[0])
			require.True(t, math.IsNaN(float64(got[1])))
			require.True(t, math.IsInf(float64(got[2]), 1))
		}
		requireFastHealthy(t, rt, m, []*tensor.Tensor{tensor.MustFromSlice([]float32{0, 1, 2, 3}, 4)},
			[]*tensor.Tensor{tensor.MustFromSlice([]float32{1, 3, 5, 7}, 4)})
	})
}

// Attack 6: a model whose correct outputs are NaN or Inf from finite
// inputs (ONNX's test_operator_sqrt and test_operator_pow graphs, log 0)
// runs on the fast backend: its outputs are judged against ref, not refused.
// Expected values come from Go's math package.
func TestLegitimateNonFiniteOutputsStayOnFastBackend(t *testing.T) {
	sqrtIn := []float32{-1, 0, 0.25, 4, -0.5, 9, 2, -3, 16, 1e-8, -7, 100}
	powX := []float32{-2, -1.5, 0, 0, 1, 2, 3, -3, 0.5, 4, -0.25, 9, -2, 2, -1, 1, 0, 5, 6, -6, 7, 8, 0.1, -0.1}
	powY := []float32{0.5, 2, -1, 0, 3, 0.5, -2, 3, 1.5, 0.25, 0.3, -0.5, 2, 1, 0.7, 9, 2, 0, 1, 0.5, -1, 1.5, 3, 2}
	cases := []struct {
		name  string
		model []byte
		in    []*tensor.Tensor
		want  func(i int) float64
	}{
		{"test_operator_sqrt", SqrtModel(), []*tensor.Tensor{tensor.MustFromSlice(sqrtIn, 3, 4)},
			func(i int) float64 { return math.Sqrt(float64(sqrtIn[i])) }},
		{"test_operator_pow", PowModel(), []*tensor.Tensor{tensor.MustFromSlice(powX, 1, 2, 3, 4), tensor.MustFromSlice(powY, 1, 2, 3, 4)},
			func(i int) float64 { return math.Pow(float64(powX[i]), float64(powY[i])) }},
		{"log 0", LogModel(), []*tensor.Tensor{tensor.MustFromSlice([]float32{0, 1, math.E, 10}, 4)},
			func(i int) float64 { return math.Log([]float64{0, 1, float64(float32(math.E)), 10}[i]) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rt, m := load(t, c.model)
			for range 10 {
				out, info, err := m.RunWithInfo(context.Background(), c.in...)
				require.NoError(t, err)
				require.Equal(t, fast, info.Backend, "attempts: %v", info.Attempts)
				got := out[0].Float64s()
				for i, g := range got {
					w := c.want(i)
					switch {
					case math.IsNaN(w):
						require.True(t, math.IsNaN(g), "element %d: got %g want NaN", i, g)
					case math.IsInf(w, 0):
						require.Equal(t, w, g, "element %d", i)
					default:
						require.InDelta(t, w, g, 1e-5*math.Max(1, math.Abs(w)), "element %d", i)
					}
				}
			}
			s := stats(rt, fast)
			require.Zero(t, s.Failures[runtime.ModeNumeric])
			require.Zero(t, s.Breaker.Trips)
			require.Positive(t, s.NonFiniteChecks, "judged against ref")
			require.EqualValues(t, 1, s.NonFiniteChecks, "judged once, then the same finiteness pattern is trusted")
		})
	}
}
