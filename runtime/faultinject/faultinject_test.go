package faultinject_test

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/runtime/faultinject"
	"github.com/backplane-ml/backplane/tensor"
)

// TestMain fails the package if a goroutine outlives the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// affine is relu(x·W + b); by hand, for x = [[2, 1]]: x·W = [2+4, 4+5, 6+6] =
// [6, 9, 12], + b = [6.5, -1, 13], relu = [6.5, 0, 13].
func affine(t testing.TB) *runtime.Artifact {
	a, err := affineArtifact()
	require.NoError(t, err)
	return a
}

func affineArtifact() (*runtime.Artifact, error) {
	b := runtime.NewBuilder("affine")
	x := b.Input("x", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(2))
	w := b.Weight("w", tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	bias := b.Weight("b", tensor.MustFromSlice([]float32{0.5, -10, 1}, 3))
	b.Output("y", b.Op("relu", nil, b.Op("add", nil, b.Op("matmul", nil, x, w), bias)))
	return b.Build()
}

var (
	affineIn   = tensor.MustFromSlice([]float32{2, 1}, 1, 2)
	affineWant = []float32{6.5, 0, 13}
)

func prepare(t *testing.T, b *faultinject.Backend) runtime.Prepared {
	p, err := b.Prepare(context.Background(), affine(t))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	return p
}

func TestEachKindAtRateOne(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		kind  faultinject.Kind
		check func(t *testing.T, out []*tensor.Tensor, err error)
	}{
		{faultinject.Error, func(t *testing.T, _ []*tensor.Tensor, err error) {
			require.ErrorIs(t, err, faultinject.ErrInjected)
		}},
		{faultinject.NaN, func(t *testing.T, out []*tensor.Tensor, err error) {
			require.NoError(t, err)
			v := tensor.MustView[float32](out[0])
			require.True(t, math.IsNaN(float64(v[0])))
			require.Equal(t, affineWant[1:], v[1:], "only the first element is poisoned")
		}},
		{faultinject.WrongShape, func(t *testing.T, out []*tensor.Tensor, err error) {
			require.NoError(t, err)
			require.Equal(t, tensor.Shape{1, 1, 3}, out[0].Shape())
		}},
		{faultinject.LatencySpike, func(t *testing.T, out []*tensor.Tensor, err error) {
			require.NoError(t, err)
			require.Equal(t, affineWant, tensor.MustView[float32](out[0]), "a spike still answers correctly")
		}},
		{faultinject.Unavailable, func(t *testing.T, _ []*tensor.Tensor, err error) {
			require.ErrorIs(t, err, runtime.ErrUnavailable)
		}},
	} {
		t.Run(c.kind.String(), func(t *testing.T) {
			b := faultinject.Wrap(ref.Backend{}, faultinject.WithSpike(time.Millisecond))
			p := prepare(t, b)
			b.Set(c.kind, 1)
			out, err := p.Run(ctx, []*tensor.Tensor{affineIn})
			c.check(t, out, err)
			require.Equal(t, map[faultinject.Kind]int64{c.kind: 1}, b.Stats().Injected)
			b.Clear()
			out, err = p.Run(ctx, []*tensor.Tensor{affineIn})
			require.NoError(t, err)
			require.Equal(t, affineWant, tensor.MustView[float32](out[0]))
			require.Equal(t, int64(2), b.Stats().Calls)
		})
	}
}

func TestPanicHangUnavailableAndPrepare(t *testing.T) {
	b := faultinject.Wrap(ref.Backend{})
	p := prepare(t, b)
	in := []*tensor.Tensor{affineIn}

	b.Set(faultinject.Panic, 1)
	require.PanicsWithValue(t, "faultinject: injected panic in ref+faults", func() { _, _ = p.Run(context.Background(), in) })
	b.Clear()

	b.Set(faultinject.Hang, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := p.Run(ctx, in)
	require.ErrorIs(t, err, context.DeadlineExceeded, "a hang ends when the context does")
	b.Clear()

	require.NoError(t, b.Available())
	b.Set(faultinject.Unavailable, 0.5)
	require.ErrorIs(t, b.Available(), faultinject.ErrInjected)
	b.Clear()

	b.Set(faultinject.PrepareError, 1)
	_, err = b.Prepare(context.Background(), affine(t))
	require.ErrorIs(t, err, runtime.ErrBackend)
	var re *runtime.Error
	require.ErrorAs(t, err, &re)
	require.Equal(t, runtime.ModeCompile, re.Mode)
}

func TestRatesAreSeededAndClamped(t *testing.T) {
	count := func(seed uint64) []bool {
		b := faultinject.Wrap(ref.Backend{}, faultinject.WithSeed(seed), faultinject.WithRate(faultinject.Error, 0.3))
		p := prepare(t, b)
		var got []bool
		for range 200 {
			_, err := p.Run(context.Background(), []*tensor.Tensor{affineIn})
			got = append(got, err != nil)
		}
		return got
	}
	a, again, other := count(7), count(7), count(8)
	require.Equal(t, a, again, "the same seed gives the same faults")
	require.NotEqual(t, a, other)
	n := 0
	for _, f := range a {
		if f {
			n++
		}
	}
	// 200 draws at p = 0.3: mean 60, standard deviation ≈ 6.5; ±5σ.
	require.InDelta(t, 60, n, 33)

	b := faultinject.Wrap(ref.Backend{})
	b.Set(faultinject.Error, 7)
	require.Equal(t, 1.0, b.Rate(faultinject.Error))
	b.Set(faultinject.Error, math.NaN())
	require.Equal(t, 0.0, b.Rate(faultinject.Error))
	b.Set(faultinject.Kind(99), 1) // ignored, never a panic
	require.Equal(t, 0.0, b.Rate(faultinject.Kind(99)))
	require.Equal(t, "kind(99)", faultinject.Kind(99).String())
	require.Len(t, faultinject.Kinds(), 9)
}

func TestConcurrentCallersAndRateChanges(t *testing.T) {
	b := faultinject.Wrap(ref.Backend{}, faultinject.WithRate(faultinject.Error, 0.5))
	p := prepare(t, b)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				if g == 0 && i == 25 {
					b.Clear()
				}
				out, err := p.Run(context.Background(), []*tensor.Tensor{affineIn})
				if err != nil {
					if !errors.Is(err, faultinject.ErrInjected) {
						t.Errorf("unexpected error %v", err)
					}
					continue
				}
				if got := tensor.MustView[float32](out[0]); got[2] != 13 {
					t.Errorf("wrong result %v", got)
				}
			}
		}()
	}
	wg.Wait()
	s := b.Stats()
	require.Equal(t, int64(16*50), s.Calls)
	require.Positive(t, s.Injected[faultinject.Error])
}

func TestWithNameTakesThePreferenceSlot(t *testing.T) {
	b := faultinject.Wrap(ref.Backend{}, faultinject.WithName("gomlx"))
	require.Equal(t, "gomlx", b.Name())
	require.Equal(t, "ref+faults", faultinject.Wrap(ref.Backend{}).Name())
}
