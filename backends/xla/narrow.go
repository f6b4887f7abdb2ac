package xla

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// bfloat16 and float16 on the pure-Go engine.
//
// GoMLX v0.26.0's pure-Go engine computes bfloat16 arithmetic in float32 and
// converts each result back by dropping the low 16 bits (truncation toward
// zero), where ONNX and ref round to nearest, ties to even: about half of
// all bfloat16 results came out one ulp off, and a float32 to bfloat16 cast
// had to be refused. It has no float16 at all. It has no Bitcast or shifts
// to round with bit operations either. So the driver carries every bfloat16
// and float16 value of the graph as a float32 holding a number of that type:
// inputs and weights widen exactly on entry (bfloat16 in the graph, float16
// on the host, since the engine cannot even hold it), every lowering sees
// float32 types and computes in float32, each node's narrow result is
// rounded to the nearest bfloat16 or float16 by float32 arithmetic
// (roundToBFloat16, roundToFloat16), and outputs narrow back, exactly, since
// they hold numbers of their type. For add, sub, mul, div and sqrt the
// float32 result rounded again is the correctly rounded narrow result
// (float32 has at least 2p+2 bits for both, so the double rounding is
// innocuous); other functions are as close as float32 evaluation allows.
// XLA has both types and rounds to nearest even itself; it is left alone.

// carries reports whether the engine carries values of dtype d as float32.
func (e *engine) carries(d tensor.DType) bool {
	return e.name == GoMLXName && (d == tensor.BFloat16 || d == tensor.Float16)
}

// carriedType is t with bfloat16 and float16 replaced by float32.
func carriedType(t ops.Type) ops.Type {
	if t.DType == tensor.BFloat16 || t.DType == tensor.Float16 {
		t.DType = tensor.Float32
	}
	return t
}

// roundTo rounds float32 x, carrying a value of narrow dtype d, to d.
func roundTo(x *graph.Node, d tensor.DType) *graph.Node {
	if d == tensor.Float16 {
		return roundToFloat16(x, nil)
	}
	return roundToBFloat16(x)
}

// narrowExact lists the ops whose outputs are elements of their inputs,
// moved but not computed: their narrow results need no rounding.
var narrowExact = map[string]bool{
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
// for bfloat16 and float16, and narrow says which dtype each output was
// (Invalid: not carried; the driver rounds the others). A cast to a carried
// dtype from another dtype is lowered here, rounding once from the source
// (castToBFloat16, castToFloat16) rather than through float32.
func carryLowering(c *nodeCtx, lower loweringFunc) (loweringFunc, []tensor.DType) {
	var narrow []tensor.DType
	for i, t := range c.Out {
		d := tensor.Invalid
		if carriedType(t).DType != t.DType {
			d = t.DType
		}
		narrow = append(narrow, d)
		c.Out[i] = carriedType(t)
	}
	from := c.In
	c.In = make([]ops.Type, len(from))
	for i, t := range from {
		c.In[i] = carriedType(t)
	}
	if c.Node.Op == "cast" && narrow[0] != tensor.Invalid && from[0].DType != narrow[0] {
		to := narrow[0]
		return func(_ *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
			if to == tensor.Float16 {
				return one(castToFloat16(in[0])), nil
			}
			return one(castToBFloat16(in[0])), nil
		}, []tensor.DType{tensor.Invalid} // rounded already
	}
	return lower, narrow
}

// float16Ulp is the distance between float16 numbers in the binade of
// |x| (float32, finite): 2^(e-10) for |x| in [2^e, 2^(e+1)) with e >= -14,
// 2^-24 below (float16's subnormals). The binade comes from bfloat16
// truncation, which keeps float32's exponent: float16's ulp is an eighth of
// bfloat16's (10 fraction bits against 7).
func float16Ulp(ax *graph.Node) *graph.Node {
	g := ax.Graph()
	f := func(v float64) *graph.Node { return graph.Scalar(g, dtypes.Float32, v) }
	u := graph.Mul(bfloat16Ulp(truncateToBFloat16(ax)), f(0.125))
	return graph.Where(graph.LessThan(ax, f(0x1p-14)), graph.BroadcastToShape(f(0x1p-24), ax.Shape()), u)
}

// roundToFloat16 rounds each element of float32 x to the nearest float16
// number, ties to even, keeping the float32 dtype: NaN stays NaN, ±Inf
// stays, magnitudes of 65520 (float16's largest, 65504, plus half an ulp)
// and more become ±Inf, the sign of zero is kept. beyond breaks ties as in
// roundToBFloat16Sticky (nil: x is exact).
func roundToFloat16(x, beyond *graph.Node) *graph.Node {
	g := x.Graph()
	f := func(v float64) *graph.Node { return graph.Scalar(g, dtypes.Float32, v) }
	ax := graph.Abs(x)
	u := float16Ulp(ax)
	t := graph.Mul(graph.Floor(graph.Div(ax, u)), u) // toward zero on the grid; exact (powers of two)
	twiceRest := graph.Mul(graph.Sub(ax, t), f(2))
	m := graph.Div(t, u)
	odd := graph.Equal(graph.Sub(m, graph.Mul(graph.Floor(graph.Mul(m, f(0.5))), f(2))), f(1))
	tieUp := odd
	if beyond != nil {
		zero := graph.ScalarZero(g, beyond.DType())
		tieUp = graph.LogicalOr(graph.GreaterThan(beyond, zero), graph.LogicalAnd(graph.Equal(beyond, zero), odd))
	}
	up := graph.LogicalOr(graph.GreaterThan(twiceRest, u), graph.LogicalAnd(graph.Equal(twiceRest, u), tieUp))
	y := graph.Where(up, graph.Add(t, u), t)
	y = graph.Where(graph.GreaterThan(y, f(65504)), graph.BroadcastToShape(f(math.Inf(1)), x.Shape()), y)
	y = graph.Where(isNegative(x), graph.Neg(y), y)
	y = graph.Where(graph.Equal(y, f(0)), graph.Mul(x, f(0)), y) // ±0 with x's sign
	y = graph.Where(graph.IsFinite(x), y, x)                     // ±Inf
	nan := graph.BroadcastToShape(f(math.NaN()), x.Shape())
	return graph.Where(graph.IsNaN(x), nan, y)
}

// castToFloat16 rounds x of any dtype (a carried value is float32) to
// float16, carried as float32, once from x's value.
func castToFloat16(x *graph.Node) *graph.Node {
	if x.DType() == dtypes.Float32 {
		return roundToFloat16(x, nil)
	}
	x32, beyond := float32Parts(x)
	return roundToFloat16(x32, beyond)
}
