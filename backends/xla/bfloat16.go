package xla

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// bfloat16 on the pure-Go engine.
//
// GoMLX v0.26.0's pure-Go engine computes bfloat16 arithmetic in float32 and
// converts each result back by dropping the low 16 bits (truncation toward
// zero), where ONNX and ref round to nearest, ties to even; about half of
// all bfloat16 results came out one ulp off, and a float32 to bfloat16 cast
// had to be refused. The engine has no Bitcast or shifts to round with bit
// operations, so the driver carries every bfloat16 value of the graph as a
// float32 holding a bfloat16 number: inputs and weights widen exactly on
// entry, every lowering sees float32 types and computes in float32, each
// node's bfloat16 result is rounded to the nearest bfloat16 by float32
// arithmetic (roundToBFloat16), and graph outputs narrow back, exactly, since
// they hold bfloat16 numbers. For add, sub, mul, div and sqrt the float32
// result rounded again to bfloat16 is the correctly rounded bfloat16 result
// (float32 has more than 2·8+2 bits, so the double rounding is innocuous);
// other functions are as close as float32 evaluation allows. XLA rounds to
// nearest even itself and is left alone.

// carriesBFloat16 reports whether the engine carries bfloat16 values as float32.
func (e *engine) carriesBFloat16() bool { return e.name == GoMLXName }

// carriedType is t with bfloat16 replaced by float32.
func carriedType(t ops.Type) ops.Type {
	if t.DType == tensor.BFloat16 {
		t.DType = tensor.Float32
	}
	return t
}

// bfloat16Exact lists the ops whose outputs are elements of their inputs,
// moved but not computed: their bfloat16 results need no rounding.
var bfloat16Exact = map[string]bool{
	"identity": true, "reshape": true, "transpose": true, "concat": true, "slice": true, "split": true,
	"gather": true, "gather_elements": true, "gather_nd": true, "expand": true, "tile": true,
}

// bfloat16Ulp is the distance between bfloat16 numbers in the binade of a
// (a ≥ 0, a bfloat16 number, finite): 2^(e-7) for a normal a in [2^e, 2^(e+1)),
// 2^-133 for a subnormal or zero a.
func bfloat16Ulp(a *graph.Node) *graph.Node {
	g := a.Graph()
	f := func(v float64) *graph.Node { return graph.Scalar(g, dtypes.Float32, v) }
	// a·(1+2^-7) lies in [a+ulp, a+2·ulp) and is exact in float32 (15
	// significant bits); truncating it to bfloat16 gives a+ulp, also when
	// a+ulp is the next power of two.
	next := truncateToBFloat16(graph.Add(a, graph.Mul(a, f(0x1p-7))))
	u := graph.Sub(next, a)
	u = graph.Where(graph.LessThan(a, f(0x1p-126)), graph.BroadcastToShape(f(0x1p-133), a.Shape()), u)
	// In the top binade a+ulp overflows to +Inf; the ulp there is 2^120.
	return graph.Where(graph.GreaterOrEqual(a, f(0x1p127)), graph.BroadcastToShape(f(0x1p120), a.Shape()), u)
}

// truncateToBFloat16 drops the low 16 bits of float32 x (the pure-Go
// engine's conversion), giving a float32 that holds a bfloat16 number.
func truncateToBFloat16(x *graph.Node) *graph.Node {
	return graph.ConvertDType(graph.ConvertDType(x, dtypes.BFloat16), dtypes.Float32)
}

// roundToBFloat16 rounds each element of float32 x to the nearest bfloat16
// number, ties to even, keeping the float32 dtype. NaN stays NaN, ±Inf stays,
// values beyond bfloat16's largest finite number by half an ulp or more
// become ±Inf, and the sign of zero is kept.
func roundToBFloat16(x *graph.Node) *graph.Node { return roundToBFloat16Sticky(x, nil) }

// roundToBFloat16Sticky is roundToBFloat16 for a float32 x that is itself
// the float32 rounding of a wider value: beyond is positive where that value
// lies farther from zero than x, negative where nearer, zero where x is
// exact (nil: exact everywhere). It breaks the ties float32 rounding made,
// so the result is the wider value's correctly rounded bfloat16.
func roundToBFloat16Sticky(x, beyond *graph.Node) *graph.Node {
	g := x.Graph()
	f := func(v float64) *graph.Node { return graph.Scalar(g, dtypes.Float32, v) }
	t := truncateToBFloat16(x) // toward zero, sign (and -0) kept
	a := graph.Abs(t)
	u := bfloat16Ulp(a)
	twiceRest := graph.Mul(graph.Sub(graph.Abs(x), a), f(2)) // exact: the low 16 bits, doubled
	m := graph.Div(a, u)                                     // the integer significand, exact
	odd := graph.Equal(graph.Sub(m, graph.Mul(graph.Floor(graph.Mul(m, f(0.5))), f(2))), f(1))
	tieUp := odd
	if beyond != nil {
		zero := graph.ScalarZero(g, beyond.DType())
		tieUp = graph.LogicalOr(graph.GreaterThan(beyond, zero), graph.LogicalAnd(graph.Equal(beyond, zero), odd))
	}
	up := graph.LogicalOr(graph.GreaterThan(twiceRest, u), graph.LogicalAnd(graph.Equal(twiceRest, u), tieUp))
	step := graph.Where(isNegative(x), graph.Neg(u), u)
	y := graph.Where(up, graph.Add(t, step), t) // t+step is exact, or ±Inf past the top
	nan := graph.BroadcastToShape(f(math.NaN()), x.Shape())
	return graph.Where(graph.IsNaN(x), nan, y)
}

// castToBFloat16 rounds x of any dtype (a carried bfloat16 is float32) to
// bfloat16, carried as float32, once from x's value: float32 rounding's
// ties are broken by the rest float32Parts gives.
func castToBFloat16(x *graph.Node) *graph.Node {
	if x.DType() == dtypes.Float32 {
		return roundToBFloat16(x)
	}
	x32, beyond := float32Parts(x)
	return roundToBFloat16Sticky(x32, beyond)
}

// float32Parts splits x (float64 or any integer or bool) into its float32
// rounding x32 and the sign of what float32 dropped: beyond is positive where
// x lies farther from zero than x32, negative where nearer, zero where x32 is
// exact (float64 holds the rest of a float64, and of an integer up to 2^53;
// beyond that, the integer's own difference decides).
func float32Parts(x *graph.Node) (x32, beyond *graph.Node) {
	g := x.Graph()
	x64 := graph.ConvertDType(x, dtypes.Float64)
	x32 = graph.ConvertDType(x64, dtypes.Float32)
	rest := graph.Sub(x64, graph.ConvertDType(x32, dtypes.Float64))
	if d := x.DType(); d == dtypes.Int64 || d == dtypes.Uint64 {
		back := graph.ConvertDType(x64, d) // compared, not subtracted: no wrap-around
		one := graph.Scalar(g, dtypes.Float64, 1)
		intRest := graph.Where(graph.GreaterThan(x, back), one,
			graph.Where(graph.LessThan(x, back), graph.Neg(one), graph.ZerosLike(x64)))
		rest = graph.Where(graph.NotEqual(rest, graph.ZerosLike(rest)), rest, intRest)
	}
	return x32, graph.Where(isNegative(x64), graph.Neg(rest), rest)
}

// roundToOddFloat32 moves x32, the float32 rounding of a wider value, to its
// odd neighbour toward that value when x32 is inexact and even (beyond as
// float32Parts gives it). Rounded to a narrower float by nearest even, the
// result is the wider value's correct rounding: round-to-odd keeps the
// sticky information that double rounding would lose, given float32's two
// or more extra bits. Needs Bitcast (the xla engine).
func roundToOddFloat32(x32, beyond *graph.Node) *graph.Node {
	g := x32.Graph()
	bits := graph.Bitcast(x32, dtypes.Uint32)
	zero := graph.ZerosLike(beyond)
	oneBit := graph.Scalar(g, dtypes.Uint32, 1)
	even := graph.Equal(graph.BitwiseAnd(bits, oneBit), graph.ScalarZero(g, dtypes.Uint32))
	fix := graph.LogicalAnd(even, graph.NotEqual(beyond, zero)) // NaN compares unequal but is never even-and-finite here
	fix = graph.LogicalAnd(fix, graph.LogicalNot(graph.IsNaN(beyond)))
	moved := graph.Where(graph.GreaterThan(beyond, zero), graph.Add(bits, oneBit), graph.Sub(bits, oneBit))
	return graph.Bitcast(graph.Where(fix, moved, bits), dtypes.Float32)
}

// carryLowering switches node c to carried types: c.In and c.Out get float32
// for bfloat16, and narrow says which outputs were bfloat16 (the driver
// rounds them). A cast to bfloat16 from a non-bfloat16 value is lowered here,
// rounding once from the source (castToBFloat16) rather than through the
// cast lowering's float32.
func carryLowering(c *nodeCtx, lower loweringFunc) (loweringFunc, []bool) {
	var narrow []bool
	for i, t := range c.Out {
		narrow = append(narrow, t.DType == tensor.BFloat16)
		c.Out[i] = carriedType(t)
	}
	from := c.In
	c.In = make([]ops.Type, len(from))
	for i, t := range from {
		c.In[i] = carriedType(t)
	}
	if c.Node.Op == "cast" && narrow[0] && from[0].DType != tensor.BFloat16 {
		return func(_ *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
			return one(castToBFloat16(in[0])), nil
		}, []bool{false} // rounded already
	}
	return lower, narrow
}
