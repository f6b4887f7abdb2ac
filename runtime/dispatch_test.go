package runtime_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// correct is a fake backend's run that answers like ref, sleeping first.
func correct(delay time.Duration) func([]*tensor.Tensor) ([]*tensor.Tensor, error) {
	return func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		time.Sleep(delay)
		n := in[0].Shape()[0]
		out := make([]float32, 0, 3*n)
		for range n {
			out = append(out, affineWant...)
		}
		return []*tensor.Tensor{tensor.MustFromSlice(out, n, 3)}, nil
	}
}

func load(t *testing.T, opts []runtime.Option, bs ...runtime.Backend) (*runtime.Runtime, *runtime.Model) {
	t.Helper()
	rt, err := runtime.New(append([]runtime.Option{runtime.UsingBackends(bs...)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, rt.Close()) })
	m, err := rt.Load(context.Background(), affine(t))
	require.NoError(t, err)
	return rt, m
}

func statsOf(t *testing.T, rt *runtime.Runtime, backend string) runtime.BackendStats {
	t.Helper()
	for _, s := range rt.Telemetry().Snapshot().Backends {
		if s.Backend == backend {
			return s
		}
	}
	t.Fatalf("no telemetry for backend %s", backend)
	return runtime.BackendStats{}
}

func TestStaticPreferenceThenLowestLatency(t *testing.T) {
	slow := &fake{name: "slow", run: correct(3 * time.Millisecond)}
	fast := &fake{name: "fast", run: correct(0)}
	// Exploration 0.25: every 4th run tries the other backend first.
	_, m := load(t, []runtime.Option{runtime.WithPolicy(runtime.Policy{MinSamples: 5, Exploration: 0.25})}, slow, fast)
	d := m.Explain()
	require.Equal(t, []string{"slow", "fast"}, d.Order, "static preference before any sample")
	require.False(t, d.Ranked)
	for range 200 {
		_, err := m.Run(context.Background(), affineIn)
		require.NoError(t, err)
	}
	// fast got its 5 samples from exploration (every 4th run); from then on it
	// ranks by its lower latency and takes the lead.
	d = m.Explain()
	require.True(t, d.Ranked)
	require.Equal(t, []string{"fast", "slow"}, d.Order)
	require.Contains(t, d.String(), "lowest smoothed latency")
	require.Greater(t, fast.runs.Load(), slow.runs.Load())
}

// With the default policy, a faster backend behind the static preference
// takes the lead within a few hundred runs: once its first explored sample
// beats the leader's latency it is tried every PromisingPeriod-th run, and
// it is ranked against the leader as soon as both have MinSamples, whatever
// the slow last backend (never explored past one sample) has.
func TestFasterBackendTakesTheLeadWithoutWaitingForEveryBackend(t *testing.T) {
	preferred := &fake{name: "preferred", run: correct(2 * time.Millisecond)}
	fast := &fake{name: "fast", run: correct(0)}
	slowest := &fake{name: "slowest", run: correct(20 * time.Millisecond)}
	_, m := load(t, nil, preferred, fast, slowest)
	for range 400 {
		_, err := m.Run(context.Background(), affineIn)
		require.NoError(t, err)
	}
	d := m.Explain()
	require.Equal(t, []string{"fast", "preferred", "slowest"}, d.Order, "%s", d)
	require.True(t, d.Ranked)
	require.Less(t, slowest.runs.Load(), int32(runtime.DefaultPolicy().MinSamples), "the slow backend is only explored at the paced rate")
	require.Contains(t, d.Candidates[2].Reason, "static preference")
}

func TestNoExplorationKeepsStaticOrder(t *testing.T) {
	a := &fake{name: "a", run: correct(time.Millisecond)}
	b := &fake{name: "b", run: correct(0)}
	_, m := load(t, []runtime.Option{runtime.WithPolicy(runtime.Policy{NoExploration: true})}, a, b)
	for range 40 {
		_, err := m.Run(context.Background(), affineIn)
		require.NoError(t, err)
	}
	require.Equal(t, int32(40), a.runs.Load())
	require.Equal(t, int32(0), b.runs.Load())
}

func TestBreakerOpensAndClosesThroughHalfOpen(t *testing.T) {
	var broken atomic.Bool
	broken.Store(true)
	flaky := &fake{name: "flaky", run: func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if broken.Load() {
			return nil, errors.New("device lost")
		}
		return correct(0)(in)
	}}
	cfg := runtime.BreakerConfig{Window: 10 * time.Second, MinSamples: 5, Cooldown: 30 * time.Millisecond, Probes: 2}
	rt, m := load(t, []runtime.Option{runtime.WithBreaker(cfg), runtime.WithPolicy(runtime.Policy{NoExploration: true})},
		flaky, ref.Backend{})
	ctx := context.Background()
	for range 5 { // five failures: the window's minimum sample, at 0% success
		out, info, err := m.RunWithInfo(ctx, affineIn)
		require.NoError(t, err)
		require.Equal(t, "ref", info.Backend)
		require.Equal(t, affineWant, tensor.MustView[float32](out[0]))
	}
	s := statsOf(t, rt, "flaky")
	require.Equal(t, runtime.BreakerOpen, s.Breaker.State)
	require.Equal(t, int64(5), s.Failures[runtime.ModeRuntime])

	// Open: flaky is not tried at all.
	_, info, err := m.RunWithInfo(ctx, affineIn)
	require.NoError(t, err)
	require.Equal(t, runtime.ModeCircuitOpen, info.Attempts[0].Mode)
	require.ErrorIs(t, info.Attempts[0].Err, runtime.ErrCircuitOpen)
	require.Equal(t, int32(5), flaky.runs.Load())
	require.Contains(t, m.Explain().String(), "breaker open")

	// The fault clears; after the cooldown two probes succeed and close it.
	broken.Store(false)
	time.Sleep(40 * time.Millisecond)
	for range 2 {
		_, info, err := m.RunWithInfo(ctx, affineIn)
		require.NoError(t, err)
		require.Equal(t, "flaky", info.Backend)
	}
	s = statsOf(t, rt, "flaky")
	require.Equal(t, runtime.BreakerClosed, s.Breaker.State)
	require.Equal(t, int64(1), s.Breaker.Trips)
}

func TestLastResortIsTriedEvenWithItsBreakerOpen(t *testing.T) {
	var broken atomic.Bool
	broken.Store(true)
	only := &fake{name: "only", run: func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if broken.Load() {
			return nil, errors.New("flaky")
		}
		return correct(0)(in)
	}}
	cfg := runtime.BreakerConfig{MinSamples: 3, Cooldown: time.Hour}
	rt, m := load(t, []runtime.Option{runtime.WithBreaker(cfg)}, only)
	for range 3 {
		_, err := m.Run(context.Background(), affineIn)
		require.Error(t, err)
	}
	require.Equal(t, runtime.BreakerOpen, statsOf(t, rt, "only").Breaker.State)
	broken.Store(false)
	_, err := m.Run(context.Background(), affineIn)
	require.NoError(t, err, "the only backend left is tried although its breaker is open")
}

func TestNaNOutputIsANumericFailure(t *testing.T) {
	nan := &fake{name: "nan", run: func([]*tensor.Tensor) ([]*tensor.Tensor, error) {
		return []*tensor.Tensor{tensor.MustFromSlice([]float32{1, float32(math.NaN()), 3}, 1, 3)}, nil
	}}
	inf := &fake{name: "inf", run: func([]*tensor.Tensor) ([]*tensor.Tensor, error) {
		return []*tensor.Tensor{tensor.MustFromSlice([]float32{1, float32(math.Inf(-1)), 3}, 1, 3)}, nil
	}}
	rt, m := load(t, nil, nan, inf, ref.Backend{})
	out, info, err := m.RunWithInfo(context.Background(), affineIn)
	require.NoError(t, err)
	require.Equal(t, "ref", info.Backend)
	require.Equal(t, affineWant, tensor.MustView[float32](out[0]))
	require.Len(t, info.Attempts, 2)
	for _, a := range info.Attempts {
		require.Equal(t, runtime.ModeNumeric, a.Mode)
		require.ErrorContains(t, a.Err, `output "y" holds NaN or Inf`)
	}
	require.Equal(t, int64(1), statsOf(t, rt, "nan").Failures[runtime.ModeNumeric])

	// With the check off, the NaN goes through as the answer.
	_, m2 := load(t, []runtime.Option{runtime.WithPolicy(runtime.Policy{NoNumericCheck: true})}, nan, ref.Backend{})
	_, info, err = m2.RunWithInfo(context.Background(), affineIn)
	require.NoError(t, err)
	require.Equal(t, "nan", info.Backend)
}

func TestShadowParityFlagsDivergentBackend(t *testing.T) {
	offByOne := &fake{name: "offbyone", run: func([]*tensor.Tensor) ([]*tensor.Tensor, error) {
		return []*tensor.Tensor{tensor.MustFromSlice([]float32{7.5, 1, 14}, 1, 3)}, nil // affineWant + 1
	}}
	good := &fake{name: "good", run: correct(0)}
	shadow := runtime.WithShadow(runtime.ShadowConfig{Fraction: 1, MaxInFlight: 64})
	for _, c := range []struct {
		b         *fake
		divergent bool
	}{{offByOne, true}, {good, false}} {
		t.Run(c.b.name, func(t *testing.T) {
			rt, err := runtime.New(runtime.UsingBackends(c.b, ref.Backend{}), shadow)
			require.NoError(t, err)
			m, err := rt.Load(context.Background(), affine(t))
			require.NoError(t, err)
			for range 10 {
				_, err := m.Run(context.Background(), affineIn)
				require.NoError(t, err)
			}
			require.Eventually(t, func() bool {
				s := statsOf(t, rt, c.b.name)
				return s.ShadowChecks+s.ShadowDropped == 10
			}, 10*time.Second, time.Millisecond)
			s := statsOf(t, rt, c.b.name)
			require.Positive(t, s.ShadowChecks)
			if c.divergent {
				require.Equal(t, s.ShadowChecks, s.Failures[runtime.ModeNumeric])
				require.Equal(t, 10-s.ShadowChecks, s.Successes)
			} else {
				require.Zero(t, s.Failures[runtime.ModeNumeric])
				require.Equal(t, int64(10), s.Successes)
			}
			require.NoError(t, rt.Close()) // waits for the checks
		})
	}
}

func TestTelemetryCountsAndLatency(t *testing.T) {
	rt, m := load(t, nil, &fake{name: "f", run: correct(time.Millisecond)})
	for range 20 {
		_, err := m.Run(context.Background(), affineIn)
		require.NoError(t, err)
	}
	s := statsOf(t, rt, "f")
	require.Equal(t, int64(20), s.Runs)
	require.Equal(t, int64(20), s.Successes)
	require.Equal(t, uint64(20), s.Latency.Count)
	require.GreaterOrEqual(t, s.Latency.P50, time.Millisecond-time.Millisecond/64)
	require.GreaterOrEqual(t, s.Latency.P99, s.Latency.P50)
	require.Equal(t, int64(20*2*4), s.BytesIn)  // [1,2] float32 per run
	require.Equal(t, int64(20*3*4), s.BytesOut) // [1,3] float32 per run
	require.Equal(t, int64(1), s.Compiles)
	require.Equal(t, 1.0, s.SuccessRate())
	mem := rt.Telemetry().Snapshot().Memory
	require.Positive(t, mem.RSS)
	require.Positive(t, mem.HeapLive)
	require.Positive(t, mem.Goroutines)

	require.NoError(t, m.Close())
	require.Empty(t, rt.Telemetry().Snapshot().Backends, "closed models leave the telemetry")
}

func TestPrometheusExposition(t *testing.T) {
	rt, err := runtime.New(runtime.UsingBackends(&fake{name: "f", run: correct(0)}))
	require.NoError(t, err)
	defer rt.Close()
	a := affine(t)
	a.Name = "quote\"and\\slash"
	m, err := rt.Load(context.Background(), a)
	require.NoError(t, err)
	for range 3 {
		_, err := m.Run(context.Background(), affineIn)
		require.NoError(t, err)
	}
	rec := httptest.NewRecorder()
	rt.Telemetry().Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	require.Contains(t, rec.Header().Get("Content-Type"), "version=0.0.4")
	body := rec.Body.String()
	require.Contains(t, body, `backplane_runs_total{model="quote\"and\\slash",backend="f"} 3`+"\n")
	require.Contains(t, body, `backplane_failures_total{model="quote\"and\\slash",backend="f",mode="panic"} 0`+"\n")
	require.Contains(t, body, `backplane_run_latency_seconds_count{model="quote\"and\\slash",backend="f"} 3`+"\n")
	require.Contains(t, body, "# TYPE backplane_breaker_state gauge\n")
	// Every line is a comment or "name{labels} value" with a parseable value.
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		require.Positive(t, i, line)
		_, err := parseFloat(line[i+1:])
		require.NoError(t, err, line)
		require.True(t, strings.HasPrefix(line, "backplane_"), line)
	}
}

var expvarSeq atomic.Int64

func TestPublishExpvarRefusesDuplicates(t *testing.T) {
	rt, err := runtime.New()
	require.NoError(t, err)
	name := fmt.Sprintf("backplane_test_%d_%d", time.Now().UnixNano(), expvarSeq.Add(1)) // unique across -count runs
	require.NoError(t, rt.Telemetry().PublishExpvar(name))
	require.ErrorContains(t, rt.Telemetry().PublishExpvar(name), "already published")
}

func parseFloat(s string) (float64, error) {
	var f float64
	_, err := fmt.Sscan(s, &f)
	return f, err
}
