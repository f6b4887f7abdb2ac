package reference

import (
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// The resize kernel: the input is interpolated along one axis at a time by
// the plans ops.ResizePlan makes, in float64, and rounded once at the end
// (integer dtypes, which only nearest mode takes, are copied exactly).

func init() { register("resize", resizeKernel) }

func resizeKernel(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	x := in[0]
	plans, err := ops.ResizePlan(a, x.Shape(), out[0].Shape)
	if err != nil {
		return nil, err
	}
	extrap := a.Float("extrapolation_value", 0)
	shape := x.Shape().Clone()
	if x.DType().IsFloat() {
		vals := x.Float64s()
		for axis, p := range plans {
			if p.Identity {
				continue
			}
			vals, shape = resizeAlong(vals, shape, axis, p, func(dst []float64, o int, src []float64, base, stride int) {
				if p.Outside[o] {
					dst[0] = extrap
					return
				}
				s := 0.0
				for k := range p.Taps {
					s += p.Weight[o*p.Taps+k] * src[base+p.Index[o*p.Taps+k]*stride]
				}
				dst[0] = s
			})
		}
		return single(tensor.FromFloat64s(out[0].DType, out[0].Shape, vals))
	}
	vals := x.Int64s()
	ext := int64(extrap)
	for axis, p := range plans {
		if p.Identity {
			continue
		}
		vals, shape = resizeAlong(vals, shape, axis, p, func(dst []int64, o int, src []int64, base, stride int) {
			if p.Outside[o] {
				dst[0] = ext
				return
			}
			dst[0] = src[base+p.Index[o*p.Taps]*stride] // nearest: one tap of weight 1
		})
	}
	return single(tensor.FromInt64s(out[0].DType, out[0].Shape, vals))
}

// resizeAlong resizes vals (of shape shape) along axis to p.Out positions,
// calling set for each output element with the output position along the
// axis, the source slice, the flat offset of the source's first element on
// that line and the axis stride.
func resizeAlong[T float64 | int64](vals []T, shape tensor.Shape, axis int, p ops.ResizeAxis,
	set func(dst []T, o int, src []T, base, stride int)) ([]T, tensor.Shape) {
	outer, inner := 1, 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	res := make([]T, outer*p.Out*inner)
	for b := range outer {
		for o := range p.Out {
			for i := range inner {
				set(res[(b*p.Out+o)*inner+i:], o, vals, b*p.In*inner+i, inner)
			}
		}
	}
	shape = shape.Clone()
	shape[axis] = p.Out
	return res, shape
}
