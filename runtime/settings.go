package runtime

import (
	"context"
	"fmt"
)

// Settings are a runtime's choices that backends read when they prepare a
// model. The runtime passes them in the context of Backend.Prepare (read them
// with SettingsFrom); a program that calls Prepare itself attaches them with
// ContextWithSettings. A backend that keeps per-process state (a thread pool,
// a compiled engine) keys it by the settings it honours.
type Settings struct {
	// Threads bounds the threads one run of a model may use (intra-op
	// parallelism). Zero lets each backend choose, usually one per core
	// (GOMAXPROCS). Backends without threads ignore it; what each backend
	// does with it is in its documentation (docs/ in the repository).
	Threads int
}

type settingsKey struct{}

// ContextWithSettings returns ctx carrying s for Backend.Prepare.
func ContextWithSettings(ctx context.Context, s Settings) context.Context {
	return context.WithValue(ctx, settingsKey{}, s)
}

// SettingsFrom returns the Settings in ctx, or the zero Settings (every
// backend's defaults) when there are none.
func SettingsFrom(ctx context.Context) Settings {
	s, _ := ctx.Value(settingsKey{}).(Settings)
	return s
}

// WithThreads bounds the threads each run may use on every backend that has
// threads (see Settings.Threads). n must be positive; leave the option out
// for each backend's default.
func WithThreads(n int) Option {
	return func(r *Runtime) error {
		if n <= 0 {
			return fmt.Errorf("runtime: WithThreads(%d): the thread count must be positive", n)
		}
		r.settings.Threads = n
		return nil
	}
}

// Settings returns the settings the runtime prepares models with.
func (r *Runtime) Settings() Settings { return r.settings }
