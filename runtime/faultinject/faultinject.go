// Package faultinject wraps a runtime.Backend so that it misbehaves on
// purpose: it returns errors, hangs, panics, produces NaN or wrongly shaped
// outputs, stalls, becomes unavailable after load or fails to compile, each
// at a configurable rate. Tests and `backplane soak` use it to check that the
// dispatcher, the circuit breakers and the telemetry keep every request
// answered with a correct result or a typed error.
//
// A wrapped backend is not registered anywhere; hand it to a runtime with
// runtime.UsingBackends. Rates can be changed while requests run (Set,
// Clear), so a test can make a fault appear and then clear.
package faultinject

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Kind is a fault the wrapper can inject.
type Kind int

// The fault kinds.
const (
	// Error makes Run return a plain error (the runtime classes it as a
	// runtime failure).
	Error Kind = iota
	// Hang makes Run block until its context is done, then return the
	// context's error: a backend stuck on a device that still honours
	// cancellation.
	Hang
	// Panic makes Run panic.
	Panic
	// NaN makes Run return the real outputs with their first element set to
	// NaN (float outputs; other outputs are left alone).
	NaN
	// WrongShape makes Run return outputs with one extra leading dimension.
	WrongShape
	// LatencySpike makes Run sleep for the spike duration (honouring the
	// context) before answering correctly.
	LatencySpike
	// Unavailable makes Run fail with runtime.ErrUnavailable and, while its
	// rate is above zero, Available report the backend gone: a device
	// unplugged after the model was loaded.
	Unavailable
	// PrepareError makes Prepare fail (a compile error).
	PrepareError
	// IgnoreCtx makes Run stall for the stall duration (WithStall) without
	// looking at its context, then answer correctly: a backend that cannot
	// stop mid-run (a GoMLX or PJRT execution, a cgo call). The runtime's
	// supervisor must return the typed timeout at the deadline anyway.
	IgnoreCtx
	numKinds
)

// Kinds lists every fault kind, in declaration order.
func Kinds() []Kind {
	ks := make([]Kind, numKinds)
	for i := range ks {
		ks[i] = Kind(i)
	}
	return ks
}

// String returns the kind's name, e.g. "wrong-shape".
func (k Kind) String() string {
	switch k {
	case Error:
		return "error"
	case Hang:
		return "hang"
	case Panic:
		return "panic"
	case NaN:
		return "nan"
	case WrongShape:
		return "wrong-shape"
	case LatencySpike:
		return "latency-spike"
	case Unavailable:
		return "unavailable"
	case PrepareError:
		return "prepare-error"
	case IgnoreCtx:
		return "ignore-ctx"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// ErrInjected is wrapped by every error the wrapper makes up.
var ErrInjected = errors.New("injected fault")

// Option configures Wrap.
type Option func(*Backend)

// WithName gives the wrapped backend its own name (the default is the inner
// backend's name followed by "+faults"). Taking the inner name lets the
// wrapper stand in for it in the runtime's preference order.
func WithName(name string) Option { return func(b *Backend) { b.name = name } }

// WithSeed makes the injected faults reproducible for one sequence of calls.
func WithSeed(seed uint64) Option {
	return func(b *Backend) { b.rng = rand.New(rand.NewPCG(seed, 0x6661756c74)) }
}

// WithSpike sets how long a LatencySpike stalls (default 50 ms).
func WithSpike(d time.Duration) Option { return func(b *Backend) { b.spike = d } }

// WithStall sets how long an IgnoreCtx run stalls (default 300 ms).
func WithStall(d time.Duration) Option { return func(b *Backend) { b.stall = d } }

// WithRate sets the initial rate of one kind of fault.
func WithRate(k Kind, rate float64) Option { return func(b *Backend) { b.Set(k, rate) } }

// Backend is a runtime.Backend that injects faults into another one. It is
// safe for concurrent use and starts no goroutines. Its prepared models
// declare that they honour their context (runtime.ContextHonouring) only
// while IgnoreCtx is off and the inner model does, so the runtime
// supervises their runs whenever they might not stop at a deadline.
type Backend struct {
	inner runtime.Backend
	name  string
	spike time.Duration
	stall time.Duration

	rates    [numKinds]atomic.Uint64 // float64 bits
	injected [numKinds]atomic.Int64
	calls    atomic.Int64

	mu  sync.Mutex // guards rng
	rng *rand.Rand
}

// Wrap returns inner wrapped with fault injection, every rate 0.
func Wrap(inner runtime.Backend, opts ...Option) *Backend {
	b := &Backend{inner: inner, name: inner.Name() + "+faults", spike: 50 * time.Millisecond, stall: 300 * time.Millisecond,
		rng: rand.New(rand.NewPCG(1, 0x6661756c74))}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Set makes kind k happen with probability rate (clamped to [0, 1]) per call
// of the method it affects.
func (b *Backend) Set(k Kind, rate float64) {
	if k < 0 || k >= numKinds {
		return
	}
	if !(rate > 0) {
		rate = 0
	}
	b.rates[k].Store(math.Float64bits(min(rate, 1)))
}

// Rate returns the current rate of kind k.
func (b *Backend) Rate(k Kind) float64 {
	if k < 0 || k >= numKinds {
		return 0
	}
	return math.Float64frombits(b.rates[k].Load())
}

// Clear stops every fault.
func (b *Backend) Clear() {
	for k := range b.rates {
		b.rates[k].Store(0)
	}
}

// Stats counts calls and the faults injected so far.
type Stats struct {
	Calls    int64          // Run calls
	Injected map[Kind]int64 // faults injected, by kind (kinds with none are absent)
}

// Stats returns the counts so far.
func (b *Backend) Stats() Stats {
	s := Stats{Calls: b.calls.Load(), Injected: map[Kind]int64{}}
	for k := range b.injected {
		if n := b.injected[k].Load(); n > 0 {
			s.Injected[Kind(k)] = n
		}
	}
	return s
}

// roll decides whether kind k fires on this call.
func (b *Backend) roll(k Kind) bool {
	r := b.Rate(k)
	if r == 0 {
		return false
	}
	b.mu.Lock()
	x := b.rng.Float64()
	b.mu.Unlock()
	if x >= r {
		return false
	}
	b.injected[k].Add(1)
	return true
}

// Name returns the wrapper's name.
func (b *Backend) Name() string { return b.name }

// Available reports the inner backend's availability, or an injected
// ErrUnavailable while the Unavailable rate is above zero.
func (b *Backend) Available() error {
	if b.Rate(Unavailable) > 0 {
		return fmt.Errorf("%w: %s was unplugged", ErrInjected, b.name)
	}
	return b.inner.Available()
}

// Supports defers to the inner backend.
func (b *Backend) Supports(a *runtime.Artifact) error { return b.inner.Supports(a) }

// Prepare prepares on the inner backend, or fails with an injected compile error.
func (b *Backend) Prepare(ctx context.Context, a *runtime.Artifact) (runtime.Prepared, error) {
	if b.roll(PrepareError) {
		return nil, &runtime.Error{Kind: runtime.ErrBackend, Model: a.Name, Backend: b.name, Mode: runtime.ModeCompile,
			Err: fmt.Errorf("%w: compilation failed", ErrInjected)}
	}
	p, err := b.inner.Prepare(ctx, a)
	if err != nil {
		return nil, err
	}
	return &prepared{b: b, inner: p, model: a.Name}, nil
}

type prepared struct {
	b     *Backend
	inner runtime.Prepared
	model string
}

// Run injects at most one fault per call, checking the kinds in declaration
// order, then (for faults that corrupt results) runs the inner model.
func (p *prepared) Run(ctx context.Context, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	b := p.b
	b.calls.Add(1)
	switch {
	case b.roll(Error):
		return nil, fmt.Errorf("%w: device error", ErrInjected)
	case b.roll(Hang):
		<-ctx.Done()
		return nil, ctx.Err()
	case b.roll(Panic):
		panic(fmt.Sprintf("faultinject: injected panic in %s", b.name))
	case b.roll(Unavailable):
		return nil, &runtime.Error{Kind: runtime.ErrUnavailable, Model: p.model, Backend: b.name,
			Mode: runtime.ModeUnavailable, Err: fmt.Errorf("%w: device gone", ErrInjected)}
	case b.roll(IgnoreCtx):
		time.Sleep(b.stall) // deliberately deaf to ctx
	case b.roll(LatencySpike):
		t := time.NewTimer(b.spike)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
	out, err := p.inner.Run(ctx, inputs)
	if err != nil {
		return out, err
	}
	switch {
	case b.roll(NaN):
		poisonNaN(out)
	case b.roll(WrongShape):
		for i, t := range out {
			if r, err := t.Reshape(append([]int{1}, t.Shape()...)...); err == nil {
				out[i] = r
			}
		}
	}
	return out, nil
}

func (p *prepared) Close() error { return p.inner.Close() }

// HonoursContext tells the truth about this wrapper: while IgnoreCtx faults
// may fire it does not honour its context; otherwise it does when the inner
// model does. The runtime asks per run, so setting the rate takes effect at once.
func (p *prepared) HonoursContext() bool {
	if p.b.Rate(IgnoreCtx) > 0 {
		return false
	}
	h, ok := p.inner.(runtime.ContextHonouring)
	return ok && h.HonoursContext()
}

// poisonNaN sets the first element of every float output to NaN.
func poisonNaN(out []*tensor.Tensor) {
	for _, t := range out {
		if t.NumElements() == 0 || !t.DType().IsFloat() {
			continue
		}
		vals := t.Float64s()
		vals[0] = math.NaN()
		if nt, err := tensor.FromFloat64s(t.DType(), t.Shape(), vals); err == nil {
			*t = *nt
		}
	}
}
