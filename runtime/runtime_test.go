package runtime_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// affine is relu(x·W + b) with x [batch, 2]; by hand, for x = [[2, 1]]:
// x·W = [2·1+1·4, 2·2+1·5, 2·3+1·6] = [6, 9, 12]; +b = [6.5, -1, 13]; relu = [6.5, 0, 13].
func affine(t testing.TB) *runtime.Artifact {
	b := runtime.NewBuilder("affine")
	x := b.Input("x", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(2))
	w := b.Weight("w", tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	bias := b.Weight("b", tensor.MustFromSlice([]float32{0.5, -10, 1}, 3))
	b.Output("y", b.Op("relu", nil, b.Op("add", nil, b.Op("matmul", nil, x, w), bias)))
	a, err := b.Build()
	require.NoError(t, err)
	return a
}

var affineIn = tensor.MustFromSlice([]float32{2, 1}, 1, 2)
var affineWant = []float32{6.5, 0, 13}

func TestPackageRun(t *testing.T) {
	out, err := runtime.Run(context.Background(), affine(t), affineIn)
	require.NoError(t, err)
	require.Len(t, out, 1)
	require.Equal(t, tensor.Shape{1, 3}, out[0].Shape())
	require.Equal(t, affineWant, tensor.MustView[float32](out[0]))
}

func TestRunRejectsBadArtifacts(t *testing.T) {
	_, err := runtime.Run(context.Background(), nil)
	require.ErrorIs(t, err, runtime.ErrInvalidArtifact)
	bad := affine(t)
	bad.Nodes[0].Op = "nope"
	_, err = runtime.Run(context.Background(), bad, affineIn)
	require.ErrorIs(t, err, runtime.ErrInvalidArtifact)
	require.ErrorIs(t, err, ops.ErrUnknownOp)
}

// fake is a scriptable backend for dispatcher tests.
type fake struct {
	name        string
	unavailable error
	unsupported bool
	prepareErr  error
	run         func(inputs []*tensor.Tensor) ([]*tensor.Tensor, error)
	runs        atomic.Int32
	closes      atomic.Int32
}

func (f *fake) Name() string     { return f.name }
func (f *fake) Available() error { return f.unavailable }
func (f *fake) Supports(a *runtime.Artifact) error {
	if f.unsupported {
		return &runtime.Error{Kind: runtime.ErrUnsupported, Backend: f.name, Op: a.Nodes[0].Op, Err: errors.New("no kernel")}
	}
	return nil
}
func (f *fake) Prepare(ctx context.Context, a *runtime.Artifact) (runtime.Prepared, error) {
	if f.prepareErr != nil {
		return nil, f.prepareErr
	}
	return (*fakePrepared)(f), nil
}

type fakePrepared fake

func (p *fakePrepared) Run(ctx context.Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	p.runs.Add(1)
	return p.run(in)
}
func (p *fakePrepared) Close() error { p.closes.Add(1); return nil }

func TestFallbackDownTheChain(t *testing.T) {
	failing := &fake{name: "failing", run: func([]*tensor.Tensor) ([]*tensor.Tensor, error) {
		return nil, errors.New("device lost")
	}}
	panicky := &fake{name: "panicky", run: func([]*tensor.Tensor) ([]*tensor.Tensor, error) { panic("kernel bug") }}
	misshapen := &fake{name: "misshapen", run: func([]*tensor.Tensor) ([]*tensor.Tensor, error) {
		return []*tensor.Tensor{tensor.MustFromSlice([]float32{1}, 1)}, nil
	}}
	noCompile := &fake{name: "nocompile", prepareErr: errors.New("compiler crashed")}
	away := &fake{name: "away", unavailable: errors.New("install the plugin")}
	picky := &fake{name: "picky", unsupported: true}

	rt, err := runtime.New(runtime.UsingBackends(away, picky, failing, panicky, misshapen, noCompile, ref.Backend{}))
	require.NoError(t, err)
	defer rt.Close()
	m, err := rt.Load(context.Background(), affine(t))
	require.NoError(t, err)
	require.Equal(t, []string{"failing", "panicky", "misshapen", "nocompile", "ref"}, m.Backends())
	skipped := m.Skipped()
	require.Len(t, skipped, 2)
	require.Equal(t, runtime.ModeUnavailable, skipped[0].Mode)
	require.Equal(t, runtime.ModeUnsupported, skipped[1].Mode)

	out, info, err := m.RunWithInfo(context.Background(), affineIn)
	require.NoError(t, err)
	require.Equal(t, affineWant, tensor.MustView[float32](out[0]))
	require.Equal(t, "ref", info.Backend)
	modes := []runtime.FailureMode{}
	for _, a := range info.Attempts {
		modes = append(modes, a.Mode)
	}
	require.Equal(t, []runtime.FailureMode{runtime.ModeRuntime, runtime.ModePanic, runtime.ModeRuntime, runtime.ModeCompile}, modes)
	require.ErrorContains(t, info.Attempts[1].Err, "kernel bug")
	require.ErrorContains(t, info.Attempts[2].Err, "output \"y\" is float32[1]")
}

func TestAllBackendsFailGivesOneTypedError(t *testing.T) {
	failing := &fake{name: "failing", run: func([]*tensor.Tensor) ([]*tensor.Tensor, error) {
		return nil, errors.New("device lost")
	}}
	rt, err := runtime.New(runtime.UsingBackends(failing))
	require.NoError(t, err)
	defer rt.Close()
	m, err := rt.Load(context.Background(), affine(t))
	require.NoError(t, err)
	_, err = m.Run(context.Background(), affineIn)
	require.ErrorIs(t, err, runtime.ErrNoBackend)
	var de *runtime.DispatchError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "affine", de.Model)
	require.Len(t, de.Attempts, 1)
	require.ErrorContains(t, err, "device lost")
	require.ErrorIs(t, err, runtime.ErrBackend)
}

func TestLoadFailsWhenNoBackendCanRun(t *testing.T) {
	away := &fake{name: "away", unavailable: errors.New("install the plugin")}
	noCompile := &fake{name: "nocompile", prepareErr: errors.New("compiler crashed")}
	rt, err := runtime.New(runtime.UsingBackends(away, noCompile))
	require.NoError(t, err)
	_, err = rt.Load(context.Background(), affine(t))
	require.ErrorIs(t, err, runtime.ErrNoBackend)
	require.ErrorContains(t, err, "install the plugin")
	require.ErrorContains(t, err, "compiler crashed")
}

func TestPanicInPrepareAndAvailableIsContained(t *testing.T) {
	rt, err := runtime.New(runtime.UsingBackends(panicPrepare{}, ref.Backend{}))
	require.NoError(t, err)
	defer rt.Close()
	m, err := rt.Load(context.Background(), affine(t))
	require.NoError(t, err)
	_, info, err := m.RunWithInfo(context.Background(), affineIn)
	require.NoError(t, err)
	require.Equal(t, "ref", info.Backend)

	err = runtime.Availability(panicPrepare{})
	var e *runtime.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, runtime.ModePanic, e.Mode)
}

type panicPrepare struct{}

func (panicPrepare) Name() string                       { return "panicprepare" }
func (panicPrepare) Available() error                   { panic("probe crashed") }
func (panicPrepare) Supports(a *runtime.Artifact) error { return nil }
func (panicPrepare) Prepare(context.Context, *runtime.Artifact) (runtime.Prepared, error) {
	panic("compile crashed")
}

func TestSymbolicBatch(t *testing.T) {
	rt, err := runtime.New(runtime.WithBackends("ref"))
	require.NoError(t, err)
	defer rt.Close()
	m, err := rt.Load(context.Background(), affine(t))
	require.NoError(t, err)
	// Three rows: [2,1] (by hand above), [0,0] → relu(b) = [0.5, 0, 1], [1,0] → W row 0 + b = [1.5, -8, 4] → [1.5, 0, 4].
	x := tensor.MustFromSlice([]float32{2, 1, 0, 0, 1, 0}, 3, 2)
	out, err := m.Run(context.Background(), x)
	require.NoError(t, err)
	require.Equal(t, []float32{6.5, 0, 13, 0.5, 0, 1, 1.5, 0, 4}, tensor.MustView[float32](out[0]))
	// An empty batch is a valid batch.
	empty, err := tensor.New(tensor.Float32, 0, 2)
	require.NoError(t, err)
	out, err = m.Run(context.Background(), empty)
	require.NoError(t, err)
	require.Equal(t, tensor.Shape{0, 3}, out[0].Shape())
}

func TestInputSizesTheGraphCannotTake(t *testing.T) {
	// reshape to a fixed [1, 3] only works for batch 1.
	b := runtime.NewBuilder("fixed-reshape")
	x := b.Input("x", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(3))
	b.Output("y", b.Op("reshape", ops.Attrs{"shape": []int{1, 3}}, x))
	a, err := b.Build()
	require.NoError(t, err)
	_, err = runtime.Run(context.Background(), a, tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	require.ErrorIs(t, err, runtime.ErrInvalidInput)
	require.ErrorContains(t, err, "batch=2")
}

func TestRuntimeCloseClosesModels(t *testing.T) {
	f := &fake{name: "f", run: func(in []*tensor.Tensor) ([]*tensor.Tensor, error) { return ref.Eval("relu", nil, in[0]) }}
	b := runtime.NewBuilder("relu")
	b.Output("y", b.Op("relu", nil, b.Input("x", tensor.Float32, runtime.Static(2))))
	a, err := b.Build()
	require.NoError(t, err)
	rt, err := runtime.New(runtime.UsingBackends(f))
	require.NoError(t, err)
	m, err := rt.Load(context.Background(), a)
	require.NoError(t, err)
	require.NoError(t, rt.Close())
	require.EqualValues(t, 1, f.closes.Load())
	_, err = m.Run(context.Background(), tensor.MustFromSlice([]float32{1, -1}, 2))
	require.ErrorIs(t, err, runtime.ErrClosed)
	_, err = rt.Load(context.Background(), a)
	require.ErrorIs(t, err, runtime.ErrClosed)
	require.NoError(t, m.Close(), "closing twice is fine")
	require.EqualValues(t, 1, f.closes.Load())
}

func TestWithBackendsRejectsUnknownNames(t *testing.T) {
	_, err := runtime.New(runtime.WithBackends("no-such-backend"))
	require.ErrorContains(t, err, "not registered")
	_, err = runtime.New(runtime.UsingBackends())
	require.Error(t, err)
}

func TestBackendsListsRefLast(t *testing.T) {
	bs := runtime.Backends()
	require.NotEmpty(t, bs)
	require.Equal(t, "ref", bs[len(bs)-1].Name())
	b, ok := runtime.Lookup("ref")
	require.True(t, ok)
	require.Equal(t, "ref", b.Name())
	require.Panics(t, func() { runtime.Register(ref.Backend{}) }, "duplicate registration")
}

func TestValueSizeLimit(t *testing.T) {
	// expand [batch, 1] to [batch, 1024]: 4 KiB per batch row of float32.
	b := runtime.NewBuilder("wide")
	x := b.Input("x", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(1))
	b.Output("y", b.Op("expand", ops.Attrs{"shape": []int{1, 1024}}, x))
	a, err := b.Build()
	require.NoError(t, err)

	_, err = runtime.New(runtime.WithMaxValueBytes(0))
	require.Error(t, err)

	tiny, err := runtime.New(runtime.WithBackends("ref"), runtime.WithMaxValueBytes(1000))
	require.NoError(t, err)
	_, err = tiny.Load(context.Background(), a)
	require.ErrorIs(t, err, runtime.ErrInvalidArtifact)
	var e *runtime.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, runtime.ModeMemory, e.Mode)
	require.Equal(t, "y", e.Input, "the value too large is named")

	// 8 KiB allows batch 2 (8192 bytes) but not batch 3.
	rt, err := runtime.New(runtime.WithBackends("ref"), runtime.WithMaxValueBytes(8192))
	require.NoError(t, err)
	defer rt.Close()
	m, err := rt.Load(context.Background(), a)
	require.NoError(t, err)
	_, err = m.Run(context.Background(), tensor.MustFromSlice([]float32{1, 2}, 2, 1))
	require.NoError(t, err)
	_, err = m.Run(context.Background(), tensor.MustFromSlice([]float32{1, 2, 3}, 3, 1))
	require.ErrorIs(t, err, runtime.ErrInvalidInput)
	require.ErrorAs(t, err, &e)
	require.Equal(t, runtime.ModeMemory, e.Mode)
	require.ErrorContains(t, err, "batch=3")
}

func TestRunDuringPendingCloseFailsFast(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	var calls atomic.Int32
	slow := &fake{name: "slow", run: func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if calls.Add(1) == 1 { // only the first run is slow
			close(started)
			<-release
		}
		return ref.Eval("relu", nil, in[0])
	}}
	b := runtime.NewBuilder("relu")
	b.Output("y", b.Op("relu", nil, b.Input("x", tensor.Float32, runtime.Static(2))))
	a, err := b.Build()
	require.NoError(t, err)
	rt, err := runtime.New(runtime.UsingBackends(slow))
	require.NoError(t, err)
	m, err := rt.Load(context.Background(), a)
	require.NoError(t, err)
	x := tensor.MustFromSlice([]float32{1, -1}, 2)

	firstDone := make(chan error)
	go func() { _, err := m.Run(context.Background(), x); firstDone <- err }()
	<-started
	closeDone := make(chan error)
	go func() { closeDone <- m.Close() }()
	// Wait until Close has marked the model closed, then a new Run must get
	// ErrClosed without waiting for the slow run.
	require.Eventually(t, func() bool {
		_, err := m.Run(context.Background(), x)
		return errors.Is(err, runtime.ErrClosed)
	}, 5*time.Second, time.Millisecond)
	select {
	case <-closeDone:
		t.Fatal("Close returned while a run was still in flight")
	default:
	}
	close(release)
	require.NoError(t, <-firstDone, "the run in flight completes")
	require.NoError(t, <-closeDone)
	require.NoError(t, m.Close(), "a second Close returns Close's result")
	require.EqualValues(t, 1, slow.closes.Load())
}

func TestStaticModelOutputsAreChecked(t *testing.T) {
	// A model without symbolic dims takes the precomputed output types; a
	// backend returning the wrong shape must still be caught and bypassed.
	misshapen := &fake{name: "misshapen", run: func([]*tensor.Tensor) ([]*tensor.Tensor, error) {
		return []*tensor.Tensor{tensor.MustFromSlice([]float32{1, 2, 3}, 3)}, nil
	}}
	b := runtime.NewBuilder("static-relu")
	b.Output("y", b.Op("relu", nil, b.Input("x", tensor.Float32, runtime.Static(2))))
	a, err := b.Build()
	require.NoError(t, err)
	rt, err := runtime.New(runtime.UsingBackends(misshapen, ref.Backend{}))
	require.NoError(t, err)
	defer rt.Close()
	m, err := rt.Load(context.Background(), a)
	require.NoError(t, err)
	out, info, err := m.RunWithInfo(context.Background(), tensor.MustFromSlice([]float32{-1, 2}, 2))
	require.NoError(t, err)
	require.Equal(t, "ref", info.Backend)
	require.Equal(t, runtime.ModeRuntime, info.Attempts[0].Mode)
	require.Equal(t, []float32{0, 2}, tensor.MustView[float32](out[0]))
}
