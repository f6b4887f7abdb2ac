package xla

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Lowerings of ops/indexing.go. The element and slice gathers and scatters
// build, for every addressed entry, its full coordinates in data (an index
// of indices' shape replacing one axis of an iota, or batch iotas in front
// of the addressed coordinates) and use GoMLX's Gather and Scatter* with the
// addresses flattened to [K, coordinates]. Indices are checked at run time
// as gather's are, then wrapped and clamped so no engine reads out of
// bounds. topk ranks every entry of a line against every other (a line of
// n costs n² comparisons), then picks the first k ranks.

// topkMaxLine bounds topk's axis on these engines (the n² rank matrix).
const topkMaxLine = 4096

// scatterMulMax bounds the updates of a multiplying scatter, which these
// engines apply one at a time (GoMLX has no multiplying scatter).
const scatterMulMax = 256

func init() {
	registerLowering("gather_elements", lowerGatherElements)
	registerLowering("scatter_elements", lowerScatterElements)
	registerLowering("gather_nd", lowerGatherND)
	registerLowering("scatter_nd", lowerScatterND)
	registerLowering("cumsum", lowerCumSum)
	registerLowering("topk", lowerTopK)
	registerLowering("cumprod", lowerCumProd)
	registerCheck("cumprod", func(_ *engine, n *runtime.Node, in, _ []ops.Type) error {
		axis, _ := tensor.NormalizeAxis(n.Attrs.Int("axis", 0), len(in[0].Shape))
		if d := in[0].Shape[axis]; d > topkMaxLine {
			return fmt.Errorf("cumprod along an axis of %d entries (these engines multiply an n×n mask, up to %d)", d, topkMaxLine)
		}
		return nil
	})
	scatterCheck := func(_ *engine, n *runtime.Node, in, _ []ops.Type) error {
		if r := n.Attrs.String("reduction", ops.ScatterNone); r == ops.ScatterMul {
			k := in[1].Shape.NumElements()
			if n.Op == "scatter_nd" {
				k /= max(in[1].Shape[len(in[1].Shape)-1], 1)
			}
			if k > scatterMulMax {
				return fmt.Errorf("%s with reduction mul of %d updates (GoMLX has no multiplying scatter; these engines apply up to %d one by one)",
					n.Op, k, scatterMulMax)
			}
		}
		if in[0].DType == tensor.Bool {
			return fmt.Errorf("%s of bool data", n.Op)
		}
		return nil
	}
	registerCheck("scatter_elements", scatterCheck)
	registerCheck("scatter_nd", scatterCheck)
	registerCheck("topk", func(_ *engine, n *runtime.Node, in, _ []ops.Type) error {
		axis, _ := tensor.NormalizeAxis(n.Attrs.Int("axis", -1), len(in[0].Shape))
		if d := in[0].Shape[axis]; d > topkMaxLine {
			return fmt.Errorf("topk along an axis of %d entries (these engines rank by pairwise comparison, up to %d)", d, topkMaxLine)
		}
		return nil
	})
}

// ixNormalize checks indices idx against dims (broadcast along its last
// axis, or a scalar dim), then wraps negative ones and clamps.
func ixNormalize(c *nodeCtx, idx, dims *graph.Node, what string) *graph.Node {
	g := c.g
	idx = graph.ConvertDType(idx, dtypes.Int64)
	if !dims.IsScalar() {
		dims = graph.BroadcastToDims(graph.ExpandLeftToRank(dims, idx.Rank()), idx.Shape().Dimensions...)
	}
	neg := graph.Neg(dims)
	if idx.Shape().Size() > 0 {
		c.check(graph.LogicalAnd(graph.GreaterOrEqual(idx, neg), graph.LessThan(idx, dims)), "an index is out of range for "+what)
	}
	zero := graph.ScalarZero(g, dtypes.Int64)
	idx = graph.Where(graph.LessThan(idx, zero), graph.Add(idx, dims), idx)
	top := graph.Max(graph.Sub(dims, graph.OnesLike(dims)), zero)
	return graph.Min(graph.Max(idx, zero), top)
}

// ixElementCoords returns [K, rank] coordinates: indices (shape s) along
// axis, iotas elsewhere.
func ixElementCoords(c *nodeCtx, idx *graph.Node, data tensor.Shape, axis int) *graph.Node {
	s := idx.Shape().Dimensions
	dim := graph.Scalar(c.g, dtypes.Int64, float64(data[axis]))
	idx = ixNormalize(c, idx, dim, fmt.Sprintf("axis %d of size %d", axis, data[axis]))
	parts := make([]*graph.Node, len(data))
	for d := range data {
		if d == axis {
			parts[d] = idx
		} else {
			parts[d] = graph.Iota(c.g, shapes.Make(dtypes.Int64, s...), d)
		}
	}
	k := 1
	for _, v := range s {
		k *= v
	}
	return graph.Reshape(graph.Stack(parts, -1), k, len(data))
}

func lowerGatherElements(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	axis, _ := tensor.NormalizeAxis(c.Node.Attrs.Int("axis", 0), len(c.In[0].Shape))
	coords := ixElementCoords(c, in[1], c.In[0].Shape, axis)
	return one(graph.Reshape(graph.Gather(in[0], coords), c.Out[0].Shape...)), nil
}

// ixScatter applies reduction r at the coordinates.
func ixScatter(r string, data, coords, upd *graph.Node) *graph.Node {
	switch r {
	case ops.ScatterMul:
		// One update at a time: read the addressed entries, multiply, write back.
		k := coords.Shape().Dimensions[0]
		for p := range k {
			at := graph.Slice(coords, graph.AxisRange(p, p+1))
			u := graph.Slice(upd, graph.AxisRange(p, p+1))
			cur := graph.Gather(data, at)
			data = graph.ScatterUpdate(data, at, graph.Mul(cur, u), true, true)
		}
		return data
	case ops.ScatterAdd:
		return graph.ScatterSum(data, coords, upd, false, false)
	case ops.ScatterMax:
		return graph.ScatterMax(data, coords, upd, false, false)
	case ops.ScatterMin:
		return graph.ScatterMin(data, coords, upd, false, false)
	}
	return graph.ScatterUpdate(data, coords, upd, false, true)
}

func lowerScatterElements(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	axis, _ := tensor.NormalizeAxis(c.Node.Attrs.Int("axis", 0), len(c.In[0].Shape))
	coords := ixElementCoords(c, in[1], c.In[0].Shape, axis)
	upd := graph.Reshape(in[2], coords.Shape().Dimensions[0])
	return one(ixScatter(c.Node.Attrs.String("reduction", ops.ScatterNone), in[0], coords, upd)), nil
}

// ixSliceCoords returns [K, b+m] coordinates of gather_nd/scatter_nd: batch
// iotas, then the indices' last axis, checked against data's dims.
func ixSliceCoords(c *nodeCtx, idx *graph.Node, data tensor.Shape, b int) *graph.Node {
	s := idx.Shape().Dimensions
	m := s[len(s)-1]
	dimsV := make([]int64, m)
	for k := range m {
		dimsV[k] = int64(data[b+k])
	}
	idx = ixNormalize(c, idx, graph.Const(c.g, dimsV), "gather_nd/scatter_nd's data")
	lead := s[:len(s)-1]
	k := 1
	for _, v := range lead {
		k *= v
	}
	if b > 0 {
		parts := make([]*graph.Node, 0, b+1)
		for d := range b {
			parts = append(parts, graph.InsertAxes(graph.Iota(c.g, shapes.Make(dtypes.Int64, lead...), d), -1))
		}
		idx = graph.Concatenate(append(parts, idx), -1)
	}
	return graph.Reshape(idx, k, b+m)
}

func lowerGatherND(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	coords := ixSliceCoords(c, in[1], c.In[0].Shape, c.Node.Attrs.Int("batch_dims", 0))
	return one(graph.Reshape(graph.Gather(in[0], coords), c.Out[0].Shape...)), nil
}

func lowerScatterND(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	coords := ixSliceCoords(c, in[1], c.In[0].Shape, 0)
	m := coords.Shape().Dimensions[1]
	updDims := append([]int{coords.Shape().Dimensions[0]}, c.In[0].Shape[m:]...)
	upd := graph.Reshape(in[2], updDims...)
	return one(ixScatter(c.Node.Attrs.String("reduction", ops.ScatterNone), in[0], coords, upd)), nil
}

func lowerCumSum(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x := in[0]
	axis, _ := tensor.NormalizeAxis(c.Node.Attrs.Int("axis", 0), x.Rank())
	reverse := c.Node.Attrs.Int("reverse", 0) == 1
	if reverse {
		x = reverseAxis(x, axis)
	}
	y := graph.CumSum(x, axis)
	if c.Node.Attrs.Int("exclusive", 0) == 1 {
		y = graph.Sub(y, x)
	}
	if reverse {
		y = reverseAxis(y, axis)
	}
	return one(y), nil
}

// lowerTopK ranks entry i of each line by how many entries rank above it
// (larger, or smaller with largest=0; NaN above numbers; earlier among
// equals), then gathers the entries of ranks 0…k−1 by one-hot sums.
func lowerTopK(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x := in[0]
	g := c.g
	r := x.Rank()
	axis, _ := tensor.NormalizeAxis(c.Node.Attrs.Int("axis", -1), r)
	k := c.Node.Attrs.Int("k", 0)
	largest := c.Node.Attrs.Int("largest", 1) == 1
	// Move axis last: xt [..., n].
	perm := make([]int, 0, r)
	for d := range r {
		if d != axis {
			perm = append(perm, d)
		}
	}
	perm = append(perm, axis)
	xt := graph.TransposeAllDims(x, perm...)
	dims := xt.Shape().Dimensions
	n := dims[r-1]
	a := graph.InsertAxes(xt, r)   // [..., n(i), 1]
	b := graph.InsertAxes(xt, r-1) // [..., 1, n(j)]
	full := append(append([]int{}, dims...), n)
	a, b = graph.BroadcastToDims(a, full...), graph.BroadcastToDims(b, full...)
	var above, same *graph.Node
	if largest {
		above = graph.GreaterThan(b, a)
	} else {
		above = graph.LessThan(b, a)
	}
	same = graph.Equal(b, a)
	if x.DType().IsFloat() {
		an, bn := graph.IsNaN(a), graph.IsNaN(b)
		above = graph.LogicalOr(graph.LogicalAnd(above, graph.LogicalNot(an)), graph.LogicalAnd(bn, graph.LogicalNot(an)))
		same = graph.LogicalOr(same, graph.LogicalAnd(an, bn))
	}
	iShape := shapes.Make(dtypes.Int64, full...)
	earlier := graph.LessThan(graph.Iota(g, iShape, r), graph.Iota(g, iShape, r-1)) // j < i
	beats := graph.LogicalOr(above, graph.LogicalAnd(same, earlier))
	rank := graph.ReduceSum(graph.ConvertDType(beats, dtypes.Int64), r) // [..., n]
	// sel[..., q, i] = rank_i == q for q < k
	selShape := append(append([]int{}, dims[:r-1]...), k, n)
	q := graph.Iota(g, shapes.Make(dtypes.Int64, selShape...), r-1)
	sel := graph.Equal(graph.BroadcastToDims(graph.InsertAxes(rank, r-1), selShape...), q)
	xs := graph.BroadcastToDims(graph.InsertAxes(xt, r-1), selShape...)
	vals := graph.ReduceSum(graph.Where(sel, xs, graph.ZerosLike(xs)), r)
	pos := graph.Iota(g, shapes.Make(dtypes.Int64, selShape...), r)
	idx := graph.ReduceSum(graph.Where(sel, pos, graph.ZerosLike(pos)), r)
	// Back from [..., k] with axis last to the input's axis order.
	back := make([]int, r)
	for i, p := range perm {
		back[p] = i
	}
	return []*graph.Node{graph.TransposeAllDims(vals, back...), graph.TransposeAllDims(idx, back...)}, nil
}

// reverseAxis reverses x along axis with a gather (the pure-Go engine has
// no Reverse).
func reverseAxis(x *graph.Node, axis int) *graph.Node {
	n := x.Shape().Dimensions[axis]
	rev := make([]int64, n)
	for i := range rev {
		rev[i] = int64(n - 1 - i)
	}
	front, perm := axisToFront(x, axis)
	y := graph.Gather(front, graph.Reshape(graph.Const(x.Graph(), rev), n, 1))
	if axis == 0 {
		return y
	}
	back := make([]int, len(perm))
	for i, p := range perm {
		back[p] = i
	}
	return graph.TransposeAllDims(y, back...)
}

// lowerCumProd multiplies, for each position i, the entries j the product
// takes (j <= i, or j < i exclusive; mirrored for reverse) and ones for the
// others, over an n×n broadcast: GoMLX has no cumulative product.
func lowerCumProd(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x := in[0]
	r := x.Rank()
	axis, _ := tensor.NormalizeAxis(c.Node.Attrs.Int("axis", 0), r)
	exclusive := c.Node.Attrs.Int("exclusive", 0) == 1
	reverse := c.Node.Attrs.Int("reverse", 0) == 1
	dims := x.Shape().Dimensions
	// full: dims with an extra axis j after axis (i is at axis)
	full := append(append(append([]int{}, dims[:axis+1]...), dims[axis]), dims[axis+1:]...)
	xs := graph.BroadcastToDims(graph.InsertAxes(x, axis), full...) // x_j at [.., i, j, ..]
	iShape := shapes.Make(dtypes.Int64, full...)
	i, j := graph.Iota(c.g, iShape, axis), graph.Iota(c.g, iShape, axis+1)
	var take *graph.Node
	switch {
	case !reverse && !exclusive:
		take = graph.LessOrEqual(j, i)
	case !reverse:
		take = graph.LessThan(j, i)
	case !exclusive:
		take = graph.GreaterOrEqual(j, i)
	default:
		take = graph.GreaterThan(j, i)
	}
	return one(graph.ReduceMultiply(graph.Where(take, xs, graph.OnesLike(xs)), axis+1)), nil
}
