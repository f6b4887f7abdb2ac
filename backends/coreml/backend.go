package coreml

import (
	"context"
	"fmt"
	"os"

	"github.com/backplane-ml/backplane/runtime"
)

func init() {
	units, err := ParseComputeUnits(os.Getenv(ComputeUnitsEnv))
	b := New(Options{ComputeUnits: units})
	b.envErr = err
	runtime.Register(b)
}

// ComputeUnitsEnv names the environment variable that picks the compute
// units of the registered "coreml" backend: all (default), cpu, cpu+gpu or
// cpu+ane. It lets `backplane bench` and `demo` compare the Neural Engine
// with the CPU without code changes.
const ComputeUnitsEnv = "BACKPLANE_COREML_UNITS"

// ParseComputeUnits parses a compute-units name as printed by
// ComputeUnits.String; "" means All.
func ParseComputeUnits(s string) (ComputeUnits, error) {
	if s == "" {
		return All, nil
	}
	for _, u := range []ComputeUnits{All, CPUOnly, CPUAndGPU, CPUAndNeuralEngine} {
		if u.String() == s {
			return u, nil
		}
	}
	return All, fmt.Errorf("%s=%q: want all, cpu, cpu+gpu or cpu+ane", ComputeUnitsEnv, s)
}

// Backend runs artifacts with Core ML. It converts each artifact with Convert
// (per input signature) and, on macOS with the bridge built in, compiles and
// runs the model through it. Elsewhere it is registered but unavailable, and
// still answers Supports.
type Backend struct {
	opts   Options
	envErr error // a bad BACKPLANE_COREML_UNITS for the registered backend
}

// New returns a Core ML backend with the given options. The registered
// "coreml" backend uses the zero Options (float32 weights, all compute units,
// the default cache directory).
func New(opts Options) *Backend { return &Backend{opts: opts} }

// Name returns "coreml".
func (b *Backend) Name() string { return Name }

// Available reports whether Core ML can run here: nil on macOS in a build
// with the bridge (`-tags coreml` and cgo), otherwise an error saying what is
// missing.
func (b *Backend) Available() error {
	if b.envErr != nil {
		return &runtime.Error{Kind: runtime.ErrUnavailable, Backend: Name, Mode: runtime.ModeUnavailable, Err: b.envErr}
	}
	return platformAvailable()
}

// Supports reports whether the artifact converts to a Core ML model; see
// CheckSupport. It answers on every platform.
func (b *Backend) Supports(a *runtime.Artifact) error { return CheckSupport(a) }

// Prepare checks that the artifact converts, then compiles and loads it on
// the platform (an ErrUnavailable error where Core ML is not available).
func (b *Backend) Prepare(ctx context.Context, a *runtime.Artifact) (runtime.Prepared, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := CheckSupport(a); err != nil {
		return nil, err
	}
	return platformPrepare(ctx, a, b.opts)
}
