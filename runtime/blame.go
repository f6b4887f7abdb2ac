package runtime

import (
	"context"
	"errors"
)

// ModeInputData marks an error the request's data caused, one every backend
// would hit alike: an index out of range, an integer division by zero. It
// is not a failure of the backend: the dispatcher returns it to the caller
// at once, without falling back and without charging any circuit breaker.
const ModeInputData FailureMode = "input-data"

// InputDataError returns the error a backend reports when the request's
// data, not the backend, is at fault (see ModeInputData). Its kind is
// ErrInvalidInput; err says what is wrong (which index, which element).
func InputDataError(model, backend, node, op string, err error) *Error {
	return &Error{Kind: ErrInvalidInput, Model: model, Backend: backend, Node: node, Op: op, Mode: ModeInputData, Err: err}
}

// isInputDataError reports whether a backend blamed the request's data.
func isInputDataError(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Mode == ModeInputData && errors.Is(e.Kind, ErrInvalidInput)
}

// inputDataFailure handles a backend's input-data error: the probe slot a
// half-open breaker lent is handed back (the backend did nothing wrong) and
// telemetry counts it apart from the backend's failures.
func (m *Model) inputDataFailure(ctx context.Context, c *candidate) {
	_ = ctx
	c.breaker.release()
	c.stats.inputErrors.Add(1)
}
