package runtime

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/backplane-ml/backplane/tensor"
)

// GroundTruth is the name of the reference backend: its outputs are never
// checked for NaN/Inf (they are the truth) and shadow parity re-runs on it.
const GroundTruth = "ref"

// Policy configures how a model's backends are ordered for each run.
type Policy struct {
	// MinSamples is how many successful runs a backend of a model needs
	// before it is ranked by observed latency (default 20): a backend moves
	// ahead of the one before it when both have MinSamples successful runs
	// and its smoothed latency is lower. Backends with fewer keep their
	// static preference place, so fallback traffic alone never lifts ref
	// over a preferred backend that has not run much yet.
	MinSamples int64
	// Exploration is the fraction of runs (default 0.02: one in 50) that try
	// another backend first, taking the others in turn, so every capable
	// backend's latency is learnt and stays current. A backend short of
	// MinSamples whose first samples are already faster than the leader's
	// is also tried first on every PromisingPeriod-th run until it has them:
	// trying it costs nothing, and it takes the lead within a few hundred
	// runs instead of thousands. Set NoExploration to turn both off (a zero
	// Exploration means the default).
	Exploration   float64
	NoExploration bool

	explorePeriod uint64 // runs per exploration; 0 = off
	// NoNumericCheck turns off the scan of float outputs for NaN and Inf.
	// With the check on, NaN or Inf in a non-reference backend's outputs is
	// judged, not refused by rule: the same run is repeated on the reference
	// backend and the outputs are accepted when they match it (NaN where it
	// has NaN, the same infinities, the rest within the shadow tolerance) and
	// are a ModeNumeric failure otherwise — also when the inputs hold NaN or
	// Inf, since a faulty backend can add a NaN to those too. Outputs whose
	// finiteness pattern (which elements are NaN, +Inf, -Inf) ref already
	// confirmed for this (model, backend) are judged one run in
	// NonFiniteSample; so is every pattern once NonFinitePatterns were
	// confirmed. A disagreement forgets the confirmed patterns. A model
	// without the reference backend among its candidates cannot be judged:
	// its outputs are accepted.
	NoNumericCheck bool
}

// DefaultPolicy returns the defaults described on Policy.
func DefaultPolicy() Policy { return Policy{MinSamples: 20, Exploration: 0.02, explorePeriod: 50} }

func (p Policy) normalised() (Policy, error) {
	d := DefaultPolicy()
	if p.MinSamples == 0 {
		p.MinSamples = d.MinSamples
	}
	if p.Exploration == 0 && !p.NoExploration {
		p.Exploration = d.Exploration
	}
	if p.NoExploration {
		p.Exploration = 0
	}
	if p.MinSamples < 0 || !(p.Exploration >= 0 && p.Exploration <= 1) {
		return p, fmt.Errorf("runtime: policy MinSamples %d must be positive and Exploration %g in [0, 1]", p.MinSamples, p.Exploration)
	}
	p.explorePeriod = 0
	if p.Exploration > 0 {
		p.explorePeriod = uint64(math.Round(1 / p.Exploration))
	}
	return p, nil
}

// WithPolicy sets how backends are ordered per run (see Policy).
func WithPolicy(p Policy) Option {
	return func(r *Runtime) error {
		n, err := p.normalised()
		r.policy = n
		return err
	}
}

// WithBreaker configures the circuit breaker of every (model, backend) pair.
// Zero fields take their defaults (DefaultBreakerConfig).
func WithBreaker(c BreakerConfig) Option {
	return func(r *Runtime) error {
		d := DefaultBreakerConfig()
		if c.Window == 0 {
			c.Window = d.Window
		}
		if c.Buckets == 0 {
			c.Buckets = d.Buckets
		}
		if c.MinSamples == 0 {
			c.MinSamples = d.MinSamples
		}
		if c.SuccessThreshold == 0 {
			c.SuccessThreshold = d.SuccessThreshold
		}
		if c.MaxSLAViolations == 0 {
			c.MaxSLAViolations = d.MaxSLAViolations
		}
		if c.Cooldown == 0 {
			c.Cooldown = d.Cooldown
		}
		if c.MaxCooldown == 0 {
			c.MaxCooldown = max(d.MaxCooldown, c.Cooldown)
		}
		if c.Probes == 0 {
			c.Probes = d.Probes
		}
		if err := c.validate(); err != nil {
			return err
		}
		r.breakerCfg = c
		return nil
	}
}

// candidate is one capable backend of a model: prepared on first use, with
// its own telemetry and circuit breaker.
type candidate struct {
	backend  Backend
	name     string
	isRef    bool
	stats    backendStats
	breaker  *breaker
	settings Settings // the runtime's, handed to Prepare

	mu       sync.Mutex                  // serialises Prepare
	prepared atomic.Pointer[preparedBox] // set once Prepare succeeded
}

type preparedBox struct{ p Prepared }

func newCandidate(b Backend, cfg *BreakerConfig) *candidate {
	c := &candidate{backend: b, breaker: newBreaker(cfg)}
	if b != nil {
		c.name = b.Name()
		c.isRef = c.name == GroundTruth
	}
	return c
}

// current returns the prepared model, or nil before Prepare succeeded.
func (c *candidate) current() Prepared {
	if box := c.prepared.Load(); box != nil {
		return box.p
	}
	return nil
}

// prepare returns the prepared model, preparing it on first use. Prepare
// runs at most once at a time per candidate; a failure is not cached (the
// breaker is what stops a backend that keeps failing to compile).
func (c *candidate) prepare(ctx context.Context, a *Artifact) (Prepared, error) {
	if p := c.current(); p != nil {
		return p, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.current(); p != nil {
		return p, nil
	}
	start := time.Now()
	p, err := prepareRecovered(ContextWithSettings(ctx, c.settings), c.backend, a)
	if err != nil {
		return nil, err
	}
	c.stats.compiles.Add(1)
	c.stats.compileNanos.Add(int64(time.Since(start)))
	c.prepared.Store(&preparedBox{p})
	return p, nil
}

func prepareRecovered(ctx context.Context, b Backend, a *Artifact) (p Prepared, err error) {
	defer recoverInto(&err, b.Name(), "Prepare")
	p, err = b.Prepare(ctx, a)
	if err == nil && p == nil {
		err = &Error{Kind: ErrBackend, Backend: b.Name(), Mode: ModeCompile,
			Err: errors.New("Prepare returned neither a model nor an error")}
	}
	return p, err
}

// reorderEvery is how many runs pass between re-rankings of a model's backends.
const reorderEvery = 16

// maxRanked bounds the candidates ranked without allocating.
const maxRanked = 16

// PromisingPeriod is how often (every PromisingPeriod-th run) a backend
// short of MinSamples whose smoothed latency already beats the leader's is
// tried first (see Policy.Exploration).
const PromisingPeriod = 4

// reorder ranks the candidates by smoothed latency, fastest first, among
// those with at least MinSamples successful runs: a candidate moves ahead of
// the one before it only when both are sampled and it is faster, so one
// still short of samples keeps its static place and holds back those behind
// it. (Ranking backends with few samples would let fallback traffic, which
// all lands on the last backend, push ref ahead of a preferred backend that
// simply has not run much yet.) It stores a new order only when it changed,
// so the steady state allocates nothing.
func (m *Model) reorder() {
	if len(m.cands) < 2 || len(m.cands) > maxRanked {
		return
	}
	var buf [maxRanked]*candidate
	order := append(buf[:0], m.cands...)
	for i := 1; i < len(order); i++ { // insertion sort by latency: a handful of backends
		for j := i; j > 0 && m.sampled(order[j]) && m.sampled(order[j-1]) && order[j].stats.ewma() < order[j-1].stats.ewma(); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	cur := *m.order.Load()
	same := true
	for i := range cur {
		if cur[i] != order[i] {
			same = false
			break
		}
	}
	if !same {
		next := append([]*candidate(nil), order...)
		m.order.Store(&next)
	}
}

// sampled reports whether c has enough successful runs to be ranked by
// latency.
func (m *Model) sampled(c *candidate) bool {
	return c.stats.successes.Load() >= m.rt.policy.MinSamples
}

// pickExploration returns the index in order of the candidate to try first
// instead of order[0] on run number run, or -1. Exploration is paced, not
// random: every round(1/Exploration)-th run goes to the next of the other
// candidates in turn, so each is sampled at a known rate and a short test
// run never explores by chance. Between those, every PromisingPeriod-th run
// goes to the first candidate short of MinSamples whose samples so far are
// faster than the leader's.
func (m *Model) pickExploration(run uint64, order []*candidate) int {
	period := m.rt.policy.explorePeriod
	n := len(order)
	if n < 2 || period == 0 {
		return -1
	}
	if run%period == 0 {
		return 1 + int((run/period)%uint64(n-1))
	}
	if run%PromisingPeriod != 0 {
		return -1
	}
	lead := order[0].stats.ewma()
	if order[0].stats.successes.Load() == 0 {
		return -1 // nothing to compare with yet
	}
	for k := 1; k < n; k++ {
		c := order[k]
		if s := c.stats.successes.Load(); s > 0 && s < m.rt.policy.MinSamples && c.stats.ewma() < lead {
			return k
		}
	}
	return -1
}

// dispatch runs the request down the ordered candidates until one succeeds.
// Attempts are allocated only when something fails.
func (m *Model) dispatch(ctx context.Context, inputs []*tensor.Tensor, want []outType, cost *runCost, info *RunInfo) ([]*tensor.Tensor, error) {
	run := m.runs.Add(1)
	if run%reorderEvery == 0 {
		m.reorder()
	}
	order := *m.order.Load()
	first := m.pickExploration(run, order)
	final := len(order) - 1 // the last candidate visited: tried even if its breaker is open
	if first == final {
		final--
	}
	tried := false
	for k := -1; k < len(order); k++ {
		var c *candidate
		switch {
		case k == -1 && first < 0, k == first:
			continue
		case k == -1:
			c = order[first]
		default:
			c = order[k]
		}
		lastResort := !tried && k == final
		if !c.breaker.allow(time.Now()) && !lastResort {
			info.Attempts = append(info.Attempts, Attempt{Backend: c.name, Mode: ModeCircuitOpen,
				Err: &Error{Kind: ErrCircuitOpen, Model: m.art.Name, Backend: c.name, Mode: ModeCircuitOpen,
					Err: errors.New(c.breaker.snapshot(time.Now()).LastTripReason)}})
			continue
		}
		tried = true
		out, err := m.try(ctx, c, inputs, want, cost)
		if err == nil {
			info.Backend = c.name
			return out, nil
		}
		info.Attempts = append(info.Attempts, Attempt{Backend: c.name, Mode: failureMode(ctx, err, ModeRuntime), Err: err})
		if isInputDataError(err) {
			return nil, err // the request's data: every backend would refuse it
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, &DispatchError{Model: m.art.Name, Attempts: info.Attempts, Context: ctx.Err()}
}

// try runs the request on one candidate, recovering panics, checking the
// outputs, and recording the outcome in telemetry and the breaker.
func (m *Model) try(ctx context.Context, c *candidate, inputs []*tensor.Tensor, want []outType, cost *runCost) ([]*tensor.Tensor, error) {
	p, err := c.prepare(ctx, m.art)
	if err != nil {
		mode := failureMode(ctx, err, ModeCompile)
		m.recordFailure(ctx, c, mode)
		return nil, m.backendError(c, mode, err)
	}
	scratch, err := m.reserveBackend(c, p, cost)
	if err != nil { // the budget refused: not the backend's failure
		c.breaker.release()
		return nil, err
	}
	defer m.rt.budget.Release(scratch)
	if err := ctx.Err(); err != nil {
		c.breaker.release()
		return nil, m.backendError(c, ModeTimeout, err)
	}
	start := time.Now()
	out, err := m.runSupervised(ctx, c, p, inputs)
	d := time.Since(start)
	if err != nil && isInputDataError(err) {
		m.inputDataFailure(ctx, c)
		return nil, err
	}
	if err != nil {
		mode := failureMode(ctx, err, ModeRuntime)
		m.recordFailure(ctx, c, mode)
		return nil, m.backendError(c, mode, err)
	}
	if err := checkOutputs(out, want, m.art); err != nil {
		m.recordFailure(ctx, c, ModeRuntime)
		return nil, m.backendError(c, ModeRuntime, err)
	}
	if !c.isRef && !m.rt.policy.NoNumericCheck {
		if i := nonFiniteOutput(out); i >= 0 {
			if err := m.judgeNonFinite(ctx, c, inputs, out, i); err != nil {
				mode := ModeNumeric
				if ctx.Err() != nil { // the judging ref run ran out of time: no verdict
					mode = ModeTimeout
				}
				m.recordFailure(ctx, c, mode)
				return nil, m.backendError(c, mode, err)
			}
		}
	}
	c.stats.recordSuccess(d, tensorBytes(inputs), tensorBytes(out))
	c.breaker.record(start.Add(d), true, d)
	if !c.isRef && m.shadow != nil {
		m.shadow.maybeCheck(c, inputs, out)
	}
	return out, nil
}

func (m *Model) backendError(c *candidate, mode FailureMode, err error) error {
	var e *Error
	if errors.As(err, &e) && e.Backend == c.name && e.Model == m.art.Name && e.Mode == mode {
		return err // already carries its context
	}
	return &Error{Kind: ErrBackend, Model: m.art.Name, Backend: c.name, Mode: mode, Err: err}
}

// recordFailure counts a failed attempt. A request the caller cancelled is
// not the backend's fault: it is counted as a timeout in telemetry but does
// not move the breaker (a half-open probe slot is handed back).
func (m *Model) recordFailure(ctx context.Context, c *candidate, mode FailureMode) {
	c.stats.recordFailure(mode)
	if errors.Is(ctx.Err(), context.Canceled) {
		c.breaker.release()
		return
	}
	c.breaker.record(time.Now(), false, 0)
}

func runRecovered(ctx context.Context, p Prepared, inputs []*tensor.Tensor, backend string) (out []*tensor.Tensor, err error) {
	defer recoverInto(&err, backend, "Run")
	return p.Run(ctx, inputs)
}

func tensorBytes(ts []*tensor.Tensor) int64 {
	var n int64
	for _, t := range ts {
		if t != nil {
			n += int64(t.NumElements()) * int64(t.DType().Size())
		}
	}
	return n
}

// prepareAtLoad prepares a candidate during Load, counting a failure.
func (m *Model) prepareAtLoad(ctx context.Context, c *candidate) (Prepared, error) {
	p, err := c.prepare(ctx, m.art)
	if err != nil {
		m.recordFailure(ctx, c, failureMode(ctx, err, ModeCompile))
	}
	return p, err
}
