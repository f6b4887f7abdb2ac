package runtime_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

func TestWithBackendsUnknownNameIsTypedWithHint(t *testing.T) {
	_, err := runtime.New(runtime.WithBackends("ref", "no-such-backend"))
	require.ErrorIs(t, err, runtime.ErrNotRegistered)
	require.NotErrorIs(t, err, runtime.ErrNoBackend, "other backends are registered")
	var re *runtime.RegistryError
	require.ErrorAs(t, err, &re)
	require.Equal(t, "no-such-backend", re.Name)
	require.Contains(t, re.Registered, "ref")
	require.ErrorContains(t, err, "backends/all")
}

func TestEmptyRegistryErrorNamesTheMissingImport(t *testing.T) {
	err := &runtime.RegistryError{Model: "m"}
	require.ErrorIs(t, err, runtime.ErrNotRegistered)
	require.ErrorIs(t, err, runtime.ErrNoBackend)
	require.ErrorContains(t, err, `import _ "github.com/backplane-ml/backplane/backends/all"`)
}

type ctxBackend struct{ fake }

func (b *ctxBackend) Prepare(ctx context.Context, a *runtime.Artifact) (runtime.Prepared, error) {
	return ctxPrepared{}, nil
}

type ctxPrepared struct{}

func (ctxPrepared) Run(ctx context.Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
func (ctxPrepared) Close() error { return nil }

func TestCancellationMatchesTheContextErrorNotErrNoBackend(t *testing.T) {
	rt, err := runtime.New(runtime.UsingBackends(&ctxBackend{fake{name: "slow"}}))
	require.NoError(t, err)
	defer rt.Close()
	m, err := rt.Load(context.Background(), affine(t))
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err = m.Run(ctx, affineIn)
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, runtime.ErrNoBackend)
	require.ErrorContains(t, err, "tried slow [timeout]")

	ctx, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	_, err = m.Run(ctx, affineIn)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotErrorIs(t, err, runtime.ErrNoBackend)

	done, cancel3 := context.WithCancel(context.Background())
	cancel3()
	_, err = rt.Load(done, affine(t))
	require.ErrorIs(t, err, context.Canceled, "Load with a cancelled context")
}

func TestMessagesNameEachThingOnce(t *testing.T) {
	inner := &runtime.Error{Kind: runtime.ErrUnavailable, Backend: "xla", Mode: runtime.ModeUnavailable,
		Err: errors.New("PJRT plugin not found")}
	wrapped := &runtime.Error{Kind: runtime.ErrBackend, Model: "mlp", Backend: "xla", Mode: runtime.ModeCompile, Err: inner}
	de := &runtime.DispatchError{Model: "mlp", Attempts: []runtime.Attempt{
		{Backend: "xla", Mode: runtime.ModeUnavailable, Err: inner},
		{Backend: "gomlx", Mode: runtime.ModeRuntime, Err: &runtime.Error{Kind: runtime.ErrBackend, Model: "mlp",
			Backend: "gomlx", Node: "n1", Op: "add", Mode: runtime.ModeRuntime, Err: errors.New("device lost")}},
	}}
	for _, err := range []error{wrapped, de} {
		msg := err.Error()
		require.Equal(t, 1, strings.Count(msg, "backplane:"), msg)
		require.LessOrEqual(t, strings.Count(msg, `"mlp"`), 1, msg)
		require.Equal(t, 1, strings.Count(msg, "xla"), msg)
		require.Contains(t, msg, "PJRT plugin not found")
	}
	require.Equal(t, `backplane: no backend could run the model, model "mlp": xla [unavailable]: backend unavailable: `+
		`PJRT plugin not found; gomlx [runtime]: backend failed, node "n1", op "add": device lost`, de.Error())
	require.Equal(t, `backplane: backend failed, model "mlp", backend "xla" [compile]: backend unavailable [unavailable]: `+
		`PJRT plugin not found`, wrapped.Error())
}

func TestPingChecksTheChosenBackendsUpFront(t *testing.T) {
	away := &fake{name: "away", unavailable: errors.New("install the plugin")}
	here := &fake{name: "here"}

	rt, err := runtime.New(runtime.UsingBackends(here, away))
	require.NoError(t, err)
	err = rt.Ping(context.Background())
	require.ErrorIs(t, err, runtime.ErrUnavailable, "a backend asked for by name must be available")
	require.ErrorContains(t, err, `backend "away"`)
	require.ErrorContains(t, err, "install the plugin")

	rt, err = runtime.New(runtime.UsingBackends(here))
	require.NoError(t, err)
	require.NoError(t, rt.Ping(context.Background()))

	rt, err = runtime.New() // every registered backend: ref is available
	require.NoError(t, err)
	require.NoError(t, rt.Ping(context.Background()))

	done, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, rt.Ping(done), context.Canceled)
}

// settingsBackend records the Settings its Prepare was given.
type settingsBackend struct {
	fake
	got chan runtime.Settings
}

func (b *settingsBackend) Prepare(ctx context.Context, a *runtime.Artifact) (runtime.Prepared, error) {
	b.got <- runtime.SettingsFrom(ctx)
	return b.fake.Prepare(ctx, a)
}

func TestWithThreadsReachesPrepare(t *testing.T) {
	b := &settingsBackend{fake: fake{name: "threaded"}, got: make(chan runtime.Settings, 1)}
	rt, err := runtime.New(runtime.UsingBackends(b), runtime.WithThreads(3))
	require.NoError(t, err)
	defer rt.Close()
	require.Equal(t, 3, rt.Settings().Threads)
	_, err = rt.Load(context.Background(), affine(t))
	require.NoError(t, err)
	require.Equal(t, runtime.Settings{Threads: 3}, <-b.got)

	require.Equal(t, runtime.Settings{}, runtime.SettingsFrom(context.Background()), "no settings: every default")
	_, err = runtime.New(runtime.WithThreads(0))
	require.ErrorContains(t, err, "positive")
}

func TestNewKindMatchesItselfAndTheRuntimeKind(t *testing.T) {
	k := runtime.NewKind("not supported", runtime.ErrUnsupported)
	err := errors.Join(errors.New("ctx"), k)
	require.ErrorIs(t, err, k)
	require.ErrorIs(t, err, runtime.ErrUnsupported)
	require.NotErrorIs(t, err, runtime.ErrInvalidArtifact)
	require.NotErrorIs(t, err, runtime.NewKind("not supported", runtime.ErrUnsupported), "each kind is its own sentinel")
}

func TestBriefKeepsTheFirstClauseOfALongCause(t *testing.T) {
	long := &runtime.Error{Kind: runtime.ErrUnavailable, Backend: "xla", Mode: runtime.ModeUnavailable,
		Err: errors.New("PJRT plugin not found: searched ~/.local/lib/go-xla, /usr/local/lib/go-xla, the LD_LIBRARY_PATH " +
			"entries and the /etc/ld.so.conf directories; install the CPU plugin with its installer")}
	require.Equal(t, "PJRT plugin not found…", runtime.Brief(long))
	semi := errors.New("Core ML needs macOS 12 or later; this is linux/amd64 (conversion and Supports still work on " +
		"every platform, so backplane backends MODEL answers)")
	require.Equal(t, "Core ML needs macOS 12 or later…", runtime.Brief(semi))
	require.Equal(t, "device lost", runtime.Brief(&runtime.Error{Kind: runtime.ErrBackend, Err: errors.New("device lost")}))
	require.Equal(t, "", runtime.Brief(nil))
}
