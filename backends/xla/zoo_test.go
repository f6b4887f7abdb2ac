package xla_test

import (
	"testing"

	_ "github.com/backplane-ml/backplane/backends/ref"
	"github.com/backplane-ml/backplane/internal/zoobench/zoobenchtest"
	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/tensor"
)

// zooTolerance is the parity asked of a whole zoo model: float32 rounding
// differs from ref's float64 accumulation in every one of tens of layers,
// and the worst element of a thousand logits is compared. Measured maxima
// are far inside it (see TestZooParity's log).
var zooTolerance = tensor.Tolerance{RTol: 1e-3, ATol: 1e-4}

// TestZooParity runs every zoo model at full size, batch 1 and 2, on each
// engine (XLA where a plugin is found) and on ref, and compares the outputs. Under the race
// detector it runs only the small models; `make test` runs the whole zoo in
// a separate non-race step.
func TestZooParity(t *testing.T) {
	for _, z := range models.Zoo() {
		t.Run(z.Name, func(t *testing.T) {
			pc := zoobenchtest.NewParityCase(t, z, raceEnabled)
			for _, b := range engines() {
				t.Run(b.Name(), func(t *testing.T) {
					requireAvailable(t, b)
					pc.RequireMatches(t, b, zooTolerance, b.Name())
				})
			}
		})
	}
}
