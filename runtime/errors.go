package runtime

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel error kinds. Every *Error the runtime returns has one of them as
// its Kind (errors.Is matches it); errors.As(err, &e) gives the details. A
// *DispatchError matches ErrNoBackend and, through the attempts it lists,
// the kinds of the backends' errors too.
var (
	// ErrInvalidArtifact: the graph is malformed (cycle, dangling edge, unknown
	// op, bad attribute, shapes that do not fit).
	ErrInvalidArtifact = errors.New("invalid artifact")
	// ErrCorrupt: an artifact file is truncated, fails its checksum, or holds
	// sizes that cannot be right.
	ErrCorrupt = errors.New("corrupt artifact file")
	// ErrIO: reading or writing an artifact file failed in the file system or
	// the stream (the os error is wrapped, so errors.Is(err, fs.ErrNotExist) works).
	ErrIO = errors.New("artifact I/O failed")
	// ErrInvalidInput: Run got the wrong number of inputs, a nil tensor, or a
	// tensor of the wrong dtype or shape.
	ErrInvalidInput = errors.New("invalid input")
	// ErrUnavailable: a backend cannot run on this machine.
	ErrUnavailable = errors.New("backend unavailable")
	// ErrUnsupported: a backend cannot run this model (an op or dtype it lacks).
	ErrUnsupported = errors.New("unsupported by backend")
	// ErrBackend: a backend failed while compiling or running the model.
	ErrBackend = errors.New("backend failed")
	// ErrNoBackend: no backend could run the model; the error lists each attempt.
	ErrNoBackend = errors.New("no backend could run the model")
	// ErrCircuitOpen: a backend's circuit breaker refused the request.
	ErrCircuitOpen = errors.New("circuit breaker open")
	// ErrClosed: the model or runtime was closed.
	ErrClosed = errors.New("closed")
)

// FailureMode classifies why a backend failed a request. Telemetry counts
// failures by mode and the circuit breaker reacts to them.
type FailureMode string

// The failure modes.
const (
	ModeUnavailable FailureMode = "unavailable" // backend cannot run here
	ModeUnsupported FailureMode = "unsupported" // backend cannot run this model
	ModeCompile     FailureMode = "compile"     // Prepare failed
	ModeRuntime     FailureMode = "runtime"     // Run returned an error or malformed outputs
	ModeTimeout     FailureMode = "timeout"     // the context's deadline passed or it was cancelled
	ModePanic       FailureMode = "panic"       // the backend panicked; recovered at the seam
	ModeNumeric     FailureMode = "numeric"     // outputs hold NaN/Inf or diverge from ref
	ModeMemory      FailureMode = "memory"      // the backend ran out of memory

	// ModeCircuitOpen marks an Attempt that was not made: the backend's
	// circuit breaker refused the request. It is not a failure of the backend
	// and telemetry does not count it.
	ModeCircuitOpen FailureMode = "circuit-open"
)

// Error is the runtime's error type. Fields that do not apply are empty.
type Error struct {
	Kind    error       // one of the sentinel errors above
	Model   string      // artifact name
	Node    string      // graph node at fault
	Op      string      // op of that node
	Input   string      // input (of the model or the node) at fault
	Backend string      // backend involved
	Mode    FailureMode // for backend failures
	Err     error       // underlying cause, may be nil
}

// Error formats the kind, then every context field that is set, then the
// cause. The "backplane:" prefix appears once, however deep the nesting.
func (e *Error) Error() string { return "backplane: " + e.describe(errContext{}) }

// errContext is what an enclosing error has already said: a nested error
// leaves out the model, backend and failure mode its parent named.
type errContext struct {
	model, backend string
	mode           FailureMode
}

// describe formats e without the package prefix, leaving out what ctx names.
func (e *Error) describe(ctx errContext) string {
	var b strings.Builder
	if e.Kind != nil {
		b.WriteString(e.Kind.Error())
	}
	model, backend := e.Model, e.Backend
	if model == ctx.model {
		model = ""
	}
	if backend == ctx.backend {
		backend = ""
	}
	parts := []struct{ k, v string }{
		{"model", model}, {"backend", backend}, {"node", e.Node}, {"op", e.Op}, {"input", e.Input},
	}
	sep := ", "
	if b.Len() == 0 {
		sep = ""
	}
	for _, p := range parts {
		if p.v != "" {
			fmt.Fprintf(&b, "%s%s %q", sep, p.k, p.v)
			sep = ", "
		}
	}
	if e.Mode != "" && e.Mode != ctx.mode {
		fmt.Fprintf(&b, " [%s]", e.Mode)
	}
	if e.Err != nil {
		inner := errContext{model: firstNonEmpty(e.Model, ctx.model), backend: firstNonEmpty(e.Backend, ctx.backend),
			mode: e.Mode}
		if inner.mode == "" {
			inner.mode = ctx.mode
		}
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(describeNested(e.Err, inner))
	}
	return b.String()
}

// describeNested formats a cause: an *Error (or *DispatchError) without the
// prefix and the context its parent gave, anything else as it is.
func describeNested(err error, ctx errContext) string {
	switch x := err.(type) {
	case *Error:
		return x.describe(ctx)
	case *DispatchError:
		return x.describe()
	}
	return err.Error()
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Is reports whether target is e's kind, so errors.Is(err, ErrInvalidInput) works.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the underlying cause, so errors.Is also sees through to it
// (e.g. ops.ErrAttr, context.DeadlineExceeded).
func (e *Error) Unwrap() error { return e.Err }

// Attempt records one backend's try at a request.
type Attempt struct {
	Backend string
	Mode    FailureMode
	Err     error
}

// DispatchError is returned when no backend produced a result: it lists every
// backend tried, in order, with why it failed. It matches ErrNoBackend, unless
// the request ended because its context was cancelled or its deadline passed:
// then it matches that context error (context.Canceled or
// context.DeadlineExceeded) instead, since no backend was at fault.
type DispatchError struct {
	Model    string
	Attempts []Attempt
	// Context is the context's error when the request's context ended before
	// a backend succeeded; nil otherwise.
	Context error
}

// Error lists every attempt with its backend, failure mode and error.
func (e *DispatchError) Error() string { return "backplane: " + e.describe() }

func (e *DispatchError) describe() string {
	var b strings.Builder
	if e.Context != nil {
		fmt.Fprintf(&b, "model %q: %v", e.Model, e.Context)
		if len(e.Attempts) > 0 {
			b.WriteString(" (tried ")
		}
	} else {
		fmt.Fprintf(&b, "%v, model %q", ErrNoBackend, e.Model)
		if len(e.Attempts) == 0 {
			b.WriteString(": " + noneRegisteredHint)
		}
	}
	for i, a := range e.Attempts {
		switch {
		case i > 0:
			b.WriteString("; ")
		case e.Context == nil:
			b.WriteString(": ")
		}
		fmt.Fprintf(&b, "%s [%s]", a.Backend, a.Mode)
		if a.Err != nil {
			b.WriteString(": ")
			b.WriteString(describeNested(a.Err, errContext{model: e.Model, backend: a.Backend, mode: a.Mode}))
		}
	}
	if e.Context != nil && len(e.Attempts) > 0 {
		b.WriteString(")")
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNoBackend) true when the request was not
// cancelled (see DispatchError).
func (e *DispatchError) Is(target error) bool { return target == ErrNoBackend && e.Context == nil }

// Unwrap returns the context's error, if any, and each attempt's error, so
// errors.Is/As can look inside.
func (e *DispatchError) Unwrap() []error {
	errs := make([]error, 0, len(e.Attempts)+1)
	if e.Context != nil {
		errs = append(errs, e.Context)
	}
	for _, a := range e.Attempts {
		if a.Err != nil {
			errs = append(errs, a.Err)
		}
	}
	return errs
}
