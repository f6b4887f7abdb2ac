package reference

import (
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Kernels for softmax, log_softmax and the normalizations: batch_norm,
// layer_norm, instance_norm and lrn. All compute in float64 and round once.

func init() {
	register("softmax", softmaxKernel(false))
	register("log_softmax", softmaxKernel(true))
	register("batch_norm", batchNormKernel)
	register("layer_norm", layerNormKernel)
	register("instance_norm", instanceNormKernel)
	register("lrn", lrnKernel)
}

// normOut rounds vals into one output tensor of type t.
func normOut(t ops.Type, vals []float64) ([]*tensor.Tensor, error) {
	y, err := tensor.FromFloat64s(t.DType, t.Shape, vals)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{y}, nil
}

func softmaxKernel(isLog bool) kernel {
	return func(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
		x := in[0]
		axis, err := tensor.NormalizeAxis(a.Int("axis", -1), x.Rank())
		if err != nil {
			return nil, err
		}
		outer, n, inner := reduceSplit(x.Shape(), axis)
		vals := x.Float64s()
		y := make([]float64, len(vals))
		for o := range outer {
			for i := range inner {
				base := o*n*inner + i
				m := math.Inf(-1)
				for k := range n {
					m = max(m, vals[base+k*inner]) // max propagates NaN
				}
				sum := 0.0
				for k := range n {
					sum += math.Exp(vals[base+k*inner] - m)
				}
				logSum := math.Log(sum)
				for k := range n {
					j := base + k*inner
					if isLog {
						y[j] = vals[j] - m - logSum
					} else {
						y[j] = math.Exp(vals[j]-m) / sum
					}
				}
			}
		}
		return normOut(out[0], y)
	}
}

// normChannels returns the sample count N, channel count C and the number of
// elements per (sample, channel) of an N×C×D1…Dk shape.
func normChannels(s tensor.Shape) (n, c, spatial int) {
	spatial = 1
	for _, d := range s[2:] {
		spatial *= d
	}
	return s[0], s[1], spatial
}

func batchNormKernel(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	eps := a.Float("epsilon", 1e-5)
	x := in[0].Float64s()
	scale, bias, mean, variance := in[1].Float64s(), in[2].Float64s(), in[3].Float64s(), in[4].Float64s()
	n, c, spatial := normChannels(in[0].Shape())
	y := make([]float64, len(x))
	for s := range n {
		for ch := range c {
			inv := 1 / math.Sqrt(variance[ch]+eps)
			base := (s*c + ch) * spatial
			for i := range spatial {
				y[base+i] = scale[ch]*(x[base+i]-mean[ch])*inv + bias[ch]
			}
		}
	}
	return normOut(out[0], y)
}

func instanceNormKernel(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	eps := a.Float("epsilon", 1e-5)
	x := in[0].Float64s()
	scale, bias := in[1].Float64s(), in[2].Float64s()
	n, c, spatial := normChannels(in[0].Shape())
	y := make([]float64, len(x))
	for s := range n {
		for ch := range c {
			base := (s*c + ch) * spatial
			normStandardize(x[base:base+spatial], y[base:base+spatial], eps)
			for i := base; i < base+spatial; i++ {
				y[i] = y[i]*scale[ch] + bias[ch]
			}
		}
	}
	return normOut(out[0], y)
}

// normStandardize writes (x − mean)/sqrt(var + eps) to y, with the mean and
// the population variance (divided by len(x)) of x computed in two passes,
// which avoids the cancellation of the E[x²] − E[x]² shortcut.
func normStandardize(x, y []float64, eps float64) {
	if len(x) == 0 {
		return
	}
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	variance := 0.0
	for _, v := range x {
		variance += (v - mean) * (v - mean)
	}
	variance /= float64(len(x))
	inv := 1 / math.Sqrt(variance+eps)
	for i, v := range x {
		y[i] = (v - mean) * inv
	}
}

// normExpand broadcasts the values of t (shape broadcastable one way to
// shape to, as ops.Infer checked) to a full row-major slice of shape to.
func normExpand(t *tensor.Tensor, to tensor.Shape) []float64 {
	vals := t.Float64s()
	from := t.Shape()
	// Strides of t aligned to the trailing dims of to; 0 where t has size 1
	// or lacks the dimension, so the same value repeats.
	st := make([]int, len(to))
	fromSt := from.Strides()
	off := len(to) - len(from)
	for i, d := range from {
		if d != 1 {
			st[off+i] = fromSt[i]
		}
	}
	out := make([]float64, to.NumElements())
	reduceWalk(to, st, func(i, o int) { out[i] = vals[o] })
	return out
}

func layerNormKernel(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	eps := a.Float("epsilon", 1e-5)
	xs := in[0].Shape()
	axis, err := tensor.NormalizeAxis(a.Int("axis", -1), len(xs))
	if err != nil {
		return nil, err
	}
	norm := xs[axis:]
	inner := norm.NumElements()
	scale := normExpand(in[1], norm)
	var bias []float64
	if len(in) > 2 && in[2] != nil {
		bias = normExpand(in[2], norm)
	}
	x := in[0].Float64s()
	y := make([]float64, len(x))
	if inner == 0 {
		return normOut(out[0], y)
	}
	for base := 0; base < len(x); base += inner {
		normStandardize(x[base:base+inner], y[base:base+inner], eps)
		for i := range inner {
			y[base+i] *= scale[i]
			if bias != nil {
				y[base+i] += bias[i]
			}
		}
	}
	return normOut(out[0], y)
}

func lrnKernel(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	size := a.Int("size", 1)
	alpha, beta, bias := a.Float("alpha", ops.LRNDefaultAlpha), a.Float("beta", ops.LRNDefaultBeta), a.Float("bias", ops.LRNDefaultBias)
	x := in[0].Float64s()
	n, c, spatial := normChannels(in[0].Shape())
	below, above := (size-1)/2, size/2 // floor((size−1)/2) and ceil((size−1)/2)
	y := make([]float64, len(x))
	for s := range n {
		for ch := range c {
			lo, hi := max(0, ch-below), min(c-1, ch+above)
			for p := range spatial {
				sq := 0.0
				for i := lo; i <= hi; i++ {
					v := x[(s*c+i)*spatial+p]
					sq += v * v
				}
				j := (s*c+ch)*spatial + p
				y[j] = x[j] / math.Pow(bias+alpha/float64(size)*sq, beta)
			}
		}
	}
	return normOut(out[0], y)
}
