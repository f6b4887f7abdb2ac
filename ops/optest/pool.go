package optest

import (
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// poolCase is a one-input pooling case.
func poolCase(name, op string, attrs ops.Attrs, x, want *tensor.Tensor) Case {
	return Case{Name: op + "/" + name, Op: op, Attrs: attrs, Inputs: []*tensor.Tensor{x}, Want: []*tensor.Tensor{want}}
}

func init() {
	f32, f64, f16 := tensor.Float32, tensor.Float64, tensor.Float16
	k2s2 := ops.Attrs{"kernel_shape": []int{2, 2}, "strides": []int{2, 2}}
	// x4x4 is 1..16 row-major: [[1 2 3 4] [5 6 7 8] [9 10 11 12] [13 14 15 16]].
	x4x4 := func(d tensor.DType) *tensor.Tensor { return mmT(d, []int{1, 1, 4, 4}, convSeq(1, 16)...) }
	// x3x3 is 1..9: [[1 2 3] [4 5 6] [7 8 9]].
	x3x3 := mmF32([]int{1, 1, 3, 3}, convSeq(1, 9)...)
	Register(
		// 2x2 windows, stride 2: max of each quadrant: [[6 8] [14 16]]; means: [[3.5 5.5] [11.5 13.5]]
		// (e.g. (1+2+5+6)/4 = 3.5).
		poolCase("2x2_stride2", "max_pool", k2s2, x4x4(f32), mmF32([]int{1, 1, 2, 2}, 6, 8, 14, 16)),
		poolCase("2x2_stride2_float64", "max_pool", k2s2, x4x4(f64), mmT(f64, []int{1, 1, 2, 2}, 6, 8, 14, 16)),
		poolCase("2x2_stride2_float16", "max_pool", k2s2, x4x4(f16), mmT(f16, []int{1, 1, 2, 2}, 6, 8, 14, 16)),
		poolCase("2x2_stride2", "avg_pool", k2s2, x4x4(f32), mmF32([]int{1, 1, 2, 2}, 3.5, 5.5, 11.5, 13.5)),
		poolCase("2x2_stride2_float64", "avg_pool", k2s2, x4x4(f64), mmT(f64, []int{1, 1, 2, 2}, 3.5, 5.5, 11.5, 13.5)),

		// Padding never wins: x = [[-1 -2] [-3 -4]], 2x2 windows, stride 1, pads 1 all round → 3x3.
		// Each window's max over its in-bounds elements (row by row):
		// [-1] [-1,-2] [-2] / [-1,-3] [all] [-2,-4] / [-3] [-3,-4] [-4] → -1 -1 -2 -1 -1 -2 -3 -3 -4.
		poolCase("pads_never_win", "max_pool", ops.Attrs{"kernel_shape": []int{2, 2}, "pads": []int{1, 1, 1, 1}},
			mmF32([]int{1, 1, 2, 2}, -1, -2, -3, -4), mmF32([]int{1, 1, 3, 3}, -1, -1, -2, -1, -1, -2, -3, -3, -4)),

		// ceil_mode on 1-D [1 2 3 4 5], kernel 2, stride 2: span 5−2 = 3, ceil(3/2)+1 = 3 windows
		// [1 2] [3 4] [5]; floor mode gives 2 windows.
		poolCase("ceil_mode", "max_pool", ops.Attrs{"kernel_shape": []int{2}, "strides": []int{2}, "ceil_mode": 1},
			mmF32([]int{1, 1, 5}, 1, 2, 3, 4, 5), mmF32([]int{1, 1, 3}, 2, 4, 5)),
		poolCase("floor_mode", "max_pool", ops.Attrs{"kernel_shape": []int{2}, "strides": []int{2}},
			mmF32([]int{1, 1, 5}, 1, 2, 3, 4, 5), mmF32([]int{1, 1, 2}, 2, 4)),
		// The partial window [5] averages over its one element even with count_include_pad=1: the
		// position past the input is beyond the (zero) explicit padding, so it never counts.
		poolCase("ceil_mode_partial", "avg_pool", ops.Attrs{"kernel_shape": []int{2}, "strides": []int{2}, "ceil_mode": 1, "count_include_pad": 1},
			mmF32([]int{1, 1, 5}, 1, 2, 3, 4, 5), mmF32([]int{1, 1, 3}, 1.5, 3.5, 5)),

		// Dilation 2, kernel 2 on [1 5 2 4 3]: extent 3, windows read (0,2) (1,3) (2,4):
		// max(1,2)=2, max(5,4)=5, max(2,3)=3; means 1.5, 4.5, 2.5.
		poolCase("dilation", "max_pool", ops.Attrs{"kernel_shape": []int{2}, "dilations": []int{2}},
			mmF32([]int{1, 1, 5}, 1, 5, 2, 4, 3), mmF32([]int{1, 1, 3}, 2, 5, 3)),
		poolCase("dilation", "avg_pool", ops.Attrs{"kernel_shape": []int{2}, "dilations": []int{2}},
			mmF32([]int{1, 1, 5}, 1, 5, 2, 4, 3), mmF32([]int{1, 1, 3}, 1.5, 4.5, 2.5)),

		// 3-D: one 2x2x2 window over 1..8: max 8, mean 36/8 = 4.5.
		poolCase("3d", "max_pool", ops.Attrs{"kernel_shape": []int{2, 2, 2}},
			mmF32([]int{1, 1, 2, 2, 2}, convSeq(1, 8)...), mmF32([]int{1, 1, 1, 1, 1}, 8)),
		poolCase("3d", "avg_pool", ops.Attrs{"kernel_shape": []int{2, 2, 2}},
			mmF32([]int{1, 1, 2, 2, 2}, convSeq(1, 8)...), mmF32([]int{1, 1, 1, 1, 1}, 4.5)),

		// SAME on [1 2 3 4], kernel 2, stride 1: out 4, total pad (4−1)+2−4 = 1.
		// SAME_UPPER pads the end: [1 2] [2 3] [3 4] [4 pad] → max 2 3 4 4, mean 1.5 2.5 3.5 4.
		// SAME_LOWER pads the start: [pad 1] [1 2] [2 3] [3 4] → max 1 2 3 4, mean 1 1.5 2.5 3.5.
		poolCase("same_upper", "max_pool", ops.Attrs{"kernel_shape": []int{2}, "auto_pad": "SAME_UPPER"},
			mmF32([]int{1, 1, 4}, 1, 2, 3, 4), mmF32([]int{1, 1, 4}, 2, 3, 4, 4)),
		poolCase("same_lower", "max_pool", ops.Attrs{"kernel_shape": []int{2}, "auto_pad": "SAME_LOWER"},
			mmF32([]int{1, 1, 4}, 1, 2, 3, 4), mmF32([]int{1, 1, 4}, 1, 2, 3, 4)),
		poolCase("same_upper", "avg_pool", ops.Attrs{"kernel_shape": []int{2}, "auto_pad": "SAME_UPPER"},
			mmF32([]int{1, 1, 4}, 1, 2, 3, 4), mmF32([]int{1, 1, 4}, 1.5, 2.5, 3.5, 4)),
		poolCase("same_lower", "avg_pool", ops.Attrs{"kernel_shape": []int{2}, "auto_pad": "SAME_LOWER"},
			mmF32([]int{1, 1, 4}, 1, 2, 3, 4), mmF32([]int{1, 1, 4}, 1, 1.5, 2.5, 3.5)),
		// VALID drops the partial window: floor((4−2)/2)+1 = 2 → [1 2] [3 4].
		poolCase("valid", "max_pool", ops.Attrs{"kernel_shape": []int{2}, "strides": []int{2}, "auto_pad": "VALID"},
			mmF32([]int{1, 1, 5}, 1, 2, 3, 4, 5), mmF32([]int{1, 1, 2}, 2, 4)),

		// 3x3 input 1..9, 2x2 windows, stride 1, pads 1 → 4x4. Without the pads in the count each
		// output is the mean of its in-bounds elements, e.g. corner (0,0) = 1, (0,1) = (1+2)/2 = 1.5,
		// centre (1,1) = (1+2+4+5)/4 = 3; with them every window divides by 4, e.g. (0,0) = 1/4.
		poolCase("pads_exclude", "avg_pool", ops.Attrs{"kernel_shape": []int{2, 2}, "pads": []int{1, 1, 1, 1}}, x3x3,
			mmF32([]int{1, 1, 4, 4},
				1, 1.5, 2.5, 3,
				2.5, 3, 4, 4.5,
				5.5, 6, 7, 7.5,
				7, 7.5, 8.5, 9)),
		poolCase("pads_include", "avg_pool", ops.Attrs{"kernel_shape": []int{2, 2}, "pads": []int{1, 1, 1, 1}, "count_include_pad": 1}, x3x3,
			mmF32([]int{1, 1, 4, 4},
				0.25, 0.75, 1.25, 0.75,
				1.25, 3, 4, 2.25,
				2.75, 6, 7, 3.75,
				1.75, 3.75, 4.25, 2.25)),

		// [1..6], kernel 3, stride 2, pads 1+1, ceil: span 6+2−3 = 5, ceil(5/2)+1 = 4 windows starting at
		// −1, 1, 3, 5: {pad,1,2} {2,3,4} {4,5,6} {6,pad,beyond}. Counting pads: sums 3 9 15 6 over
		// 3 3 3 2 (the position past the end padding never counts) = 1 3 5 3; without: 3/2 9/3 15/3 6/1.
		poolCase("ceil_beyond_pads_include", "avg_pool",
			ops.Attrs{"kernel_shape": []int{3}, "strides": []int{2}, "pads": []int{1, 1}, "ceil_mode": 1, "count_include_pad": 1},
			mmF32([]int{1, 1, 6}, 1, 2, 3, 4, 5, 6), mmF32([]int{1, 1, 4}, 1, 3, 5, 3)),
		poolCase("ceil_beyond_pads_exclude", "avg_pool",
			ops.Attrs{"kernel_shape": []int{3}, "strides": []int{2}, "pads": []int{1, 1}, "ceil_mode": 1},
			mmF32([]int{1, 1, 6}, 1, 2, 3, 4, 5, 6), mmF32([]int{1, 1, 4}, 1.5, 3, 5, 6)),

		// 8-bit integers: the max of [-128 127 0 -5] is 127; of uint8 [0 255 7 9] is 255.
		poolCase("int8", "max_pool", ops.Attrs{"kernel_shape": []int{2, 2}},
			tensor.MustFromSlice([]int8{-128, 127, 0, -5}, 1, 1, 2, 2), tensor.MustFromSlice([]int8{127}, 1, 1, 1, 1)),
		poolCase("uint8", "max_pool", ops.Attrs{"kernel_shape": []int{2, 2}},
			tensor.MustFromSlice([]uint8{0, 255, 7, 9}, 1, 1, 2, 2), tensor.MustFromSlice([]uint8{255}, 1, 1, 1, 1)),
		// NaN propagates through max.
		poolCase("nan", "max_pool", ops.Attrs{"kernel_shape": []int{2}},
			mmF32([]int{1, 1, 3}, 1, math.NaN(), 3), mmF32([]int{1, 1, 2}, math.NaN(), math.NaN())),
		// An empty batch pools to an empty batch: [0 1 4 4] → [0 1 2 2].
		poolCase("empty_batch", "max_pool", k2s2, mmF32([]int{0, 1, 4, 4}), mmF32([]int{0, 1, 2, 2})),
		// Two channels pool independently: channel 0 = 1..4, channel 1 = 5..8 → [4] and [8].
		poolCase("channels", "max_pool", ops.Attrs{"kernel_shape": []int{2, 2}},
			mmF32([]int{1, 2, 2, 2}, convSeq(1, 8)...), mmF32([]int{1, 2, 1, 1}, 4, 8)),

		// Global pools on [1,2,2,2]: channel 0 = 1 2 3 4 → mean 2.5, max 4; channel 1 = −1 −2 −3 −8 →
		// mean −14/4 = −3.5, max −1.
		poolCase("basic", "global_avg_pool", nil,
			mmF32([]int{1, 2, 2, 2}, 1, 2, 3, 4, -1, -2, -3, -8), mmF32([]int{1, 2, 1, 1}, 2.5, -3.5)),
		poolCase("basic", "global_max_pool", nil,
			mmF32([]int{1, 2, 2, 2}, 1, 2, 3, 4, -1, -2, -3, -8), mmF32([]int{1, 2, 1, 1}, 4, -1)),
		poolCase("1d_float64", "global_avg_pool", nil, mmT(f64, []int{2, 1, 3}, 1, 2, 6, 0, 0, 3), mmT(f64, []int{2, 1, 1}, 3, 1)),
		poolCase("1d_float16", "global_max_pool", nil, mmT(f16, []int{2, 1, 3}, 1, 2, 6, 0, 0, -3), mmT(f16, []int{2, 1, 1}, 6, 0)),
		// Empty spatial dims: the mean of nothing is NaN, the max −Inf.
		poolCase("empty_spatial", "global_avg_pool", nil, mmF32([]int{1, 1, 0}), mmF32([]int{1, 1, 1}, math.NaN())),
		poolCase("empty_spatial", "global_max_pool", nil, mmF32([]int{1, 1, 0}), mmF32([]int{1, 1, 1}, math.Inf(-1))),
	)

	rc := func(name, op string, attrs ops.Attrs, shape ...int) RandomCase {
		return RandomCase{Name: op + "/" + name, Op: op, Attrs: attrs, Inputs: []Input{{DType: f32, Shape: shape}}}
	}
	for _, op := range []string{"max_pool", "avg_pool"} {
		RegisterRandom(
			rc("k3s1", op, ops.Attrs{"kernel_shape": []int{3, 3}}, 1, 3, 9, 9),
			rc("k3s2p1", op, ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{2, 2}, "pads": []int{1, 1, 1, 1}}, 1, 3, 9, 9),
			rc("k2s2_ceil", op, ops.Attrs{"kernel_shape": []int{2, 2}, "strides": []int{2, 2}, "ceil_mode": 1}, 1, 3, 9, 9),
			rc("k3s2_ceil_pads", op, ops.Attrs{"kernel_shape": []int{3, 2}, "strides": []int{2, 3}, "pads": []int{1, 0, 2, 1}, "ceil_mode": 1}, 2, 3, 9, 9),
			rc("dilated", op, ops.Attrs{"kernel_shape": []int{2, 2}, "dilations": []int{2, 3}}, 1, 3, 9, 9),
			rc("same_upper", op, ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{2, 2}, "auto_pad": "SAME_UPPER"}, 1, 3, 9, 9),
			rc("1d", op, ops.Attrs{"kernel_shape": []int{3}, "strides": []int{2}, "pads": []int{1, 1}}, 2, 4, 17),
			rc("3d", op, ops.Attrs{"kernel_shape": []int{2, 2, 2}, "strides": []int{1, 2, 2}}, 1, 2, 5, 6, 6),
		)
	}
	RegisterRandom(
		rc("include_pad", "avg_pool", ops.Attrs{"kernel_shape": []int{3, 3}, "pads": []int{1, 1, 1, 1}, "count_include_pad": 1}, 1, 3, 9, 9),
		rc("include_pad_ceil", "avg_pool", ops.Attrs{"kernel_shape": []int{3, 3}, "strides": []int{2, 2}, "pads": []int{1, 1, 1, 1}, "ceil_mode": 1, "count_include_pad": 1}, 1, 3, 8, 8),
		rc("basic", "global_avg_pool", nil, 2, 4, 5, 5),
		rc("basic", "global_max_pool", nil, 2, 4, 5, 5),
	)
}
