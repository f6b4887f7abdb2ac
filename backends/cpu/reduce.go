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
// over contiguous axes of its input, seen as rows × dim × inner: with inner
// = 1 (the trailing axes) each output reduces one contiguous row of dim
// floats through the ISA's row kernels; else blocks of up to colBlock
// outputs reduce dim rows strided by inner, in Go. Sums are float64 (as
// ref's), rounded once.
type reduceStep struct {
	n                *bpruntime.Node
	src, dst         int
	kind             int
	rows, dim, inner int
	isa              *kernels.ISA
}

// colBlock is how many outputs of a non-trailing reduction one part keeps
// accumulators for (on the stack).
const colBlock = 64

func (s *reduceStep) node() *bpruntime.Node { return s.n }
func (s *reduceStep) reads() []int          { return []int{s.src} }
func (s *reduceStep) writes() []int         { return []int{s.dst} }

// compileReduce handles a float32 reduction whose reduced axes are
// contiguous (keepdims either way) and not empty; other axis sets, empty
// reductions and other dtypes stay on ref's kernel.
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
	first, last := axes[0], axes[len(axes)-1]
	if last-first != len(axes)-1 {
		return false // not contiguous (axes are sorted and distinct)
	}
	s := &reduceStep{n: nd, kind: kind, rows: 1, dim: 1, inner: 1, isa: c.pl.p.isa}
	for _, d := range sh[:first] {
		s.rows *= d
	}
	for _, d := range sh[first : last+1] {
		s.dim *= d
	}
	for _, d := range sh[last+1:] {
		s.inner *= d
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

// parts is how many parts the step splits into: rows, or rows × column
// blocks when inner > 1.
func (s *reduceStep) parts() int {
	if s.inner == 1 {
		return s.rows
	}
	return s.rows * ((s.inner + colBlock - 1) / colBlock)
}

func (s *reduceStep) run(pl *plan, rs *runState) error {
	pl.p.pool.parallel(rs, s, s.parts(), threadsFor(s.rows*s.dim*s.inner/4, pl.p.threads))
	return nil
}

// do reduces parts [lo, hi).
func (s *reduceStep) do(rs *runState, _, lo, hi int) {
	x, y := rs.f32[s.src], rs.f32[s.dst]
	if s.inner > 1 {
		for q := lo; q < hi; q++ {
			s.doColumns(x, y, q)
		}
		return
	}
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

// doColumns reduces part q of a reduction with inner > 1: up to colBlock
// neighbouring outputs of one row, each over dim floats inner apart, read a
// block row at a time. NaN propagates as in ref (v > m || v != v).
func (s *reduceStep) doColumns(x, y []float32, q int) {
	nb := (s.inner + colBlock - 1) / colBlock
	o, i0 := q/nb, (q%nb)*colBlock
	w := min(colBlock, s.inner-i0)
	base := o*s.dim*s.inner + i0
	out := y[o*s.inner+i0 : o*s.inner+i0+w]
	switch s.kind {
	case redSum, redMean:
		var acc [colBlock]float64
		for k := range s.dim {
			for j, v := range x[base+k*s.inner : base+k*s.inner+w] {
				acc[j] += float64(v)
			}
		}
		for j := range out {
			if s.kind == redMean {
				acc[j] /= float64(s.dim)
			}
			out[j] = float32(acc[j])
		}
	default:
		isMax := s.kind == redMax
		copy(out, x[base:base+w])
		for k := 1; k < s.dim; k++ {
			for j, v := range x[base+k*s.inner : base+k*s.inner+w] {
				if (isMax && v > out[j]) || (!isMax && v < out[j]) || v != v {
					out[j] = v
				}
			}
		}
	}
}
