package cpu

import (
	"math"

	"github.com/backplane-ml/backplane/backends/cpu/internal/kernels"
	bpruntime "github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// softmaxStep is softmax (or log_softmax) along one axis of a float32 value:
// outer × axis × inner, exponentials and sums in float64.
type softmaxStep struct {
	n                 *bpruntime.Node
	src, dst          int
	outer, dim, inner int
	log               bool
	isa               *kernels.ISA
}

func (s *softmaxStep) node() *bpruntime.Node { return s.n }
func (s *softmaxStep) reads() []int          { return []int{s.src} }
func (s *softmaxStep) writes() []int         { return []int{s.dst} }

func (c *compiler) compileSoftmax(n int, log bool) bool {
	nd := &c.a.Nodes[n]
	x := nd.Inputs[0]
	if !c.isF32(x) {
		return false
	}
	sh := c.types[x].Shape
	if len(sh) == 0 {
		return false
	}
	axis, err := tensor.NormalizeAxis(nd.Attrs.Int("axis", -1), len(sh))
	if err != nil || sh[axis] == 0 {
		return false
	}
	s := &softmaxStep{n: nd, log: log, dim: sh[axis], outer: 1, inner: 1, isa: c.pl.p.isa}
	for _, d := range sh[:axis] {
		s.outer *= d
	}
	for _, d := range sh[axis+1:] {
		s.inner *= d
	}
	s.src = c.nchw(x)
	s.dst = c.arena(nd.Outputs[0], sh, false)
	c.ids[nd.Outputs[0]] = s.dst
	c.emit(s)
	return true
}

func (s *softmaxStep) run(pl *plan, rs *runState) error {
	pl.p.pool.parallel(rs, s, s.outer*s.inner, threadsFor(s.outer*s.inner*s.dim*8, pl.p.threads))
	return nil
}

// do handles slices [lo, hi) (outer·inner of them).
func (s *softmaxStep) do(rs *runState, _, lo, hi int) {
	x, y := rs.f32[s.src], rs.f32[s.dst]
	if s.inner == 1 && !s.log {
		// The common case, contiguous rows: the ISA's row kernel.
		for q := lo; q < hi; q++ {
			s.isa.SoftmaxRow(x[q*s.dim:(q+1)*s.dim], y[q*s.dim:(q+1)*s.dim])
		}
		return
	}
	for q := lo; q < hi; q++ {
		o, i := q/s.inner, q%s.inner
		base := o*s.dim*s.inner + i
		mx := math.Inf(-1)
		for k := 0; k < s.dim; k++ {
			mx = math.Max(mx, float64(x[base+k*s.inner]))
		}
		var sum float64
		for k := 0; k < s.dim; k++ {
			sum += math.Exp(float64(x[base+k*s.inner]) - mx)
		}
		if s.log {
			ls := math.Log(sum)
			for k := 0; k < s.dim; k++ {
				y[base+k*s.inner] = float32(float64(x[base+k*s.inner]) - mx - ls)
			}
			continue
		}
		for k := 0; k < s.dim; k++ {
			y[base+k*s.inner] = float32(math.Exp(float64(x[base+k*s.inner])-mx) / sum)
		}
	}
}

// layerNormStep normalizes each row of D values (the axes from axis on),
// statistics in float64.
type layerNormStep struct {
	n           *bpruntime.Node
	src, dst    int
	scale, bias int // value ids; bias -1 when absent
	rows, d     int
	eps         float64
	zeros       []float32 // d zeros, the bias when there is none
	isa         *kernels.ISA
}

func (s *layerNormStep) node() *bpruntime.Node { return s.n }
func (s *layerNormStep) reads() []int {
	r := []int{s.src, s.scale}
	if s.bias >= 0 {
		r = append(r, s.bias)
	}
	return r
}
func (s *layerNormStep) writes() []int { return []int{s.dst} }

func (c *compiler) compileLayerNorm(n int) bool {
	nd := &c.a.Nodes[n]
	x := nd.Inputs[0]
	if !c.isF32(x) || !c.isF32(nd.Inputs[1]) || len(nd.Outputs) != 1 {
		return false
	}
	sh := c.types[x].Shape
	axis, err := tensor.NormalizeAxis(nd.Attrs.Int("axis", -1), len(sh))
	if err != nil {
		return false
	}
	s := &layerNormStep{n: nd, eps: nd.Attrs.Float("epsilon", 1e-5), bias: -1, rows: 1, d: 1, isa: c.pl.p.isa}
	for _, d := range sh[:axis] {
		s.rows *= d
	}
	for _, d := range sh[axis:] {
		s.d *= d
	}
	if c.types[nd.Inputs[1]].Shape.NumElements() != s.d || s.d == 0 {
		return false
	}
	if len(nd.Inputs) > 2 && nd.Inputs[2] != "" {
		if !c.isF32(nd.Inputs[2]) || c.types[nd.Inputs[2]].Shape.NumElements() != s.d {
			return false
		}
		s.bias = c.nchw(nd.Inputs[2])
	} else {
		s.zeros = make([]float32, s.d)
	}
	s.scale = c.nchw(nd.Inputs[1])
	s.src = c.nchw(x)
	s.dst = c.arena(nd.Outputs[0], sh, false)
	c.ids[nd.Outputs[0]] = s.dst
	c.emit(s)
	return true
}

func (s *layerNormStep) run(pl *plan, rs *runState) error {
	pl.p.pool.parallel(rs, s, s.rows, threadsFor(s.rows*s.d*4, pl.p.threads))
	return nil
}

func (s *layerNormStep) do(rs *runState, _, lo, hi int) {
	x, y, g := rs.f32[s.src], rs.f32[s.dst], rs.f32[s.scale]
	b := s.zeros // no bias: adding zeros keeps the vector kernel
	if s.bias >= 0 {
		b = rs.f32[s.bias]
	}
	for r := lo; r < hi; r++ {
		s.isa.LayerNormRow(x[r*s.d:(r+1)*s.d], y[r*s.d:(r+1)*s.d], g, b, s.eps)
	}
}

// globalAvgStep averages each channel over H·W of an NHWC value; the
// N×C×1×1 result is the same bytes in either layout.
type globalAvgStep struct {
	n        *bpruntime.Node
	src, dst int
	N, C, HW int
}

func (s *globalAvgStep) node() *bpruntime.Node { return s.n }
func (s *globalAvgStep) reads() []int          { return []int{s.src} }
func (s *globalAvgStep) writes() []int         { return []int{s.dst} }

func (c *compiler) compileGlobalAvg(n int) bool {
	nd := &c.a.Nodes[n]
	x := nd.Inputs[0]
	sh := c.types[x].Shape
	if !c.isF32(x) || len(sh) != 4 || sh[2]*sh[3] == 0 {
		return false
	}
	s := &globalAvgStep{n: nd, N: sh[0], C: sh[1], HW: sh[2] * sh[3]}
	s.src = c.nhwc(x)
	s.dst = c.arena(nd.Outputs[0], c.types[nd.Outputs[0]].Shape, false)
	c.ids[nd.Outputs[0]] = s.dst
	c.emit(s)
	return true
}

const gapChunk = 64

func (s *globalAvgStep) run(pl *plan, rs *runState) error {
	parts := s.N * ((s.C + gapChunk - 1) / gapChunk)
	pl.p.pool.parallel(rs, s, parts, threadsFor(s.N*s.C*s.HW/4, pl.p.threads))
	return nil
}

func (s *globalAvgStep) do(rs *runState, _, lo, hi int) {
	x, y := rs.f32[s.src], rs.f32[s.dst]
	per := (s.C + gapChunk - 1) / gapChunk
	var acc [gapChunk]float64
	for part := lo; part < hi; part++ {
		b, c0 := part/per, (part%per)*gapChunk
		c1 := min(c0+gapChunk, s.C)
		a := acc[:c1-c0]
		clear(a)
		for p := 0; p < s.HW; p++ {
			row := x[(b*s.HW+p)*s.C+c0 : (b*s.HW+p)*s.C+c1]
			for i, v := range row {
				a[i] += float64(v)
			}
		}
		for i, v := range a {
			y[b*s.C+c0+i] = float32(v / float64(s.HW))
		}
	}
}
