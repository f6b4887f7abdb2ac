package optest

import (
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Cases for the trigonometric and hyperbolic functions, round, is_nan,
// is_inf, mod and the bitwise ops, from exact values of the functions
// (sin π/6 = 1/2, sinh ln 2 = (2 − 1/2)/2 = 3/4, atanh 0.6 = ½ ln(1.6/0.4) =
// ln 2, ...) and integer arithmetic done by hand.

func init() {
	pi, ln2 := math.Pi, math.Ln2
	inf, nan := math.Inf(1), math.NaN()
	f64 := func(vals ...float64) *tensor.Tensor { return ewF(tensor.Float64, []int{len(vals)}, vals...) }
	f32 := func(vals ...float64) *tensor.Tensor { return ewF32([]int{len(vals)}, vals...) }
	u8 := func(vals ...uint8) *tensor.Tensor { return tensor.MustFromSlice(vals, len(vals)) }
	i32 := func(vals ...int32) *tensor.Tensor { return tensor.MustFromSlice(vals, len(vals)) }
	bools := func(vals ...bool) *tensor.Tensor { return tensor.MustFromSlice(vals, len(vals)) }
	bin := func(name, op string, a ops.Attrs, x, y, want *tensor.Tensor) Case {
		return Case{Name: name, Op: op, Attrs: a, Inputs: ewIn(x, y), Want: ewOut(want)}
	}
	Register(
		ewUnaryCase("sin/exact", "sin", nil, f64(0, pi/6, pi/2, -pi/2), f64(0, 0.5, 1, -1)),
		ewUnaryCase("cos/exact", "cos", nil, f64(0, pi/3, pi), f64(1, 0.5, -1)),
		ewUnaryCase("tan/exact", "tan", nil, f64(0, pi/4, -pi/4), f64(0, 1, -1)),
		ewUnaryCase("asin/exact", "asin", nil, f64(0, 0.5, 1, -1, 2), f64(0, pi/6, pi/2, -pi/2, nan)),
		ewUnaryCase("acos/exact", "acos", nil, f64(1, 0.5, -1, 0), f64(0, pi/3, pi, pi/2)),
		ewUnaryCase("atan/exact", "atan", nil, f64(0, 1, -1, math.Sqrt(3), inf, -inf), f64(0, pi/4, -pi/4, pi/3, pi/2, -pi/2)),
		ewUnaryCase("atan/float32", "atan", nil, f32(1, 1/math.Sqrt(3), 1e6), f32(pi/4, pi/6, pi/2-1e-6)),
		ewUnaryCase("sinh/exact", "sinh", nil, f64(0, ln2, -ln2), f64(0, 0.75, -0.75)),
		ewUnaryCase("cosh/exact", "cosh", nil, f64(0, ln2, -ln2), f64(1, 1.25, 1.25)),
		ewUnaryCase("asinh/exact", "asinh", nil, f64(0, 0.75, -0.75), f64(0, ln2, -ln2)),
		ewUnaryCase("acosh/exact", "acosh", nil, f64(1, 1.25, 0.5), f64(0, ln2, nan)),
		ewUnaryCase("atanh/exact", "atanh", nil, f64(0, 0.6, -0.6, 1), f64(0, ln2, -ln2, inf)),
		// Halves go to the even neighbour.
		ewUnaryCase("round/half_even", "round", nil, f32(0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6, nan, inf),
			f32(0, 2, 2, 0, -2, 2, -3, nan, inf)),
		ewUnaryCase("is_nan/basic", "is_nan", nil, f32(1, nan, inf, 0), bools(false, true, false, false)),
		ewUnaryCase("is_inf/both", "is_inf", nil, f32(1, inf, -inf, nan), bools(false, true, true, false)),
		ewUnaryCase("is_inf/positive_only", "is_inf", ops.Attrs{"detect_negative": 0}, f32(1, inf, -inf, nan),
			bools(false, true, false, false)),
		// Python's %: −4 % 3 = 2, 7 % −3 = −2; C's fmod: −4 fmod 3 = −1, 7 fmod −3 = 1.
		bin("mod/python_sign", "mod", nil, i32(-4, 7, 5, -3, -7), i32(3, -3, 3, -3, -1), i32(2, -2, 2, 0, 0)),
		bin("mod/fmod_int", "mod", ops.Attrs{"fmod": 1}, i32(-4, 7, 5, -3), i32(3, -3, 3, -3), i32(-1, 1, 2, 0)),
		bin("mod/fmod_float", "mod", ops.Attrs{"fmod": 1}, f32(5.5, -5.5, 7), f32(2, 2, -4), f32(1.5, -1.5, 3)),
		bin("mod/broadcast_uint8", "mod", nil, u8(7, 8, 9), tensor.MustFromSlice([]uint8{4}, 1), u8(3, 0, 1)),
		// 12 = 0b1100, 10 = 0b1010, 6 = 0b0110.
		bin("bitwise_and/uint8", "bitwise_and", nil, u8(12, 10), u8(10, 6), u8(8, 2)),
		bin("bitwise_or/uint8", "bitwise_or", nil, u8(12, 10), u8(10, 6), u8(14, 14)),
		bin("bitwise_xor/int32", "bitwise_xor", nil, i32(12, 10, -1), i32(10, 6, 5), i32(6, 12, -6)),
		ewUnaryCase("bitwise_not/int8", "bitwise_not", nil, tensor.MustFromSlice([]int8{0, -1, 5}, 3),
			tensor.MustFromSlice([]int8{-1, 0, -6}, 3)),
		ewUnaryCase("bitwise_not/uint8", "bitwise_not", nil, u8(0, 5), u8(255, 250)),
		// 3 << 7 = 384 keeps its low byte, 128; a shift by the width clears.
		bin("bit_shift/left", "bit_shift", ops.Attrs{"direction": "LEFT"}, u8(1, 3, 255, 1), u8(1, 7, 1, 8), u8(2, 128, 254, 0)),
		bin("bit_shift/right", "bit_shift", ops.Attrs{"direction": "RIGHT"}, u8(16, 255, 7, 9), u8(2, 8, 1, 0), u8(4, 0, 3, 9)),
	)
	var random []RandomCase
	for _, op := range []string{"sin", "cos", "tan", "atan", "sinh", "cosh", "asinh", "round"} {
		random = append(random, RandomCase{Name: op + "/random", Op: op,
			Inputs: []Input{{DType: tensor.Float32, Shape: tensor.Shape{3, 5}, Lo: -3, Hi: 3}}})
	}
	for _, op := range []string{"asin", "acos", "atanh"} {
		random = append(random, RandomCase{Name: op + "/random", Op: op,
			Inputs: []Input{{DType: tensor.Float32, Shape: tensor.Shape{3, 5}, Lo: -0.99, Hi: 0.99}}})
	}
	random = append(random, RandomCase{Name: "acosh/random", Op: "acosh",
		Inputs: []Input{{DType: tensor.Float32, Shape: tensor.Shape{3, 5}, Lo: 1, Hi: 10}}})
	RegisterRandom(random...)
}

// Cases over the 16-, 32- and 64-bit integer dtypes.
func init() {
	i16 := func(v ...int16) *tensor.Tensor { return tensor.MustFromSlice(v, len(v)) }
	u16 := func(v ...uint16) *tensor.Tensor { return tensor.MustFromSlice(v, len(v)) }
	u32 := func(v ...uint32) *tensor.Tensor { return tensor.MustFromSlice(v, len(v)) }
	u64 := func(v ...uint64) *tensor.Tensor { return tensor.MustFromSlice(v, len(v)) }
	Register(
		// 32767 + 1 wraps to −32768
		Case{Name: "add/int16_wrap", Op: "add", Inputs: ewIn(i16(32767, -5), i16(1, 3)), Want: ewOut(i16(-32768, -2))},
		Case{Name: "sub/uint16_wrap", Op: "sub", Inputs: ewIn(u16(0, 9), u16(1, 4)), Want: ewOut(u16(65535, 5))},
		Case{Name: "mul/uint32", Op: "mul", Inputs: ewIn(u32(65536, 7), u32(65536, 6)), Want: ewOut(u32(0, 42))},
		// 2^63 is above int64's range: the right shift must be logical.
		Case{Name: "bit_shift/uint64_right_high_bit", Op: "bit_shift", Attrs: ops.Attrs{"direction": "RIGHT"},
			Inputs: ewIn(u64(1<<63, 12), u64(62, 2)), Want: ewOut(u64(2, 3))},
		Case{Name: "bitwise_xor/uint64", Op: "bitwise_xor", Inputs: ewIn(u64(1<<63|5, 3), u64(5, 3)), Want: ewOut(u64(1<<63, 0))},
		// −1 in int8 is 0xff; 65535 in uint16 is −1 in int16.
		Case{Name: "bitcast/int8_uint8", Op: "bitcast", Attrs: ops.Attrs{"to": "uint8"},
			Inputs: ewIn(tensor.MustFromSlice([]int8{-1, 5}, 2)), Want: ewOut(tensor.MustFromSlice([]uint8{255, 5}, 2))},
		Case{Name: "bitcast/uint16_int16", Op: "bitcast", Attrs: ops.Attrs{"to": "int16"},
			Inputs: ewIn(u16(65535, 1)), Want: ewOut(i16(-1, 1))},
		Case{Name: "mod/uint16", Op: "mod", Inputs: ewIn(u16(65535, 7), u16(256, 7)), Want: ewOut(u16(255, 0))},
	)
}
