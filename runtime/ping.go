package runtime

import (
	"context"
	"errors"
)

// Ping checks that the runtime can run models here before any is loaded: that
// a backend is registered and that the backends it will use are available.
// When the runtime was restricted to named backends (WithBackends,
// UsingBackends), every one of them must be available, and the error lists
// each one that is not (kind ErrUnavailable, with the backend's reason). With
// the default set, the registered backends that are unavailable are passed
// over as Load would, and Ping fails only when none is available. Ping
// honours ctx: a slow availability probe (a plugin search) ends with ctx.
func (r *Runtime) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	bs := r.backends()
	if len(bs) == 0 {
		return &RegistryError{}
	}
	type result struct {
		errs      []error
		available int
	}
	done := make(chan result, 1)
	go func() {
		var res result
		for _, b := range bs {
			err := Availability(b)
			if err == nil {
				res.available++
				continue
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != ErrUnavailable || e.Backend != b.Name() {
				err = &Error{Kind: ErrUnavailable, Backend: b.Name(), Mode: ModeUnavailable, Err: err}
			}
			res.errs = append(res.errs, err)
		}
		done <- res
	}()
	var res result
	select {
	case <-ctx.Done():
		return ctx.Err()
	case res = <-done:
	}
	if r.only != nil || res.available == 0 {
		return errors.Join(res.errs...)
	}
	return nil
}
