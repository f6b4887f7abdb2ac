package xla

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/backplane-ml/backplane/ops"
)

// Lowerings of ops/elementwise_math.go. GoMLX has sin, cos and round (half
// to even) as primitives; the others are composed. The inverse
// trigonometric functions share atanNode, an argument reduction and a series
// accurate to float64. float16 and bfloat16 compute in float32.

func init() {
	floatFn := map[string]func(*graph.Node) *graph.Node{
		"sin":   graph.Sin,
		"cos":   graph.Cos,
		"round": roundHalfEven,
		"tan":   func(x *graph.Node) *graph.Node { return graph.Div(graph.Sin(x), graph.Cos(x)) },
		// sinh = (expm1(x) − expm1(−x))/2 keeps precision near 0.
		"sinh": func(x *graph.Node) *graph.Node {
			return graph.MulScalar(graph.Sub(graph.Expm1(x), graph.Expm1(graph.Neg(x))), 0.5)
		},
		"cosh": func(x *graph.Node) *graph.Node {
			return graph.MulScalar(graph.Add(graph.Exp(x), graph.Exp(graph.Neg(x))), 0.5)
		},
		"asinh": asinhNode,
		// acosh = log(x + sqrt((x−1)(x+1))); NaN below 1 from the sqrt.
		"acosh": func(x *graph.Node) *graph.Node {
			return graph.Log(graph.Add(x, graph.Sqrt(graph.Mul(graph.AddScalar(x, -1), graph.AddScalar(x, 1)))))
		},
		// atanh = log1p(2x/(1−x))/2.
		"atanh": func(x *graph.Node) *graph.Node {
			return graph.MulScalar(graph.Log1p(graph.Div(graph.MulScalar(x, 2), graph.OneMinus(x))), 0.5)
		},
		"atan": atanNode,
		// asin = atan(x/sqrt((1−x)(1+x))): ±π/2 at ±1, NaN beyond.
		"asin": func(x *graph.Node) *graph.Node {
			return atanNode(graph.Div(x, graph.Sqrt(graph.Mul(graph.OneMinus(x), graph.OnePlus(x)))))
		},
		// acos = 2·atan(sqrt((1−x)/(1+x))): π at −1, 0 at 1.
		"acos": func(x *graph.Node) *graph.Node {
			return graph.MulScalar(atanNode(graph.Sqrt(graph.Div(graph.OneMinus(x), graph.OnePlus(x)))), 2)
		},
	}
	for op, f := range floatFn {
		registerLowering(op, unary(inFloat32(f)))
	}
	registerLowering("is_nan", unary(graph.IsNaN))
	registerLowering("is_inf", func(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
		x := in[0]
		inf := graph.LogicalNot(graph.LogicalOr(graph.IsFinite(x), graph.IsNaN(x)))
		pos := graph.GreaterThan(x, graph.ScalarZero(x.Graph(), x.DType()))
		detectPos := c.Node.Attrs.Int("detect_positive", 1) == 1
		detectNeg := c.Node.Attrs.Int("detect_negative", 1) == 1
		switch {
		case detectPos && detectNeg:
			return one(inf), nil
		case detectPos:
			return one(graph.LogicalAnd(inf, pos)), nil
		case detectNeg:
			return one(graph.LogicalAnd(inf, graph.LogicalNot(pos))), nil
		}
		return one(graph.ZerosLike(inf)), nil
	})
	registerLowering("mod", lowerMod)
	registerLowering("bitwise_and", binary(graph.BitwiseAnd))
	registerLowering("bitwise_or", binary(graph.BitwiseOr))
	registerLowering("bitwise_xor", binary(graph.BitwiseXor))
	registerLowering("bitwise_not", unary(graph.BitwiseNot))
	registerLowering("bit_shift", lowerBitShift)
}

// inFloat32 computes f in float32 for float16 and bfloat16 inputs.
func inFloat32(f func(*graph.Node) *graph.Node) func(*graph.Node) *graph.Node {
	return func(x *graph.Node) *graph.Node {
		d := x.DType()
		if d != dtypes.Float16 && d != dtypes.BFloat16 {
			return f(x)
		}
		return graph.ConvertDType(f(graph.ConvertDType(x, dtypes.Float32)), d)
	}
}

// roundHalfEven rounds to the nearest integer, halves to even, composed
// from floor since engines differ in their Round (the pure-Go engine rounds
// halves away from zero). NaN and ±Inf pass through.
func roundHalfEven(x *graph.Node) *graph.Node {
	f := graph.Floor(x)
	diff := graph.Sub(x, f)
	half := graph.Scalar(x.Graph(), x.DType(), 0.5)
	up := graph.OnePlus(f)
	even := graph.Add(f, graph.Abs(graph.Rem(f, graph.Scalar(x.Graph(), x.DType(), 2)))) // f, or f+1 when f is odd
	r := graph.Where(graph.GreaterThan(diff, half), up, graph.Where(graph.LessThan(diff, half), f, even))
	return graph.Where(graph.IsFinite(x), r, x)
}

// asinhNode is sign(x)·log1p(|x| + x²/(1+sqrt(1+x²))), switching to
// log(2|x|) where x² would overflow.
func asinhNode(x *graph.Node) *graph.Node {
	a := graph.Abs(x)
	sq := graph.Mul(a, a)
	small := graph.Log1p(graph.Add(a, graph.Div(sq, graph.OnePlus(graph.Sqrt(graph.OnePlus(sq))))))
	large := graph.AddScalar(graph.Log(a), math.Ln2)
	r := graph.Where(graph.GreaterThan(a, graph.Scalar(x.Graph(), x.DType(), 1e8)), large, small)
	return graph.Where(isNegative(x), graph.Neg(r), r)
}

// atanNode computes atan(x): |x| > 1 uses π/2 − atan(1/|x|); two halvings
// t → t/(1+sqrt(1+t²)) (atan(t) = 2·atan of the result) bring |t| below
// tan(π/16) ≈ 0.2, where the series t − t³/3 + t⁵/5 − … to t^27 is exact to
// float64 (the first term left out is below 4e-21). NaN stays NaN.
func atanNode(x *graph.Node) *graph.Node {
	a := graph.Abs(x)
	big := graph.GreaterThan(a, graph.ScalarOne(x.Graph(), x.DType()))
	r := graph.Where(big, graph.Reciprocal(graph.Where(big, a, graph.OnesLike(a))), a)
	for range 2 {
		r = graph.Div(r, graph.OnePlus(graph.Sqrt(graph.OnePlus(graph.Mul(r, r)))))
	}
	r2 := graph.Mul(r, r)
	var s *graph.Node
	for k := 13; k >= 0; k-- { // Horner in r²: Σ (−1)^k r^(2k+1)/(2k+1)
		coef := 1 / float64(2*k+1)
		if k%2 == 1 {
			coef = -coef
		}
		if s == nil {
			s = graph.MulScalar(graph.OnesLike(r2), coef)
		} else {
			s = graph.AddScalar(graph.Mul(s, r2), coef)
		}
	}
	res := graph.MulScalar(graph.Mul(s, r), 4)
	res = graph.Where(big, graph.Sub(graph.Scalar(x.Graph(), x.DType(), math.Pi/2), res), res)
	return graph.Where(isNegative(x), graph.Neg(res), res)
}

// lowerMod is XLA's remainder (the dividend's sign, as C's fmod) and, with
// fmod=0, moved to the divisor's sign. A zero integer divisor fails the run
// as in ref; a divisor of −1 gives 0 without asking the engine (INT_MIN % −1).
func lowerMod(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	a, b := broadcastTo(in[0], c.Out[0].Shape), broadcastTo(in[1], c.Out[0].Shape)
	if b.DType().IsFloat() {
		return one(graph.Rem(a, b)), nil
	}
	g, d := b.Graph(), b.DType()
	zero := graph.ScalarZero(g, d)
	isZero := graph.Equal(b, zero)
	c.check(graph.LogicalNot(isZero), "integer remainder by zero")
	trivial := isZero
	if d != dtypes.Uint8 {
		trivial = graph.LogicalOr(isZero, graph.Equal(b, graph.Scalar(g, d, -1)))
	}
	safe := graph.Where(trivial, graph.OnesLike(b), b)
	r := graph.Rem(a, safe)
	if c.Node.Attrs.Int("fmod", 0) == 0 && d != dtypes.Uint8 {
		fix := graph.LogicalAnd(graph.NotEqual(r, zero), graph.LogicalXor(graph.LessThan(r, zero), graph.LessThan(safe, zero)))
		r = graph.Where(fix, graph.Add(r, safe), r)
	}
	return one(graph.Where(trivial, graph.ZerosLike(r), r)), nil
}

// lowerBitShift multiplies or divides by 2^b, looked up in a table whose
// last entry, for shifts of the width or more, is 0 (a right shift then
// divides by 1 and is masked to 0).
func lowerBitShift(c *nodeCtx, in []*graph.Node) ([]*graph.Node, error) {
	a, b := broadcastPair(in[0], in[1])
	g, d := a.Graph(), a.DType()
	bits := d.Size() * 8
	table := make([]float64, bits+1)
	for i := range bits {
		table[i] = math.Ldexp(1, i)
	}
	dims := c.Out[0].Shape
	a, b = broadcastTo(a, dims), broadcastTo(b, dims)
	idx := graph.ConvertDType(graph.Min(b, graph.Scalar(g, d, float64(bits))), dtypes.Int32)
	pow := graph.Gather(graph.ConvertDType(graph.Const(g, table), d), graph.ExpandAxes(idx, -1))
	if c.Node.Attrs.String("direction", "") == ops.BitShiftLeft {
		return one(graph.Mul(a, pow)), nil
	}
	over := graph.Equal(pow, graph.ScalarZero(g, d))
	q := graph.Div(a, graph.Where(over, graph.OnesLike(pow), pow))
	return one(graph.Where(over, graph.ZerosLike(q), q)), nil
}
