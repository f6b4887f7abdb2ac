package faultinject_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/runtime/faultinject"
)

// A backend that ignores its context (a GoMLX or PJRT execution) still
// gives the caller the typed timeout at the deadline: the run is abandoned,
// counted, and past runtime.MaxAbandonedRuns the backend gets no new work
// for that model until they finish; Close waits for them.
func TestBackendIgnoresCtx(t *testing.T) {
	const stall = 2 * time.Second
	faulty := faultinject.Wrap(ref.Backend{}, faultinject.WithName("deaf"), faultinject.WithStall(stall))
	rt, err := runtime.New(runtime.UsingBackends(faulty))
	require.NoError(t, err)
	m, err := rt.Load(context.Background(), affine(t))
	require.NoError(t, err)
	faulty.Set(faultinject.IgnoreCtx, 1)

	var wg sync.WaitGroup
	for i := range runtime.MaxAbandonedRuns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
			defer cancel()
			_, err := m.Run(ctx, affineIn)
			require.ErrorIs(t, err, context.DeadlineExceeded, "run %d", i)
			var e *runtime.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, runtime.ModeTimeout, e.Mode)
			require.Equal(t, "deaf", e.Backend)
		}()
	}
	wg.Wait()
	// Every run returned at its deadline while the backend still stalls.
	require.Equal(t, map[string]int{"deaf": runtime.MaxAbandonedRuns}, m.Abandoned())

	// One more is refused at once: the backend has too many runs in flight.
	ctx, cancel := context.WithTimeout(context.Background(), stall/2)
	defer cancel()
	_, err = m.Run(ctx, affineIn)
	require.Error(t, err)
	require.NoError(t, ctx.Err(), "refused before its deadline")
	require.Contains(t, err.Error(), "still executing past their deadline")
	require.Equal(t, int64(runtime.MaxAbandonedRuns+0), faulty.Stats().Calls, "no new work reached the backend")

	// Close waits for the abandoned runs rather than freeing what they use.
	require.NoError(t, rt.Close())
	require.Empty(t, m.Abandoned())
}

// A cancelled Load returns no model, even when a backend prepared it.
func TestLoadHonoursCtx(t *testing.T) {
	rt, err := runtime.New(runtime.UsingBackends(ref.Backend{}))
	require.NoError(t, err)
	defer rt.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m, err := rt.Load(ctx, affine(t))
	require.Nil(t, m)
	require.True(t, errors.Is(err, context.Canceled), "%v", err)
}
