package faultinject_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/runtime/faultinject"
	"github.com/backplane-ml/backplane/tensor"
)

const (
	callers  = 16
	requests = 25 // per caller and phase
)

// outcome is what happened to one request.
type outcome struct {
	id      int
	correct bool
	typed   bool
	err     error
}

// hammer sends callers×requests requests through m concurrently and returns
// one outcome per request id. A panic escaping Run fails the test.
func hammer(t *testing.T, m *runtime.Model, want *tensor.Tensor, timeout time.Duration) map[int]outcome {
	t.Helper()
	results := make(chan outcome, callers*requests)
	var wg sync.WaitGroup
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range requests {
				id := c*requests + r
				func() {
					defer func() {
						if p := recover(); p != nil {
							t.Errorf("request %d: a panic escaped Run: %v", id, p)
						}
					}()
					ctx, cancel := context.WithTimeout(context.Background(), timeout)
					defer cancel()
					out, err := m.Run(ctx, affineIn)
					o := outcome{id: id, err: err}
					if err == nil {
						o.correct = len(out) == 1 && tensor.Compare(out[0], want, tensor.Tolerance{RTol: 1e-6}).Equal
					} else {
						var de *runtime.DispatchError
						var re *runtime.Error
						o.typed = errors.As(err, &de) || errors.As(err, &re)
					}
					results <- o
				}()
			}
		}()
	}
	wg.Wait()
	close(results)
	byID := map[int]outcome{}
	for o := range results {
		_, dup := byID[o.id]
		require.False(t, dup, "request %d answered twice", o.id)
		byID[o.id] = o
	}
	require.Len(t, byID, callers*requests, "every request is answered once")
	for _, o := range byID {
		require.True(t, o.correct || o.typed, "request %d: neither a correct result nor a typed error: %v", o.id, o.err)
	}
	return byID
}

func statsOf(rt *runtime.Runtime, backend string) runtime.BackendStats {
	for _, s := range rt.Telemetry().Snapshot().Backends {
		if s.Backend == backend {
			return s
		}
	}
	return runtime.BackendStats{}
}

// TestFaultMatrix drives every fault kind through 16 concurrent callers on a
// runtime whose preferred backend is faulty and whose fallback is ref. While
// the fault is on, every request gets a correct answer or a typed error and
// the faulty backend's breaker opens; once the fault clears, the breaker
// closes again through half-open and the faulty backend serves again.
func TestFaultMatrix(t *testing.T) {
	breaker := runtime.BreakerConfig{Window: 5 * time.Second, MinSamples: 10, SLA: 20 * time.Millisecond,
		Cooldown: 30 * time.Millisecond, MaxCooldown: 200 * time.Millisecond, Probes: 2}
	want := tensor.MustFromSlice(affineWant, 1, 3)
	for _, kind := range faultinject.Kinds() {
		t.Run(kind.String(), func(t *testing.T) {
			faulty := faultinject.Wrap(ref.Backend{}, faultinject.WithName("faulty"),
				faultinject.WithSeed(uint64(kind)+1), faultinject.WithSpike(40*time.Millisecond))
			if kind == faultinject.PrepareError {
				faulty.Set(kind, 1) // compile failures: Load falls back to ref
			}
			rt, err := runtime.New(runtime.UsingBackends(faulty, ref.Backend{}), runtime.WithBreaker(breaker),
				// Exploration sends every 4th run to the other backend first, so
				// a backend that fell behind in the ranking still gets probed.
				runtime.WithPolicy(runtime.Policy{Exploration: 0.25}))
			require.NoError(t, err)
			defer func() { require.NoError(t, rt.Close()) }()
			m, err := rt.Load(context.Background(), affine(t))
			require.NoError(t, err)
			if kind != faultinject.PrepareError {
				faulty.Set(kind, 0.5) // "after load": Unavailable then means unplugged mid-flight
			}

			// Fault phase.
			res := hammer(t, m, want, 100*time.Millisecond)
			s := statsOf(rt, "faulty")
			require.GreaterOrEqual(t, s.Breaker.Trips, int64(1), "the breaker opens: %+v", s)
			require.Less(t, s.Runs, int64(callers*requests),
				"once open, the breaker keeps requests away from the faulty backend")
			served := 0
			for _, o := range res {
				if o.correct {
					served++
				}
			}
			if kind != faultinject.Hang && kind != faultinject.IgnoreCtx {
				// Only hangs and stalls can use up a request's deadline before the fallback answers.
				require.Equal(t, callers*requests, served, "every request falls back to a correct answer")
			}
			injected := faulty.Stats().Injected[kind]
			require.Positive(t, injected, "the fault was injected")

			// Recovery phase: the fault clears; after the cooldown the breaker
			// half-opens, its probes succeed, and it closes.
			faulty.Clear()
			// Runs abandoned at their deadline (ignore-ctx) finish in the
			// background; until they have, the backend takes no new work.
			require.Eventually(t, func() bool { return len(m.Abandoned()) == 0 }, 5*time.Second, 5*time.Millisecond)
			require.Eventually(t, func() bool {
				_, _, err := m.RunWithInfo(context.Background(), affineIn)
				require.NoError(t, err)
				return statsOf(rt, "faulty").Breaker.State == runtime.BreakerClosed
			}, 5*time.Second, 5*time.Millisecond)
			before := statsOf(rt, "faulty")
			res = hammer(t, m, want, time.Second)
			for _, o := range res {
				require.True(t, o.correct, "after recovery request %d: %v", o.id, o.err)
			}
			after := statsOf(rt, "faulty")
			require.Greater(t, after.Successes, before.Successes, "the recovered backend serves again")
			require.Equal(t, before.Breaker.Trips, after.Breaker.Trips, "no new trips once the fault cleared: %s %v", after.Breaker.LastTripReason, after.Failures)
			trips := after.Breaker.Trips
			t.Logf("%s: %d injected, %d trips, faulty runs %d, failures %v", kind, injected, trips, s.Runs,
				fmt.Sprint(s.Failures))
		})
	}
}
