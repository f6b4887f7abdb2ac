package promcollector_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/runtime/promcollector"
	"github.com/backplane-ml/backplane/tensor"
)

func TestCollectorReportsTheSameFamiliesAsTheTextHandler(t *testing.T) {
	b := runtime.NewBuilder("affine")
	x := b.Input("x", tensor.Float32, runtime.Static(1), runtime.Static(2))
	w := b.Weight("w", tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	b.Output("y", b.Op("matmul", nil, x, w))
	a, err := b.Build()
	require.NoError(t, err)
	rt, err := runtime.New(runtime.WithBackends("ref"))
	require.NoError(t, err)
	defer rt.Close()
	m, err := rt.Load(context.Background(), a)
	require.NoError(t, err)
	for range 3 {
		_, err := m.Run(context.Background(), tensor.MustFromSlice([]float32{2, 1}, 1, 2))
		require.NoError(t, err)
	}

	reg := prometheus.NewPedanticRegistry() // checks Describe against Collect
	c := promcollector.New(rt.Telemetry())
	require.NoError(t, reg.Register(c))
	problems, err := testutil.CollectAndLint(c)
	require.NoError(t, err)
	require.Empty(t, problems)

	families, err := reg.Gather()
	require.NoError(t, err)
	byName := map[string]float64{}
	for _, f := range families {
		for _, mt := range f.GetMetric() {
			switch {
			case mt.GetCounter() != nil:
				if len(mt.GetLabel()) == 2 { // model, backend: one series per pair
					byName[f.GetName()] += mt.GetCounter().GetValue()
				}
			case mt.GetSummary() != nil:
				byName[f.GetName()] = float64(mt.GetSummary().GetSampleCount())
			}
		}
	}
	require.Equal(t, 3.0, byName["backplane_runs_total"], "three runs were made")
	require.Equal(t, 3.0, byName["backplane_successes_total"])
	require.Equal(t, 3.0, byName["backplane_run_latency_seconds"], "the summary counts three samples")
	require.Equal(t, 24.0, byName["backplane_bytes_in_total"], "3 runs × 2 float32")
	require.Equal(t, 36.0, byName["backplane_bytes_out_total"], "3 runs × 3 float32")

	rec := httptest.NewRecorder()
	rt.Telemetry().Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	text := rec.Body.String()
	for _, f := range families {
		require.Contains(t, text, "# TYPE "+f.GetName()+" ", "the text handler has the family %s too", f.GetName())
	}
}
