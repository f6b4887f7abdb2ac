package runtime

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotRegistered: a backend name is not in the registry, or no backend is
// registered at all (a program must import the backends it wants, e.g.
// backends/all, for their registration side effect).
var ErrNotRegistered = errors.New("backend not registered")

// noneRegisteredHint says what to do when the registry is empty.
const noneRegisteredHint = "no backend is registered; is an import missing? " +
	`import _ "github.com/backplane-ml/backplane/backends/all" (every backend) or one backend's package, e.g. backends/ref`

// RegistryError reports a backend name that is not registered (Name set), or
// an empty registry (Name empty). It matches ErrNotRegistered; an empty
// registry met while loading a model matches ErrNoBackend too.
type RegistryError struct {
	Name       string   // the name asked for; empty when none was
	Model      string   // the model being loaded, if any
	Registered []string // the names that are registered, in preference order
}

// Error names the backend asked for, what is registered, and the likely fix.
func (e *RegistryError) Error() string {
	var b strings.Builder
	b.WriteString("backplane: ")
	if e.Model != "" {
		fmt.Fprintf(&b, "model %q: ", e.Model)
	}
	switch {
	case len(e.Registered) == 0 && e.Name == "":
		b.WriteString(noneRegisteredHint)
	case len(e.Registered) == 0:
		fmt.Fprintf(&b, "backend %q is not registered: %s", e.Name, noneRegisteredHint)
	default:
		fmt.Fprintf(&b, "backend %q is not registered (registered: %s); if it is a backplane backend, "+
			`import _ "github.com/backplane-ml/backplane/backends/all" or its package`, e.Name, strings.Join(e.Registered, ", "))
	}
	return b.String()
}

// Is matches ErrNotRegistered, and ErrNoBackend when no backend is registered.
func (e *RegistryError) Is(target error) bool {
	return target == ErrNotRegistered || (target == ErrNoBackend && len(e.Registered) == 0)
}

// registryError describes name missing from the registry.
func registryError(name string) *RegistryError {
	return &RegistryError{Name: name, Registered: registeredNames()}
}

// BackendNames returns the names of the registered backends in preference order.
func BackendNames() []string { return registeredNames() }
