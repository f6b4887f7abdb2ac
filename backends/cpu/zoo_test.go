package cpu_test

import (
	"testing"

	"github.com/backplane-ml/backplane/backends/cpu"
	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/internal/zoobench/zoobenchtest"
	"github.com/backplane-ml/backplane/models"
)

// TestZooParity runs every zoo model at batch 1 and 2 on the default kernel
// path and on ref, and compares the outputs; the small models (under 50
// MMACs) also run on every other kernel path.
func TestZooParity(t *testing.T) {
	paths := kernelPaths(t)
	for _, z := range models.Zoo() {
		t.Run(z.Name, func(t *testing.T) {
			pc := zoobenchtest.NewParityCase(t, z, raceEnabled)
			for i, b := range paths {
				if i > 0 && (pc.MACs > zoobenchtest.HeavyMACs || raceEnabled) {
					continue
				}
				pc.RequireMatches(t, b, cpu.ZooTolerance, b.Kernels())
			}
		})
	}
}
