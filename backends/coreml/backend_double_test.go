//go:build linux && cgo && coremldouble

package coreml

// The backend glue (backend_bridge.go) run against the bridge's C test
// double: `go test -race -tags coremldouble ./backends/coreml/...`. The
// double computes output = 2·input + 1, so the models here compute exactly
// that, and ref checks the answers.

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/coreml/internal/mlbridge"
	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// twoXPlusOne is y = 2x + 1 over x [batch, 3], with batch symbolic or fixed.
func twoXPlusOne(t *testing.T, batch runtime.Dim) *runtime.Artifact {
	b := runtime.NewBuilder("twoxplusone")
	x := b.Input("x", tensor.Float32, batch, runtime.Static(3))
	two := b.Constant(tensor.MustFromSlice([]float32{2}, 1))
	one := b.Constant(tensor.MustFromSlice([]float32{1}, 1))
	b.Output("y", b.Op("add", nil, b.Op("mul", nil, x, two), one))
	a, err := b.Build()
	require.NoError(t, err)
	return a
}

func backend(t *testing.T) (*Backend, string) {
	dir := filepath.Join(t.TempDir(), "cache")
	return New(Options{CacheDir: dir, ComputeUnits: CPUAndNeuralEngine}), dir
}

func TestDoubleGlueRunsThroughTheRuntime(t *testing.T) {
	b, dir := backend(t)
	require.NoError(t, b.Available())
	rt, err := runtime.New(runtime.UsingBackends(b, ref.Backend{}))
	require.NoError(t, err)
	defer rt.Close()
	m, err := rt.Load(context.Background(), twoXPlusOne(t, runtime.Symbolic("batch")))
	require.NoError(t, err)
	for _, batch := range []int{1, 4, 1} {
		x, err := tensor.Rand(tensor.Float32, uint64(batch), -1, 1, batch, 3)
		require.NoError(t, err)
		out, info, err := m.RunWithInfo(context.Background(), x)
		require.NoError(t, err)
		require.Equal(t, "coreml", info.Backend)
		want, err := ref.Eval("add", nil, mustEval(t, "mul", x, tensor.MustFromSlice([]float32{2}, 1)), tensor.MustFromSlice([]float32{1}, 1))
		require.NoError(t, err)
		require.True(t, tensor.Compare(out[0], want[0], tensor.Tolerance{RTol: 1e-6}).Equal)
	}
	// Two signatures compiled, the third run reused the first.
	var cs runtime.CompileStats
	for _, s := range rt.Telemetry().Snapshot().Backends {
		if s.Backend == "coreml" {
			cs = runtime.CompileStats{Compiles: s.Compiles, Hits: s.CacheHits}
		}
	}
	require.Equal(t, int64(1+2), cs.Compiles, "Prepare, then one compile per signature")
	require.Equal(t, int64(1), cs.Hits)
	compiled, _ := filepath.Glob(filepath.Join(dir, "*.mlmodelc"))
	require.Len(t, compiled, 2)
	partial, _ := filepath.Glob(filepath.Join(dir, "*.partial"))
	require.Empty(t, partial)
}

func mustEval(t *testing.T, op string, in ...*tensor.Tensor) *tensor.Tensor {
	out, err := ref.Eval(op, ops.Attrs{}, in...)
	require.NoError(t, err)
	return out[0]
}

func TestDoubleGlueStaticModelCompilesAtPrepare(t *testing.T) {
	b, dir := backend(t)
	p, err := b.Prepare(context.Background(), twoXPlusOne(t, runtime.Static(2)))
	require.NoError(t, err)
	defer func() { require.NoError(t, p.Close()) }()
	require.Equal(t, int64(1), p.(runtime.CompileReporter).CompileStats().Compiles)
	compiled, _ := filepath.Glob(filepath.Join(dir, "*.mlmodelc"))
	require.Len(t, compiled, 1)
	// A second Prepare of the same artifact reuses the compiled model in the cache.
	before, err := os.Stat(compiled[0])
	require.NoError(t, err)
	p2, err := b.Prepare(context.Background(), twoXPlusOne(t, runtime.Static(2)))
	require.NoError(t, err)
	require.NoError(t, p2.Close())
	after, err := os.Stat(compiled[0])
	require.NoError(t, err)
	require.Equal(t, before.ModTime(), after.ModTime())
}

func TestDoubleGlueErrorsAndDeadlines(t *testing.T) {
	b, _ := backend(t)
	p, err := b.Prepare(context.Background(), twoXPlusOne(t, runtime.Static(1)))
	require.NoError(t, err)
	x := tensor.MustFromSlice([]float32{1, 2, 3}, 1, 3)

	mlbridge.InjectFault("predict", mlbridge.OK, 2000, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = p.Run(ctx, []*tensor.Tensor{x})
	var e *runtime.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, runtime.ModeTimeout, e.Mode)
	mlbridge.InjectFault("", mlbridge.OK, 0, 0)

	mlbridge.InjectFault("predict", mlbridge.Exception, 0, 1)
	_, err = p.Run(context.Background(), []*tensor.Tensor{x})
	require.ErrorAs(t, err, &e)
	require.Equal(t, runtime.ModePanic, e.Mode, "an Objective-C exception counts as a crash")

	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := p.Run(context.Background(), []*tensor.Tensor{x})
			if err != nil {
				t.Error(err)
				return
			}
			if got := tensor.MustView[float32](out[0]); got[0] != 3 || got[1] != 5 || got[2] != 7 {
				t.Errorf("2x+1 of [1 2 3] gave %v", got)
			}
		}()
	}
	wg.Wait()
	require.NoError(t, p.Close())
	require.NoError(t, p.Close())
	_, err = p.Run(context.Background(), []*tensor.Tensor{x})
	require.ErrorIs(t, err, runtime.ErrClosed)
	require.Zero(t, mlbridge.LiveAllocations(), "every model and string the bridge handed out was freed")

	mlbridge.InjectFault("compile", mlbridge.CompileFailed, 0, 1)
	b2, _ := backend(t)
	_, err = b2.Prepare(context.Background(), twoXPlusOne(t, runtime.Static(1)))
	require.ErrorAs(t, err, &e)
	require.Equal(t, runtime.ModeCompile, e.Mode)
}
