package xla

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// scaleModel is y = 2·x over a symbolic batch, so every batch size is a new
// input signature.
func scaleModel(t *testing.T) *runtime.Artifact {
	b := runtime.NewBuilder("scale")
	x := b.Input("x", tensor.Float32, runtime.Symbolic("batch"), runtime.Static(3))
	b.Output("y", b.Op("mul", nil, x, b.Weight("two", tensor.Scalar[float32](2))))
	a, err := b.Build()
	require.NoError(t, err)
	return a
}

func batchOf(t *testing.T, n int) *tensor.Tensor {
	x, err := tensor.Full[float32](1.5, n, 3)
	require.NoError(t, err)
	return x
}

func TestCacheCountsCompilesHitsAndEvictions(t *testing.T) {
	for _, b := range testEngines(t, Options{CacheSize: 2}) {
		t.Run(b.Name(), func(t *testing.T) { cacheCountsCompilesHitsAndEvictions(t, b) })
	}
}

func cacheCountsCompilesHitsAndEvictions(t *testing.T, b *Backend) {
	p, err := b.Prepare(context.Background(), scaleModel(t))
	require.NoError(t, err)
	defer p.Close()
	rep := p.(runtime.CompileReporter)
	require.Equal(t, runtime.CompileStats{}, rep.CompileStats(), "a symbolic batch compiles nothing at Prepare")

	// Batches 1, 2, 1, 3, 2, 2: signatures 1 and 2 compile; 1 hits; 3
	// compiles and evicts 2 (least recently used: 1 was used after it); 2
	// compiles again and evicts 1; the last 2 hits.
	for _, n := range []int{1, 2, 1, 3, 2, 2} {
		out, err := p.Run(context.Background(), []*tensor.Tensor{batchOf(t, n)})
		require.NoError(t, err)
		require.Equal(t, tensor.Shape{n, 3}, out[0].Shape())
		require.Equal(t, float32(3), tensor.MustView[float32](out[0])[0], "2 · 1.5")
	}
	s := rep.CompileStats()
	require.Equal(t, int64(4), s.Compiles)
	require.Equal(t, int64(2), s.Hits)
	require.Equal(t, int64(2), s.Evictions)
	require.Equal(t, 2, s.Cached)
	require.Positive(t, s.CompileTime)
}

func TestCacheStaticModelCompilesAtPrepare(t *testing.T) {
	b := runtime.NewBuilder("static")
	x := b.Input("x", tensor.Float32, runtime.Dims(2, 3)...)
	b.Output("y", b.Op("neg", nil, x))
	a, err := b.Build()
	require.NoError(t, err)
	for _, be := range testEngines(t, Options{}) {
		t.Run(be.Name(), func(t *testing.T) {
			p, err := be.Prepare(context.Background(), a)
			require.NoError(t, err)
			defer p.Close()
			require.Equal(t, int64(1), p.(runtime.CompileReporter).CompileStats().Compiles)
			_, err = p.Run(context.Background(), []*tensor.Tensor{batchOf(t, 2)})
			require.NoError(t, err)
			s := p.(runtime.CompileReporter).CompileStats()
			require.Equal(t, int64(1), s.Compiles)
			require.Equal(t, int64(1), s.Hits)
		})
	}
}

// Concurrent first runs of one signature share a single compile.
func TestCacheConcurrentMissCompilesOnce(t *testing.T) {
	for _, b := range testEngines(t, Options{}) {
		t.Run(b.Name(), func(t *testing.T) { cacheConcurrentMissCompilesOnce(t, b) })
	}
}

func cacheConcurrentMissCompilesOnce(t *testing.T, b *Backend) {
	p, err := b.Prepare(context.Background(), scaleModel(t))
	require.NoError(t, err)
	defer p.Close()
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.Run(context.Background(), []*tensor.Tensor{batchOf(t, 4)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	s := p.(runtime.CompileReporter).CompileStats()
	require.Equal(t, int64(1), s.Compiles)
	require.Equal(t, int64(n-1), s.Hits)
}

// An executable evicted while a run uses it is freed only after that run.
func TestCacheEvictionWaitsForUsers(t *testing.T) {
	c := newExecCache(1)
	mk := func() (*program, error) { return &program{}, nil }
	e1, err := c.acquire("a", mk)
	require.NoError(t, err)
	e2, err := c.acquire("b", mk) // evicts "a", which e1 still holds
	require.NoError(t, err)
	require.True(t, e1.evicted)
	require.Equal(t, 1, e1.refs, "still in use")
	c.release(e1)
	require.Equal(t, 0, e1.refs)
	c.release(e2)
	require.False(t, e2.evicted)
	c.close()
	require.True(t, e2.evicted)
	_, err = c.acquire("c", mk)
	require.ErrorIs(t, err, runtime.ErrClosed)
}
