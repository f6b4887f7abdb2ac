package cpu

import (
	"math"

	"github.com/backplane-ml/backplane/backends/cpu/internal/kernels"
	bpruntime "github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// fusion is what follows a convolution or matmul into its output step.
type fusion struct {
	scale, shift []float64 // per output channel: y·scale + shift (folded batch_norm), or nil
	bias         []float32 // matmul: a constant added along the last axis, or nil
	residual     string    // a value added elementwise, or ""
	act          kernels.Activation
	out          string // the value the fused step finally defines
}

// fuseAfter follows out's sole readers: batch_norm (channelAxis 1, conv
// only), a constant bias (matmul only, n columns), a residual add of a value
// already computed, then an activation. It marks the absorbed nodes.
func (c *compiler) fuseAfter(out string, conv bool, n int) fusion {
	f := fusion{out: out}
	next := func(op string) (*bpruntime.Node, int, bool) {
		u, ok := c.soleUser(f.out)
		if !ok || c.fused[u] {
			return nil, 0, false
		}
		nd := &c.a.Nodes[u]
		if nd.Op != op || len(nd.Outputs) != 1 || !c.isF32(nd.Outputs[0]) {
			return nil, 0, false
		}
		return nd, u, true
	}
	if conv {
		if nd, u, ok := next("batch_norm"); ok && nd.Inputs[0] == f.out {
			if s, b, ok := c.bnParams(nd); ok {
				f.scale, f.shift = s, b
				c.fused[u] = true
				f.out = nd.Outputs[0]
			}
		}
	} else if nd, u, ok := next("add"); ok {
		other := nd.Inputs[1]
		if other == f.out {
			other = nd.Inputs[0]
		}
		if t := c.constant(other); t != nil && t.DType() == tensor.Float32 && isRowVector(t.Shape(), n) &&
			c.types[nd.Outputs[0]].Shape.Equal(c.types[f.out].Shape) {
			f.bias = tensor.MustView[float32](t)
			c.fused[u] = true
			f.out = nd.Outputs[0]
		}
	}
	if nd, u, ok := next("add"); ok && nd.Inputs[0] != nd.Inputs[1] {
		other := nd.Inputs[1]
		if other == f.out {
			other = nd.Inputs[0]
		}
		_, computed := c.ids[other]
		if computed && c.constant(other) == nil && c.isF32(other) &&
			c.types[other].Shape.Equal(c.types[f.out].Shape) && c.types[nd.Outputs[0]].Shape.Equal(c.types[f.out].Shape) {
			f.residual = other
			c.fused[u] = true
			f.out = nd.Outputs[0]
		}
	}
	if u, ok := c.soleUser(f.out); ok && !c.fused[u] {
		nd := &c.a.Nodes[u]
		if act, ok := activationOf(nd); ok && len(nd.Outputs) == 1 && c.isF32(nd.Outputs[0]) {
			f.act = act
			c.fused[u] = true
			f.out = nd.Outputs[0]
		}
	}
	return f
}

// isRowVector: shape is (1, …, 1, n).
func isRowVector(s tensor.Shape, n int) bool {
	if len(s) == 0 || s[len(s)-1] != n {
		return false
	}
	for _, d := range s[:len(s)-1] {
		if d != 1 {
			return false
		}
	}
	return true
}

// activationOf maps a unary node to a kernel activation.
func activationOf(nd *bpruntime.Node) (kernels.Activation, bool) {
	switch nd.Op {
	case "relu":
		return kernels.Activation{Kind: kernels.ActRelu}, true
	case "clip":
		lo := nd.Attrs.Float("min", math.Inf(-1))
		hi := nd.Attrs.Float("max", math.Inf(1))
		if math.IsNaN(lo) || math.IsNaN(hi) || lo > hi {
			return kernels.Activation{}, false
		}
		return kernels.Activation{Kind: kernels.ActClip, A: float32(lo), B: float32(hi)}, true
	case "sigmoid":
		return kernels.Activation{Kind: kernels.ActSigmoid}, true
	case "tanh":
		return kernels.Activation{Kind: kernels.ActTanh}, true
	case "gelu":
		if nd.Attrs.String("approximate", "none") == "tanh" {
			return kernels.Activation{Kind: kernels.ActGeluTanh}, true
		}
		return kernels.Activation{Kind: kernels.ActGelu}, true
	}
	return kernels.Activation{}, false
}

// bnParams returns a batch_norm's per-channel affine form when its
// parameters are float32 constants: y = x·scale + shift.
func (c *compiler) bnParams(nd *bpruntime.Node) (scale, shift []float64, ok bool) {
	var p [4][]float32
	for i := range p {
		t := c.constant(nd.Inputs[i+1])
		if t == nil || t.DType() != tensor.Float32 {
			return nil, nil, false
		}
		p[i] = tensor.MustView[float32](t)
	}
	eps := nd.Attrs.Float("epsilon", 1e-5)
	n := len(p[0])
	scale, shift = make([]float64, n), make([]float64, n)
	for i := range n {
		scale[i] = float64(p[0][i]) / math.Sqrt(float64(p[3][i])+eps)
		shift[i] = float64(p[1][i]) - float64(p[2][i])*scale[i]
	}
	return scale, shift, true
}
