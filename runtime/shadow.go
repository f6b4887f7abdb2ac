package runtime

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/backplane-ml/backplane/tensor"
)

// ShadowConfig turns on shadow parity: a sampled fraction of the successful
// runs of non-reference backends is re-run on the reference backend off the
// caller's path, and outputs that diverge beyond the tolerance turn that
// run's success into a ModeNumeric failure of the backend (in telemetry and
// its circuit breaker). The model must have the reference backend among its
// candidates; without it nothing is checked.
type ShadowConfig struct {
	// Fraction of successful runs to check, in [0, 1]; 0 turns checking off.
	Fraction float64
	// Tolerance per dtype; nil means DefaultShadowTolerance.
	Tolerance func(tensor.DType) tensor.Tolerance
	// MaxInFlight bounds concurrent checks per model (default 1). A sampled
	// run that finds them all busy is dropped and counted, never queued, so
	// a slow reference backend cannot build up memory.
	MaxInFlight int
	// Timeout bounds one check (default 1 minute).
	Timeout time.Duration
}

// DefaultShadowTolerance is the tolerance of shadow checks: a model's outputs
// after many layers carry more rounding than one op, so it is looser than the
// per-op conformance tolerance (float32: rtol 1e-3, atol 1e-4).
func DefaultShadowTolerance(d tensor.DType) tensor.Tolerance {
	switch d {
	case tensor.Float64:
		return tensor.Tolerance{RTol: 1e-9, ATol: 1e-12}
	case tensor.Float16:
		return tensor.Tolerance{RTol: 1e-2, ATol: 1e-2}
	case tensor.BFloat16:
		return tensor.Tolerance{RTol: 5e-2, ATol: 5e-2}
	case tensor.Float32:
		return tensor.Tolerance{RTol: 1e-3, ATol: 1e-4}
	}
	return tensor.Tolerance{} // integers and bool: exact
}

// WithShadow configures shadow parity (see ShadowConfig).
func WithShadow(c ShadowConfig) Option {
	return func(r *Runtime) error {
		if !(c.Fraction >= 0 && c.Fraction <= 1) {
			return fmt.Errorf("runtime: shadow fraction %g is not in [0, 1]", c.Fraction)
		}
		if c.MaxInFlight < 0 || c.Timeout < 0 {
			return fmt.Errorf("runtime: shadow MaxInFlight %d and Timeout %v must not be negative", c.MaxInFlight, c.Timeout)
		}
		if c.MaxInFlight == 0 {
			c.MaxInFlight = 1
		}
		if c.Timeout == 0 {
			c.Timeout = time.Minute
		}
		if c.Tolerance == nil {
			c.Tolerance = DefaultShadowTolerance
		}
		r.shadowCfg = c
		return nil
	}
}

// shadowChecker runs a model's shadow checks. Its goroutines end when the
// model closes: close cancels them and waits.
type shadowChecker struct {
	m      *Model
	cfg    ShadowConfig
	ref    *candidate
	slots  chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newShadowChecker(m *Model, cfg ShadowConfig) *shadowChecker {
	if cfg.Fraction == 0 {
		return nil
	}
	var ref *candidate
	for _, c := range m.cands {
		if c.isRef {
			ref = c
		}
	}
	if ref == nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &shadowChecker{m: m, cfg: cfg, ref: ref, slots: make(chan struct{}, cfg.MaxInFlight), ctx: ctx, cancel: cancel}
}

// maybeCheck samples one successful run of c. Only a sampled run pays for
// copying its inputs and outputs (the caller owns both once Run returns).
func (s *shadowChecker) maybeCheck(c *candidate, inputs, outputs []*tensor.Tensor) {
	if rand.Float64() >= s.cfg.Fraction {
		return
	}
	select {
	case s.slots <- struct{}{}:
	default:
		c.stats.shadowDropped.Add(1)
		return
	}
	in, out := cloneAll(inputs), cloneAll(outputs)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() { <-s.slots }()
		s.check(c, in, out)
	}()
}

func (s *shadowChecker) check(c *candidate, inputs, got []*tensor.Tensor) {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout)
	defer cancel()
	p, err := s.ref.prepare(ctx, s.m.art)
	if err != nil {
		c.stats.shadowDropped.Add(1)
		return
	}
	want, err := runRecovered(ctx, p, inputs, s.ref.name)
	if err != nil || len(want) != len(got) {
		c.stats.shadowDropped.Add(1)
		return
	}
	// The check is counted after its verdict is recorded, so a reader that
	// sees it counted also sees the verdict.
	defer c.stats.shadowChecks.Add(1)
	for i := range want {
		if !tensor.Compare(got[i], want[i], s.cfg.Tolerance(want[i].DType())).Equal {
			// The run was counted a success; it was not.
			c.stats.successes.Add(-1)
			c.stats.failures[modeIndex(ModeNumeric)].Add(1)
			c.breaker.record(time.Now(), false, 0)
			return
		}
	}
}

func (s *shadowChecker) close() {
	s.cancel()
	s.wg.Wait()
}

func cloneAll(ts []*tensor.Tensor) []*tensor.Tensor {
	out := make([]*tensor.Tensor, len(ts))
	for i, t := range ts {
		out[i] = t.Clone()
	}
	return out
}
