package cpu_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/cpu"
	"github.com/backplane-ml/backplane/backends/cpu/internal/kernels"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/runtime/backendtest"
	"github.com/backplane-ml/backplane/tensor"
)

// kernelPaths returns a backend per kernel path this machine runs, logging
// the paths it skips.
func kernelPaths(t *testing.T) []*cpu.Backend {
	var out []*cpu.Backend
	have := map[string]bool{}
	for _, isa := range kernels.Available() {
		have[isa.Name] = true
		out = append(out, cpu.New(cpu.Options{Kernels: isa.Name}))
	}
	for _, name := range kernels.Known() {
		if !have[name] {
			t.Logf("kernel path %s: skipped, not supported by this CPU or build", name)
		}
	}
	return out
}

// TestConformance runs the whole conformance kit on every kernel path, with
// RequireAll: no op case may be skipped.
func TestConformance(t *testing.T) {
	for _, b := range kernelPaths(t) {
		t.Run(b.Kernels(), func(t *testing.T) {
			backendtest.RunWithOptions(t, b, backendtest.Options{
				RequireAll: true,
				Tolerance:  func(d tensor.DType) (tensor.Tolerance, bool) { return cpu.Tolerance(d), true },
			})
		})
	}
}

// requireRefOnEveryPath runs art on ref and then on every kernel path in
// paths, requiring each path's first output to have ref's shape and to match
// it within cpu.Tolerance.
func requireRefOnEveryPath(t *testing.T, refRT *runtime.Runtime, paths []*cpu.Backend, name string, art *runtime.Artifact, ins ...*tensor.Tensor) {
	t.Helper()
	ctx := context.Background()
	refM, err := refRT.Load(ctx, art)
	require.NoError(t, err)
	want, err := refM.Run(ctx, ins...)
	require.NoError(t, err)
	for _, be := range paths {
		rt, err := runtime.New(runtime.UsingBackends(be))
		require.NoError(t, err)
		m, err := rt.Load(ctx, art)
		require.NoError(t, err)
		got, err := m.Run(ctx, ins...)
		require.NoError(t, err)
		require.True(t, got[0].Shape().Equal(want[0].Shape()), "%s on %s: shape %v, want %v", name, be.Kernels(), got[0].Shape(), want[0].Shape())
		cmp := tensor.Compare(got[0], want[0], cpu.Tolerance(tensor.Float32))
		require.True(t, cmp.Equal, "%s on %s: %s", name, be.Kernels(), cmp)
		require.NoError(t, rt.Close())
	}
}
