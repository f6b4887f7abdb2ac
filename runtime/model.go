package runtime

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// maxSignatures bounds the per-model cache of output types per input
// signature (models with symbolic dims see one signature per distinct size).
const maxSignatures = 256

// Model is an artifact loaded by a Runtime, ready to Run. It is safe for
// concurrent use.
type Model struct {
	rt   *Runtime
	art  *Artifact
	plan *Plan

	cands   []*candidate // capable backends in static preference order
	skipped []Attempt    // backends passed over at Load, and why

	order  atomic.Pointer[[]*candidate] // the order the next run tries them in; see reorder
	runs   atomic.Uint64                // runs started, to pace reorder
	shadow *shadowChecker               // nil unless shadow parity is on

	spec          *specCache                // set for a template: the loaded specializations
	sharedWeights map[string]*tensor.Tensor // a specialization's weights its template charged

	sigMu    sync.Mutex
	outTypes map[string][]outType // symbolic-dim binding -> output types
	static   []outType            // output types of a model without symbolic dims, fixed at Load

	// Runs in flight are counted under lifeMu; Close marks the model closed
	// (new runs fail at once with ErrClosed, never block) and waits on idle
	// until the count reaches zero.
	lifeMu   sync.Mutex
	idle     *sync.Cond
	inflight int
	closed   bool
	closeErr chan struct{} // closed when the backends have been freed
	err      error         // Close's result, valid after closeErr is closed

	mem             modelMemory // reservations against the runtime's memory budget
	nonFiniteStates sync.Map    // *candidate -> *nonFiniteState
	sup             supervision // runs abandoned at their deadline, per backend
}

type outType = ops.Type

// Artifact returns the model's artifact.
func (m *Model) Artifact() *Artifact { return m.art }

// Backends returns the names of the backends that can run this model, in
// static preference order (Explain gives the order the next run will use).
func (m *Model) Backends() []string {
	names := make([]string, len(m.cands))
	for i, c := range m.cands {
		names[i] = c.backend.Name()
	}
	return names
}

// Skipped returns the backends passed over at Load (unavailable or unsupported), with the reason.
func (m *Model) Skipped() []Attempt { return append([]Attempt(nil), m.skipped...) }

// RunInfo describes how one Run was served.
type RunInfo struct {
	Backend  string        // the backend that produced the outputs; "" on failure
	Attempts []Attempt     // failed attempts before it, in order
	Duration time.Duration // wall time of the whole Run, fallbacks included
}

// Run executes the model on inputs given in the order of Artifact.Inputs and
// returns the outputs in the order of Artifact.Outputs.
//
// Inputs are checked first: a wrong count, a nil tensor, or a dtype or shape
// not matching the declaration is an *Error of kind ErrInvalidInput naming the
// input. Then backends are tried in preference order until one succeeds; if
// none does, the error is a *DispatchError listing every attempt. A done ctx
// stops the fallback chain.
func (m *Model) Run(ctx context.Context, inputs ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	out, _, err := m.RunWithInfo(ctx, inputs...)
	return out, err
}

// RunWithInfo is Run that also reports which backend served the request and
// what failed before it.
func (m *Model) RunWithInfo(ctx context.Context, inputs ...*tensor.Tensor) ([]*tensor.Tensor, RunInfo, error) {
	start := time.Now()
	var info RunInfo
	if !m.enter() {
		return nil, info, &Error{Kind: ErrClosed, Model: m.art.Name, Err: errors.New("model is closed")}
	}
	defer m.leave()
	var out []*tensor.Tensor
	var err error
	if m.spec != nil {
		out, err = m.runTemplate(ctx, inputs, &info)
	} else {
		out, err = m.runEntered(ctx, inputs, &info)
	}
	info.Duration = time.Since(start)
	return out, info, err
}

// runEntered checks the inputs and dispatches them; the caller has entered m.
func (m *Model) runEntered(ctx context.Context, inputs []*tensor.Tensor, info *RunInfo) ([]*tensor.Tensor, error) {
	want, err := m.checkInputs(inputs)
	if err != nil {
		return nil, err
	}
	cost, err := m.reserveRun(inputs)
	if err != nil {
		return nil, err
	}
	defer m.rt.budget.Release(cost.live)
	return m.dispatch(ctx, inputs, want, cost, info)
}

func checkOutputs(out []*tensor.Tensor, want []outType, a *Artifact) error {
	if len(out) != len(want) {
		return fmt.Errorf("backend returned %d outputs, model has %d", len(out), len(want))
	}
	for i, t := range out {
		if t == nil {
			return fmt.Errorf("output %q is nil", a.Outputs[i].Name)
		}
		if t.DType() != want[i].DType || !t.Shape().Equal(want[i].Shape) {
			return fmt.Errorf("output %q is %v%v, want %v", a.Outputs[i].Name, t.DType(), t.Shape(), want[i])
		}
	}
	return nil
}

// checkInputs validates inputs against the declarations and returns the
// expected output types for their signature.
func (m *Model) checkInputs(inputs []*tensor.Tensor) ([]outType, error) {
	var keyBuf [128]byte
	var pairBuf [8]symBinding
	key, pairs, err := m.bindInputs(inputs, keyBuf[:0], pairBuf[:0])
	if err != nil {
		return nil, err
	}
	if m.static != nil {
		return m.static, nil // no symbolic dims: nothing to look up, no lock on the hot path
	}
	return m.outputTypes(key, pairs)
}

// bindInputs validates inputs against the declarations and returns the
// binding of the symbolic dims, as a key ("batch=8;" per dim, in declaration
// order) appended to key and as pairs appended to pairs. Callers pass
// buffers on their stack, so that a signature seen before costs no allocation.
func (m *Model) bindInputs(inputs []*tensor.Tensor, key []byte, pairs []symBinding) ([]byte, []symBinding, error) {
	a := m.art
	bad := func(input string, format string, args ...any) error {
		return &Error{Kind: ErrInvalidInput, Model: a.Name, Input: input, Err: fmt.Errorf(format, args...)}
	}
	if len(inputs) != len(a.Inputs) {
		return nil, nil, bad("", "got %d inputs, model %q takes %d (%s)", len(inputs), a.Name, len(a.Inputs), inputNames(a))
	}
	for i, decl := range a.Inputs {
		t := inputs[i]
		if t == nil {
			return nil, nil, bad(decl.Name, "input is nil")
		}
		if t.DType() != decl.DType {
			return nil, nil, bad(decl.Name, "dtype %v, want %v", t.DType(), decl.DType)
		}
		s := t.Shape()
		if len(s) != len(decl.Dims) {
			return nil, nil, bad(decl.Name, "shape %v has rank %d, want rank %d %v", s, len(s), len(decl.Dims), decl.Dims)
		}
		for j, d := range decl.Dims {
			if !d.IsSymbolic() {
				if s[j] != d.Size {
					return nil, nil, bad(decl.Name, "shape %v, want %v (dimension %d)", s, decl.Dims, j)
				}
				continue
			}
			seen := false
			for _, p := range pairs {
				if p.name == d.Name {
					if p.size != s[j] {
						return nil, nil, bad(decl.Name, "dimension %d (%s) is %d but another input bound %s to %d", j, d.Name, s[j], d.Name, p.size)
					}
					seen = true
					break
				}
			}
			if seen {
				continue
			}
			pairs = append(pairs, symBinding{d.Name, s[j]})
			key = append(key, d.Name...)
			key = append(key, '=')
			key = strconv.AppendInt(key, int64(s[j]), 10)
			key = append(key, ';')
		}
	}
	return key, pairs, nil
}

// outputTypes returns the output types for one binding of the symbolic dims,
// inferring and caching them on first sight.
func (m *Model) outputTypes(keyBytes []byte, pairs []symBinding) ([]outType, error) {
	m.sigMu.Lock()
	defer m.sigMu.Unlock()
	if t, ok := m.outTypes[string(keyBytes)]; ok { // map lookup by string(bytes) does not allocate
		return t, nil
	}
	key := string(keyBytes)
	bound := make(map[string]int, len(pairs))
	for _, p := range pairs {
		bound[p.name] = p.size
	}
	types, err := m.plan.InferTypes(m.art.InputTypes(bound))
	if err == nil {
		if big := checkValueSizes(m.art, types, m.rt.maxValBytes); big != nil {
			return nil, &Error{Kind: ErrInvalidInput, Model: m.art.Name, Mode: ModeMemory,
				Err: fmt.Errorf("with input sizes %s %w", key, big)}
		}
	}
	if err != nil {
		// The graph is valid for the sizes checked at Load but not for these:
		// that is the caller's input. Keep the node and op, but not the
		// ErrInvalidArtifact kind, so the error matches one kind only.
		e := &Error{Kind: ErrInvalidInput, Model: m.art.Name, Err: err}
		var inner *Error
		if errors.As(err, &inner) {
			e.Node, e.Op, e.Err = inner.Node, inner.Op, inner.Err
		}
		e.Err = fmt.Errorf("the model cannot run with input sizes %s: %w", key, e.Err)
		return nil, e
	}
	out := make([]outType, len(m.art.Outputs))
	for i, o := range m.art.Outputs {
		out[i] = types[o.Name]
	}
	if len(m.outTypes) >= maxSignatures {
		clear(m.outTypes)
	}
	m.outTypes[key] = out
	return out, nil
}

// symBinding is one symbolic dimension's size in a run's inputs.
type symBinding struct {
	name string
	size int
}

func inputNames(a *Artifact) string {
	s := ""
	for i, in := range a.Inputs {
		if i > 0 {
			s += ", "
		}
		s += in.Name
	}
	return s
}

// enter registers a run in flight; false if the model is closed.
func (m *Model) enter() bool {
	m.lifeMu.Lock()
	defer m.lifeMu.Unlock()
	if m.closed {
		return false
	}
	m.inflight++
	return true
}

func (m *Model) leave() {
	m.lifeMu.Lock()
	m.inflight--
	if m.inflight == 0 {
		m.idle.Broadcast()
	}
	m.lifeMu.Unlock()
}

// Close makes new runs fail with ErrClosed, waits for runs in flight, then
// frees every backend's prepared model. It is idempotent: every call returns
// after the backends are freed, with the same result.
func (m *Model) Close() error {
	m.lifeMu.Lock()
	if m.closed {
		m.lifeMu.Unlock()
		<-m.closeErr
		return m.err
	}
	m.closed = true
	for m.inflight > 0 {
		m.idle.Wait()
	}
	m.lifeMu.Unlock()
	m.rt.forget(m)
	if m.shadow != nil {
		m.shadow.close() // cancel and wait for shadow checks: they use the prepared models
	}
	m.sup.wait() // runs abandoned at their deadline still use the prepared models too
	m.err = m.closePrepared()
	if m.spec != nil {
		m.err = errors.Join(m.err, m.closeSpecializations())
	}
	m.releaseMemory()
	close(m.closeErr)
	return m.err
}

func (m *Model) closePrepared() error {
	var errs []error
	for _, c := range m.cands {
		c.mu.Lock()
		if box := c.prepared.Swap(nil); box != nil {
			if err := closeRecovered(box.p, c.name); err != nil {
				errs = append(errs, err)
			}
		}
		c.mu.Unlock()
	}
	return errors.Join(errs...)
}

func closeRecovered(p Prepared, backend string) (err error) {
	defer recoverInto(&err, backend, "Close")
	return p.Close()
}
