package ref

import (
	"github.com/backplane-ml/backplane/runtime"
)

// chunkedFloat lists the ops whose kernels widen float tensors in chunks of
// unaryChunk elements: their scratch does not grow with the tensor.
var chunkedFloat = map[string]bool{}

// ResidentBytes is 0: a prepared interpreter holds only the plan.
func (p *prepared) ResidentBytes() int64 { return 0 }

// ScratchBytes declares the run's largest per-node scratch to the runtime's
// memory budget: the float64 copies a kernel makes of its inputs and its
// result before rounding into the output (8 bytes per element of each), or
// one chunk for the kernels that widen in chunks. Integer and bool inputs
// are counted the same way (their kernels widen to int64 or float64 too).
func (p *prepared) ScratchBytes(types map[string]runtime.ValueType) int64 {
	a := p.plan.Artifact
	var peak int64
	for _, idx := range p.plan.Order {
		n := &a.Nodes[idx]
		var elems int64
		for _, in := range n.Inputs {
			if t, ok := types[in]; ok && in != "" {
				elems += int64(t.Shape.NumElements())
			}
		}
		for _, out := range n.Outputs {
			elems += int64(types[out].Shape.NumElements())
		}
		s := 8 * elems
		if chunkedFloat[n.Op] && len(n.Inputs) == 1 && types[n.Inputs[0]].DType.IsFloat() {
			s = 8 * unaryChunk
		}
		peak = max(peak, s)
	}
	return peak
}

var _ runtime.MemoryReporter = (*prepared)(nil)

// HonoursContext is true: Run checks its context between nodes, so the
// runtime need not supervise it.
func (p *prepared) HonoursContext() bool { return true }

var _ runtime.ContextHonouring = (*prepared)(nil)

// inputDataError marks a kernel error the values of the data caused (an
// index out of range, an integer division by zero): any backend would hit
// it on the same data, so Run reports it as runtime.ModeInputData and the
// dispatcher hands it to the caller instead of blaming a backend.
type inputDataError struct{ error }

func (e inputDataError) Unwrap() error { return e.error }
