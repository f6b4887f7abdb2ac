//go:build !coremldouble

package coreml

import (
	"context"
	"testing"

	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/runtime/backendtest"
	"github.com/backplane-ml/backplane/tensor"
	"github.com/stretchr/testify/require"
)

func TestRegistered(t *testing.T) {
	b, ok := runtime.Lookup("coreml")
	require.True(t, ok)
	require.Equal(t, "coreml", b.Name())
	require.Equal(t, "coreml", runtime.Backends()[0].Name(), "first in the default preference order")

	mlp, err := models.MLP(models.MLPConfig{Inputs: 4, Hidden: []int{3}, Classes: 2, Seed: 1})
	require.NoError(t, err)
	require.NoError(t, b.Supports(mlp), "answers on every platform")

	x := runtime.NewBuilder("unsupported")
	x.Output("y", x.NamedOp("ls", "log_softmax", 1, nil, in(x, "x", 2, 3))[0])
	bad, err := x.Build()
	require.NoError(t, err)
	requireUnsupported(t, b.Supports(bad), "ls", "log_softmax", "", "no Core ML")
	_, err = b.Prepare(context.Background(), bad)
	require.ErrorIs(t, err, runtime.ErrUnsupported, "Prepare checks support first")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = b.Prepare(ctx, mlp)
	require.ErrorIs(t, err, context.Canceled)
}

func TestRuntimeFallsBackToRef(t *testing.T) {
	// With coreml registered but unable to run (here) or able to (on macOS with
	// the bridge), a model still runs and gives the reference backend's answer
	// within float32 tolerance.
	a, err := models.MLP(models.MLPConfig{Inputs: 4, Hidden: []int{3}, Classes: 2, Seed: 1})
	require.NoError(t, err)
	rt, err := runtime.New(runtime.WithBackends("coreml", "ref"))
	require.NoError(t, err)
	defer rt.Close()
	m, err := rt.Load(context.Background(), a)
	require.NoError(t, err)
	x := tensor.MustFromSlice([]float32{1, -2, 0.5, 3, 0, 0, 1, 1}, 2, 4)
	got, err := m.Run(context.Background(), x)
	require.NoError(t, err)
	want := refRun(t, a, []*tensor.Tensor{x})
	cmp := tensor.Compare(got[0], want["probs"], tensor.Tolerance{RTol: 1e-4, ATol: 1e-5})
	require.True(t, cmp.Equal, "%v", cmp)
}

// TestBackendConformanceKit runs the shared backend conformance kit. Where
// Core ML is unavailable (every platform but macOS with the bridge built in)
// the kit skips itself, saying why.
func TestBackendConformanceKit(t *testing.T) { backendtest.Run(t, New(Options{})) }

// TestBackendConformanceKitConstantOperands runs the kit with kernels,
// scales and biases as model constants, the only form Core ML's convolution
// and normalization layers take: on macOS this is where those ops run.
func TestBackendConformanceKitConstantOperands(t *testing.T) {
	backendtest.RunWithOptions(t, New(Options{}), backendtest.Options{ConstantOperands: true})
}
