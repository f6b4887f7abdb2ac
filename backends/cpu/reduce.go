package cpu

import (
	"github.com/backplane-ml/backplane/backends/cpu/internal/kernels"
	"github.com/backplane-ml/backplane/ops"
	bpruntime "github.com/backplane-ml/backplane/runtime"
)

// Reductions kinds of reduceStep.
const (
	redSum = iota
	redMean
	redMax
	redMin
)

// reduceStep is a float32 reduce_sum, reduce_mean, reduce_max or reduce_min
// over the trailing axes of its input: each output element reduces one
// contiguous row of dim floats. Sums are float64 (as ref's), rounded once.
type reduceStep struct {
	n         *bpruntime.Node
	src, dst  int
	kind      int
	rows, dim int
	isa       *kernels.ISA
}

func (s *reduceStep) node() *bpruntime.Node { return s.n }
func (s *reduceStep) reads() []int          { return []int{s.src} }
func (s *reduceStep) writes() []int         { return []int{s.dst} }

// compileReduce handles a float32 reduction whose reduced axes are the last
// k of the input (keepdims either way) over rows of at least one float;
// other axes, empty reductions and other dtypes stay on ref's kernel.
func (c *compiler) compileReduce(n int, kind int) bool {
	nd := &c.a.Nodes[n]
	if len(nd.Inputs) != 1 || len(nd.Outputs) != 1 {
		return false
	}
	x := nd.Inputs[0]
	if !c.isF32(x) || !c.isF32(nd.Outputs[0]) {
		return false
	}
	sh := c.types[x].Shape
	r := len(sh)
	if r == 0 {
		return false
	}
	axes, err := ops.ReduceAxes(nd.Attrs, r)
	if err != nil || len(axes) == 0 {
		return false
	}
	for i, ax := range axes {
		if ax != r-len(axes)+i {
			return false // not trailing
		}
	}
	s := &reduceStep{n: nd, kind: kind, rows: 1, dim: 1, isa: c.pl.p.isa}
	for _, d := range sh[:r-len(axes)] {
		s.rows *= d
	}
	for _, d := range sh[r-len(axes):] {
		s.dim *= d
	}
	if s.dim == 0 {
		return false
	}
	s.src = c.nchw(x)
	s.dst = c.arena(nd.Outputs[0], c.types[nd.Outputs[0]].Shape, false)
	c.ids[nd.Outputs[0]] = s.dst
	c.emit(s)
	return true
}

func (s *reduceStep) run(pl *plan, rs *runState) error {
	pl.p.pool.parallel(rs, s, s.rows, threadsFor(s.rows*s.dim/4, pl.p.threads))
	return nil
}

// do reduces rows [lo, hi).
func (s *reduceStep) do(rs *runState, _, lo, hi int) {
	x, y := rs.f32[s.src], rs.f32[s.dst]
	for q := lo; q < hi; q++ {
		row := x[q*s.dim : (q+1)*s.dim]
		switch s.kind {
		case redSum:
			y[q] = float32(s.isa.SumRow(row))
		case redMean:
			y[q] = float32(s.isa.SumRow(row) / float64(s.dim))
		case redMax:
			y[q] = s.isa.MaxRow(row)
		default:
			y[q] = s.isa.MinRow(row)
		}
	}
}
