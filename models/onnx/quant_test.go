package onnx

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

// Hand-computed cases of the quantization compositions (quant.go).

func TestQuantizeDequantize(t *testing.T) {
	x := nnF32(nnShape(2, 3), 0, 1, 2.5, -3, 300, 3)
	in := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 3)}
	// per tensor: x/2 rounded half to even, + 10, saturated to uint8
	out := cmpRun(t, 13, node("QuantizeLinear", []string{"x", "s", "z"}, []string{"y"}), []string{"y"}, in, []*tensor.Tensor{x},
		initializer(t, "s", tensor.Scalar(float32(2))), initializer(t, "z", tensor.Scalar(uint8(10))))
	require.Equal(t, []uint8{10, 10, 11, 8, 160, 12}, tensor.MustView[uint8](out[0]))
	// per axis 1 (scales 1, 2, 4), int8 zero points 0, 1, −1: round(x/s) + z saturated to int8
	out = cmpRun(t, 13, node("QuantizeLinear", []string{"x", "s", "z"}, []string{"y"}, aInt("axis", 1)), []string{"y"}, in,
		[]*tensor.Tensor{x}, initializer(t, "s", nnF32(nnShape(3), 1, 2, 4)),
		initializer(t, "z", tensor.MustFromSlice([]int8{0, 1, -1}, 3)))
	require.Equal(t, []int8{0, 1, 0, -3, 127, 0}, tensor.MustView[int8](out[0]))
	// blocked along axis 1 with block 2: scales [[1, 10], [2, 20]] cover columns {0,1}, {2}
	q := tensor.MustFromSlice([]int8{1, 2, 3, 4, 5, 6}, 2, 3)
	out = cmpRun(t, 21, node("DequantizeLinear", []string{"q", "s"}, []string{"y"}, aInt("axis", 1), aInt("block_size", 2)),
		[]string{"y"}, []onnxpb.ValueInfo{tin("q", onnxpb.Int8, 2, 3)}, []*tensor.Tensor{q},
		initializer(t, "s", nnF32(nnShape(2, 2), 1, 10, 2, 20)))
	requireClose(t, out[0], nnF32(nnShape(2, 3), 1, 2, 30, 8, 10, 120))
}

func TestQuantizedMatMul(t *testing.T) {
	a := tensor.MustFromSlice([]uint8{12, 14, 10, 20}, 2, 2)
	b := tensor.MustFromSlice([]uint8{3, 4, 5, 6}, 2, 2)
	in := []onnxpb.ValueInfo{tin("a", onnxpb.Uint8, 2, 2), tin("b", onnxpb.Uint8, 2, 2)}
	// (a − 10)·(b − 3) = [[2 4] [0 10]]·[[0 1] [2 3]] = [[8 14] [20 30]]
	out := cmpRun(t, 10, node("MatMulInteger", []string{"a", "b", "az", "bz"}, []string{"y"}), []string{"y"}, in,
		[]*tensor.Tensor{a, b}, initializer(t, "az", tensor.Scalar(uint8(10))), initializer(t, "bz", tensor.Scalar(uint8(3))))
	require.Equal(t, []int32{8, 14, 20, 30}, tensor.MustView[int32](out[0]))
	// QLinearMatMul: that product · (0.5·0.5/1) = [[2 3.5] [5 7.5]] → half to even [[2 4] [5 8]] + 1
	out = cmpRun(t, 10, node("QLinearMatMul", []string{"a", "as", "az", "b", "bs", "bz", "ys", "yz"}, []string{"y"}),
		[]string{"y"}, in, []*tensor.Tensor{a, b},
		initializer(t, "as", tensor.Scalar(float32(0.5))), initializer(t, "az", tensor.Scalar(uint8(10))),
		initializer(t, "bs", tensor.Scalar(float32(0.5))), initializer(t, "bz", tensor.Scalar(uint8(3))),
		initializer(t, "ys", tensor.Scalar(float32(1))), initializer(t, "yz", tensor.Scalar(uint8(1))))
	require.Equal(t, []uint8{3, 5, 6, 9}, tensor.MustView[uint8](out[0]))
}

func TestDynamicQuantizeLinear(t *testing.T) {
	// range [−1, 4] (0 included): scale 5/255, zero point round(1/(5/255)) = 51
	x := nnF32(nnShape(3), -1, 0, 4)
	out := cmpRun(t, 11, node("DynamicQuantizeLinear", []string{"x"}, []string{"y", "s", "z"}), []string{"y", "s", "z"},
		[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 3)}, []*tensor.Tensor{x})
	require.Equal(t, []uint8{0, 51, 255}, tensor.MustView[uint8](out[0]))
	requireClose(t, out[1], tensor.Scalar(float32(5.0/255)))
	require.Equal(t, []uint8{51}, tensor.MustView[uint8](out[2]))
}
