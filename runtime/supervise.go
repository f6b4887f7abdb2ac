package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/backplane-ml/backplane/tensor"
)

// MaxAbandonedRuns bounds, per (model, backend), the runs still executing
// after the supervisor gave up on them at their deadline. Past it the
// backend gets no new work for that model (each refusal is a ModeTimeout
// failure, so its breaker opens and traffic moves on) until some finish.
const MaxAbandonedRuns = 4

// ContextHonouring is implemented by a Prepared model whose Run returns
// promptly once its context is done (checking it between steps, as the
// reference interpreter does). Runs of every other Prepared with a deadline
// or a cancellable context are supervised: the caller gets the typed
// timeout at the deadline while the backend's run, which cannot be stopped
// (a GoMLX or PJRT execution, a cgo call), finishes in the background and
// its outputs are dropped.
type ContextHonouring interface {
	HonoursContext() bool
}

// supervision counts a model's abandoned runs per backend.
type supervision struct {
	mu        sync.Mutex
	abandoned map[*candidate]int
	idle      *sync.Cond // signalled when a count drops to zero
}

func (s *supervision) count(c *candidate) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.abandoned[c]
}

func (s *supervision) add(c *candidate, d int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.abandoned == nil {
		s.abandoned = map[*candidate]int{}
		s.idle = sync.NewCond(&s.mu)
	}
	s.abandoned[c] += d
	if s.abandoned[c] <= 0 {
		delete(s.abandoned, c)
		s.idle.Broadcast()
	}
}

// wait blocks until no abandoned run of any backend is still executing:
// Close must not free what they use.
func (s *supervision) wait() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.abandoned) > 0 {
		s.idle.Wait()
	}
}

// Abandoned returns the runs of this model still executing on each backend
// after their deadline passed (see MaxAbandonedRuns).
func (m *Model) Abandoned() map[string]int {
	m.sup.mu.Lock()
	defer m.sup.mu.Unlock()
	out := map[string]int{}
	for c, n := range m.sup.abandoned {
		out[c.name] = n
	}
	return out
}

func honoursContext(p Prepared) bool {
	h, ok := p.(ContextHonouring)
	return ok && h.HonoursContext()
}

// runSupervised runs p, returning at ctx's deadline or cancellation even if
// p does not.
func (m *Model) runSupervised(ctx context.Context, c *candidate, p Prepared, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if ctx.Done() == nil || honoursContext(p) {
		return runRecovered(ctx, p, inputs, c.name)
	}
	if n := m.sup.count(c); n >= MaxAbandonedRuns {
		return nil, &Error{Kind: ErrBackend, Model: m.art.Name, Backend: c.name, Mode: ModeTimeout,
			Err: fmt.Errorf("%d runs are still executing past their deadline (at most %d): no new work until they finish", n, MaxAbandonedRuns)}
	}
	type result struct {
		out []*tensor.Tensor
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := runRecovered(ctx, p, inputs, c.name)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-ctx.Done():
		m.sup.add(c, 1)
		go func() {
			<-done // outputs of an abandoned run are dropped
			m.sup.add(c, -1)
		}()
		return nil, &Error{Kind: ErrBackend, Model: m.art.Name, Backend: c.name, Mode: ModeTimeout,
			Err: fmt.Errorf("the backend did not stop at the deadline, its run continues in the background: %w", ctx.Err())}
	}
}

// prepareSupervised is prepareAtLoad returning at ctx's deadline: a Prepare
// still compiling is left to finish in the background, and what it made is
// closed once it has (a Load that gave up keeps nothing).
func (m *Model) prepareSupervised(ctx context.Context, c *candidate) (Prepared, error) {
	if ctx.Done() == nil {
		return m.prepareAtLoad(ctx, c)
	}
	if err := ctx.Err(); err != nil {
		return nil, &Error{Kind: ErrBackend, Model: m.art.Name, Backend: c.name, Mode: ModeTimeout, Err: err}
	}
	type result struct {
		p   Prepared
		err error
	}
	done := make(chan result, 1)
	go func() {
		p, err := m.prepareAtLoad(ctx, c)
		done <- result{p, err}
	}()
	select {
	case r := <-done:
		return r.p, r.err
	case <-ctx.Done():
		go func() {
			if r := <-done; r.err == nil {
				m.closePrepared()
			}
		}()
		return nil, &Error{Kind: ErrBackend, Model: m.art.Name, Backend: c.name, Mode: ModeTimeout,
			Err: fmt.Errorf("Load gave up waiting for the backend to compile: %w", ctx.Err())}
	}
}

// loadCancelled is the error of a Load whose ctx ended after a backend was
// prepared: the model is closed, not returned.
func loadCancelled(m *Model, c *candidate, ctx context.Context, before []Attempt) error {
	return &DispatchError{Model: m.art.Name, Context: ctx.Err(), Attempts: append(before,
		Attempt{Backend: c.name, Mode: ModeTimeout, Err: &Error{Kind: ErrBackend, Model: m.art.Name, Backend: c.name,
			Mode: ModeTimeout, Err: errors.Join(errors.New("Load was cancelled after the backend prepared the model"), ctx.Err())}})}
}
