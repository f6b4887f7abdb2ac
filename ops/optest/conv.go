package optest

import (
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Cases for conv and conv_transpose. Every expected value is worked out by
// hand in the comment next to it. Throughout, x3x3 is the 1x1x3x3 image
//
//	1 2 3
//	4 5 6
//	7 8 9
//
// and x4x4 the 1x1x4x4 image holding 1..16 row by row (x[r][c] = 4r + c + 1).

// convCase is a case of op ("conv" or "conv_transpose") on x, w and an
// optional bias (nil for none).
func convCase(op, name string, attrs ops.Attrs, x, w, b, want *tensor.Tensor) Case {
	in := []*tensor.Tensor{x, w}
	if b != nil {
		in = append(in, b)
	}
	return Case{Name: op + "/" + name, Op: op, Attrs: attrs, Inputs: in, Want: []*tensor.Tensor{want}}
}

// convSeq returns the float64 values from, from+1, ..., n of them.
func convSeq(from, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(from + i)
	}
	return out
}

func init() {
	f32 := tensor.Float32
	t := func(shape []int, vals ...float64) *tensor.Tensor { return mmT(f32, shape, vals...) }
	c := func(name string, attrs ops.Attrs, x, w, b, want *tensor.Tensor) Case {
		return convCase("conv", name, attrs, x, w, b, want)
	}
	x3x3 := func(d tensor.DType) *tensor.Tensor { return mmT(d, []int{1, 1, 3, 3}, convSeq(1, 9)...) }
	x4x4 := t([]int{1, 1, 4, 4}, convSeq(1, 16)...)
	ones2x2 := t([]int{1, 1, 2, 2}, 1, 1, 1, 1)
	// x = [1 2 3 4], w = [1 1 1], stride 2 (D = 4, k = 3): the auto_pad modes differ here.
	x1d4 := t([]int{1, 1, 4}, 1, 2, 3, 4)
	w1d111 := t([]int{1, 1, 3}, 1, 1, 1)
	Register(
		// 1-D: x = [1 2 3 4 5], w = [1 2 3], out[o] = x[o] + 2x[o+1] + 3x[o+2]:
		// 1+4+9 = 14, 2+6+12 = 20, 3+8+15 = 26
		c("1d", nil, t([]int{1, 1, 5}, 1, 2, 3, 4, 5), t([]int{1, 1, 3}, 1, 2, 3), nil, t([]int{1, 1, 3}, 14, 20, 26)),
		// 2x2 ones over x3x3 sums each 2x2 window: 1+2+4+5 = 12, 2+3+5+6 = 16, 4+5+7+8 = 24, 5+6+8+9 = 28
		// (kernel_shape given and matching w)
		c("2d_basic", ops.Attrs{"kernel_shape": []int{2, 2}}, x3x3(f32), ones2x2, nil,
			t([]int{1, 1, 2, 2}, 12, 16, 24, 28)),
		// 3x3 ones over x4x4 with pads 1 and stride 2: O = floor((4+2−3)/2)+1 = 2; output (i, j)
		// covers rows 2i−1..2i+1 and cols 2j−1..2j+1, row/col −1 being padding:
		// (0,0) rows 0-1 × cols 0-1: 1+2+5+6 = 14
		// (0,1) rows 0-1 × cols 1-3: 2+3+4+6+7+8 = 30
		// (1,0) rows 1-3 × cols 0-1: 5+6+9+10+13+14 = 57
		// (1,1) rows 1-3 × cols 1-3: 6+7+8+10+11+12+14+15+16 = 99
		c("2d_stride2_pads", ops.Attrs{"strides": []int{2, 2}, "pads": []int{1, 1, 1, 1}}, x4x4,
			t([]int{1, 1, 3, 3}, 1, 1, 1, 1, 1, 1, 1, 1, 1), nil, t([]int{1, 1, 2, 2}, 14, 30, 57, 99)),
		// asymmetric pads [top 0, left 1, bottom 1, right 0] (begins then ends), 2x2 ones over x3x3:
		// O = 3+0+1−2+1 = 3 by 3+1+0−2+1 = 3; output (i, j) sums x rows i..i+1, cols j−1..j inside x:
		// row 0: 1+4 = 5, 1+2+4+5 = 12, 2+3+5+6 = 16
		// row 1: 4+7 = 11, 4+5+7+8 = 24, 5+6+8+9 = 28
		// row 2 (row 3 is padding): 7, 7+8 = 15, 8+9 = 17
		c("2d_pads_asymmetric", ops.Attrs{"pads": []int{0, 1, 1, 0}}, x3x3(f32), ones2x2, nil,
			t([]int{1, 1, 3, 3}, 5, 12, 16, 11, 24, 28, 7, 15, 17)),
		// dilation 2: w = [[1 2] [3 4]] spans 3x3, O = 4−3+1 = 2;
		// out(i,j) = x[i][j] + 2x[i][j+2] + 3x[i+2][j] + 4x[i+2][j+2]
		// (0,0): 1 + 2·3 + 3·9 + 4·11 = 1+6+27+44 = 78; each step right adds 1·(1+2+3+4) = 10,
		// each step down adds 4·10 = 40: 88, 118, 128
		c("2d_dilation2", ops.Attrs{"dilations": []int{2, 2}}, x4x4, t([]int{1, 1, 2, 2}, 1, 2, 3, 4), nil,
			t([]int{1, 1, 2, 2}, 78, 88, 118, 128)),
		// group 2, one channel per group: ch0 [[1 2] [3 4]] with ones → 10; ch1 [[5 6] [7 8]]
		// with [[1 0] [0 −1]] → 5−8 = −3
		c("2d_group2", ops.Attrs{"group": 2}, t([]int{1, 2, 2, 2}, convSeq(1, 8)...),
			t([]int{2, 1, 2, 2}, 1, 1, 1, 1, 1, 0, 0, -1), nil, t([]int{1, 2, 1, 1}, 10, -3)),
		// depthwise with multiplier 2 (group 2, M = 4): outputs 0,1 read ch0 = [1 2] scaled by 1, 2;
		// outputs 2,3 read ch1 = [3 4] scaled by 3, 4 → [1 2], [2 4], [9 12], [12 16]
		c("depthwise_multiplier", ops.Attrs{"group": 2}, t([]int{1, 2, 1, 2}, 1, 2, 3, 4),
			t([]int{4, 1, 1, 1}, 1, 2, 3, 4), nil, t([]int{1, 4, 1, 2}, 1, 2, 2, 4, 9, 12, 12, 16)),
		// group 2 with two channels per group: x = [1 2 3 4] (1x1 pixels), w = [[1 10] [100 1000]]:
		// out0 = 1·1 + 10·2 = 21 (channels 0,1), out1 = 100·3 + 1000·4 = 4300 (channels 2,3)
		c("group2_two_channels", ops.Attrs{"group": 2}, t([]int{1, 4, 1, 1}, 1, 2, 3, 4),
			t([]int{2, 2, 1, 1}, 1, 10, 100, 1000), nil, t([]int{1, 2, 1, 1}, 21, 4300)),
		// bias: output 0 is 2d_basic + 0.5 = 12.5 16.5 24.5 28.5; output 1's w picks the
		// bottom-right of each window, x[i+1][j+1] − 1: 5−1, 6−1, 8−1, 9−1 = 4 5 7 8
		c("2d_bias", nil, x3x3(f32), t([]int{2, 1, 2, 2}, 1, 1, 1, 1, 0, 0, 0, 1), t([]int{2}, 0.5, -1),
			t([]int{1, 2, 2, 2}, 12.5, 16.5, 24.5, 28.5, 4, 5, 7, 8)),
		// 1x1 conv over two images and two channels: out[n][m] = Σc w[m][c]·x[n][c] with
		// w = [[1 0] [0 1] [1 1]]: image 0 (ch [1 2], [3 4]) → [1 2], [3 4], [4 6];
		// image 1 (ch [5 6], [7 8]) → [5 6], [7 8], [12 14]
		c("batch_channels", nil, t([]int{2, 2, 1, 2}, convSeq(1, 8)...), t([]int{3, 2, 1, 1}, 1, 0, 0, 1, 1, 1), nil,
			t([]int{2, 3, 1, 2}, 1, 2, 3, 4, 4, 6, 5, 6, 7, 8, 12, 14)),
		// 3-D: x 1x1x2x2x3 holds 1..12 (x[d][h][w] = 6d+3h+w+1); w 2x2x2 is 1 at [0][0][0] and
		// [1][1][1], 0 elsewhere; O = 1x1x2, out[w] = x[0][0][w] + x[1][1][w+1]: 1+11 = 12, 2+12 = 14
		c("3d", nil, t([]int{1, 1, 2, 2, 3}, convSeq(1, 12)...), t([]int{1, 1, 2, 2, 2}, 1, 0, 0, 0, 0, 0, 0, 1), nil,
			t([]int{1, 1, 1, 1, 2}, 12, 14)),
		// 3-D pads on the first spatial dim only: a single 2 times a single 3, padded by one
		// zero on each side of D → [0 6 0] along D
		c("3d_pads", ops.Attrs{"pads": []int{1, 0, 0, 1, 0, 0}}, t([]int{1, 1, 1, 1, 1}, 2), t([]int{1, 1, 1, 1, 1}, 3),
			nil, t([]int{1, 1, 3, 1, 1}, 0, 6, 0)),
		// auto_pad, 1-D, x = [1 2 3 4], w = [1 1 1], stride 2:
		// SAME_UPPER: O = ceil(4/2) = 2, total pad (2−1)·2+3−4 = 1 goes to the end:
		// windows x[0..2] = 1+2+3 = 6 and x[2..4] = 3+4+0 = 7
		c("auto_pad_same_upper", ops.Attrs{"auto_pad": "SAME_UPPER", "strides": []int{2}}, x1d4, w1d111, nil,
			t([]int{1, 1, 2}, 6, 7)),
		// SAME_LOWER: the odd unit goes to the beginning: x[−1..1] = 0+1+2 = 3, x[1..3] = 2+3+4 = 9
		c("auto_pad_same_lower", ops.Attrs{"auto_pad": "SAME_LOWER", "strides": []int{2}}, x1d4, w1d111, nil,
			t([]int{1, 1, 2}, 3, 9)),
		// VALID: no padding, O = floor((4−3)/2)+1 = 1: x[0..2] = 6
		c("auto_pad_valid", ops.Attrs{"auto_pad": "VALID", "strides": []int{2}}, x1d4, w1d111, nil,
			t([]int{1, 1, 1}, 6)),
		// 2-D SAME_UPPER, 2x2 ones over x3x3: O = 3x3, one row and one column of padding at the
		// end; out(i,j) sums x rows i..i+1, cols j..j+1 inside x:
		// 12 16 9 / 24 28 15 / 15 17 9
		c("2d_auto_pad_same_upper", ops.Attrs{"auto_pad": "SAME_UPPER"}, x3x3(f32), ones2x2, nil,
			t([]int{1, 1, 3, 3}, 12, 16, 9, 24, 28, 15, 15, 17, 9)),
		// 2-D SAME_LOWER: the padding is before; out(i,j) sums rows i−1..i, cols j−1..j:
		// 1 3 5 / 5 12 16 / 11 24 28
		c("2d_auto_pad_same_lower", ops.Attrs{"auto_pad": "SAME_LOWER"}, x3x3(f32), ones2x2, nil,
			t([]int{1, 1, 3, 3}, 1, 3, 5, 5, 12, 16, 11, 24, 28)),
		// other dtypes, same numbers as 2d_basic
		c("float64", nil, x3x3(tensor.Float64), mmT(tensor.Float64, []int{1, 1, 2, 2}, 1, 1, 1, 1), nil,
			mmT(tensor.Float64, []int{1, 1, 2, 2}, 12, 16, 24, 28)),
		c("float16", nil, x3x3(tensor.Float16), mmT(tensor.Float16, []int{1, 1, 2, 2}, 1, 1, 1, 1),
			mmT(tensor.Float16, []int{1}, 0.5), mmT(tensor.Float16, []int{1, 1, 2, 2}, 12.5, 16.5, 24.5, 28.5)),
		c("bfloat16", nil, x3x3(tensor.BFloat16), mmT(tensor.BFloat16, []int{1, 1, 2, 2}, 1, 1, 1, 1), nil,
			mmT(tensor.BFloat16, []int{1, 1, 2, 2}, 12, 16, 24, 28)),
		// zero-size: no images in, no images out
		c("zero_batch", nil, t([]int{0, 1, 3, 3}), ones2x2, nil, t([]int{0, 1, 2, 2})),
		// zero input channels: every output is an empty sum plus the bias
		c("zero_channels", nil, t([]int{1, 0, 3, 3}), t([]int{2, 0, 2, 2}), t([]int{2}, 1, 2),
			t([]int{1, 2, 2, 2}, 1, 1, 1, 1, 2, 2, 2, 2)),
		// zero output channels
		c("zero_outputs", nil, x3x3(f32), t([]int{0, 1, 2, 2}), nil, t([]int{1, 0, 2, 2})),
	)
	registerConvTransposeCases()
	registerConvRandomCases()
}

func registerConvTransposeCases() {
	f32 := tensor.Float32
	t := func(shape []int, vals ...float64) *tensor.Tensor { return mmT(f32, shape, vals...) }
	c := func(name string, attrs ops.Attrs, x, w, b, want *tensor.Tensor) Case {
		return convCase("conv_transpose", name, attrs, x, w, b, want)
	}
	// Throughout: out[o] = Σ x[i]·w[j] over i·stride + j·dilation − pad_begin = o.
	x123 := t([]int{1, 1, 3}, 1, 2, 3)
	w110 := t([]int{1, 1, 2}, 1, 10)
	w111 := t([]int{1, 1, 3}, 1, 1, 1)
	// x = [1 2 3], w = [1 1 1], stride 2: the full output (no padding) has 2·2+3 = 7 entries;
	// x[i] adds to 2i..2i+2: [1 1 1+2 2 2+3 3 3] = [1 1 3 2 5 3 3]
	s2 := []int{2}
	x2x2 := t([]int{1, 1, 2, 2}, 1, 2, 3, 4)
	Register(
		// stride 1, O = 3−1+2 = 4: o0 = 1, o1 = 2+10 = 12, o2 = 3+20 = 23, o3 = 30
		c("1d", nil, x123, w110, nil, t([]int{1, 1, 4}, 1, 12, 23, 30)),
		// stride 2, no overlap: x[i] writes x[i]·[1 10] at 2i → [1 10 2 20 3 30]
		c("1d_stride2", ops.Attrs{"strides": s2}, x123, w110, nil, t([]int{1, 1, 6}, 1, 10, 2, 20, 3, 30)),
		// stride 2 with overlapping windows: the full output above
		c("1d_stride2_overlap", ops.Attrs{"strides": s2}, x123, w111, nil, t([]int{1, 1, 7}, 1, 1, 3, 2, 5, 3, 3)),
		// pads [1 1] crop one entry off each end of the full output: [1 3 2 5 3]
		c("1d_pads", ops.Attrs{"strides": s2, "pads": []int{1, 1}}, x123, w111, nil,
			t([]int{1, 1, 5}, 1, 3, 2, 5, 3)),
		// pads [0 2] crop two entries off the end: [1 1 3 2 5]
		c("1d_pads_end", ops.Attrs{"strides": s2, "pads": []int{0, 2}}, x123, w111, nil,
			t([]int{1, 1, 5}, 1, 1, 3, 2, 5)),
		// output_padding 1 adds one entry at the end that nothing writes: O = 2·2+1+2 = 7
		c("1d_output_padding", ops.Attrs{"strides": s2, "output_padding": []int{1}}, x123, w110, nil,
			t([]int{1, 1, 7}, 1, 10, 2, 20, 3, 30, 0)),
		// output_shape 6 < 7: total padding 1, NOTSET puts total − floor(total/2) = 1 at the
		// beginning: [1 3 2 5 3 3]
		c("1d_output_shape", ops.Attrs{"strides": s2, "output_shape": []int{6}}, x123, w111, nil,
			t([]int{1, 1, 6}, 1, 3, 2, 5, 3, 3)),
		// with SAME_UPPER the beginning gets floor(1/2) = 0 and the end 1: [1 1 3 2 5 3]
		c("1d_output_shape_same_upper", ops.Attrs{"strides": s2, "output_shape": []int{6}, "auto_pad": "SAME_UPPER"},
			x123, w111, nil, t([]int{1, 1, 6}, 1, 1, 3, 2, 5, 3)),
		// output_shape 8 > 7: total −1, pad_begin = −1 − floor(−1/2) = 0, pad_end = −1: one extra
		// entry at the end, written by nothing: [1 1 3 2 5 3 3 0]
		c("1d_output_shape_larger", ops.Attrs{"strides": s2, "output_shape": []int{8}}, x123, w111, nil,
			t([]int{1, 1, 8}, 1, 1, 3, 2, 5, 3, 3, 0)),
		// auto_pad SAME_UPPER targets O = 3·2 = 6: total 7−6 = 1 goes to the end: [1 1 3 2 5 3]
		c("1d_same_upper", ops.Attrs{"strides": s2, "auto_pad": "SAME_UPPER"}, x123, w111, nil,
			t([]int{1, 1, 6}, 1, 1, 3, 2, 5, 3)),
		// SAME_LOWER puts it at the beginning: [1 3 2 5 3 3]
		c("1d_same_lower", ops.Attrs{"strides": s2, "auto_pad": "SAME_LOWER"}, x123, w111, nil,
			t([]int{1, 1, 6}, 1, 3, 2, 5, 3, 3)),
		// VALID is the full output
		c("1d_valid", ops.Attrs{"strides": s2, "auto_pad": "VALID"}, x123, w111, nil,
			t([]int{1, 1, 7}, 1, 1, 3, 2, 5, 3, 3)),
		// dilation 2: w = [1 10] spans 3, O = 2−1+3 = 4; x[0] = 1 writes o0 += 1, o2 += 10;
		// x[1] = 2 writes o1 += 2, o3 += 20 → [1 2 10 20]
		c("1d_dilation2", ops.Attrs{"dilations": []int{2}}, t([]int{1, 1, 2}, 1, 2), w110, nil,
			t([]int{1, 1, 4}, 1, 2, 10, 20)),
		// bias 1 added everywhere to 1d: [2 13 24 31]
		c("1d_bias", nil, x123, w110, t([]int{1}, 1), t([]int{1, 1, 4}, 2, 13, 24, 31)),
		// 2-D stride 2 with x = [[1 2] [3 4]], w = [[1 2] [3 4]]: blocks x[i][j]·w tile the 4x4 output:
		// 1 2 2 4 / 3 4 6 8 / 3 6 4 8 / 9 12 12 16
		c("2d_stride2", ops.Attrs{"strides": []int{2, 2}}, x2x2, t([]int{1, 1, 2, 2}, 1, 2, 3, 4), nil,
			t([]int{1, 1, 4, 4}, 1, 2, 2, 4, 3, 4, 6, 8, 3, 6, 4, 8, 9, 12, 12, 16)),
		// pads 1 on every side keep the middle 2x2 of that: 4 6 / 6 4
		c("2d_stride2_pads", ops.Attrs{"strides": []int{2, 2}, "pads": []int{1, 1, 1, 1}}, x2x2,
			t([]int{1, 1, 2, 2}, 1, 2, 3, 4), nil, t([]int{1, 1, 2, 2}, 4, 6, 6, 4)),
		// output_shape [3 3]: total padding 1 per dim, at the beginning (NOTSET): rows and cols 1..3:
		// 4 6 8 / 6 4 8 / 12 12 16
		c("2d_output_shape", ops.Attrs{"strides": []int{2, 2}, "output_shape": []int{3, 3}}, x2x2,
			t([]int{1, 1, 2, 2}, 1, 2, 3, 4), nil, t([]int{1, 1, 3, 3}, 4, 6, 8, 6, 4, 8, 12, 12, 16)),
		// output_padding [1 0]: one extra (zero) row at the bottom, O = 5x4
		c("2d_output_padding", ops.Attrs{"strides": []int{2, 2}, "output_padding": []int{1, 0}}, x2x2,
			t([]int{1, 1, 2, 2}, 1, 2, 3, 4), nil,
			t([]int{1, 1, 5, 4}, 1, 2, 2, 4, 3, 4, 6, 8, 3, 6, 4, 8, 9, 12, 12, 16, 0, 0, 0, 0)),
		// 2-D bias with two outputs: a single pixel 2 times w0 = [[1 2] [3 4]] plus 10 → 12 14 16 18;
		// times w1 = ones, minus 1 → 2−1 = 1 everywhere
		c("2d_bias", nil, t([]int{1, 1, 1, 1}, 2), t([]int{1, 2, 2, 2}, 1, 2, 3, 4, 1, 1, 1, 1), t([]int{2}, 10, -1),
			t([]int{1, 2, 2, 2}, 12, 14, 16, 18, 1, 1, 1, 1)),
		// group 2: ch0 = [1 2] with [1 1] → [1 3 2]; ch1 = [3 4] with [1 −1] → [3 −3+4 −4] = [3 1 −4]
		c("group2", ops.Attrs{"group": 2}, t([]int{1, 2, 2}, 1, 2, 3, 4), t([]int{2, 1, 2}, 1, 1, 1, -1), nil,
			t([]int{1, 2, 3}, 1, 3, 2, 3, 1, -4)),
		// group 2 with two outputs per group (M = 2·2): ch0 = 2 feeds outputs 0,1 through
		// w[0] = [1 10] → 2, 20; ch1 = 3 feeds outputs 2,3 through w[1] = [100 1000] → 300, 3000
		c("group2_two_outputs", ops.Attrs{"group": 2}, t([]int{1, 2, 1}, 2, 3), t([]int{2, 2, 1}, 1, 10, 100, 1000), nil,
			t([]int{1, 4, 1}, 2, 20, 300, 3000)),
		// the same tensors with group 1 sum over both channels: out0 = 2·1 + 3·100 = 302,
		// out1 = 2·10 + 3·1000 = 3020
		c("group1_two_channels", nil, t([]int{1, 2, 1}, 2, 3), t([]int{2, 2, 1}, 1, 10, 100, 1000), nil,
			t([]int{1, 2, 1}, 302, 3020)),
		// 3-D: x = [1 2] along the last dim, w = [1 −1] along the first: out[d][0][w] = w[d]·x[w]
		c("3d", nil, t([]int{1, 1, 1, 1, 2}, 1, 2), t([]int{1, 1, 2, 1, 1}, 1, -1), nil,
			t([]int{1, 1, 2, 1, 2}, 1, 2, -1, -2)),
		// other dtypes, same numbers as 1d
		c("float64", nil, mmT(tensor.Float64, []int{1, 1, 3}, 1, 2, 3), mmT(tensor.Float64, []int{1, 1, 2}, 1, 10), nil,
			mmT(tensor.Float64, []int{1, 1, 4}, 1, 12, 23, 30)),
		c("float16", nil, mmT(tensor.Float16, []int{1, 1, 3}, 1, 2, 3), mmT(tensor.Float16, []int{1, 1, 2}, 1, 10), nil,
			mmT(tensor.Float16, []int{1, 1, 4}, 1, 12, 23, 30)),
		// zero batch
		c("zero_batch", nil, t([]int{0, 1, 3}), w110, nil, t([]int{0, 1, 4})),
	)
}

func registerConvRandomCases() {
	f32 := tensor.Float32
	in := func(d tensor.DType, shape ...int) Input { return Input{DType: d, Shape: shape} }
	x := in(f32, 1, 3, 8, 8)
	w := in(f32, 4, 3, 3, 3)
	b := in(f32, 4)
	r := func(name string, op string, attrs ops.Attrs, inputs ...Input) RandomCase {
		return RandomCase{Name: op + "/random_" + name, Op: op, Attrs: attrs, Inputs: inputs}
	}
	RegisterRandom(
		r("2d", "conv", nil, x, w, b),
		r("2d_pads1", "conv", ops.Attrs{"pads": []int{1, 1, 1, 1}}, x, w, b),
		r("2d_stride2_pads1", "conv", ops.Attrs{"strides": []int{2, 2}, "pads": []int{1, 1, 1, 1}}, x, w),
		r("2d_pads_asymmetric", "conv", ops.Attrs{"pads": []int{0, 1, 2, 1}, "strides": []int{1, 2}}, x, w, b),
		r("2d_same_upper_stride2", "conv", ops.Attrs{"auto_pad": "SAME_UPPER", "strides": []int{2, 2}}, x, w, b),
		r("2d_same_lower", "conv", ops.Attrs{"auto_pad": "SAME_LOWER"}, x, in(f32, 4, 3, 2, 2)),
		r("2d_dilated", "conv", ops.Attrs{"dilations": []int{2, 2}, "pads": []int{2, 2, 2, 2}}, x, w, b),
		r("2d_grouped", "conv", ops.Attrs{"group": 2, "pads": []int{1, 1, 1, 1}},
			in(f32, 2, 4, 8, 8), in(f32, 6, 2, 3, 3), in(f32, 6)),
		r("2d_depthwise", "conv", ops.Attrs{"group": 4, "pads": []int{1, 1, 1, 1}},
			in(f32, 1, 4, 8, 8), in(f32, 4, 1, 3, 3), in(f32, 4)),
		r("1d", "conv", ops.Attrs{"strides": []int{2}, "pads": []int{2, 2}}, in(f32, 2, 3, 16), in(f32, 5, 3, 5), in(f32, 5)),
		r("3d", "conv", ops.Attrs{"pads": []int{1, 1, 1, 1, 1, 1}},
			in(f32, 1, 2, 5, 6, 7), in(f32, 3, 2, 3, 3, 3), in(f32, 3)),
		r("2d_float64", "conv", ops.Attrs{"pads": []int{1, 1, 1, 1}},
			in(tensor.Float64, 1, 3, 8, 8), in(tensor.Float64, 4, 3, 3, 3), in(tensor.Float64, 4)),
		r("2d_float16", "conv", nil, in(tensor.Float16, 1, 3, 6, 6), in(tensor.Float16, 2, 3, 3, 3)),

		r("2d_stride2", "conv_transpose", ops.Attrs{"strides": []int{2, 2}, "pads": []int{1, 1, 1, 1},
			"output_padding": []int{1, 1}}, in(f32, 1, 4, 5, 5), in(f32, 4, 3, 3, 3), in(f32, 3)),
		r("2d_same_upper", "conv_transpose", ops.Attrs{"strides": []int{2, 2}, "auto_pad": "SAME_UPPER"},
			in(f32, 1, 2, 4, 4), in(f32, 2, 3, 3, 3)),
		r("2d_grouped", "conv_transpose", ops.Attrs{"group": 2, "strides": []int{2, 2}},
			in(f32, 2, 4, 3, 3), in(f32, 4, 2, 2, 2), in(f32, 4)),
		r("2d_dilated", "conv_transpose", ops.Attrs{"dilations": []int{2, 2}}, in(f32, 1, 2, 4, 4), in(f32, 2, 2, 3, 3)),
		r("1d", "conv_transpose", ops.Attrs{"strides": []int{3}, "output_shape": []int{20}},
			in(f32, 1, 3, 6), in(f32, 3, 2, 4), in(f32, 2)),
		r("3d", "conv_transpose", ops.Attrs{"strides": []int{2, 1, 2}},
			in(f32, 1, 2, 3, 3, 3), in(f32, 2, 2, 2, 2, 2)),
	)
}
