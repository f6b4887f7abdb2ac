package backendtest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// twoInputModel is add(x, y) with a shared symbolic batch dimension.
func twoInputModel(t *testing.T) *runtime.Artifact {
	b := runtime.NewBuilder("two-inputs")
	x := b.Input("x", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(3))
	y := b.Input("y", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(3))
	b.Output("sum", b.Op("add", nil, x, y))
	a, err := b.Build()
	require.NoError(t, err)
	return a
}

func (k *kit) load(t *testing.T, a *runtime.Artifact) *runtime.Model {
	t.Helper()
	if err := k.b.Supports(a); err != nil && errors.Is(err, runtime.ErrUnsupported) && !k.o.RequireAll {
		t.Skipf("unsupported by %s: %v", k.b.Name(), err)
	}
	rt, err := runtime.New(runtime.UsingBackends(k.b))
	require.NoError(t, err)
	m, err := rt.Load(context.Background(), a)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, rt.Close()) })
	return m
}

func (k *kit) badInputCases(t *testing.T) {
	f32 := func(shape ...int) *tensor.Tensor { return rnd(50, shape...) }
	cases := []struct {
		name   string
		inputs []*tensor.Tensor
		input  string // the input the error must name ("" when none applies)
	}{
		{"too-few", []*tensor.Tensor{f32(2, 3)}, ""},
		{"too-many", []*tensor.Tensor{f32(2, 3), f32(2, 3), f32(2, 3)}, ""},
		{"nil", []*tensor.Tensor{f32(2, 3), nil}, "y"},
		{"dtype", []*tensor.Tensor{f32(2, 3), tensor.MustFromSlice([]float64{1, 2, 3}, 1, 3)}, "y"},
		{"rank", []*tensor.Tensor{f32(2, 3), f32(6)}, "y"},
		{"static-dim", []*tensor.Tensor{f32(2, 4), f32(2, 4)}, "x"},
		{"symbolic-dim-disagrees", []*tensor.Tensor{f32(2, 3), f32(5, 3)}, "y"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := k.load(t, twoInputModel(t))
			_, err := m.Run(context.Background(), c.inputs...)
			require.ErrorIs(t, err, runtime.ErrInvalidInput)
			var e *runtime.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, "two-inputs", e.Model)
			require.Equal(t, c.input, e.Input)
		})
	}
	t.Run("cancelled-context", func(t *testing.T) {
		m := k.load(t, twoInputModel(t))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := m.Run(ctx, f32(2, 3), f32(2, 3))
		require.ErrorIs(t, err, context.Canceled)
		require.NotErrorIs(t, err, runtime.ErrNoBackend, "the caller stopped the request: no backend is at fault")
	})
	t.Run("cancelled-context-reaches-backend", func(t *testing.T) {
		// The runtime stops before calling a backend with a done context; here
		// the backend itself must notice one.
		a := twoInputModel(t)
		p := k.prepare(t, a)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := p.Run(ctx, []*tensor.Tensor{f32(2, 3), f32(2, 3)})
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("prepared-close-twice", func(t *testing.T) {
		a := twoInputModel(t)
		if err := k.b.Supports(a); err != nil {
			t.Skipf("unsupported by %s: %v", k.b.Name(), err)
		}
		p, err := k.b.Prepare(context.Background(), a)
		require.NoError(t, err)
		require.NoError(t, p.Close())
		require.NoError(t, p.Close(), "Prepared.Close must be idempotent")
	})
	t.Run("close-twice-then-run", func(t *testing.T) {
		m := k.load(t, twoInputModel(t))
		require.NoError(t, m.Close())
		require.NoError(t, m.Close())
		_, err := m.Run(context.Background(), f32(2, 3), f32(2, 3))
		require.ErrorIs(t, err, runtime.ErrClosed)
	})
	t.Run("concurrent-runs", func(t *testing.T) {
		m := k.load(t, twoInputModel(t))
		// x + y where y = -x is exactly zero in every dtype and backend.
		x := f32(4, 3)
		negX := x.Clone()
		for i, v := range tensor.MustView[float32](negX) {
			tensor.MustView[float32](negX)[i] = -v
		}
		zero, err := tensor.New(tensor.Float32, 4, 3)
		require.NoError(t, err)
		var wg sync.WaitGroup
		errs := make(chan error, 8*10)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 10; i++ {
					out, err := m.Run(context.Background(), x, negX)
					if err == nil && !tensor.Compare(out[0], zero, tensor.Tolerance{}).Equal {
						err = errors.New("concurrent run gave a wrong result")
					}
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	})
}
