package xla

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
)

// Lowering of resize (ops/resize.go). Every mode is separable, so each axis
// whose size or scale changes is one contraction of x with a dense
// interpolation matrix M[out, in] built from ops.ResizePlan, the plan the
// reference kernel applies; positions tf_crop_and_resize puts outside the
// input take the extrapolation value through a broadcast mask. float16 and
// bfloat16 compute in float32, integers (nearest mode, one tap of weight 1,
// exact) in float64.

// resizeMaxMatrix bounds the entries of one axis's interpolation matrix.
const resizeMaxMatrix = 1 << 26

func init() {
	registerLowering("resize", lowerResize)
	registerCheck("resize", func(_ *engine, n *runtime.Node, in, out []ops.Type) error {
		x, y := in[0].Shape, out[0].Shape
		for i := range x {
			if x[i] != y[i] && x[i]*y[i] > resizeMaxMatrix {
				return fmt.Errorf("resize of axis %d from %d to %d needs a %d-entry interpolation matrix (limit %d)",
					i, x[i], y[i], x[i]*y[i], resizeMaxMatrix)
			}
		}
		if in[0].DType.IsInt() && in[0].DType.Size() == 8 {
			return fmt.Errorf("resize of %v: computed through float64, which is not exact for every int64", in[0].DType)
		}
		return nil
	})
}

func lowerResize(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x := in[0]
	plans, err := ops.ResizePlan(c.Node.Attrs, c.In[0].Shape, c.Out[0].Shape)
	if err != nil {
		return nil, err
	}
	d := x.DType()
	compute := d
	switch {
	case d == dtypes.Float16 || d == dtypes.BFloat16:
		compute = dtypes.Float32
	case !d.IsFloat():
		compute = dtypes.Float64
	}
	y := graph.ConvertDType(x, compute)
	rank := y.Rank()
	var mask *graph.Node
	for axis, p := range plans {
		if p.Identity {
			continue
		}
		m := make([]float64, p.Out*p.In)
		var outside []bool
		for o := range p.Out {
			if p.Outside[o] {
				if outside == nil {
					outside = make([]bool, p.Out)
				}
				outside[o] = true
				continue
			}
			for k := range p.Taps {
				m[o*p.In+p.Index[o*p.Taps+k]] += p.Weight[o*p.Taps+k]
			}
		}
		mat := graph.Reshape(graph.ConvertDType(graph.Const(c.g, m), compute), p.Out, p.In)
		// EinsumAxes puts the free axes of y first, then M's output axis:
		// move that one back to where axis was.
		y = graph.EinsumAxes(y, mat, [][2]int{{axis, 1}}, nil)
		perm := make([]int, rank)
		for i := range perm {
			switch {
			case i < axis:
				perm[i] = i
			case i == axis:
				perm[i] = rank - 1
			default:
				perm[i] = i - 1
			}
		}
		y = graph.TransposeAllDims(y, perm...)
		if outside != nil {
			dims := ones(rank)
			dims[axis] = p.Out
			am := graph.Reshape(graph.Const(c.g, outside), dims...)
			if mask == nil {
				mask = am
			} else {
				mask = graph.LogicalOr(mask, am)
			}
		}
	}
	if mask != nil {
		extrap := graph.Scalar(c.g, compute, c.Node.Attrs.Float("extrapolation_value", 0))
		mask = graph.BroadcastToDims(mask, y.Shape().Dimensions...)
		y = graph.Where(mask, graph.BroadcastToDims(extrap, y.Shape().Dimensions...), y)
	}
	if !d.IsFloat() {
		y = graph.Round(y)
	}
	return one(graph.ConvertDType(y, d)), nil
}
