// Package runtime loads artifacts onto backends and runs them.
//
// An Artifact is a model graph with its weights. A Runtime prepares it on
// the registered backends (see Backend and Register) that are available and
// support it, and Model.Run executes it on the preferred one, falling back
// down the preference order when a backend fails. Run is the one-call entry
// point for programs that need nothing more.
//
// The runtime never imports a backend: programs import the backends they want
// (backends/ref, or backends/all for every one) for their registration side effect.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Runtime loads models onto a set of backends. It is safe for concurrent use.
type Runtime struct {
	only        []Backend // backends to use, in order; nil means every registered backend
	maxValBytes int64     // largest single value a model may produce; see WithMaxValueBytes
	maxSpecs    int       // specializations a template model keeps loaded; see WithMaxSpecializations
	policy      Policy
	breakerCfg  BreakerConfig
	shadowCfg   ShadowConfig
	tel         Telemetry
	settings    Settings // passed to Backend.Prepare; see WithThreads
	budget      *Budget  // see WithMemoryBudget

	mu     sync.Mutex
	closed bool
	models map[*Model]struct{}
}

// Option configures a Runtime.
type Option func(*Runtime) error

// WithBackends restricts the runtime to the named backends, tried in the given
// order. Each name must be registered when New is called (else New returns a
// *RegistryError, ErrNotRegistered); whether they can run here is checked at
// Load, or up front by Runtime.Ping.
func WithBackends(names ...string) Option {
	return func(r *Runtime) error {
		if len(names) == 0 {
			return errors.New("runtime: WithBackends needs at least one backend name")
		}
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] {
				return fmt.Errorf("runtime: WithBackends lists %q twice", n)
			}
			seen[n] = true
			if _, ok := Lookup(n); !ok {
				return registryError(n)
			}
		}
		r.only = nil
		for _, n := range names {
			b, _ := Lookup(n)
			r.only = append(r.only, b)
		}
		return nil
	}
}

// DefaultMaxValueBytes is the default limit on the size of any one value
// (input, weight or intermediate) of a model run: 8 GiB.
const DefaultMaxValueBytes = 8 << 30

// WithMaxValueBytes bounds the size of every value a model may compute. A
// graph whose shapes, for the given inputs, would make a larger tensor is
// refused before anything runs (ErrInvalidArtifact at Load, ErrInvalidInput
// with failure mode ModeMemory at Run), so a hostile model cannot make the
// process allocate without bound.
func WithMaxValueBytes(n int64) Option {
	return func(r *Runtime) error {
		if n <= 0 {
			return fmt.Errorf("runtime: WithMaxValueBytes(%d): the limit must be positive", n)
		}
		r.maxValBytes = n
		return nil
	}
}

// UsingBackends makes the runtime use exactly the given backends, in order,
// whether or not they are registered (a test double, a wrapped backend).
func UsingBackends(bs ...Backend) Option {
	return func(r *Runtime) error {
		if len(bs) == 0 {
			return errors.New("runtime: UsingBackends needs at least one backend")
		}
		for i, b := range bs {
			if b == nil {
				return fmt.Errorf("runtime: UsingBackends: backend %d is nil", i)
			}
		}
		r.only = slices.Clone(bs)
		return nil
	}
}

func registeredNames() []string {
	var names []string
	for _, b := range Backends() {
		names = append(names, b.Name())
	}
	return names
}

// New returns a Runtime configured by opts.
func New(opts ...Option) (*Runtime, error) {
	r := &Runtime{models: map[*Model]struct{}{}, maxValBytes: DefaultMaxValueBytes, maxSpecs: DefaultMaxSpecializations,
		policy: DefaultPolicy(), breakerCfg: DefaultBreakerConfig()}
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, err
		}
	}
	if r.budget == nil {
		r.budget = NewBudget(0)
	}
	return r, nil
}

func (r *Runtime) backends() []Backend {
	if r.only == nil {
		return Backends()
	}
	return r.only
}

// Load validates the artifact and prepares it on the most preferred backend
// that is available, supports it and compiles it; the other capable backends
// are kept as fallbacks and prepared when first needed. A template (see
// Specializer) is validated only: each new input signature is specialized
// and loaded on its first run. The error is an
// *Error (invalid artifact) or a *DispatchError listing why each backend was
// passed over.
func (r *Runtime) Load(ctx context.Context, a *Artifact) (*Model, error) {
	return r.load(ctx, a, nil)
}

// load is Load; shared names a template's weights that a specialization
// shares (the same tensors), which the template has charged to the budget.
func (r *Runtime) load(ctx context.Context, a *Artifact, shared map[string]*tensor.Tensor) (*Model, error) {
	if a == nil {
		return nil, &Error{Kind: ErrInvalidArtifact, Err: errors.New("nil artifact")}
	}
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return nil, &Error{Kind: ErrClosed, Model: a.Name, Err: errors.New("runtime is closed")}
	}
	if err := ctx.Err(); err != nil {
		return nil, &DispatchError{Model: a.Name, Context: err}
	}
	if a.IsTemplate() {
		return r.loadTemplate(a)
	}
	plan, err := a.Plan()
	if err != nil {
		return nil, err
	}
	types, err := plan.InferTypes(a.InputTypes(nil))
	if err != nil {
		return nil, err
	}
	if err := checkValueSizes(a, types, r.maxValBytes); err != nil {
		return nil, &Error{Kind: ErrInvalidArtifact, Model: a.Name, Input: err.value, Mode: ModeMemory, Err: err}
	}
	m := &Model{rt: r, art: a, plan: plan, outTypes: map[string][]outType{}, closeErr: make(chan struct{}), sharedWeights: shared}
	if len(a.SymbolicDims()) == 0 {
		m.static = make([]outType, len(a.Outputs))
		for i, o := range a.Outputs {
			m.static[i] = types[o.Name]
		}
	}
	m.idle = sync.NewCond(&m.lifeMu)
	if len(r.backends()) == 0 {
		return nil, &RegistryError{Model: a.Name}
	}
	if err := m.reserveWeights(); err != nil {
		return nil, err
	}
	for _, b := range r.backends() {
		if err := Availability(b); err != nil {
			m.skipped = append(m.skipped, Attempt{Backend: b.Name(), Mode: ModeUnavailable, Err: err})
			continue
		}
		if err := supports(b, a); err != nil {
			m.skipped = append(m.skipped, Attempt{Backend: b.Name(), Mode: ModeUnsupported, Err: err})
			continue
		}
		c := newCandidate(b, &r.breakerCfg)
		c.settings = r.settings
		m.cands = append(m.cands, c)
	}
	order := slices.Clone(m.cands)
	m.order.Store(&order)
	// Prepare the first candidate that compiles now, so Load reports a model
	// that cannot run anywhere instead of the first Run.
	var tried []Attempt
	ready := false
	var readyCand *candidate
	for _, c := range m.cands {
		if _, err := m.prepareSupervised(ctx, c); err != nil {
			tried = append(tried, Attempt{Backend: c.backend.Name(), Mode: failureMode(ctx, err, ModeCompile), Err: err})
			if ctx.Err() != nil {
				break
			}
			continue
		}
		ready, readyCand = true, c
		break
	}
	if !ready {
		m.closePrepared()
		m.releaseMemory()
		return nil, &DispatchError{Model: a.Name, Attempts: append(slices.Clone(m.skipped), tried...), Context: ctx.Err()}
	}
	if ctx.Err() != nil { // a cancelled Load returns no model, even one that got ready
		m.closePrepared()
		m.releaseMemory()
		return nil, loadCancelled(m, readyCand, ctx, append(slices.Clone(m.skipped), tried...))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		m.closePrepared()
		m.releaseMemory()
		return nil, &Error{Kind: ErrClosed, Model: a.Name, Err: errors.New("runtime is closed")}
	}
	r.models[m] = struct{}{}
	m.shadow = newShadowChecker(m, r.shadowCfg)
	r.tel.add(m)
	return m, nil
}

// Close closes every model loaded by r; later Loads fail with ErrClosed.
func (r *Runtime) Close() error {
	r.mu.Lock()
	r.closed = true
	models := make([]*Model, 0, len(r.models))
	for m := range r.models {
		models = append(models, m)
	}
	r.mu.Unlock()
	var errs []error
	for _, m := range models {
		errs = append(errs, m.Close())
	}
	return errors.Join(errs...)
}

func (r *Runtime) forget(m *Model) {
	r.mu.Lock()
	delete(r.models, m)
	r.mu.Unlock()
	r.tel.remove(m)
}

// Telemetry returns the runtime's telemetry: per (model, backend) statistics
// of the models loaded and not yet closed.
func (r *Runtime) Telemetry() *Telemetry { return &r.tel }

func supports(b Backend, a *Artifact) (err error) {
	defer recoverInto(&err, b.Name(), "Supports")
	return b.Supports(a)
}

// valueSizeError names a value larger than the runtime's limit.
type valueSizeError struct {
	value       string
	size, limit int64
}

func (e *valueSizeError) Error() string {
	return fmt.Sprintf("value %q would take %d bytes, more than the limit of %d (see WithMaxValueBytes)", e.value, e.size, e.limit)
}

// checkValueSizes reports the first value (in name order, for a stable
// message) whose tensor would exceed max bytes.
func checkValueSizes(a *Artifact, types map[string]ops.Type, max int64) *valueSizeError {
	names := slices.Sorted(maps.Keys(types))
	for _, name := range names {
		t := types[name]
		if size := int64(t.Shape.NumElements()) * int64(t.DType.Size()); size > max {
			return &valueSizeError{value: name, size: size, limit: max}
		}
	}
	return nil
}

// failureMode classifies err: a panic is a panic; otherwise a done context
// is a timeout whatever the backend said; an *Error keeps its own mode;
// anything else gets def.
func failureMode(ctx context.Context, err error, def FailureMode) FailureMode {
	var pe *Error
	if errors.As(err, &pe) && pe.Mode == ModePanic {
		return ModePanic // a crash stays a crash even if the deadline passed meanwhile
	}
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return ModeTimeout
	}
	var e *Error
	if errors.As(err, &e) && e.Mode != "" {
		return e.Mode
	}
	return def
}
