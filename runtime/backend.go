package runtime

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/backplane-ml/backplane/tensor"
)

// Backend is an execution engine that can prepare artifacts. Backends register
// themselves with Register from an init function, like database/sql drivers,
// and the runtime chooses among the registered ones per model.
//
// Implementations must be safe for concurrent use. The runtime recovers a
// panic in any method and reports it as failure mode ModePanic.
type Backend interface {
	// Name is the registry key, e.g. "ref", "xla", "gomlx", "coreml".
	Name() string
	// Available reports whether the backend can run on this machine: nil, or
	// an error a person can act on (what is missing and how to install it).
	// It must return quickly and must not use the network.
	Available() error
	// Supports reports whether the backend can run the artifact: nil, or an
	// error of kind ErrUnsupported naming the first op or dtype it cannot run.
	Supports(a *Artifact) error
	// Prepare compiles and loads a validated artifact. It honours ctx.
	Prepare(ctx context.Context, a *Artifact) (Prepared, error)
}

// Prepared is an artifact compiled and loaded by one backend.
type Prepared interface {
	// Run executes the model. Inputs are in the order of Artifact.Inputs and
	// have already been checked against the declared dtypes and shapes;
	// outputs are returned in the order of Artifact.Outputs. Run must not
	// modify its inputs (on failure the runtime hands the same tensors to the
	// next backend) and must return tensors that share no memory with the
	// inputs, the artifact's weights or buffers it reuses later. Run may be
	// called concurrently and must honour ctx cancellation and deadlines.
	Run(ctx context.Context, inputs []*tensor.Tensor) ([]*tensor.Tensor, error)
	// Close frees the backend's resources. Calling it more than once is allowed.
	Close() error
}

var (
	registryMu sync.RWMutex
	registry   = map[string]Backend{}
)

// Register makes a backend available under its name. It panics if b is nil
// or the name is taken, as database/sql.Register does: both are programming
// errors found at init time.
func Register(b Backend) {
	if b == nil {
		panic("runtime: Register of a nil backend")
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[b.Name()]; dup {
		panic("runtime: Register called twice for backend " + b.Name())
	}
	registry[b.Name()] = b
}

// Lookup returns the registered backend with the given name.
func Lookup(name string) (Backend, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	b, ok := registry[name]
	return b, ok
}

// DefaultPreference is the static order in which backends are tried when
// there is no telemetry yet: the fastest engines first, the reference last.
// Registered backends not listed here come after the listed ones but before "ref".
var DefaultPreference = []string{"coreml", "xla", "cpu", "gomlx", "ref"}

// Backends returns every registered backend in preference order.
func Backends() []Backend {
	registryMu.RLock()
	defer registryMu.RUnlock()
	all := make([]Backend, 0, len(registry))
	for _, b := range registry {
		all = append(all, b)
	}
	sort.Slice(all, func(i, j int) bool {
		ri, rj := preferenceRank(all[i].Name()), preferenceRank(all[j].Name())
		if ri != rj {
			return ri < rj
		}
		return all[i].Name() < all[j].Name()
	})
	return all
}

func preferenceRank(name string) int {
	if name == "ref" {
		return len(DefaultPreference) + 1
	}
	for i, n := range DefaultPreference {
		if n == name {
			return i
		}
	}
	return len(DefaultPreference)
}

// Availability returns Available() for b with a panic turned into an error, so
// one broken backend cannot take down a listing of all of them.
func Availability(b Backend) (err error) {
	defer recoverInto(&err, b.Name(), "Available")
	return b.Available()
}

// recoverInto turns a panic into an *Error of mode ModePanic in *err.
func recoverInto(err *error, backend, method string) {
	if r := recover(); r != nil {
		*err = &Error{Kind: ErrBackend, Backend: backend, Mode: ModePanic,
			Err: fmt.Errorf("panic in %s: %v", method, r)}
	}
}
