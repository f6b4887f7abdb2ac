// Package models is backplane's model zoo: builders that produce artifacts of
// well-known architectures with deterministic, seeded weights, so every
// backend and benchmark can run them without downloading anything.
package models

import (
	"fmt"
	"math"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// weights hands out deterministic weight tensors: each call draws from its own
// seed derived from the model seed and a counter, so adding a layer at the end
// does not change the earlier layers' weights.
type weights struct {
	b    *runtime.Builder
	seed uint64
	n    uint64
	err  error
}

// uniform adds a float32 weight with values in [-scale, scale).
func (w *weights) uniform(name string, scale float64, shape ...int) runtime.Value {
	return w.between(name, -scale, scale, shape...)
}

// between adds a float32 weight with values in [lo, hi), for parameters
// centred away from zero such as batch-norm variances and scales.
func (w *weights) between(name string, lo, hi float64, shape ...int) runtime.Value {
	return w.b.Weight(name, w.draw(name, lo, hi, shape...))
}

// draw returns the next tensor of the stream, values in [lo, hi).
func (w *weights) draw(name string, lo, hi float64, shape ...int) *tensor.Tensor {
	w.n++
	t, err := tensor.Rand(tensor.Float32, w.seed*1_000_003+w.n, lo, hi, shape...)
	if err != nil && w.err == nil {
		w.err = fmt.Errorf("weight %s: %w", name, err)
	}
	if t == nil {
		t, _ = tensor.New(tensor.Float32)
	}
	return t
}

// heScale is the bound of a uniform He initialisation for fanIn inputs, which
// keeps activations of a deep ReLU network in a sane range.
func heScale(fanIn int) float64 {
	if fanIn <= 0 {
		return 1
	}
	return math.Sqrt(6 / float64(fanIn))
}
