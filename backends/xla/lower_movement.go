package xla

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Lowerings of the data-movement ops (ops/movement.go): reshape, transpose,
// concat, split, slice, gather, pad, tile and expand. Geometry comes from the
// catalog's own resolvers (ResolveSlice, TransposePerm) or from the inferred
// output shapes, so clamping and defaults match the reference backend.

func init() {
	registerLowering("reshape", func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		return one(graph.Reshape(in[0], c.Out[0].Shape...)), nil
	})
	registerLowering("transpose", lowerTranspose)
	registerLowering("concat", lowerConcat)
	registerLowering("split", lowerSplit)
	registerLowering("slice", lowerSlice)
	registerLowering("gather", lowerGather)
	registerLowering("pad", lowerPad)
	registerLowering("tile", lowerTile)
	registerLowering("expand", func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		return one(broadcastTo(in[0], c.Out[0].Shape)), nil
	})
}

func lowerTranspose(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x := in[0]
	if x.Rank() < 2 {
		return one(graph.Identity(x)), nil
	}
	return one(graph.TransposeAllDims(x, ops.TransposePerm(c.Node.Attrs, x.Rank())...)), nil
}

// lowerConcat joins the inputs that have elements; inputs empty along the
// axis add nothing (engines refuse zero-size operands).
func lowerConcat(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	axis, err := tensor.NormalizeAxis(c.Node.Attrs.Int("axis", 0), len(c.Out[0].Shape))
	if err != nil {
		return nil, err
	}
	var parts []*graph.Node
	for i, x := range in {
		if c.In[i].Shape.NumElements() > 0 {
			parts = append(parts, x)
		}
	}
	if len(parts) == 1 {
		return one(graph.Identity(parts[0])), nil
	}
	return one(graph.Concatenate(parts, axis)), nil
}

// lowerSplit slices consecutive pieces along the axis; the inferred output
// shapes give the piece sizes, whichever attribute decided them.
func lowerSplit(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x := in[0]
	axis, err := tensor.NormalizeAxis(c.Node.Attrs.Int("axis", 0), x.Rank())
	if err != nil {
		return nil, err
	}
	outs := make([]*graph.Node, len(c.Out))
	offset := 0
	for i, o := range c.Out {
		n := o.Shape[axis]
		if o.Shape.NumElements() == 0 {
			outs[i] = zerosOf(c, o)
		} else {
			outs[i] = graph.SliceAxis(x, axis, graph.AxisRange(offset, offset+n))
		}
		offset += n
	}
	return outs, nil
}

// lowerSlice maps ONNX slicing onto GoMLX's strided slice. An axis read
// with a negative step becomes a gather of the computed positions (the
// pure-Go engine has no Reverse); positive steps stay a native slice.
func lowerSlice(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x := in[0]
	starts, steps, out, err := ops.ResolveSlice(c.In[0].Shape, c.Node.Attrs)
	if err != nil {
		return nil, err
	}
	spec := make([]graph.SliceAxisSpec, len(steps))
	for k, s := range steps {
		if s < 0 {
			spec[k] = graph.AxisRange()
			continue
		}
		// The last element read is start + (n-1)·step; the end is one past it.
		spec[k] = graph.AxisRange(starts[k], starts[k]+(out[k]-1)*s+1).Stride(s)
	}
	x = graph.Slice(x, spec...)
	for k, s := range steps {
		if s < 0 {
			src := make([]int64, out[k])
			for i := range src {
				src[i] = int64(starts[k] + i*s)
			}
			x = takeAlongAxis(c, x, k, src)
		}
	}
	return one(x), nil
}

// lowerGather brings the gathered axis to the front, gathers whole slices
// with GoMLX's Gather (indices name a leading-axis position), and moves the
// result's axes back into ONNX's order. Negative indices count from the end;
// an index out of range fails the run through a check naming the node.
func lowerGather(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	data, idx := in[0], in[1]
	rank := data.Rank()
	axis, err := tensor.NormalizeAxis(c.Node.Attrs.Int("axis", 0), rank)
	if err != nil {
		return nil, err
	}
	dim := c.In[0].Shape[axis]
	idx = graph.ConvertDType(idx, dtypes.Int64)
	if c.In[1].Shape.NumElements() > 0 {
		lo, hi := graph.Scalar(c.g, dtypes.Int64, -dim), graph.Scalar(c.g, dtypes.Int64, dim)
		c.check(graph.LogicalAnd(graph.GreaterOrEqual(idx, lo), graph.LessThan(idx, hi)),
			fmt.Sprintf("an index is out of range for axis %d of size %d", axis, dim))
	}
	idx = graph.Where(graph.LessThan(idx, graph.ScalarZero(c.g, dtypes.Int64)), graph.Add(idx, graph.Scalar(c.g, dtypes.Int64, dim)), idx)
	// Clamp so the gather itself never reads out of bounds: the check above
	// already fails a run with a bad index.
	idx = graph.Clip(idx, graph.ScalarZero(c.g, dtypes.Int64), graph.Scalar(c.g, dtypes.Int64, max(dim-1, 0)))
	front, _ := axisToFront(data, axis)
	// Gather with the indices flattened to [K, 1], then restore their shape:
	// the pure-Go engine rejects a rank-1 operand with indices of rank > 2.
	k := c.In[1].Shape.NumElements()
	g := graph.Gather(front, graph.Reshape(idx, k, 1))
	g = graph.Reshape(g, append(append([]int{}, c.In[1].Shape...), front.Shape().Dimensions[1:]...)...)
	// g: [indices..., rest...] with rest = data's other axes
	// g's axes: the index axes, then data's axes other than axis in order.
	// ONNX wants data[:axis], indices, data[axis+1:].
	q := len(c.In[1].Shape)
	var back []int
	for k := range axis {
		back = append(back, q+k)
	}
	for k := range q {
		back = append(back, k)
	}
	for k := axis + 1; k < rank; k++ {
		back = append(back, q+k-1)
	}
	if !isIdentity(back) {
		g = graph.TransposeAllDims(g, back...)
	}
	return one(graph.Reshape(g, c.Out[0].Shape...)), nil
}

func isIdentity(perm []int) bool {
	for i, p := range perm {
		if i != p {
			return false
		}
	}
	return true
}

// lowerTile repeats each axis: a new axis of size r is broadcast in front of
// the tiled axis and the two are merged.
func lowerTile(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x := in[0]
	shape := c.In[0].Shape
	reps := c.Node.Attrs.Ints("repeats", nil)
	for k, r := range reps {
		if r == 1 {
			continue
		}
		dims := x.Shape().Dimensions
		expanded := graph.InsertAxes(x, k)
		target := append(append(append([]int(nil), dims[:k]...), r), dims[k:]...)
		x = graph.BroadcastToDims(expanded, target...)
		merged := append(append(append([]int(nil), dims[:k]...), r*shape[k]), dims[k+1:]...)
		x = graph.Reshape(x, merged...)
	}
	return one(graph.Reshape(x, c.Out[0].Shape...)), nil
}

// lowerPad handles constant padding by cropping (negative pads) and
// concatenating fill slabs, and edge and reflect padding by gathering along each axis with a
// source-index map computed here from the static shapes, exactly as the
// reference kernel builds it.
func lowerPad(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x := in[0]
	shape := c.In[0].Shape
	rank := len(shape)
	pads := c.Node.Attrs.Ints("pads", nil)
	mode := c.Node.Attrs.String("mode", "constant")
	if mode == "constant" {
		fill, err := padFill(c, x.DType())
		if err != nil {
			return nil, err
		}
		// Crop first: a negative pad removes elements.
		spec := make([]graph.SliceAxisSpec, rank)
		cropped := false
		for k, d := range shape {
			b, e := min(pads[k], 0), min(pads[rank+k], 0)
			spec[k] = graph.AxisRange(-b, d+e)
			cropped = cropped || b < 0 || e < 0
		}
		if shape.NumElements() == 0 {
			return one(graph.BroadcastToDims(fill, c.Out[0].Shape...)), nil
		}
		if cropped {
			x = graph.Slice(x, spec...)
		}
		// Then add fill slabs before and after each padded axis (the
		// pure-Go engine has no Pad op; Concatenate is native).
		for k := range shape {
			b, e := max(pads[k], 0), max(pads[rank+k], 0)
			if b == 0 && e == 0 {
				continue
			}
			parts := make([]*graph.Node, 0, 3)
			slab := func(n int) *graph.Node {
				dims := append([]int(nil), x.Shape().Dimensions...)
				dims[k] = n
				return graph.BroadcastToDims(fill, dims...)
			}
			if b > 0 {
				parts = append(parts, slab(b))
			}
			if x.Shape().Size() > 0 {
				parts = append(parts, x)
			}
			if e > 0 {
				parts = append(parts, slab(e))
			}
			if len(parts) == 1 {
				x = parts[0]
			} else {
				x = graph.Concatenate(parts, k)
			}
		}
		return one(x), nil
	}
	for k, d := range shape {
		n := c.Out[0].Shape[k]
		if n == d && pads[k] == 0 {
			continue
		}
		src := make([]int64, n)
		for o := range src {
			s := o - pads[k]
			switch {
			case s >= 0 && s < d:
			case mode == "edge":
				s = min(max(s, 0), d-1)
			case s < 0: // reflect
				s = -s
			default:
				s = 2*(d-1) - s
			}
			src[o] = int64(s)
		}
		x = takeAlongAxis(c, x, k, src)
	}
	return one(x), nil
}

// padFill is the constant-mode fill value as a scalar of dtype d.
func padFill(c *nodeCtx, d dtypes.DType) (*graph.Node, error) {
	v := c.Node.Attrs.Float("value", 0)
	td := c.In[0].DType
	switch {
	case td.IsFloat():
		return graph.Scalar(c.g, d, v), nil
	case td == tensor.Bool:
		return graph.Const(c.g, v != 0), nil
	}
	return intConst(c.g, td, int64(v)), nil
}

// takeAlongAxis returns x with axis replaced by x's elements at positions
// src along it.
func takeAlongAxis(c *nodeCtx, x *graph.Node, axis int, src []int64) *graph.Node {
	front, perm := axisToFront(x, axis)
	idx := graph.Const(c.g, src)
	g := graph.Gather(front, graph.InsertAxes(idx, -1))
	if axis == 0 {
		return g
	}
	back := make([]int, len(perm))
	for i, p := range perm {
		back[p] = i
	}
	return graph.TransposeAllDims(g, back...)
}

// axisToFront transposes x so that axis comes first, the other axes keeping
// their order, and returns the permutation it applied.
func axisToFront(x *graph.Node, axis int) (*graph.Node, []int) {
	perm := []int{axis}
	for k := range x.Rank() {
		if k != axis {
			perm = append(perm, k)
		}
	}
	if axis == 0 {
		return x, perm
	}
	return graph.TransposeAllDims(x, perm...), perm
}

// zerosOf is a constant of type t filled with zeros.
func zerosOf(c *nodeCtx, t ops.Type) *graph.Node {
	s, err := toGoMLXShape(t.DType, t.Shape)
	if err != nil {
		panic(err) // the driver checked every inferred type already
	}
	return graph.Zeros(c.g, s)
}
