package ref

import (
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/ops/reference"
	"github.com/backplane-ml/backplane/runtime"
)

// ResidentBytes is 0: a prepared interpreter holds only the plan.
func (p *prepared) ResidentBytes() int64 { return 0 }

// ScratchBytes declares the run's largest per-node scratch to the runtime's
// memory budget: the most any one node's kernel allocates besides its
// outputs (reference.ScratchBytes).
func (p *prepared) ScratchBytes(types map[string]runtime.ValueType) int64 {
	a := p.plan.Artifact
	var peak int64
	var in, out []ops.Type
	for _, idx := range p.plan.Order {
		n := &a.Nodes[idx]
		in, out = in[:0], out[:0]
		for _, name := range n.Inputs {
			in = append(in, types[name]) // "" and unknown values give the zero Type, which counts nothing
		}
		for _, name := range n.Outputs {
			out = append(out, types[name])
		}
		peak = max(peak, reference.ScratchBytes(n.Op, in, out))
	}
	return peak
}

var _ runtime.MemoryReporter = (*prepared)(nil)

// HonoursContext is true: Run checks its context between nodes, so the
// runtime need not supervise it.
func (p *prepared) HonoursContext() bool { return true }

var _ runtime.ContextHonouring = (*prepared)(nil)
