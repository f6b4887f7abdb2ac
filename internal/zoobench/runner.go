package zoobench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/backplane-ml/backplane/internal/ortpeer"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Runner is a model loaded on one backend or on the ONNX Runtime peer.
type Runner interface {
	// Name is the backend's name, or ortpeer.Name.
	Name() string
	// Run executes the model once on inputs in the model's input order.
	Run(ctx context.Context, inputs []*tensor.Tensor) ([]*tensor.Tensor, error)
	// Close frees the model.
	Close() error
}

// backendRunner is a model on a runtime restricted to one backend, so that
// no fallback can hide a failure or another backend's speed.
type backendRunner struct {
	name string
	rt   *runtime.Runtime
	m    *runtime.Model
}

// OpenBackend loads a on the named backend alone, with any further runtime
// options (runtime.WithThreads).
func OpenBackend(ctx context.Context, backend string, a *runtime.Artifact, opts ...runtime.Option) (Runner, error) {
	rt, err := runtime.New(append([]runtime.Option{runtime.WithBackends(backend)}, opts...)...)
	if err != nil {
		return nil, err
	}
	m, err := rt.Load(ctx, a)
	if err != nil {
		rt.Close()
		return nil, err
	}
	return &backendRunner{name: backend, rt: rt, m: m}, nil
}

func (r *backendRunner) Name() string { return r.name }

func (r *backendRunner) Run(ctx context.Context, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return r.m.Run(ctx, inputs...)
}

func (r *backendRunner) Close() error {
	return errors.Join(r.m.Close(), r.rt.Close())
}

// ortRunner is a model on ONNX Runtime. ONNX Runtime cannot be interrupted
// mid-run, so ctx is checked between runs only.
type ortRunner struct{ s *ortpeer.Session }

// OpenORT exports the case's artifact with export and loads it on ONNX
// Runtime. When the peer is unavailable the error is ortpeer's (kind
// runtime.ErrUnavailable, saying to run `make ort`); when there is no
// exporter it wraps ErrNoExporter. Callers skip the peer on either.
func OpenORT(c *Case, export Exporter, opt ortpeer.Options) (Runner, error) {
	if err := ortpeer.Available(); err != nil {
		return nil, err
	}
	if export == nil {
		return nil, ErrNoExporter
	}
	onnx, err := export(c.Artifact)
	if err != nil {
		return nil, fmt.Errorf("exporting %s to ONNX: %w", c.Model.Name, err)
	}
	if opt.Name == "" {
		opt.Name = c.Artifact.Name
	}
	s, err := ortpeer.Load(onnx, opt)
	if err != nil {
		return nil, err
	}
	return &ortRunner{s: s}, nil
}

func (r *ortRunner) Name() string { return ortpeer.Name }

func (r *ortRunner) Run(ctx context.Context, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r.s.Run(inputs)
}

func (r *ortRunner) Close() error { return r.s.Close() }

// Budget bounds how long Measure times a runner: Iters timed runs, or
// fewer once Duration has passed (0: no time limit). At least one run is
// always timed.
type Budget struct {
	Iters    int
	Duration time.Duration
}

// Measurement is what Measure observed.
type Measurement struct {
	// Latencies of the timed runs, sorted ascending.
	Latencies []time.Duration
	// Outputs of the untimed warm-up run.
	Outputs []*tensor.Tensor
}

// Percentile is the q-quantile (0 ≤ q ≤ 1) of the latencies, by the
// nearest-rank rule; 0 when there are none.
func (m Measurement) Percentile(q float64) time.Duration {
	n := len(m.Latencies)
	if n == 0 {
		return 0
	}
	// Nearest rank ⌈q·n⌉; the slack keeps 0.07·100 = 7.000000000000001 at 7.
	i := int(math.Ceil(q*float64(n)-1e-9)) - 1
	return m.Latencies[min(max(i, 0), n-1)]
}

// GFLOPs is the throughput at the median latency for a run of the given
// FLOPs; 0 when either is unknown.
func (m Measurement) GFLOPs(flops int64) float64 {
	p50 := m.Percentile(0.5)
	if p50 <= 0 || flops <= 0 {
		return 0
	}
	return float64(flops) / p50.Seconds() / 1e9
}

// Measure runs r once untimed (compilation and caches warm up; its outputs
// are returned) and then times runs within budget, calling tick after each
// timed run (nil: none).
func Measure(ctx context.Context, r Runner, inputs []*tensor.Tensor, budget Budget, tick func()) (Measurement, error) {
	out, err := r.Run(ctx, inputs)
	if err != nil {
		return Measurement{}, err
	}
	iters := max(budget.Iters, 1)
	lat := make([]time.Duration, 0, iters)
	start := time.Now()
	for len(lat) < iters {
		t0 := time.Now()
		if _, err := r.Run(ctx, inputs); err != nil {
			return Measurement{}, err
		}
		lat = append(lat, time.Since(t0))
		if tick != nil {
			tick()
		}
		if budget.Duration > 0 && time.Since(start) >= budget.Duration {
			break
		}
	}
	slices.Sort(lat)
	return Measurement{Latencies: lat, Outputs: out}, nil
}
