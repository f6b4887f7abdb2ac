package reference

import (
	"errors"
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Kernels of the trigonometric and hyperbolic functions, round, is_nan,
// is_inf, mod and the bitwise ops (ops/elementwise_math.go).

// errIntModByZero is the error of an integer remainder by zero.
var errIntModByZero = errors.New("integer remainder by zero")

func init() {
	for op, f := range map[string]func(float64) float64{
		"sin": math.Sin, "cos": math.Cos, "tan": math.Tan, "asin": math.Asin, "acos": math.Acos, "atan": math.Atan,
		"sinh": math.Sinh, "cosh": math.Cosh, "asinh": math.Asinh, "acosh": math.Acosh, "atanh": math.Atanh,
		"round": math.RoundToEven,
	} {
		register(op, ewUnaryFloat(ewFixed(f)))
	}
	register("is_nan", ewClassify(func(ops.Attrs) func(float64) bool { return math.IsNaN }))
	register("is_inf", ewClassify(func(a ops.Attrs) func(float64) bool {
		pos, neg := a.Int("detect_positive", 1) == 1, a.Int("detect_negative", 1) == 1
		return func(x float64) bool { return (pos && math.IsInf(x, 1)) || (neg && math.IsInf(x, -1)) }
	}))
	register("mod", ewMod)
	register("bitwise_and", ewArith(ewFloatOnlyF, ewInt(func(x, y int64) int64 { return x & y })))
	register("bitwise_or", ewArith(ewFloatOnlyF, ewInt(func(x, y int64) int64 { return x | y })))
	register("bitwise_xor", ewArith(ewFloatOnlyF, ewInt(func(x, y int64) int64 { return x ^ y })))
	register("bitwise_not", func(_ ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
		v := in[0].Int64s()
		for i, x := range v {
			v[i] = ^x // narrowing to the dtype's width keeps the low bits: the complement there
		}
		return single(tensor.FromInt64s(out[0].DType, out[0].Shape, v))
	})
	register("bit_shift", func(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
		left := a.String("direction", "") == ops.BitShiftLeft
		return single(ewMap2Int(out[0], in[0], in[1], func(x, y int64) (int64, error) {
			// Unsigned operands (uint64 as its bit pattern): shifts are
			// logical; Go gives 0 for shifts of 64 or more, and narrowing
			// drops the bits shifted beyond the dtype's width.
			if left {
				return int64(uint64(x) << uint64(y)), nil
			}
			return int64(uint64(x) >> uint64(y)), nil
		}))
	})
}

// ewFloatOnlyF is the float path of an integer-only op, never reached after Infer.
func ewFloatOnlyF(x, _ float64) float64 { return math.NaN() }

func ewClassify(mk func(ops.Attrs) func(float64) bool) kernel {
	return func(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
		f := mk(a)
		v := in[0].Float64s()
		res := make([]bool, len(v))
		for i, x := range v {
			res[i] = f(x)
		}
		t, err := tensor.FromSlice(res, out[0].Shape...)
		return single(t, err)
	}
}

// ewMod is fmod (the dividend's sign; math.Mod, Go's % on integers) or,
// with fmod=0, the divisor's sign (Python's %).
func ewMod(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	if in[0].DType().IsFloat() {
		return single(ewMap2Float(out[0], in[0], in[1], math.Mod))
	}
	fmod := a.Int("fmod", 0) == 1
	return single(ewMap2Int(out[0], in[0], in[1], func(x, y int64) (int64, error) {
		if y == 0 {
			return 0, errIntModByZero
		}
		if y == -1 {
			return 0, nil // also avoids MinInt64 % −1, which Go defines but some engines trap
		}
		r := x % y
		if !fmod && r != 0 && (r < 0) != (y < 0) {
			r += y
		}
		return r, nil
	}))
}
