package onnx

import (
	"testing"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

// Import tests of MaxPool, AveragePool and the global pools, with their opset
// variants. nnX3x3 is the 1x1x3x3 input holding 1..9 row-major.

func TestNNMaxPool(t *testing.T) {
	x4 := nnF32(nnShape(1, 1, 4, 4), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)
	mp := func(outs []string, attrs ...onnxpb.Attribute) onnxpb.Node {
		return node("MaxPool", []string{"x"}, outs, attrs...)
	}
	y := []string{"y"}
	nnRun(t, []nnCase{
		// 2x2 windows, stride 2, over 1..16: the bottom-right of each window
		{name: "2d", opset: 6, node: mp(y, aInts("kernel_shape", 2, 2), aInts("strides", 2, 2)),
			inputs: nnIn(1, 1, 4, 4), feeds: []*tensor.Tensor{x4}, want: nnF32(nnShape(1, 1, 2, 2), 6, 8, 14, 16)},
		// opset 8 storage_order 1 only matters for Indices, which is not wired; an empty
		// Indices name is an unused output
		{name: "storage_order unwired indices", opset: 8,
			node:   mp([]string{"y", ""}, aInts("kernel_shape", 2, 2), aInts("strides", 2, 2), aInt("storage_order", 1)),
			inputs: nnIn(1, 1, 4, 4), feeds: []*tensor.Tensor{x4}, want: nnF32(nnShape(1, 1, 2, 2), 6, 8, 14, 16)},
		// opset 10 ceil_mode: 3x3 input, 2x2 stride 2 gives 2x2 windows: max(1,2,4,5), max(3,6), max(7,8), 9
		{name: "ceil_mode", opset: 10, node: mp(y, aInts("kernel_shape", 2, 2), aInts("strides", 2, 2), aInt("ceil_mode", 1)),
			inputs: nnIn(1, 1, 3, 3), feeds: []*tensor.Tensor{nnX3x3}, want: nnF32(nnShape(1, 1, 2, 2), 5, 6, 8, 9)},
		// without ceil_mode only the first window fits
		{name: "floor", opset: 10, node: mp(y, aInts("kernel_shape", 2, 2), aInts("strides", 2, 2)),
			inputs: nnIn(1, 1, 3, 3), feeds: []*tensor.Tensor{nnX3x3}, want: nnF32(nnShape(1, 1, 1, 1), 5)},
		// opset 10 dilations, 1-D: taps i and i+2 of [1,5,2,4,3]: max(1,2), max(5,4), max(2,3)
		{name: "1d dilated", opset: 10, node: mp(y, aInts("kernel_shape", 2), aInts("dilations", 2)),
			inputs: nnIn(1, 1, 5), feeds: []*tensor.Tensor{nnF32(nnShape(1, 1, 5), 1, 5, 2, 4, 3)},
			want: nnF32(nnShape(1, 1, 3), 2, 5, 3)},
		// pads 1 on [-3,-1,-2], kernel 2 stride 2: floor((3+2−2)/2)+1 = 2 windows, {pad,-3} and
		// {-1,-2}; padding never wins, so -3 and -1
		{name: "1d pads negative values", opset: 11,
			node:   mp(y, aInts("kernel_shape", 2), aInts("strides", 2), aInts("pads", 1, 1)),
			inputs: nnIn(1, 1, 3), feeds: []*tensor.Tensor{nnF32(nnShape(1, 1, 3), -3, -1, -2)},
			want: nnF32(nnShape(1, 1, 2), -3, -1)},
		// SAME_UPPER: 1-D [1,3,2], kernel 2 stride 1: the pad goes at the end: max(1,3), max(3,2), max(2)
		{name: "SAME_UPPER", opset: 11, node: mp(y, aInts("kernel_shape", 2), aString("auto_pad", "SAME_UPPER")),
			inputs: nnIn(1, 1, 3), feeds: []*tensor.Tensor{nnF32(nnShape(1, 1, 3), 1, 3, 2)},
			want: nnF32(nnShape(1, 1, 3), 3, 3, 2)},
		// int8 (opset 12): [-1,-5 | 3,2] → -1, 3
		{name: "int8", opset: 12, node: mp(y, aInts("kernel_shape", 2), aInts("strides", 2)),
			inputs: []onnxpb.ValueInfo{tin("x", onnxpb.Int8, 1, 1, 4)},
			feeds:  []*tensor.Tensor{tensor.MustFromSlice([]int8{-1, -5, 3, 2}, 1, 1, 4)},
			want:   tensor.MustFromSlice([]int8{-1, 3}, 1, 1, 2)},
	})
	nnRunErrs(t, []nnErrCase{
		{name: "indices output", opset: 8, node: mp([]string{"y", "idx"}, aInts("kernel_shape", 2, 2)),
			inputs: nnIn(1, 1, 4, 4), kind: ErrUnsupported, msg: "idx"},
		{name: "dilations before opset 10", opset: 8, node: mp(y, aInts("kernel_shape", 2, 2), aInts("dilations", 2, 2)),
			inputs: nnIn(1, 1, 4, 4), kind: ErrInvalidModel, msg: "before opset 10"},
		{name: "ceil_mode before opset 10", opset: 9, node: mp(y, aInts("kernel_shape", 2, 2), aInt("ceil_mode", 1)),
			inputs: nnIn(1, 1, 4, 4), kind: ErrInvalidModel, msg: "before opset 10"},
		{name: "storage_order before opset 8", opset: 7, node: mp(y, aInts("kernel_shape", 2, 2), aInt("storage_order", 0)),
			inputs: nnIn(1, 1, 4, 4), kind: ErrInvalidModel, msg: "before opset 8"},
		{name: "storage_order 2", opset: 8, node: mp(y, aInts("kernel_shape", 2, 2), aInt("storage_order", 2)),
			inputs: nnIn(1, 1, 4, 4), kind: ErrInvalidModel, msg: "storage_order"},
		{name: "no kernel_shape", opset: 11, node: mp(y), inputs: nnIn(1, 1, 4, 4), kind: ErrInvalidModel, msg: "kernel_shape"},
		{name: "kernel_shape wrong length", opset: 11, node: mp(y, aInts("kernel_shape", 2)),
			inputs: nnIn(1, 1, 4, 4), kind: ErrInvalidModel, msg: "kernel_shape"},
		{name: "zero stride", opset: 11, node: mp(y, aInts("kernel_shape", 2, 2), aInts("strides", 0, 1)),
			inputs: nnIn(1, 1, 4, 4), kind: ErrInvalidModel, msg: "strides"},
		{name: "rank 2 input", opset: 11, node: mp(y, aInts("kernel_shape", 2)),
			inputs: nnIn(4, 4), kind: ErrInvalidModel, msg: "rank 2"},
	})
}

func TestNNAveragePool(t *testing.T) {
	ap := func(attrs ...onnxpb.Attribute) onnxpb.Node {
		return node("AveragePool", []string{"x"}, []string{"y"}, attrs...)
	}
	nnRun(t, []nnCase{
		// 2x2 windows stride 1 over 1..9: (1+2+4+5)/4, (2+3+5+6)/4, (4+5+7+8)/4, (5+6+8+9)/4
		{name: "2d", opset: 6, node: ap(aInts("kernel_shape", 2, 2)),
			inputs: nnIn(1, 1, 3, 3), feeds: []*tensor.Tensor{nnX3x3}, want: nnF32(nnShape(1, 1, 2, 2), 3, 4, 6, 7)},
		// pads 1, stride 2: window sums 1, 2+3, 4+7, 5+6+8+9 over 1, 2, 2, 4 input positions
		{name: "pads exclude", opset: 7, node: ap(aInts("kernel_shape", 2, 2), aInts("strides", 2, 2), aInts("pads", 1, 1, 1, 1)),
			inputs: nnIn(1, 1, 3, 3), feeds: []*tensor.Tensor{nnX3x3}, want: nnF32(nnShape(1, 1, 2, 2), 1, 2.5, 5.5, 7)},
		// count_include_pad 1: the same sums over 4
		{name: "pads include", opset: 7,
			node: ap(aInts("kernel_shape", 2, 2), aInts("strides", 2, 2), aInts("pads", 1, 1, 1, 1),
				aInt("count_include_pad", 1)),
			inputs: nnIn(1, 1, 3, 3), feeds: []*tensor.Tensor{nnX3x3}, want: nnF32(nnShape(1, 1, 2, 2), 0.25, 1.25, 2.75, 7)},
		// ceil_mode (opset 10): windows {1,2,4,5}, {3,6}, {7,8}, {9}, averaged over their input positions
		{name: "ceil_mode", opset: 10, node: ap(aInts("kernel_shape", 2, 2), aInts("strides", 2, 2), aInt("ceil_mode", 1)),
			inputs: nnIn(1, 1, 3, 3), feeds: []*tensor.Tensor{nnX3x3}, want: nnF32(nnShape(1, 1, 2, 2), 3, 4.5, 7.5, 9)},
		// dilations (opset 19), 1-D: taps i and i+2 of [1..5]: (1+3)/2, (2+4)/2, (3+5)/2
		{name: "1d dilated", opset: 19, node: ap(aInts("kernel_shape", 2), aInts("dilations", 2)),
			inputs: nnIn(1, 1, 5), feeds: []*tensor.Tensor{nnF32(nnShape(1, 1, 5), 1, 2, 3, 4, 5)},
			want: nnF32(nnShape(1, 1, 3), 2, 3, 4)},
		// 3-D, one 2x2x2 window over 1..8: 36/8
		{name: "3d", opset: 11, node: ap(aInts("kernel_shape", 2, 2, 2)),
			inputs: nnIn(1, 1, 2, 2, 2), feeds: []*tensor.Tensor{nnF32(nnShape(1, 1, 2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8)},
			want: nnF32(nnShape(1, 1, 1, 1, 1), 4.5)},
		// float64, SAME_LOWER: 1-D [2,4,6], kernel 2: the pad goes first: 2/1, (2+4)/2, (4+6)/2
		{name: "float64 SAME_LOWER", opset: 11, node: ap(aInts("kernel_shape", 2), aString("auto_pad", "SAME_LOWER")),
			inputs: []onnxpb.ValueInfo{tin("x", onnxpb.Double, 1, 1, 3)},
			feeds:  []*tensor.Tensor{tensor.MustFromSlice([]float64{2, 4, 6}, 1, 1, 3)},
			want:   tensor.MustFromSlice([]float64{2, 3, 5}, 1, 1, 3)},
	})
	nnRunErrs(t, []nnErrCase{
		{name: "count_include_pad before opset 7", opset: 6, node: ap(aInts("kernel_shape", 2, 2), aInt("count_include_pad", 1)),
			inputs: nnIn(1, 1, 3, 3), kind: ErrInvalidModel, msg: "before opset 7"},
		{name: "ceil_mode before opset 10", opset: 9, node: ap(aInts("kernel_shape", 2, 2), aInt("ceil_mode", 1)),
			inputs: nnIn(1, 1, 3, 3), kind: ErrInvalidModel, msg: "before opset 10"},
		{name: "dilations before opset 19", opset: 18, node: ap(aInts("kernel_shape", 2, 2), aInts("dilations", 1, 1)),
			inputs: nnIn(1, 1, 3, 3), kind: ErrInvalidModel, msg: "before opset 19"},
		{name: "count_include_pad 2", opset: 11, node: ap(aInts("kernel_shape", 2, 2), aInt("count_include_pad", 2)),
			inputs: nnIn(1, 1, 3, 3), kind: ErrInvalidModel, msg: "count_include_pad"},
		{name: "integer input", opset: 11, node: ap(aInts("kernel_shape", 2)),
			inputs: []onnxpb.ValueInfo{tin("x", onnxpb.Int32, 1, 1, 3)}, kind: ErrInvalidModel, msg: "int32"},
		{name: "auto_pad bogus", opset: 11, node: ap(aInts("kernel_shape", 2), aString("auto_pad", "FULL")),
			inputs: nnIn(1, 1, 3), kind: ErrInvalidModel, msg: "auto_pad"},
	})
}

func TestNNGlobalPool(t *testing.T) {
	// channel 0 holds 1..4 (mean 2.5, max 4); channel 1 holds -1,-2,-3,-6 (mean -3, max -1)
	x := nnF32(nnShape(1, 2, 2, 2), 1, 2, 3, 4, -1, -2, -3, -6)
	nnRun(t, []nnCase{
		{name: "avg", opset: 6, node: node("GlobalAveragePool", []string{"x"}, []string{"y"}),
			inputs: nnIn(1, 2, 2, 2), feeds: []*tensor.Tensor{x}, want: nnF32(nnShape(1, 2, 1, 1), 2.5, -3)},
		{name: "max", opset: 13, node: node("GlobalMaxPool", []string{"x"}, []string{"y"}),
			inputs: nnIn(1, 2, 2, 2), feeds: []*tensor.Tensor{x}, want: nnF32(nnShape(1, 2, 1, 1), 4, -1)},
		// 1-D spatial: [1,2,3] → mean 2
		{name: "avg 1d", opset: 13, node: node("GlobalAveragePool", []string{"x"}, []string{"y"}),
			inputs: nnIn(1, 1, 3), feeds: []*tensor.Tensor{nnF32(nnShape(1, 1, 3), 1, 2, 3)},
			want: nnF32(nnShape(1, 1, 1), 2)},
	})
	nnRunErrs(t, []nnErrCase{
		{name: "rank 2", opset: 13, node: node("GlobalMaxPool", []string{"x"}, []string{"y"}),
			inputs: nnIn(2, 2), kind: ErrInvalidModel, msg: "rank 2"},
		{name: "two inputs", opset: 13, node: node("GlobalAveragePool", []string{"x", "x"}, []string{"y"}),
			inputs: nnIn(1, 1, 2), kind: ErrInvalidModel, msg: "has 2 inputs"},
	})
}
