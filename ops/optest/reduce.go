package optest

import (
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Cases for reduce_sum, reduce_prod, reduce_max, reduce_min, reduce_mean,
// argmax and argmin.

// reduceF32 builds a float32 tensor of the given shape (nil: a scalar).
func reduceF32(shape []int, vals ...float32) *tensor.Tensor {
	if shape == nil {
		shape = []int{}
	}
	return tensor.MustFromSlice(vals, shape...)
}

// reduceI32 builds an int32 tensor of the given shape (nil: a scalar).
func reduceI32(shape []int, vals ...int32) *tensor.Tensor {
	if shape == nil {
		shape = []int{}
	}
	return tensor.MustFromSlice(vals, shape...)
}

// reduceI64 builds an int64 tensor of the given shape (nil: a scalar).
func reduceI64(shape []int, vals ...int64) *tensor.Tensor {
	if shape == nil {
		shape = []int{}
	}
	return tensor.MustFromSlice(vals, shape...)
}

// reduceOf builds a tensor of dtype d from float64 literals (for float16 and
// float64 cases, and narrow integer dtypes); every literal used is exact in d.
func reduceOf(d tensor.DType, shape []int, vals ...float64) *tensor.Tensor {
	t, err := tensor.FromFloat64s(d, shape, vals)
	if err != nil {
		panic(err)
	}
	return t
}

// reduceX23 is [[1 2 3] [4 5 6]], the input of most reduction cases.
func reduceX23() *tensor.Tensor { return reduceF32([]int{2, 3}, 1, 2, 3, 4, 5, 6) }

// reduceX223 is 1…12 in shape [2 2 3]: x[i][j][k] = 6i + 3j + k + 1.
func reduceX223() *tensor.Tensor {
	return reduceF32([]int{2, 2, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
}

// reduceSigned223 is a [2 2 3] input with mixed signs for max/min:
// [[[1 -2 3] [-4 5 -6]] [[7 -8 9] [-10 11 -12]]].
func reduceSigned223() *tensor.Tensor {
	return reduceF32([]int{2, 2, 3}, 1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12)
}

// reduceAxes is shorthand for an axes/keepdims attribute set.
func reduceAxes(keepdims int, axes ...int) ops.Attrs {
	return ops.Attrs{"axes": axes, "keepdims": keepdims}
}

func init() {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())

	Register(
		// reduce_sum
		Case{Name: "reduce_sum/all_axes_default", Op: "reduce_sum", // 1+…+6 = 21, keepdims defaults to 1
			Inputs: []*tensor.Tensor{reduceX23()}, Want: []*tensor.Tensor{reduceF32([]int{1, 1}, 21)}},
		Case{Name: "reduce_sum/all_axes_keepdims0", Op: "reduce_sum", Attrs: ops.Attrs{"keepdims": 0},
			Inputs: []*tensor.Tensor{reduceX23()}, Want: []*tensor.Tensor{reduceF32(nil, 21)}},
		Case{Name: "reduce_sum/empty_axes_list", Op: "reduce_sum", Attrs: reduceAxes(0), // [] means every axis
			Inputs: []*tensor.Tensor{reduceX23()}, Want: []*tensor.Tensor{reduceF32(nil, 21)}},
		Case{Name: "reduce_sum/axis1", Op: "reduce_sum", Attrs: reduceAxes(1, 1), // 1+2+3, 4+5+6
			Inputs: []*tensor.Tensor{reduceX23()}, Want: []*tensor.Tensor{reduceF32([]int{2, 1}, 6, 15)}},
		Case{Name: "reduce_sum/axis0_keepdims0", Op: "reduce_sum", Attrs: reduceAxes(0, 0), // 1+4, 2+5, 3+6
			Inputs: []*tensor.Tensor{reduceX23()}, Want: []*tensor.Tensor{reduceF32([]int{3}, 5, 7, 9)}},
		Case{Name: "reduce_sum/negative_axis", Op: "reduce_sum", Attrs: reduceAxes(0, -1),
			Inputs: []*tensor.Tensor{reduceX23()}, Want: []*tensor.Tensor{reduceF32([]int{2}, 6, 15)}},
		// j=0: 1+2+3+7+8+9 = 30; j=1: 4+5+6+10+11+12 = 48
		Case{Name: "reduce_sum/multi_axes", Op: "reduce_sum", Attrs: reduceAxes(1, 0, 2),
			Inputs: []*tensor.Tensor{reduceX223()}, Want: []*tensor.Tensor{reduceF32([]int{1, 2, 1}, 30, 48)}},
		Case{Name: "reduce_sum/multi_axes_unordered_negative", Op: "reduce_sum", Attrs: reduceAxes(0, 2, -3),
			Inputs: []*tensor.Tensor{reduceX223()}, Want: []*tensor.Tensor{reduceF32([]int{2}, 30, 48)}},
		Case{Name: "reduce_sum/zero_size_axis", Op: "reduce_sum", Attrs: reduceAxes(1, 1), // empty sum = 0
			Inputs: []*tensor.Tensor{reduceF32([]int{2, 0})}, Want: []*tensor.Tensor{reduceF32([]int{2, 1}, 0, 0)}},
		Case{Name: "reduce_sum/zero_size_kept_dim", Op: "reduce_sum", Attrs: reduceAxes(1, 1), // nothing to output
			Inputs: []*tensor.Tensor{reduceF32([]int{0, 3})}, Want: []*tensor.Tensor{reduceF32([]int{0, 1})}},
		Case{Name: "reduce_sum/scalar", Op: "reduce_sum", // rank 0, no axes: the scalar itself
			Inputs: []*tensor.Tensor{reduceF32(nil, 2.5)}, Want: []*tensor.Tensor{reduceF32(nil, 2.5)}},
		Case{Name: "reduce_sum/int32", Op: "reduce_sum", Attrs: reduceAxes(0, 1), // 1+2, 3+4
			Inputs: []*tensor.Tensor{reduceI32([]int{2, 2}, 1, 2, 3, 4)}, Want: []*tensor.Tensor{reduceI32([]int{2}, 3, 7)}},
		// 2147483647 + 1 wraps to -2147483648 in int32
		Case{Name: "reduce_sum/int32_wraps", Op: "reduce_sum", Attrs: ops.Attrs{"keepdims": 0},
			Inputs: []*tensor.Tensor{reduceI32([]int{2}, math.MaxInt32, 1)}, Want: []*tensor.Tensor{reduceI32(nil, math.MinInt32)}},
		// 2^40 + 2^40 − 5 = 2^41 − 5 = 2199023255547
		Case{Name: "reduce_sum/int64", Op: "reduce_sum", Attrs: ops.Attrs{"keepdims": 0},
			Inputs: []*tensor.Tensor{reduceI64([]int{3}, 1<<40, 1<<40, -5)}, Want: []*tensor.Tensor{reduceI64(nil, 2199023255547)}},
		Case{Name: "reduce_sum/float64", Op: "reduce_sum", Attrs: reduceAxes(1, 0), // 0.5+0.25+0.125
			Inputs: []*tensor.Tensor{reduceOf(tensor.Float64, []int{3}, 0.5, 0.25, 0.125)},
			Want:   []*tensor.Tensor{reduceOf(tensor.Float64, []int{1}, 0.875)}},
		Case{Name: "reduce_sum/float16", Op: "reduce_sum", Attrs: reduceAxes(0, 0), // 1.5+0.25, 2−1
			Inputs: []*tensor.Tensor{reduceOf(tensor.Float16, []int{2, 2}, 1.5, 2, 0.25, -1)},
			Want:   []*tensor.Tensor{reduceOf(tensor.Float16, []int{2}, 1.75, 1)}},

		// reduce_prod
		Case{Name: "reduce_prod/axis1", Op: "reduce_prod", Attrs: reduceAxes(0, 1), // 1·2·3, 4·5·6
			Inputs: []*tensor.Tensor{reduceX23()}, Want: []*tensor.Tensor{reduceF32([]int{2}, 6, 120)}},
		Case{Name: "reduce_prod/all_axes_default", Op: "reduce_prod", // 6! = 720
			Inputs: []*tensor.Tensor{reduceX23()}, Want: []*tensor.Tensor{reduceF32([]int{1, 1}, 720)}},
		Case{Name: "reduce_prod/negative_axis", Op: "reduce_prod", Attrs: reduceAxes(1, -2), // 1·4, 2·5, 3·6
			Inputs: []*tensor.Tensor{reduceX23()}, Want: []*tensor.Tensor{reduceF32([]int{1, 3}, 4, 10, 18)}},
		// k=0: 1·4·7·10 = 280; k=1: 2·5·8·11 = 880; k=2: 3·6·9·12 = 1944
		Case{Name: "reduce_prod/multi_axes", Op: "reduce_prod", Attrs: reduceAxes(0, 0, 1),
			Inputs: []*tensor.Tensor{reduceX223()}, Want: []*tensor.Tensor{reduceF32([]int{3}, 280, 880, 1944)}},
		Case{Name: "reduce_prod/zero_size_axis", Op: "reduce_prod", Attrs: reduceAxes(1, 1), // empty product = 1
			Inputs: []*tensor.Tensor{reduceF32([]int{2, 0})}, Want: []*tensor.Tensor{reduceF32([]int{2, 1}, 1, 1)}},
		Case{Name: "reduce_prod/int32", Op: "reduce_prod", Attrs: reduceAxes(0, 0), // 2·4, 3·5
			Inputs: []*tensor.Tensor{reduceI32([]int{2, 2}, 2, 3, 4, 5)}, Want: []*tensor.Tensor{reduceI32([]int{2}, 8, 15)}},
		// −3 · 2^40 = −3298534883328
		Case{Name: "reduce_prod/int64", Op: "reduce_prod", Attrs: ops.Attrs{"keepdims": 0},
			Inputs: []*tensor.Tensor{reduceI64([]int{2}, -3, 1<<40)}, Want: []*tensor.Tensor{reduceI64(nil, -3298534883328)}},
		// 2^32 · 2^32 = 2^64 ≡ 0 (mod 2^64)
		Case{Name: "reduce_prod/int64_wraps", Op: "reduce_prod", Attrs: ops.Attrs{"keepdims": 0},
			Inputs: []*tensor.Tensor{reduceI64([]int{2}, 1<<32, 1<<32)}, Want: []*tensor.Tensor{reduceI64(nil, 0)}},
		Case{Name: "reduce_prod/float64", Op: "reduce_prod", Attrs: ops.Attrs{"keepdims": 0}, // 1.5·(−2)·0.5
			Inputs: []*tensor.Tensor{reduceOf(tensor.Float64, []int{3}, 1.5, -2, 0.5)},
			Want:   []*tensor.Tensor{reduceOf(tensor.Float64, nil, -1.5)}},
		Case{Name: "reduce_prod/float16", Op: "reduce_prod", Attrs: reduceAxes(0, 1), // 1.5·2, 0.5·(−4)
			Inputs: []*tensor.Tensor{reduceOf(tensor.Float16, []int{2, 2}, 1.5, 2, 0.5, -4)},
			Want:   []*tensor.Tensor{reduceOf(tensor.Float16, []int{2}, 3, -2)}},

		// reduce_max; input [[1 5 3] [4 2 6]]
		Case{Name: "reduce_max/axis1", Op: "reduce_max", Attrs: reduceAxes(1, 1),
			Inputs: []*tensor.Tensor{reduceF32([]int{2, 3}, 1, 5, 3, 4, 2, 6)}, Want: []*tensor.Tensor{reduceF32([]int{2, 1}, 5, 6)}},
		Case{Name: "reduce_max/all_axes_keepdims0", Op: "reduce_max", Attrs: ops.Attrs{"keepdims": 0},
			Inputs: []*tensor.Tensor{reduceF32([]int{2, 3}, 1, 5, 3, 4, 2, 6)}, Want: []*tensor.Tensor{reduceF32(nil, 6)}},
		Case{Name: "reduce_max/negative_axis", Op: "reduce_max", Attrs: reduceAxes(0, -2),
			Inputs: []*tensor.Tensor{reduceF32([]int{2, 3}, 1, 5, 3, 4, 2, 6)}, Want: []*tensor.Tensor{reduceF32([]int{3}, 4, 5, 6)}},
		// k=0: max(1,−4,7,−10)=7; k=1: max(−2,5,−8,11)=11; k=2: max(3,−6,9,−12)=9
		Case{Name: "reduce_max/multi_axes", Op: "reduce_max", Attrs: reduceAxes(1, 0, 1),
			Inputs: []*tensor.Tensor{reduceSigned223()}, Want: []*tensor.Tensor{reduceF32([]int{1, 1, 3}, 7, 11, 9)}},
		Case{Name: "reduce_max/all_negative", Op: "reduce_max", Attrs: ops.Attrs{"keepdims": 0}, // not 0
			Inputs: []*tensor.Tensor{reduceF32([]int{3}, -3, -1, -2)}, Want: []*tensor.Tensor{reduceF32(nil, -1)}},
		Case{Name: "reduce_max/zero_size_axis", Op: "reduce_max", Attrs: reduceAxes(1, 1), // max of nothing = −inf
			Inputs: []*tensor.Tensor{reduceF32([]int{2, 0})}, Want: []*tensor.Tensor{reduceF32([]int{2, 1}, -inf, -inf)}},
		Case{Name: "reduce_max/zero_size_int32", Op: "reduce_max", Attrs: ops.Attrs{"keepdims": 0},
			Inputs: []*tensor.Tensor{reduceI32([]int{0})}, Want: []*tensor.Tensor{reduceI32(nil, math.MinInt32)}},
		Case{Name: "reduce_max/zero_size_int64", Op: "reduce_max", Attrs: reduceAxes(0, 0),
			Inputs: []*tensor.Tensor{reduceI64([]int{0, 2})}, Want: []*tensor.Tensor{reduceI64([]int{2}, math.MinInt64, math.MinInt64)}},
		Case{Name: "reduce_max/zero_size_int8", Op: "reduce_max", Attrs: ops.Attrs{"keepdims": 0},
			Inputs: []*tensor.Tensor{reduceOf(tensor.Int8, []int{0})}, Want: []*tensor.Tensor{reduceOf(tensor.Int8, nil, -128)}},
		Case{Name: "reduce_max/nan_propagates", Op: "reduce_max", Attrs: reduceAxes(0, 1),
			Inputs: []*tensor.Tensor{reduceF32([]int{2, 3}, 1, nan, 3, 2, 0, -1)}, Want: []*tensor.Tensor{reduceF32([]int{2}, nan, 2)}},
		Case{Name: "reduce_max/int32", Op: "reduce_max", Attrs: reduceAxes(0, 1),
			Inputs: []*tensor.Tensor{reduceI32([]int{2, 2}, -1, -5, 3, 2)}, Want: []*tensor.Tensor{reduceI32([]int{2}, -1, 3)}},
		// 2^53+1 and 2^53 are equal as float64; int64 must keep them apart
		Case{Name: "reduce_max/int64_exact", Op: "reduce_max", Attrs: ops.Attrs{"keepdims": 0},
			Inputs: []*tensor.Tensor{reduceI64([]int{2}, 1<<53+1, 1<<53)}, Want: []*tensor.Tensor{reduceI64(nil, 1<<53+1)}},
		Case{Name: "reduce_max/float64", Op: "reduce_max", Attrs: reduceAxes(0, 0),
			Inputs: []*tensor.Tensor{reduceOf(tensor.Float64, []int{2, 2}, 0.25, -7, -0.5, -8)},
			Want:   []*tensor.Tensor{reduceOf(tensor.Float64, []int{2}, 0.25, -7)}},
		Case{Name: "reduce_max/float16", Op: "reduce_max", Attrs: reduceAxes(0, -1),
			Inputs: []*tensor.Tensor{reduceOf(tensor.Float16, []int{2, 2}, 1.5, -2, -0.25, -1)},
			Want:   []*tensor.Tensor{reduceOf(tensor.Float16, []int{2}, 1.5, -0.25)}},

		// reduce_min; input [[1 5 3] [4 2 6]]
		Case{Name: "reduce_min/axis1", Op: "reduce_min", Attrs: reduceAxes(1, 1),
			Inputs: []*tensor.Tensor{reduceF32([]int{2, 3}, 1, 5, 3, 4, 2, 6)}, Want: []*tensor.Tensor{reduceF32([]int{2, 1}, 1, 2)}},
		Case{Name: "reduce_min/all_axes_keepdims0", Op: "reduce_min", Attrs: ops.Attrs{"keepdims": 0},
			Inputs: []*tensor.Tensor{reduceF32([]int{2, 3}, 1, 5, 3, 4, 2, 6)}, Want: []*tensor.Tensor{reduceF32(nil, 1)}},
		Case{Name: "reduce_min/negative_axis", Op: "reduce_min", Attrs: reduceAxes(0, -2),
			Inputs: []*tensor.Tensor{reduceF32([]int{2, 3}, 1, 5, 3, 4, 2, 6)}, Want: []*tensor.Tensor{reduceF32([]int{3}, 1, 2, 3)}},
		// k=0: min(1,−4,7,−10)=−10; k=1: min(−2,5,−8,11)=−8; k=2: min(3,−6,9,−12)=−12
		Case{Name: "reduce_min/multi_axes", Op: "reduce_min", Attrs: reduceAxes(1, 0, 1),
			Inputs: []*tensor.Tensor{reduceSigned223()}, Want: []*tensor.Tensor{reduceF32([]int{1, 1, 3}, -10, -8, -12)}},
		Case{Name: "reduce_min/all_positive", Op: "reduce_min", Attrs: ops.Attrs{"keepdims": 0}, // not 0
			Inputs: []*tensor.Tensor{reduceF32([]int{3}, 3, 1, 2)}, Want: []*tensor.Tensor{reduceF32(nil, 1)}},
		Case{Name: "reduce_min/zero_size_axis", Op: "reduce_min", Attrs: reduceAxes(1, 1), // min of nothing = +inf
			Inputs: []*tensor.Tensor{reduceF32([]int{2, 0})}, Want: []*tensor.Tensor{reduceF32([]int{2, 1}, inf, inf)}},
		Case{Name: "reduce_min/zero_size_int32", Op: "reduce_min", Attrs: ops.Attrs{"keepdims": 0},
			Inputs: []*tensor.Tensor{reduceI32([]int{0})}, Want: []*tensor.Tensor{reduceI32(nil, math.MaxInt32)}},
		Case{Name: "reduce_min/zero_size_int64", Op: "reduce_min", Attrs: reduceAxes(0, 0),
			Inputs: []*tensor.Tensor{reduceI64([]int{0, 2})}, Want: []*tensor.Tensor{reduceI64([]int{2}, math.MaxInt64, math.MaxInt64)}},
		Case{Name: "reduce_min/zero_size_uint8", Op: "reduce_min", Attrs: ops.Attrs{"keepdims": 0},
			Inputs: []*tensor.Tensor{reduceOf(tensor.Uint8, []int{0})}, Want: []*tensor.Tensor{reduceOf(tensor.Uint8, nil, 255)}},
		Case{Name: "reduce_min/nan_propagates", Op: "reduce_min", Attrs: reduceAxes(0, 1),
			Inputs: []*tensor.Tensor{reduceF32([]int{2, 3}, 1, nan, 3, 2, 0, -1)}, Want: []*tensor.Tensor{reduceF32([]int{2}, nan, -1)}},
		Case{Name: "reduce_min/int32", Op: "reduce_min", Attrs: reduceAxes(0, 1),
			Inputs: []*tensor.Tensor{reduceI32([]int{2, 2}, -1, -5, 3, 2)}, Want: []*tensor.Tensor{reduceI32([]int{2}, -5, 2)}},
		Case{Name: "reduce_min/int64_exact", Op: "reduce_min", Attrs: ops.Attrs{"keepdims": 0},
			Inputs: []*tensor.Tensor{reduceI64([]int{2}, 1<<53+1, 1<<53)}, Want: []*tensor.Tensor{reduceI64(nil, 1<<53)}},
		Case{Name: "reduce_min/float64", Op: "reduce_min", Attrs: reduceAxes(0, 0),
			Inputs: []*tensor.Tensor{reduceOf(tensor.Float64, []int{2, 2}, 0.25, -7, -0.5, -8)},
			Want:   []*tensor.Tensor{reduceOf(tensor.Float64, []int{2}, -0.5, -8)}},
		Case{Name: "reduce_min/float16", Op: "reduce_min", Attrs: reduceAxes(0, -1),
			Inputs: []*tensor.Tensor{reduceOf(tensor.Float16, []int{2, 2}, 1.5, -2, -0.25, -1)},
			Want:   []*tensor.Tensor{reduceOf(tensor.Float16, []int{2}, -2, -1)}},

		// reduce_mean
		Case{Name: "reduce_mean/axis1", Op: "reduce_mean", Attrs: reduceAxes(1, 1), // 6/3, 15/3
			Inputs: []*tensor.Tensor{reduceX23()}, Want: []*tensor.Tensor{reduceF32([]int{2, 1}, 2, 5)}},
		Case{Name: "reduce_mean/all_axes_default", Op: "reduce_mean", // 21/6
			Inputs: []*tensor.Tensor{reduceX23()}, Want: []*tensor.Tensor{reduceF32([]int{1, 1}, 3.5)}},
		Case{Name: "reduce_mean/all_axes_keepdims0", Op: "reduce_mean", Attrs: ops.Attrs{"keepdims": 0},
			Inputs: []*tensor.Tensor{reduceX23()}, Want: []*tensor.Tensor{reduceF32(nil, 3.5)}},
		Case{Name: "reduce_mean/negative_axis", Op: "reduce_mean", Attrs: reduceAxes(0, -2), // 5/2, 7/2, 9/2
			Inputs: []*tensor.Tensor{reduceX23()}, Want: []*tensor.Tensor{reduceF32([]int{3}, 2.5, 3.5, 4.5)}},
		Case{Name: "reduce_mean/multi_axes", Op: "reduce_mean", Attrs: reduceAxes(1, 0, 2), // 30/6, 48/6
			Inputs: []*tensor.Tensor{reduceX223()}, Want: []*tensor.Tensor{reduceF32([]int{1, 2, 1}, 5, 8)}},
		Case{Name: "reduce_mean/zero_size_axis", Op: "reduce_mean", Attrs: reduceAxes(1, 1), // 0/0 = NaN
			Inputs: []*tensor.Tensor{reduceF32([]int{2, 0})}, Want: []*tensor.Tensor{reduceF32([]int{2, 1}, nan, nan)}},
		Case{Name: "reduce_mean/scalar", Op: "reduce_mean",
			Inputs: []*tensor.Tensor{reduceF32(nil, -4)}, Want: []*tensor.Tensor{reduceF32(nil, -4)}},
		Case{Name: "reduce_mean/float64", Op: "reduce_mean", Attrs: ops.Attrs{"keepdims": 0}, // (1+2+0.5+0.5)/4
			Inputs: []*tensor.Tensor{reduceOf(tensor.Float64, []int{4}, 1, 2, 0.5, 0.5)},
			Want:   []*tensor.Tensor{reduceOf(tensor.Float64, nil, 1)}},
		Case{Name: "reduce_mean/float16", Op: "reduce_mean", Attrs: reduceAxes(0, 1), // 3/2, 8/2
			Inputs: []*tensor.Tensor{reduceOf(tensor.Float16, []int{2, 2}, 1, 2, 3, 5)},
			Want:   []*tensor.Tensor{reduceOf(tensor.Float16, []int{2}, 1.5, 4)}},
	)

	// argmax / argmin. argmax input [[1 5 5] [7 2 7]], argmin input [[3 1 1] [0 2 0]]:
	// each row has a tie so first/last index differ.
	amx := func() *tensor.Tensor { return reduceF32([]int{2, 3}, 1, 5, 5, 7, 2, 7) }
	amn := func() *tensor.Tensor { return reduceF32([]int{2, 3}, 3, 1, 1, 0, 2, 0) }
	Register(
		// columns: (1,7)→1, (5,2)→0, (5,7)→1
		Case{Name: "argmax/default_axis0", Op: "argmax",
			Inputs: []*tensor.Tensor{amx()}, Want: []*tensor.Tensor{reduceI64([]int{1, 3}, 1, 0, 1)}},
		Case{Name: "argmax/axis1_ties_first", Op: "argmax", Attrs: ops.Attrs{"axis": 1},
			Inputs: []*tensor.Tensor{amx()}, Want: []*tensor.Tensor{reduceI64([]int{2, 1}, 1, 0)}},
		Case{Name: "argmax/axis1_ties_last", Op: "argmax", Attrs: ops.Attrs{"axis": 1, "select_last_index": 1},
			Inputs: []*tensor.Tensor{amx()}, Want: []*tensor.Tensor{reduceI64([]int{2, 1}, 2, 2)}},
		Case{Name: "argmax/negative_axis_keepdims0", Op: "argmax", Attrs: ops.Attrs{"axis": -1, "keepdims": 0},
			Inputs: []*tensor.Tensor{amx()}, Want: []*tensor.Tensor{reduceI64([]int{2}, 1, 0)}},
		// x[:, :, k] over axis 1 of [[[1 4] [3 2]] [[5 5] [6 0]]]: (1,3)→1 (4,2)→0 (5,6)→1 (5,0)→0
		Case{Name: "argmax/middle_axis", Op: "argmax", Attrs: ops.Attrs{"axis": 1},
			Inputs: []*tensor.Tensor{reduceF32([]int{2, 2, 2}, 1, 4, 3, 2, 5, 5, 6, 0)},
			Want:   []*tensor.Tensor{reduceI64([]int{2, 1, 2}, 1, 0, 1, 0)}},
		Case{Name: "argmax/nan_first", Op: "argmax", Attrs: ops.Attrs{"keepdims": 0}, // numpy: first NaN
			Inputs: []*tensor.Tensor{reduceF32([]int{4}, 1, nan, 3, nan)}, Want: []*tensor.Tensor{reduceI64(nil, 1)}},
		Case{Name: "argmax/nan_last", Op: "argmax", Attrs: ops.Attrs{"keepdims": 0, "select_last_index": 1},
			Inputs: []*tensor.Tensor{reduceF32([]int{4}, 1, nan, 3, nan)}, Want: []*tensor.Tensor{reduceI64(nil, 3)}},
		Case{Name: "argmax/int32", Op: "argmax", Attrs: ops.Attrs{"axis": 1, "keepdims": 0},
			Inputs: []*tensor.Tensor{reduceI32([]int{2, 3}, -1, -5, 4, 3, 3, 2)}, Want: []*tensor.Tensor{reduceI64([]int{2}, 2, 0)}},
		// 2^53 and 2^53+1 tie as float64; as int64 index 1 is larger
		Case{Name: "argmax/int64_exact", Op: "argmax", Attrs: ops.Attrs{"keepdims": 0},
			Inputs: []*tensor.Tensor{reduceI64([]int{2}, 1<<53, 1<<53+1)}, Want: []*tensor.Tensor{reduceI64(nil, 1)}},
		Case{Name: "argmax/float16", Op: "argmax", Attrs: ops.Attrs{"axis": 1, "keepdims": 0},
			Inputs: []*tensor.Tensor{reduceOf(tensor.Float16, []int{2, 2}, -0.5, -0.25, 2, 1.5)},
			Want:   []*tensor.Tensor{reduceI64([]int{2}, 1, 0)}},

		// columns: (3,0)→1, (1,2)→0, (1,0)→1
		Case{Name: "argmin/default_axis0", Op: "argmin",
			Inputs: []*tensor.Tensor{amn()}, Want: []*tensor.Tensor{reduceI64([]int{1, 3}, 1, 0, 1)}},
		Case{Name: "argmin/axis1_ties_first", Op: "argmin", Attrs: ops.Attrs{"axis": 1},
			Inputs: []*tensor.Tensor{amn()}, Want: []*tensor.Tensor{reduceI64([]int{2, 1}, 1, 0)}},
		Case{Name: "argmin/axis1_ties_last", Op: "argmin", Attrs: ops.Attrs{"axis": 1, "select_last_index": 1},
			Inputs: []*tensor.Tensor{amn()}, Want: []*tensor.Tensor{reduceI64([]int{2, 1}, 2, 2)}},
		Case{Name: "argmin/negative_axis_keepdims0", Op: "argmin", Attrs: ops.Attrs{"axis": -1, "keepdims": 0},
			Inputs: []*tensor.Tensor{amn()}, Want: []*tensor.Tensor{reduceI64([]int{2}, 1, 0)}},
		Case{Name: "argmin/nan_first", Op: "argmin", Attrs: ops.Attrs{"keepdims": 0}, // numpy: first NaN
			Inputs: []*tensor.Tensor{reduceF32([]int{4}, 1, nan, -3, nan)}, Want: []*tensor.Tensor{reduceI64(nil, 1)}},
		Case{Name: "argmin/nan_last", Op: "argmin", Attrs: ops.Attrs{"keepdims": 0, "select_last_index": 1},
			Inputs: []*tensor.Tensor{reduceF32([]int{4}, 1, nan, -3, nan)}, Want: []*tensor.Tensor{reduceI64(nil, 3)}},
		Case{Name: "argmin/int32", Op: "argmin", Attrs: ops.Attrs{"axis": 1, "keepdims": 0},
			Inputs: []*tensor.Tensor{reduceI32([]int{2, 3}, -1, -5, 4, 3, 3, 2)}, Want: []*tensor.Tensor{reduceI64([]int{2}, 1, 2)}},
		Case{Name: "argmin/float64", Op: "argmin", Attrs: ops.Attrs{"axis": -1},
			Inputs: []*tensor.Tensor{reduceOf(tensor.Float64, []int{3}, 0.5, -0.25, -0.125)},
			Want:   []*tensor.Tensor{reduceI64([]int{1}, 1)}},
	)

	shape := tensor.Shape{2, 3, 4, 5}
	f32 := []Input{{DType: tensor.Float32, Shape: shape}}
	for _, op := range []string{"reduce_sum", "reduce_max", "reduce_min", "reduce_mean"} {
		RegisterRandom(
			RandomCase{Name: op + "/rand_axis1", Op: op, Attrs: reduceAxes(1, 1), Inputs: f32},
			RandomCase{Name: op + "/rand_axes_0_2", Op: op, Attrs: reduceAxes(1, 0, 2), Inputs: f32},
			RandomCase{Name: op + "/rand_last_keepdims0", Op: op, Attrs: reduceAxes(0, -1), Inputs: f32},
			RandomCase{Name: op + "/rand_all", Op: op, Inputs: f32},
		)
	}
	// Products of many values in [-1, 1) underflow toward 0; keep factors near 1.
	prodIn := []Input{{DType: tensor.Float32, Shape: shape, Lo: 0.5, Hi: 1.5}}
	RegisterRandom(
		RandomCase{Name: "reduce_prod/rand_axis1", Op: "reduce_prod", Attrs: reduceAxes(1, 1), Inputs: prodIn},
		RandomCase{Name: "reduce_prod/rand_axes_0_2", Op: "reduce_prod", Attrs: reduceAxes(1, 0, 2), Inputs: prodIn},
		RandomCase{Name: "reduce_prod/rand_last_keepdims0", Op: "reduce_prod", Attrs: reduceAxes(0, -1), Inputs: prodIn},
		RandomCase{Name: "reduce_sum/rand_int32", Op: "reduce_sum", Attrs: reduceAxes(0, 1, 3),
			Inputs: []Input{{DType: tensor.Int32, Shape: shape, Lo: -100, Hi: 100}}},
		RandomCase{Name: "reduce_max/rand_int64", Op: "reduce_max", Attrs: reduceAxes(1, 2),
			Inputs: []Input{{DType: tensor.Int64, Shape: shape, Lo: -1000, Hi: 1000}}},
		RandomCase{Name: "reduce_mean/rand_float16", Op: "reduce_mean", Attrs: reduceAxes(1, -1),
			Inputs: []Input{{DType: tensor.Float16, Shape: shape}}},
		RandomCase{Name: "reduce_min/rand_float64", Op: "reduce_min", Attrs: reduceAxes(0, 0, 3),
			Inputs: []Input{{DType: tensor.Float64, Shape: shape}}},
	)
	for _, op := range []string{"argmax", "argmin"} {
		RegisterRandom(
			RandomCase{Name: op + "/rand_axis2", Op: op, Attrs: ops.Attrs{"axis": 2}, Inputs: f32},
			RandomCase{Name: op + "/rand_last_keepdims0", Op: op, Attrs: ops.Attrs{"axis": -1, "keepdims": 0}, Inputs: f32},
			// few distinct values, so ties are common and select_last_index matters
			RandomCase{Name: op + "/rand_int32_ties_last", Op: op, Attrs: ops.Attrs{"axis": 1, "select_last_index": 1},
				Inputs: []Input{{DType: tensor.Int32, Shape: shape, Lo: 0, Hi: 2}}},
		)
	}
}
