package optest

import (
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Hand-computed cases for the elementwise family, part 2: binary arithmetic
// with broadcasting, comparisons, logical ops, prelu, where, clip, cast and
// identity. Helpers are in elementwise.go.

// ewBinaryCase is a case of a two-input op.
func ewBinaryCase(name, op string, a, b, want *tensor.Tensor) Case {
	return Case{Name: name, Op: op, Inputs: ewIn(a, b), Want: ewOut(want)}
}

func init() {
	s := []int{}
	v2, v3, v4 := []int{2}, []int{3}, []int{4}
	m23 := []int{2, 3}
	f64, f16 := tensor.Float64, tensor.Float16
	Register(
		ewBinaryCase("add/basic", "add", ewF32([]int{2, 2}, 1, 2, 3, 4), ewF32([]int{2, 2}, 10, 20, 30, 40),
			ewF32([]int{2, 2}, 11, 22, 33, 44)),
		// row: [2,3] + [3] adds b to each row (rank mismatch, b gets a leading 1)
		ewBinaryCase("add/broadcast_row", "add", ewF32(m23, 1, 2, 3, 4, 5, 6), ewF32(v3, 10, 20, 30),
			ewF32(m23, 11, 22, 33, 14, 25, 36)),
		// the lower-rank input first: [3] + [2,3]
		ewBinaryCase("add/broadcast_row_first", "add", ewF32(v3, 10, 20, 30), ewF32(m23, 1, 2, 3, 4, 5, 6),
			ewF32(m23, 11, 22, 33, 14, 25, 36)),
		// column: [2,3] + [2,1] adds 100 to row 0 and 200 to row 1
		ewBinaryCase("add/broadcast_col", "add", ewF32(m23, 1, 2, 3, 4, 5, 6), ewF32([]int{2, 1}, 100, 200),
			ewF32(m23, 101, 102, 103, 204, 205, 206)),
		ewBinaryCase("add/broadcast_scalar", "add", ewF32(m23, 1, 2, 3, 4, 5, 6), ewF32(s, 0.5),
			ewF32(m23, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5)),
		// outer: [2,1] + [1,3] → [2,3], out[i][j] = a[i] + b[j]
		ewBinaryCase("add/broadcast_outer", "add", ewF32([]int{2, 1}, 10, 20), ewF32([]int{1, 3}, 1, 2, 3),
			ewF32(m23, 11, 12, 13, 21, 22, 23)),
		// rank 3 vs rank 2: [2,1,2] + [3,1] → [2,3,2], out[i][j][k] = a[i][0][k] + b[j][0]
		ewBinaryCase("add/broadcast_rank3", "add", ewF32([]int{2, 1, 2}, 1, 2, 3, 4), ewF32([]int{3, 1}, 10, 20, 30),
			ewF32([]int{2, 3, 2}, 11, 12, 21, 22, 31, 32, 13, 14, 23, 24, 33, 34)),
		ewBinaryCase("add/zero_size", "add", ewF32([]int{0, 3}), ewF32([]int{1, 3}, 1, 2, 3), ewF32([]int{0, 3})),
		ewBinaryCase("add/scalars", "add", ewF32(s, 2), ewF32(s, 3), ewF32(s, 5)),
		ewBinaryCase("add/int32", "add", ewI32(m23, 1, 2, 3, 4, 5, 6), ewI32(v3, -1, 0, 1),
			ewI32(m23, 0, 2, 4, 3, 5, 7)),
		// int32 wraps: 2147483647 + 1 = −2147483648
		ewBinaryCase("add/int32_wrap", "add", ewI32(v2, 2147483647, 5), ewI32(v2, 1, 5), ewI32(v2, -2147483648, 10)),
		// int64 exact beyond 2^53: 9007199254740993 + 1 = 9007199254740994
		ewBinaryCase("add/int64", "add", ewI64(v2, 9007199254740993, -4), ewI64(s, 1), ewI64(v2, 9007199254740994, -3)),
		ewBinaryCase("add/float64", "add", ewF(f64, v2, 0.1, 1e300), ewF(f64, v2, 0.2, 1e300),
			ewF(f64, v2, 0.30000000000000004, 2e300)),
		ewBinaryCase("add/float16", "add", ewF(f16, v2, 1, 0.5), ewF(f16, v2, 2, 0.25), ewF(f16, v2, 3, 0.75)),

		ewBinaryCase("sub/basic", "sub", ewF32(v3, 5, 1, 0), ewF32(v3, 2, 3, -1), ewF32(v3, 3, -2, 1)),
		ewBinaryCase("sub/broadcast_col", "sub", ewF32(m23, 1, 2, 3, 4, 5, 6), ewF32([]int{2, 1}, 1, 4),
			ewF32(m23, 0, 1, 2, 0, 1, 2)),
		ewBinaryCase("sub/int32", "sub", ewI32(v3, 5, 1, 0), ewI32(v3, 2, 3, -1), ewI32(v3, 3, -2, 1)),
		ewBinaryCase("sub/int64", "sub", ewI64(v2, 10, -10), ewI64(s, 3), ewI64(v2, 7, -13)),

		ewBinaryCase("mul/basic", "mul", ewF32(v3, 2, -3, 0.5), ewF32(v3, 4, 2, 8), ewF32(v3, 8, -6, 4)),
		ewBinaryCase("mul/broadcast_outer", "mul", ewF32([]int{2, 1}, 2, 3), ewF32([]int{1, 3}, 1, 10, 100),
			ewF32(m23, 2, 20, 200, 3, 30, 300)),
		ewBinaryCase("mul/int32", "mul", ewI32(v3, 2, -3, 7), ewI32(v3, 4, 2, 0), ewI32(v3, 8, -6, 0)),
		ewBinaryCase("mul/int64", "mul", ewI64(v2, 1<<31, -5), ewI64(v2, 1<<31, 5), ewI64(v2, 1<<62, -25)),
		ewBinaryCase("mul/float64", "mul", ewF(f64, v2, 1.5, -2), ewF(f64, v2, 4, 0.25), ewF(f64, v2, 6, -0.5)),

		// float: 7/2 = 3.5, −7/2 = −3.5, 1/0 = +Inf, −1/0 = −Inf, 0/0 = NaN
		ewBinaryCase("div/basic", "div", ewF32([]int{5}, 7, -7, 1, -1, 0), ewF32([]int{5}, 2, 2, 0, 0, 0),
			ewF32([]int{5}, 3.5, -3.5, ewInf, -ewInf, ewNaN)),
		// integers truncate toward zero: 7/2 = 3, −7/2 = −3, 7/−2 = −3, −7/−2 = 3, 1/3 = 0
		ewBinaryCase("div/int32_truncate", "div", ewI32([]int{5}, 7, -7, 7, -7, 1), ewI32([]int{5}, 2, 2, -2, -2, 3),
			ewI32([]int{5}, 3, -3, -3, 3, 0)),
		ewBinaryCase("div/int64_truncate", "div", ewI64(v3, -7, 9, -1), ewI64(s, 2), ewI64(v3, -3, 4, 0)),
		ewBinaryCase("div/float16", "div", ewF(f16, v2, 1, 3), ewF(f16, v2, 4, 2), ewF(f16, v2, 0.25, 1.5)),
		// an integer zero divisor in an empty output is never used, so no error
		ewBinaryCase("div/int32_zero_size", "div", ewI32([]int{0, 2}), ewI32(v2, 0, 0), ewI32([]int{0, 2})),

		// 2^3 = 8, 4^0.5 = 2, 9^0.5 = 3, 2^−1 = 0.5, (−1)^0.5 = NaN
		ewBinaryCase("pow/basic", "pow", ewF32([]int{5}, 2, 4, 9, 2, -1), ewF32([]int{5}, 3, 0.5, 0.5, -1, 0.5),
			ewF32([]int{5}, 8, 2, 3, 0.5, ewNaN)),
		ewBinaryCase("pow/broadcast_scalar", "pow", ewF32(v3, 1, 2, 3), ewF32(s, 2), ewF32(v3, 1, 4, 9)),
		ewBinaryCase("pow/float64", "pow", ewF(f64, v2, 2, 10), ewF(f64, v2, 10, -2), ewF(f64, v2, 1024, 0.01)),

		// NaN in either operand propagates
		ewBinaryCase("max/basic", "max", ewF32(v4, 1, 5, ewNaN, 2), ewF32(v4, 3, 2, 1, ewNaN), ewF32(v4, 3, 5, ewNaN, ewNaN)),
		ewBinaryCase("max/int32", "max", ewI32(m23, 1, 5, -3, 0, 7, -8), ewI32(v3, 2, 2, -4),
			ewI32(m23, 2, 5, -3, 2, 7, -4)),
		ewBinaryCase("max/int64", "max", ewI64(v2, -1, 1<<40), ewI64(v2, 0, 1<<40+1), ewI64(v2, 0, 1<<40+1)),
		ewBinaryCase("min/basic", "min", ewF32(v4, 1, 5, ewNaN, 2), ewF32(v4, 3, 2, 1, ewNaN), ewF32(v4, 1, 2, ewNaN, ewNaN)),
		ewBinaryCase("min/int32", "min", ewI32(m23, 1, 5, -3, 0, 7, -8), ewI32(v3, 2, 2, -4),
			ewI32(m23, 1, 2, -4, 0, 2, -8)),
		ewBinaryCase("min/int64", "min", ewI64(v2, -1, 1<<40), ewI64(v2, 0, 1<<40+1), ewI64(v2, -1, 1<<40)),
		ewBinaryCase("min/float16", "min", ewF(f16, v2, 1.5, -2), ewF(f16, s, 0), ewF(f16, v2, 0, -2)),

		// prelu: per-row slope [2,1] broadcast to x [2,3]: −1·0.1, −3·0.1, −5·0.5
		Case{Name: "prelu/broadcast_col", Op: "prelu",
			Inputs: ewIn(ewF32(m23, -1, 2, -3, 4, -5, 0), ewF32([]int{2, 1}, 0.1, 0.5)),
			Want:   ewOut(ewF32(m23, -0.1, 2, -0.3, 4, -2.5, 0))},
		// per-column slope [3]: −2·1, −2·2, −2·3
		Case{Name: "prelu/broadcast_row", Op: "prelu",
			Inputs: ewIn(ewF32(m23, -2, -2, -2, 1, 1, 1), ewF32(v3, 1, 2, 3)),
			Want:   ewOut(ewF32(m23, -2, -4, -6, 1, 1, 1))},
		Case{Name: "prelu/scalar_slope", Op: "prelu",
			Inputs: ewIn(ewF(f64, v3, -4, 0, 4), ewF(f64, s, 0.25)),
			Want:   ewOut(ewF(f64, v3, -1, 0, 4))},
	)

	// comparisons: a = [1, 2, 3, NaN], b = [2, 2, 2, 1]; NaN compares false
	ca, cb := ewF32(v4, 1, 2, 3, ewNaN), ewF32(v4, 2, 2, 2, 1)
	Register(
		ewBinaryCase("less/basic", "less", ca, cb, ewB(v4, true, false, false, false)),
		ewBinaryCase("less_equal/basic", "less_equal", ca, cb, ewB(v4, true, true, false, false)),
		ewBinaryCase("greater/basic", "greater", ca, cb, ewB(v4, false, false, true, false)),
		ewBinaryCase("greater_equal/basic", "greater_equal", ca, cb, ewB(v4, false, true, true, false)),
		ewBinaryCase("equal/basic", "equal", ca, cb, ewB(v4, false, true, false, false)),
		// NaN == NaN is false
		ewBinaryCase("equal/nan", "equal", ewF32(v2, ewNaN, 0), ewF32(v2, ewNaN, ewNegZero), ewB(v2, false, true)),
		ewBinaryCase("equal/bool", "equal", ewB(v4, true, false, true, false), ewB(v4, true, true, false, false),
			ewB(v4, true, false, false, true)),
		ewBinaryCase("equal/int32_broadcast", "equal", ewI32(m23, 1, 2, 3, 3, 2, 1), ewI32(v3, 1, 2, 1),
			ewB(m23, true, true, false, false, true, true)),
		// int64 compares exactly: 2^53+1 and 2^53 are equal as float64 but not as int64
		ewBinaryCase("greater/int64_exact", "greater", ewI64(v2, 9007199254740993, 5), ewI64(v2, 9007199254740992, 5),
			ewB(v2, true, false)),
		ewBinaryCase("equal/int64_exact", "equal", ewI64(v2, 9007199254740993, 5), ewI64(v2, 9007199254740992, 5),
			ewB(v2, false, true)),
		ewBinaryCase("less/int32_broadcast", "less", ewI32([]int{2, 1}, 0, 5), ewI32([]int{1, 3}, -1, 3, 7),
			ewB(m23, false, true, true, false, false, true)),
		ewBinaryCase("greater_equal/float64", "greater_equal", ewF(f64, v2, 1, 1), ewF(f64, v2, 1, 1.0000000000000002),
			ewB(v2, true, false)),
		ewBinaryCase("less/zero_size", "less", ewF32([]int{0}), ewF32(s, 1), ewB([]int{0})),

		// logical: a = [T T F F], b = [T F T F]
		ewBinaryCase("and/basic", "and", ewB(v4, true, true, false, false), ewB(v4, true, false, true, false),
			ewB(v4, true, false, false, false)),
		ewBinaryCase("or/basic", "or", ewB(v4, true, true, false, false), ewB(v4, true, false, true, false),
			ewB(v4, true, true, true, false)),
		ewBinaryCase("xor/basic", "xor", ewB(v4, true, true, false, false), ewB(v4, true, false, true, false),
			ewB(v4, false, true, true, false)),
		// outer [2,1] & [1,2]: out[i][j] = a[i] && b[j]
		ewBinaryCase("and/broadcast_outer", "and", ewB([]int{2, 1}, true, false), ewB([]int{1, 2}, true, false),
			ewB([]int{2, 2}, true, false, false, false)),
		ewBinaryCase("or/broadcast_scalar", "or", ewB(v2, true, false), ewB(s, false), ewB(v2, true, false)),
	)

	Register(
		Case{Name: "where/basic", Op: "where",
			Inputs: ewIn(ewB(v3, true, false, true), ewF32(v3, 1, 2, 3), ewF32(v3, 10, 20, 30)),
			Want:   ewOut(ewF32(v3, 1, 20, 3))},
		// condition [2,1], x [1,3], y scalar → [2,3]: row 0 takes x, row 1 takes y
		Case{Name: "where/broadcast", Op: "where",
			Inputs: ewIn(ewB([]int{2, 1}, true, false), ewF32([]int{1, 3}, 1, 2, 3), ewF32(s, 0)),
			Want:   ewOut(ewF32(m23, 1, 2, 3, 0, 0, 0))},
		// condition [3] picks per column from x [2,3] or y [2,1]
		Case{Name: "where/broadcast_cond_row", Op: "where",
			Inputs: ewIn(ewB(v3, true, false, true), ewI64(m23, 1, 2, 3, 4, 5, 6), ewI64([]int{2, 1}, -1, -2)),
			Want:   ewOut(ewI64(m23, 1, -1, 3, 4, -2, 6))},
		Case{Name: "where/int32", Op: "where",
			Inputs: ewIn(ewB(v2, false, true), ewI32(v2, 7, 8), ewI32(v2, -7, -8)),
			Want:   ewOut(ewI32(v2, -7, 8))},
		Case{Name: "where/bool", Op: "where",
			Inputs: ewIn(ewB(v2, false, true), ewB(v2, true, true), ewB(v2, false, false)),
			Want:   ewOut(ewB(v2, false, true))},
		Case{Name: "where/float16", Op: "where",
			Inputs: ewIn(ewB(v2, true, false), ewF(f16, v2, 0.5, 1), ewF(f16, v2, 2, 4)),
			Want:   ewOut(ewF(f16, v2, 0.5, 4))},
		Case{Name: "where/zero_size", Op: "where",
			Inputs: ewIn(ewB([]int{0, 1}), ewF32(v3, 1, 2, 3), ewF32(s, 0)),
			Want:   ewOut(ewF32([]int{0, 3}))},

		// clip: min(max(x, −1), 1); NaN stays NaN
		Case{Name: "clip/basic", Op: "clip", Attrs: ops.Attrs{"min": -1.0, "max": 1.0},
			Inputs: ewIn(ewF32(v4, -2, 0.5, 3, ewNaN)), Want: ewOut(ewF32(v4, -1, 0.5, 1, ewNaN))},
		Case{Name: "clip/only_min", Op: "clip", Attrs: ops.Attrs{"min": 0.0},
			Inputs: ewIn(ewF32(v3, -2, 0.5, 1e30)), Want: ewOut(ewF32(v3, 0, 0.5, 1e30))},
		Case{Name: "clip/only_max", Op: "clip", Attrs: ops.Attrs{"max": 6.0},
			Inputs: ewIn(ewF32(v3, -1e30, 5, 7)), Want: ewOut(ewF32(v3, -1e30, 5, 6))},
		Case{Name: "clip/no_bounds", Op: "clip",
			Inputs: ewIn(ewF32(v2, -ewInf, 3)), Want: ewOut(ewF32(v2, -ewInf, 3))},
		// min > max: max(x, 2) is at least 2, then min(·, 1) = 1 everywhere (ONNX's order)
		Case{Name: "clip/min_above_max", Op: "clip", Attrs: ops.Attrs{"min": 2.0, "max": 1.0},
			Inputs: ewIn(ewF32(v3, 0, 1.5, 3)), Want: ewOut(ewF32(v3, 1, 1, 1))},
		// int bounds truncate toward zero: −1.5 → −1, 2.7 → 2
		Case{Name: "clip/int32", Op: "clip", Attrs: ops.Attrs{"min": -1.5, "max": 2.7},
			Inputs: ewIn(ewI32([]int{5}, -5, -1, 0, 2, 5)), Want: ewOut(ewI32([]int{5}, -1, -1, 0, 2, 2))},
		Case{Name: "clip/int64_only_min", Op: "clip", Attrs: ops.Attrs{"min": 0.0},
			Inputs: ewIn(ewI64(v3, -5, 3, 1<<60)), Want: ewOut(ewI64(v3, 0, 3, 1<<60))},
		// bounds beyond int8's range saturate to it rather than wrapping
		Case{Name: "clip/int8_saturating_bounds", Op: "clip", Attrs: ops.Attrs{"min": -1000.0, "max": 1000.0},
			Inputs: ewIn(tensor.MustFromSlice([]int8{-128, 0, 127}, 3)), Want: ewOut(tensor.MustFromSlice([]int8{-128, 0, 127}, 3))},
		Case{Name: "clip/float16", Op: "clip", Attrs: ops.Attrs{"min": 0.0, "max": 6.0},
			Inputs: ewIn(ewF(f16, v3, -1, 3.5, 10)), Want: ewOut(ewF(f16, v3, 0, 3.5, 6))},

		// float→int truncates toward zero; NaN → 0
		Case{Name: "cast/float32_to_int32", Op: "cast", Attrs: ops.Attrs{"to": "int32"},
			Inputs: ewIn(ewF32([]int{5}, 1.9, -1.9, 0, ewNaN, 100)), Want: ewOut(ewI32([]int{5}, 1, -1, 0, 0, 100))},
		Case{Name: "cast/int32_to_float32", Op: "cast", Attrs: ops.Attrs{"to": "float32"},
			Inputs: ewIn(ewI32(v3, 1, -2, 16777216)), Want: ewOut(ewF32(v3, 1, -2, 16777216))},
		Case{Name: "cast/int64_to_float64", Op: "cast", Attrs: ops.Attrs{"to": "float64"},
			Inputs: ewIn(ewI64(v2, -3, 1<<52)), Want: ewOut(ewF(f64, v2, -3, 1<<52))},
		// →bool is x != 0: −0 is false, NaN is true
		Case{Name: "cast/float32_to_bool", Op: "cast", Attrs: ops.Attrs{"to": "bool"},
			Inputs: ewIn(ewF32(v4, 0, 1.5, ewNegZero, ewNaN)), Want: ewOut(ewB(v4, false, true, false, true))},
		Case{Name: "cast/bool_to_int64", Op: "cast", Attrs: ops.Attrs{"to": "int64"},
			Inputs: ewIn(ewB(v2, true, false)), Want: ewOut(ewI64(v2, 1, 0))},
		// float16's nearest to 0.1 is 0.0999755859375 (0x2E66); 65504 is its largest finite; 1e5 overflows to +Inf
		Case{Name: "cast/float32_to_float16", Op: "cast", Attrs: ops.Attrs{"to": "float16"},
			Inputs: ewIn(ewF32(v4, 1, 0.1, 65504, 1e5)), Want: ewOut(ewF(f16, v4, 1, 0.0999755859375, 65504, ewInf)),
			Tol: tensor.Tolerance{ATol: 1e-6}}, // far below float16's spacing: the rounding must be exact
		// float32(0.1) widens exactly to 0.100000001490116119384765625
		Case{Name: "cast/float32_to_float64", Op: "cast", Attrs: ops.Attrs{"to": "float64"},
			Inputs: ewIn(ewF32(v2, 0.1, -2)), Want: ewOut(ewF(f64, v2, 0.100000001490116119384765625, -2))},
		// int64 → int32 keeps the low 32 bits (tensor.AsType): 2^32+1 → 1
		Case{Name: "cast/int64_to_int32", Op: "cast", Attrs: ops.Attrs{"to": "int32"},
			Inputs: ewIn(ewI64(v2, 1<<32+1, -5)), Want: ewOut(ewI32(v2, 1, -5))},
		Case{Name: "cast/same_dtype", Op: "cast", Attrs: ops.Attrs{"to": "float32"},
			Inputs: ewIn(ewF32(v2, 1.5, -2)), Want: ewOut(ewF32(v2, 1.5, -2))},

		Case{Name: "identity/float32", Op: "identity", Inputs: ewIn(ewF32(m23, 1, 2, 3, 4, 5, ewNaN)),
			Want: ewOut(ewF32(m23, 1, 2, 3, 4, 5, ewNaN))},
		Case{Name: "identity/int64", Op: "identity", Inputs: ewIn(ewI64(v2, 1<<62, -1)), Want: ewOut(ewI64(v2, 1<<62, -1))},
		Case{Name: "identity/bool_scalar", Op: "identity", Inputs: ewIn(ewB(s, true)), Want: ewOut(ewB(s, true))},
	)
}
