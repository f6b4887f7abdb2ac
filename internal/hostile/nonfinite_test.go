package hostile

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/models/onnx"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/runtime/faultinject"
	"github.com/backplane-ml/backplane/tensor"
)

// A backend that turns a value into NaN is caught even when the request's
// inputs hold NaN or Inf themselves, and even after the same model's
// legitimate non-finite outputs earned trust: trust covers only the
// finiteness pattern ref confirmed, and a disagreement forgets it.
func TestNaNFaultCaughtOnNonFiniteInputs(t *testing.T) {
	art, err := onnx.Import(ScaleModel(), onnx.Options{})
	require.NoError(t, err)
	faulty := faultinject.Wrap(ref.Backend{}, faultinject.WithName("faulty"))
	rt, err := runtime.New(runtime.UsingBackends(faulty, ref.Backend{}), runtime.WithPolicy(runtime.Policy{NoExploration: true}))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, rt.Close()) })
	m, err := rt.Load(context.Background(), art)
	require.NoError(t, err)

	in := tensor.MustFromSlice([]float32{1, NaN32, float32(math.Inf(-1)), 2}, 4)
	check := func(out []*tensor.Tensor) { // y = 2x + 1 by hand
		got := tensor.MustView[float32](out[0])
		require.Equal(t, float32(3), got[0])
		require.True(t, math.IsNaN(float64(got[1])))
		require.True(t, math.IsInf(float64(got[2]), -1))
		require.Equal(t, float32(5), got[3])
	}
	run := func() runtime.RunInfo {
		out, info, err := m.RunWithInfo(context.Background(), in)
		require.NoError(t, err)
		check(out)
		return info
	}

	for range 5 {
		require.Equal(t, "faulty", run().Backend)
	}
	require.EqualValues(t, 1, stats(rt, "faulty").NonFiniteChecks, "judged once, then its pattern is trusted")

	faulty.Set(faultinject.NaN, 1) // first element becomes NaN: a new pattern
	info := run()
	require.Equal(t, "ref", info.Backend, "the NaN the backend invented is caught; ref answers")
	require.EqualValues(t, 1, stats(rt, "faulty").Failures[runtime.ModeNumeric])

	faulty.Clear()
	require.Equal(t, "faulty", run().Backend)
	require.EqualValues(t, 3, stats(rt, "faulty").NonFiniteChecks, "after a disagreement the trusted pattern is judged again")
}
