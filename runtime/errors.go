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

// Error formats the kind, then every context field that is set, then the cause.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("backplane: ")
	if e.Kind != nil {
		b.WriteString(e.Kind.Error())
	}
	parts := []struct{ k, v string }{
		{"model", e.Model}, {"backend", e.Backend}, {"node", e.Node}, {"op", e.Op}, {"input", e.Input},
	}
	for _, p := range parts {
		if p.v != "" {
			fmt.Fprintf(&b, ", %s %q", p.k, p.v)
		}
	}
	if e.Mode != "" {
		fmt.Fprintf(&b, " [%s]", e.Mode)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
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
// backend tried, in order, with why it failed. It matches ErrNoBackend.
type DispatchError struct {
	Model    string
	Attempts []Attempt
}

// Error lists every attempt with its backend, failure mode and error.
func (e *DispatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "backplane: %v, model %q", ErrNoBackend, e.Model)
	if len(e.Attempts) == 0 {
		b.WriteString(": no backend is registered (import backplane/backends/ref or backends/all)")
	}
	for i, a := range e.Attempts {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s [%s]: %v", a.Backend, a.Mode, a.Err)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNoBackend) true.
func (e *DispatchError) Is(target error) bool { return target == ErrNoBackend }

// Unwrap returns each attempt's error, so errors.Is/As can look inside.
func (e *DispatchError) Unwrap() []error {
	errs := make([]error, 0, len(e.Attempts))
	for _, a := range e.Attempts {
		if a.Err != nil {
			errs = append(errs, a.Err)
		}
	}
	return errs
}
