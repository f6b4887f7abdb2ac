package xla_test

import (
	"strings"

	"github.com/backplane-ml/backplane/backends/xla"
)

// engines returns a fresh backend on each engine, XLA first.
func engines() []*xla.Backend {
	return []*xla.Backend{xla.NewXLA(xla.Options{}), xla.NewGoMLX(xla.Options{})}
}

// oneLine shortens an unavailability error to its first clause, for skip messages.
func oneLine(err error) string {
	s := err.Error()
	if i := strings.Index(s, "; "); i > 0 {
		s = s[:i]
	}
	return s
}
