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
	// total counts the elements drawn so far, against maxWeightElements.
	total int
	err   error
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

// maxWeightElements bounds the weights of one zoo model (1 GiB of float32),
// so a mistyped size knob fails with an error instead of exhausting memory.
// The largest zoo model, ResNet-50, has 25.6M.
const maxWeightElements = 1 << 28

// draw returns the next tensor of the stream, values in [lo, hi).
func (w *weights) draw(name string, lo, hi float64, shape ...int) *tensor.Tensor {
	w.n++
	if w.err != nil { // the model fails anyway: draw nothing more
		t, _ := tensor.New(tensor.Float32)
		return t
	}
	n := 1
	for _, d := range shape {
		if d < 0 || d > 0 && n > (maxWeightElements-w.total)/d {
			if w.err == nil {
				w.err = fmt.Errorf("weight %s: shape %v takes the model past %d weight elements", name, shape, maxWeightElements)
			}
			t, _ := tensor.New(tensor.Float32)
			return t
		}
		n *= d
	}
	w.total += n
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
