package reference

import (
	"errors"
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Elementwise kernels, part 2: binary arithmetic, comparisons, logical ops,
// prelu and where, all over the one broadcasting loop ewBroadcast, plus clip,
// cast and identity.

// errIntDivByZero is returned by div on an integer zero divisor; Eval's
// wrapping names the op ("ref: op div: integer division by zero").
var errIntDivByZero = inputDataError{errors.New("integer division by zero")}

// ewShapes lists the shapes of ts for ewBroadcast.
func ewShapes(ts ...*tensor.Tensor) []tensor.Shape {
	s := make([]tensor.Shape, len(ts))
	for i, t := range ts {
		s[i] = t.Shape()
	}
	return s
}

// ewMap2Float applies f to broadcast pairs of a and b in float64 and rounds
// the results to out's dtype.
func ewMap2Float(out ops.Type, a, b *tensor.Tensor, f func(x, y float64) float64) (*tensor.Tensor, error) {
	if binaryChunkable(out, a, b) {
		return binaryChunked(out, a, b, f)
	}
	av, bv := a.Float64s(), b.Float64s()
	res := make([]float64, out.Shape.NumElements())
	ewBroadcast(out.Shape, ewShapes(a, b), func(o int, idx []int) {
		res[o] = f(av[idx[0]], bv[idx[1]])
	})
	return tensor.FromFloat64s(out.DType, out.Shape, res)
}

// ewMap2Int applies g to broadcast pairs of a and b in int64 and narrows the
// results to out's dtype; the first error g returns stops the kernel.
func ewMap2Int(out ops.Type, a, b *tensor.Tensor, g func(x, y int64) (int64, error)) (*tensor.Tensor, error) {
	av, bv := a.Int64s(), b.Int64s()
	res := make([]int64, out.Shape.NumElements())
	var err error
	ewBroadcast(out.Shape, ewShapes(a, b), func(o int, idx []int) {
		if err == nil {
			res[o], err = g(av[idx[0]], bv[idx[1]])
		}
	})
	if err != nil {
		return nil, err
	}
	return tensor.FromInt64s(out.DType, out.Shape, res)
}

// ewArith makes the kernel of a numeric binary op: f for float dtypes, g for
// integer dtypes.
func ewArith(f func(x, y float64) float64, g func(x, y int64) (int64, error)) kernel {
	return func(_ ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
		if in[0].DType().IsFloat() {
			return single(ewMap2Float(out[0], in[0], in[1], f))
		}
		return single(ewMap2Int(out[0], in[0], in[1], g))
	}
}

// ewInt adapts an infallible integer function to ewArith.
func ewInt(g func(x, y int64) int64) func(x, y int64) (int64, error) {
	return func(x, y int64) (int64, error) { return g(x, y), nil }
}

// ewIntDiv divides truncating toward zero, as Go does (math.MinInt64 / −1
// wraps to math.MinInt64 rather than trapping).
func ewIntDiv(x, y int64) (int64, error) {
	if y == 0 {
		return 0, errIntDivByZero
	}
	return x / y, nil
}

// ewFloatOnly is the integer path of a float-only op; ops.Infer never lets
// an integer dtype through, so reaching it means a caller skipped Infer.
func ewFloatOnly(int64, int64) (int64, error) {
	return 0, errors.New("integer dtypes are not supported")
}

// ewCompare makes the kernel of a comparison: f on float dtypes (so NaN
// compares false), g on integer and bool dtypes (exact in int64; bool as 0/1).
func ewCompare(f func(x, y float64) bool, g func(x, y int64) bool) kernel {
	return func(_ ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
		t, err := tensor.New(tensor.Bool, out[0].Shape...)
		if err != nil {
			return nil, err
		}
		res := tensor.MustView[bool](t)
		shapes := ewShapes(in[0], in[1])
		if in[0].DType().IsFloat() {
			av, bv := in[0].Float64s(), in[1].Float64s()
			ewBroadcast(out[0].Shape, shapes, func(o int, idx []int) { res[o] = f(av[idx[0]], bv[idx[1]]) })
		} else {
			av, bv := in[0].Int64s(), in[1].Int64s()
			ewBroadcast(out[0].Shape, shapes, func(o int, idx []int) { res[o] = g(av[idx[0]], bv[idx[1]]) })
		}
		return []*tensor.Tensor{t}, nil
	}
}

// ewLogical makes the kernel of a logical op over bool tensors.
func ewLogical(f func(x, y bool) bool) kernel {
	return func(_ ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
		t, err := tensor.New(tensor.Bool, out[0].Shape...)
		if err != nil {
			return nil, err
		}
		res := tensor.MustView[bool](t)
		av, bv := tensor.MustView[bool](in[0]), tensor.MustView[bool](in[1])
		ewBroadcast(out[0].Shape, ewShapes(in[0], in[1]), func(o int, idx []int) { res[o] = f(av[idx[0]], bv[idx[1]]) })
		return []*tensor.Tensor{t}, nil
	}
}

// ewPrelu is x for x >= 0 and slope·x otherwise; NaN x gives NaN.
func ewPrelu(_ ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	return single(ewMap2Float(out[0], in[0], in[1], func(x, s float64) float64 {
		if x >= 0 {
			return x
		}
		return s * x
	}))
}

// ewSelect picks x or y by cond over the 3-way broadcast of their shapes.
func ewSelect[T float64 | int64](out tensor.Shape, shapes []tensor.Shape, cond []bool, x, y []T) []T {
	res := make([]T, out.NumElements())
	ewBroadcast(out, shapes, func(o int, idx []int) {
		if cond[idx[0]] {
			res[o] = x[idx[1]]
		} else {
			res[o] = y[idx[2]]
		}
	})
	return res
}

// ewWhere computes where in float64 for float dtypes and int64 otherwise
// (bool as 0/1); both round-trip every value of their dtypes exactly.
func ewWhere(_ ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	cond, x, y := tensor.MustView[bool](in[0]), in[1], in[2]
	shapes := ewShapes(in...)
	if x.DType().IsFloat() {
		res := ewSelect(out[0].Shape, shapes, cond, x.Float64s(), y.Float64s())
		return single(tensor.FromFloat64s(out[0].DType, out[0].Shape, res))
	}
	res := ewSelect(out[0].Shape, shapes, cond, x.Int64s(), y.Int64s())
	return single(tensor.FromInt64s(out[0].DType, out[0].Shape, res))
}

// ewClipBound converts a float clip bound for integer dtype d: truncated
// toward zero, saturated to d's range (so ±Inf become the dtype's extremes).
func ewClipBound(b float64, d tensor.DType) int64 {
	lo, hi := tensor.IntRange(d)
	switch {
	case b <= float64(lo):
		return lo
	case b >= float64(hi):
		return hi
	}
	return int64(b)
}

// ewClip is min(max(x, min), max), so min > max yields max, as ONNX.
func ewClip(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	lo, hi := a.Float("min", math.Inf(-1)), a.Float("max", math.Inf(1))
	d := in[0].DType()
	if d.IsFloat() {
		v := in[0].Float64s()
		for i, x := range v {
			v[i] = math.Min(math.Max(x, lo), hi)
		}
		return single(tensor.FromFloat64s(out[0].DType, out[0].Shape, v))
	}
	ilo, ihi := ewClipBound(lo, d), ewClipBound(hi, d)
	v := in[0].Int64s()
	for i, x := range v {
		v[i] = min(max(x, ilo), ihi)
	}
	return single(tensor.FromInt64s(out[0].DType, out[0].Shape, v))
}

func init() {
	for _, name := range []string{"add", "sub", "mul", "div", "pow", "max", "min"} {
		chunkedBinary[name] = true
	}
	register("add", ewArith(func(x, y float64) float64 { return x + y }, ewInt(func(x, y int64) int64 { return x + y })))
	register("sub", ewArith(func(x, y float64) float64 { return x - y }, ewInt(func(x, y int64) int64 { return x - y })))
	register("mul", ewArith(func(x, y float64) float64 { return x * y }, ewInt(func(x, y int64) int64 { return x * y })))
	register("div", ewArith(func(x, y float64) float64 { return x / y }, ewIntDiv))
	register("pow", ewArith(math.Pow, ewFloatOnly))
	register("max", ewArith(math.Max, ewInt(func(x, y int64) int64 { return max(x, y) })))
	register("min", ewArith(math.Min, ewInt(func(x, y int64) int64 { return min(x, y) })))

	register("equal", ewCompare(func(x, y float64) bool { return x == y }, func(x, y int64) bool { return x == y }))
	register("less", ewCompare(func(x, y float64) bool { return x < y }, func(x, y int64) bool { return x < y }))
	register("less_equal", ewCompare(func(x, y float64) bool { return x <= y }, func(x, y int64) bool { return x <= y }))
	register("greater", ewCompare(func(x, y float64) bool { return x > y }, func(x, y int64) bool { return x > y }))
	register("greater_equal", ewCompare(func(x, y float64) bool { return x >= y }, func(x, y int64) bool { return x >= y }))

	register("and", ewLogical(func(x, y bool) bool { return x && y }))
	register("or", ewLogical(func(x, y bool) bool { return x || y }))
	register("xor", ewLogical(func(x, y bool) bool { return x != y }))

	register("prelu", ewPrelu)
	register("where", ewWhere)
	register("clip", ewClip)
	register("cast", func(_ ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
		return single(in[0].AsType(out[0].DType))
	})
	register("identity", func(_ ops.Attrs, in []*tensor.Tensor, _ []ops.Type) ([]*tensor.Tensor, error) {
		return []*tensor.Tensor{in[0].Clone()}, nil
	})
}
