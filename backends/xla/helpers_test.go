package xla_test

import (
	"os"
	"strings"
	"testing"

	"github.com/backplane-ml/backplane/backends/xla"
)

// engines returns a fresh backend on each engine, XLA first.
func engines() []*xla.Backend {
	return []*xla.Backend{xla.NewXLA(xla.Options{}), xla.NewGoMLX(xla.Options{})}
}

// requireAvailable skips the test when b cannot run here, saying why, or
// fails it when xla.RequirePluginEnv is 1 (CI, after `make xla`).
func requireAvailable(t *testing.T, b *xla.Backend) {
	t.Helper()
	err := b.Available()
	if err == nil {
		return
	}
	if os.Getenv(xla.RequirePluginEnv) == "1" {
		t.Fatalf("%s=1 but the %s backend is unavailable: %v", xla.RequirePluginEnv, b.Name(), err)
	}
	t.Skipf("%s", oneLine(err))
}

// oneLine shortens an unavailability error to its first clause, for skip messages.
func oneLine(err error) string {
	s := err.Error()
	if i := strings.Index(s, "; "); i > 0 {
		s = s[:i]
	}
	return s
}
