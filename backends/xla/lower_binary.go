package xla

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/backplane-ml/backplane/tensor"
)

// Lowerings of the broadcasting elementwise ops and of clip, cast and
// identity (ops/elementwise_binary.go).

func init() {
	direct := map[string]func(a, b *graph.Node) *graph.Node{
		"add":           graph.Add,
		"sub":           graph.Sub,
		"mul":           graph.Mul,
		"pow":           graph.Pow,
		"less":          graph.LessThan,
		"less_equal":    graph.LessOrEqual,
		"greater":       graph.GreaterThan,
		"greater_equal": graph.GreaterOrEqual,
		"and":           graph.LogicalAnd,
		"or":            graph.LogicalOr,
		"xor":           graph.LogicalXor,
		"max":           nanMax,
		"min":           nanMin,
		"equal":         equal,
	}
	for op, f := range direct {
		registerLowering(op, binary(f))
	}
	registerLowering("div", lowerDiv)
	registerLowering("prelu", func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		x, slope := in[0], broadcastTo(in[1], c.Out[0].Shape)
		return one(graph.Where(isNegative(x), graph.Mul(slope, x), x)), nil
	})
	registerLowering("where", func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		s := c.Out[0].Shape
		return one(graph.Where(broadcastTo(in[0], s), broadcastTo(in[1], s), broadcastTo(in[2], s))), nil
	})
	registerLowering("clip", lowerClip)
	registerLowering("cast", lowerCast)
	registerLowering("identity", func(_ *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		return one(graph.Identity(in[0])), nil
	})
}

// binary lowers an op that is a single GoMLX function of its two inputs,
// after numpy broadcasting.
func binary(f func(a, b *graph.Node) *graph.Node) loweringFunc {
	return func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		a, b := broadcastPair(in[0], in[1])
		return one(f(a, b)), nil
	}
}

// broadcastPair prepares two operands for a GoMLX binary op under numpy's
// rules. GoMLX broadcasts a scalar against anything and, between operands of
// equal rank, a dimension of 1 against any size; numpy additionally aligns
// ranks from the right, so the lower-rank operand gets leading 1s. (GoMLX
// takes the larger of 1 and 0 where numpy gives 0; the driver builds outputs
// without elements itself, so that case never reaches here.)
func broadcastPair(a, b *graph.Node) (*graph.Node, *graph.Node) {
	if a.Rank() == b.Rank() || a.IsScalar() || b.IsScalar() {
		return a, b
	}
	if a.Rank() < b.Rank() {
		a = graph.ExpandLeftToRank(a, b.Rank())
	} else {
		b = graph.ExpandLeftToRank(b, a.Rank())
	}
	return a, b
}

// broadcastTo broadcasts x numpy-style to shape s.
func broadcastTo(x *graph.Node, s tensor.Shape) *graph.Node {
	if x.Shape().Rank() == len(s) && sameDims(x.Shape().Dimensions, s) {
		return x
	}
	return graph.BroadcastToDims(graph.ExpandLeftToRank(x, len(s)), s...)
}

func sameDims(a []int, b tensor.Shape) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// nanMax is the elementwise maximum, NaN if either operand is NaN.
func nanMax(a, b *graph.Node) *graph.Node { return propagateNaN(a, b, graph.Max(a, b)) }

// nanMin is the elementwise minimum, NaN if either operand is NaN.
func nanMin(a, b *graph.Node) *graph.Node { return propagateNaN(a, b, graph.Min(a, b)) }

// propagateNaN makes r NaN wherever a or b is (r has their broadcast shape).
// Engines differ on max/min of NaN; the catalog says NaN wins.
func propagateNaN(a, b, r *graph.Node) *graph.Node {
	if !a.DType().IsFloat() {
		return r
	}
	nan := graph.Add(a, b) // NaN exactly where a or b is NaN (inf−inf cannot occur where it is selected)
	return graph.Where(graph.LogicalOr(graph.IsNaN(a), graph.IsNaN(b)), nan, r)
}

// equal is a == b; on bools it is not(a xor b), since engines compare numbers only.
func equal(a, b *graph.Node) *graph.Node {
	if a.DType() == dtypes.Bool {
		return graph.LogicalNot(graph.LogicalXor(a, b))
	}
	return graph.Equal(a, b)
}

// lowerDiv divides; an integer division truncates toward zero on both
// engines, and a zero integer divisor fails the run as in ref (the divisor is
// replaced by 1 first, so no engine ever traps on it).
func lowerDiv(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	a, b := broadcastPair(in[0], in[1])
	if b.DType().IsFloat() {
		return one(graph.Div(a, b)), nil
	}
	isZero := graph.Equal(b, graph.ScalarZero(b.Graph(), b.DType()))
	c.check(graph.LogicalNot(isZero), "integer division by zero")
	safe := graph.Where(isZero, graph.OnesLike(b), b)
	return one(graph.Div(a, safe)), nil
}

// lowerClip is min(max(x, lo), hi), NaN kept. Integer bounds are truncated
// toward zero and saturated to the dtype's range first, as the catalog says.
func lowerClip(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x := in[0]
	a := c.Node.Attrs
	y := x
	bound := func(v float64) *graph.Node {
		if !x.DType().IsFloat() {
			return intConst(x.Graph(), c.In[0].DType, saturate(v, c.In[0].DType))
		}
		return graph.Scalar(x.Graph(), x.DType(), v)
	}
	if a.Has("min") {
		y = graph.Max(y, bound(a.Float("min", math.Inf(-1))))
	}
	if a.Has("max") {
		y = graph.Min(y, bound(a.Float("max", math.Inf(1))))
	}
	if y == x {
		return one(graph.Identity(x)), nil
	}
	return one(keepNaN(x, y)), nil
}

// saturate truncates v toward zero and clamps it to the range of integer
// dtype d (±Inf give the range's ends).
func saturate(v float64, d tensor.DType) int64 {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	switch d {
	case tensor.Int8:
		lo, hi = math.MinInt8, math.MaxInt8
	case tensor.Uint8:
		lo, hi = 0, math.MaxUint8
	case tensor.Int32, tensor.Int16, tensor.Uint16, tensor.Uint32, tensor.Uint64:
		lo, hi = tensor.IntRange(d)
	}
	switch v = math.Trunc(v); {
	case v >= float64(hi): // float64(MaxInt64) is 2^63, one past the end: compare before converting
		return hi
	case v <= float64(lo):
		return lo
	}
	return int64(v)
}

// lowerCast converts with tensor.AsType's rules (ops/elementwise_binary.go).
func lowerCast(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	x := in[0]
	from, to := c.In[0].DType, c.Out[0].DType
	gto, _ := toGoMLXDType(to)
	g := x.Graph()
	switch {
	case from == to:
		return one(graph.Identity(x)), nil
	case to == tensor.Bool:
		return one(graph.NotEqual(x, graph.ScalarZero(g, x.DType()))), nil
	case from == tensor.Bool:
		return one(graph.Where(x, graph.Scalar(g, gto, 1), graph.Scalar(g, gto, 0))), nil
	case from.IsFloat() && to.IsInt():
		// NaN → 0; saturate to int64's range; truncate toward zero (every
		// engine's float→int conversion does); then wrap to the width.
		f := graph.ConvertDType(x, dtypes.Float64)
		f = graph.Where(graph.IsNaN(f), graph.ZerosLike(f), f)
		tooBig := graph.GreaterOrEqual(f, graph.Scalar(g, dtypes.Float64, 0x1p63))
		f = graph.Where(tooBig, graph.ZerosLike(f), graph.Max(f, graph.Scalar(g, dtypes.Float64, -0x1p63)))
		i := graph.ConvertDType(f, dtypes.Int64)
		i = graph.Where(tooBig, intConst(g, tensor.Int64, math.MaxInt64), i)
		if to != tensor.Int64 {
			i = graph.ConvertDType(i, gto)
		}
		return one(i), nil
	}
	if (to == tensor.Float16 || to == tensor.BFloat16) && c.Engine != GoMLXName && wideSource(from) {
		// XLA converts through float32, rounding twice: a value just past a
		// half-way point of the narrow type can land on it and then round to
		// even the wrong way. Rounding to odd first keeps it past.
		x32, beyond := float32Parts(x)
		return one(graph.ConvertDType(roundToOddFloat32(x32, beyond), gto)), nil
	}
	return one(graph.ConvertDType(x, gto)), nil
}

// wideSource reports whether float32 cannot hold every value of dtype d.
func wideSource(d tensor.DType) bool {
	switch d {
	case tensor.Float64, tensor.Int32, tensor.Uint32, tensor.Int64, tensor.Uint64:
		return true
	}
	return false
}

// intConst is a scalar constant of integer dtype d holding v exactly
// (graph.Scalar goes through float64, which is inexact beyond 2^53).
func intConst(g *graph.Graph, d tensor.DType, v int64) *graph.Node {
	switch d {
	case tensor.Int8:
		return graph.Const(g, int8(v))
	case tensor.Uint8:
		return graph.Const(g, uint8(v))
	case tensor.Int32:
		return graph.Const(g, int32(v))
	case tensor.Int16:
		return graph.Const(g, int16(v))
	case tensor.Uint16:
		return graph.Const(g, uint16(v))
	case tensor.Uint32:
		return graph.Const(g, uint32(v))
	case tensor.Uint64:
		return graph.Const(g, uint64(v))
	}
	return graph.Const(g, v)
}
