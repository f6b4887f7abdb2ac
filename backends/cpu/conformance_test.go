package cpu_test

import (
	"testing"

	"github.com/backplane-ml/backplane/backends/cpu"
	"github.com/backplane-ml/backplane/backends/cpu/internal/kernels"
	"github.com/backplane-ml/backplane/runtime/backendtest"
	"github.com/backplane-ml/backplane/tensor"
)

// kernelPaths returns a backend per kernel path this machine runs, logging
// the paths it skips.
func kernelPaths(t *testing.T) []*cpu.Backend {
	var out []*cpu.Backend
	have := map[string]bool{}
	for _, isa := range kernels.Available() {
		have[isa.Name] = true
		out = append(out, cpu.New(cpu.Options{Kernels: isa.Name}))
	}
	for _, name := range kernels.Known() {
		if !have[name] {
			t.Logf("kernel path %s: skipped, not supported by this CPU or build", name)
		}
	}
	return out
}

// TestConformance runs the whole conformance kit on every kernel path, with
// RequireAll: no op case may be skipped.
func TestConformance(t *testing.T) {
	for _, b := range kernelPaths(t) {
		t.Run(b.Kernels(), func(t *testing.T) {
			backendtest.RunWithOptions(t, b, backendtest.Options{
				RequireAll: true,
				Tolerance:  func(d tensor.DType) (tensor.Tolerance, bool) { return cpu.Tolerance(d), true },
			})
		})
	}
}
