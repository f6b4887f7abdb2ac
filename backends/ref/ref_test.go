package ref_test

import (
	"testing"

	"github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/runtime/backendtest"
)

// TestConformance runs the whole backend conformance kit on the reference
// backend. RequireAll: ref must run every op of the catalog.
func TestConformance(t *testing.T) {
	backendtest.RunWithOptions(t, ref.Backend{}, backendtest.Options{RequireAll: true})
}

// TestConformanceConstantOperands runs the kit again with every operand but
// the first held as a weight, as trained models hold their parameters.
func TestConformanceConstantOperands(t *testing.T) {
	backendtest.RunWithOptions(t, ref.Backend{}, backendtest.Options{RequireAll: true, ConstantOperands: true})
}
