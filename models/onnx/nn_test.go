package onnx

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

// Import tests of the nn mappers: each builds a one-node graph with output
// "y", runs it on ref and compares with values computed by hand.

// nnCase is one import-and-run test: a node at an opset, its graph inputs
// (fed with feeds, in order) and initializers, and the expected output y.
type nnCase struct {
	name   string
	opset  int64
	node   onnxpb.Node
	inputs []onnxpb.ValueInfo
	feeds  []*tensor.Tensor
	inits  []nnInit
	want   *tensor.Tensor
}

// nnInit is an initializer by name, converted when the test runs.
type nnInit struct {
	name string
	v    *tensor.Tensor
}

// nnErrCase is an import that must fail with the given kind, the message
// containing msg.
type nnErrCase struct {
	name   string
	opset  int64
	node   onnxpb.Node
	inputs []onnxpb.ValueInfo
	inits  []nnInit
	kind   error
	msg    string
}

func nnF32(shape []int, v ...float32) *tensor.Tensor { return tensor.MustFromSlice(v, shape...) }

func nnShape(d ...int) []int { return d }

func nnModel(t *testing.T, opset int64, n onnxpb.Node, inputs []onnxpb.ValueInfo, inits []nnInit) *onnxpb.Model {
	var ts []onnxpb.Tensor
	for _, in := range inits {
		ts = append(ts, initializer(t, in.name, in.v))
	}
	outs := []onnxpb.ValueInfo{tout("y")}
	return model(opset, []onnxpb.Node{n}, inputs, outs, ts...)
}

func nnRun(t *testing.T, cases []nnCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := runModel(t, nnModel(t, tc.opset, tc.node, tc.inputs, tc.inits), tc.feeds...)
			require.Len(t, out, 1)
			requireClose(t, out[0], tc.want)
		})
	}
}

func nnRunErrs(t *testing.T, cases []nnErrCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := importErr(t, nnModel(t, tc.opset, tc.node, tc.inputs, tc.inits))
			require.ErrorIs(t, e, tc.kind)
			require.Contains(t, e.Error(), tc.msg)
			require.Equal(t, tc.node.Name, e.Node)
		})
	}
}

var (
	nnX3x3 = nnF32(nnShape(1, 1, 3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9)
	nnIn   = func(dims ...int64) []onnxpb.ValueInfo { return []onnxpb.ValueInfo{tin("x", onnxpb.Float, dims...)} }
)

func TestNNMatMul(t *testing.T) {
	a := nnF32(nnShape(2, 3), 1, 2, 3, 4, 5, 6)
	b := nnF32(nnShape(3, 2), 1, 0, 0, 1, 1, 1)
	nnRun(t, []nnCase{
		// [[1,2,3],[4,5,6]]·[[1,0],[0,1],[1,1]] = [[1+3, 2+3], [4+6, 5+6]]
		{name: "2d", opset: 13, node: node("MatMul", []string{"x", "b"}, []string{"y"}),
			inputs: nnIn(2, 3), feeds: []*tensor.Tensor{a}, inits: []nnInit{{"b", b}},
			want: nnF32(nnShape(2, 2), 4, 5, 10, 11)},
		// [1,2]·[[1,2],[3,4]] = [1+6, 2+8], the promoted dim dropped
		{name: "vector-matrix", opset: 6, node: node("MatMul", []string{"x", "b"}, []string{"y"}),
			inputs: nnIn(2), feeds: []*tensor.Tensor{nnF32(nnShape(2), 1, 2)},
			inits: []nnInit{{"b", nnF32(nnShape(2, 2), 1, 2, 3, 4)}},
			want:  nnF32(nnShape(2), 7, 10)},
		// integer MatMul (opset 9+): same arithmetic as "2d"
		{name: "int32", opset: 9, node: node("MatMul", []string{"x", "b"}, []string{"y"}),
			inputs: []onnxpb.ValueInfo{tin("x", onnxpb.Int32, 2, 3)},
			feeds:  []*tensor.Tensor{tensor.MustFromSlice([]int32{1, 2, 3, 4, 5, 6}, 2, 3)},
			inits:  []nnInit{{"b", tensor.MustFromSlice([]int32{1, 0, 0, 1, 1, 1}, 3, 2)}},
			want:   tensor.MustFromSlice([]int32{4, 5, 10, 11}, 2, 2)},
		// batch dims broadcast: [2,1,2]·[2,2] with b = [[0,1],[1,0]] swaps columns
		{name: "batched", opset: 13, node: node("MatMul", []string{"x", "b"}, []string{"y"}),
			inputs: nnIn(2, 1, 2), feeds: []*tensor.Tensor{nnF32(nnShape(2, 1, 2), 1, 2, 3, 4)},
			inits: []nnInit{{"b", nnF32(nnShape(2, 2), 0, 1, 1, 0)}},
			want:  nnF32(nnShape(2, 1, 2), 2, 1, 4, 3)},
	})
	nnRunErrs(t, []nnErrCase{
		{name: "one input", opset: 13, node: node("MatMul", []string{"x"}, []string{"y"}),
			inputs: nnIn(2, 3), kind: ErrInvalidModel, msg: "has 1 inputs"},
		{name: "K mismatch", opset: 13, node: node("MatMul", []string{"x", "b"}, []string{"y"}),
			inputs: nnIn(2, 2), inits: []nnInit{{"b", b}}, kind: ErrInvalidModel, msg: "contraction"},
	})
}

func TestNNGemm(t *testing.T) {
	id := nnF32(nnShape(2, 2), 1, 0, 0, 1)
	a2 := nnF32(nnShape(2, 2), 1, 2, 3, 4)
	nnRun(t, []nnCase{
		// A (3x2) transposed = [[1,2,3],[4,5,6]]; B (2x3) transposed = [[1,0],[0,1],[1,1]];
		// A'B' = [[4,5],[10,11]]; ·alpha 2 = [[8,10],[20,22]]; + beta 0.5 · C [1,2] = + [0.5,1]
		{name: "opset13 trans alpha beta", opset: 13,
			node: node("Gemm", []string{"x", "b", "c"}, []string{"y"},
				aInt("transA", 1), aInt("transB", 1), aFloat("alpha", 2), aFloat("beta", 0.5)),
			inputs: nnIn(3, 2), feeds: []*tensor.Tensor{nnF32(nnShape(3, 2), 1, 4, 2, 5, 3, 6)},
			inits: []nnInit{{"b", nnF32(nnShape(2, 3), 1, 0, 1, 0, 1, 1)}, {"c", nnF32(nnShape(2), 1, 2)}},
			want:  nnF32(nnShape(2, 2), 8.5, 11, 20.5, 23)},
		// C optional from opset 11: [[1,2],[3,4]]·ones = [[3,3],[7,7]]
		{name: "opset11 no C", opset: 11, node: node("Gemm", []string{"x", "b"}, []string{"y"}),
			inputs: nnIn(2, 2), feeds: []*tensor.Tensor{a2}, inits: []nnInit{{"b", nnF32(nnShape(2, 2), 1, 1, 1, 1)}},
			want: nnF32(nnShape(2, 2), 3, 3, 7, 7)},
		// C a graph input of shape [2,1] broadcast over the columns: A·I + [[100],[200]]
		{name: "C non-constant column", opset: 13, node: node("Gemm", []string{"x", "b", "c"}, []string{"y"}),
			inputs: []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 2), tin("c", onnxpb.Float, 2, 1)},
			feeds:  []*tensor.Tensor{a2, nnF32(nnShape(2, 1), 100, 200)}, inits: []nnInit{{"b", id}},
			want: nnF32(nnShape(2, 2), 101, 102, 203, 204)},
		// opset 6 broadcast=1: C [10] added everywhere: A·I + 10
		{name: "opset6 broadcast", opset: 6,
			node:   node("Gemm", []string{"x", "b", "c"}, []string{"y"}, aInt("broadcast", 1)),
			inputs: nnIn(2, 2), feeds: []*tensor.Tensor{a2},
			inits: []nnInit{{"b", id}, {"c", nnF32(nnShape(1), 10)}},
			want:  nnF32(nnShape(2, 2), 11, 12, 13, 14)},
		// opset 6 without broadcast: C is (M, N); A·I + 2·[[1,2],[3,4]] = [[3,6],[9,12]]
		{name: "opset6 full C", opset: 6,
			node:   node("Gemm", []string{"x", "b", "c"}, []string{"y"}, aFloat("beta", 2)),
			inputs: nnIn(2, 2), feeds: []*tensor.Tensor{a2}, inits: []nnInit{{"b", id}, {"c", a2}},
			want: nnF32(nnShape(2, 2), 3, 6, 9, 12)},
		// beta 0 drops C: A·I
		{name: "beta 0", opset: 13, node: node("Gemm", []string{"x", "b", "c"}, []string{"y"}, aFloat("beta", 0)),
			inputs: nnIn(2, 2), feeds: []*tensor.Tensor{a2},
			inits: []nnInit{{"b", id}, {"c", nnF32(nnShape(2), 5, 5)}},
			want:  a2},
		// integer Gemm (opset 9+): [[1,2],[3,4]]·I·3 + [1,1]
		{name: "int64 alpha", opset: 13, node: node("Gemm", []string{"x", "b", "c"}, []string{"y"}, aFloat("alpha", 3)),
			inputs: []onnxpb.ValueInfo{tin("x", onnxpb.Int64, 2, 2)},
			feeds:  []*tensor.Tensor{tensor.MustFromSlice([]int64{1, 2, 3, 4}, 2, 2)},
			inits: []nnInit{{"b", tensor.MustFromSlice([]int64{1, 0, 0, 1}, 2, 2)},
				{"c", tensor.MustFromSlice([]int64{1, 1}, 2)}},
			want: tensor.MustFromSlice([]int64{4, 7, 10, 13}, 2, 2)},
	})
	nnRunErrs(t, []nnErrCase{
		{name: "opset6 C not (M,N) without broadcast", opset: 6,
			node: node("Gemm", []string{"x", "b", "c"}, []string{"y"}), inputs: nnIn(2, 2),
			inits: []nnInit{{"b", id}, {"c", nnF32(nnShape(2), 1, 2)}}, kind: ErrInvalidModel, msg: "without broadcast"},
		{name: "broadcast after opset 6", opset: 7,
			node:   node("Gemm", []string{"x", "b", "c"}, []string{"y"}, aInt("broadcast", 1)),
			inputs: nnIn(2, 2), inits: []nnInit{{"b", id}, {"c", a2}}, kind: ErrInvalidModel, msg: "removed in opset 7"},
		{name: "C required before opset 11", opset: 9, node: node("Gemm", []string{"x", "b"}, []string{"y"}),
			inputs: nnIn(2, 2), inits: []nnInit{{"b", id}}, kind: ErrInvalidModel, msg: "want 3 to 3"},
		{name: "rank 3 A", opset: 13, node: node("Gemm", []string{"x", "b"}, []string{"y"}),
			inputs: nnIn(1, 2, 2), inits: []nnInit{{"b", id}}, kind: ErrInvalidModel, msg: "rank 3"},
		{name: "C does not broadcast", opset: 13, node: node("Gemm", []string{"x", "b", "c"}, []string{"y"}),
			inputs: nnIn(2, 2), inits: []nnInit{{"b", id}, {"c", nnF32(nnShape(3), 1, 2, 3)}},
			kind: ErrInvalidModel, msg: "does not broadcast"},
		{name: "transA 2", opset: 13, node: node("Gemm", []string{"x", "b"}, []string{"y"}, aInt("transA", 2)),
			inputs: nnIn(2, 2), inits: []nnInit{{"b", id}}, kind: ErrInvalidModel, msg: "transA"},
		{name: "alpha wrong type", opset: 13, node: node("Gemm", []string{"x", "b"}, []string{"y"}, aInt("alpha", 2)),
			inputs: nnIn(2, 2), inits: []nnInit{{"b", id}}, kind: ErrInvalidModel, msg: "alpha"},
		{name: "non-integer alpha on int", opset: 13,
			node:   node("Gemm", []string{"x", "b"}, []string{"y"}, aFloat("alpha", 0.5)),
			inputs: []onnxpb.ValueInfo{tin("x", onnxpb.Int64, 2, 2)},
			inits:  []nnInit{{"b", tensor.MustFromSlice([]int64{1, 0, 0, 1}, 2, 2)}}, kind: ErrUnsupported, msg: "non-integer"},
	})
}

func TestNNConv(t *testing.T) {
	ones := nnF32(nnShape(1, 1, 2, 2), 1, 1, 1, 1)
	nnRun(t, []nnCase{
		// diagonal kernel [[1,0],[0,1]] over 1..9: (1+5, 2+6, 4+8, 5+9) + bias 10
		{name: "bias", opset: 11, node: node("Conv", []string{"x", "w", "b"}, []string{"y"}),
			inputs: nnIn(1, 1, 3, 3), feeds: []*tensor.Tensor{nnX3x3},
			inits: []nnInit{{"w", nnF32(nnShape(1, 1, 2, 2), 1, 0, 0, 1)}, {"b", nnF32(nnShape(1), 10)}},
			want:  nnF32(nnShape(1, 1, 2, 2), 16, 18, 22, 24)},
		// pad 1 all round, stride 2, 2x2 ones: windows at (0,0) (0,2) (2,0) (2,2) of the 5x5 padded input:
		// 0+0+0+1, 0+0+2+3, 0+4+0+7, 5+6+8+9
		{name: "pads strides", opset: 6,
			node: node("Conv", []string{"x", "w"}, []string{"y"},
				aInts("kernel_shape", 2, 2), aInts("pads", 1, 1, 1, 1), aInts("strides", 2, 2)),
			inputs: nnIn(1, 1, 3, 3), feeds: []*tensor.Tensor{nnX3x3}, inits: []nnInit{{"w", ones}},
			want: nnF32(nnShape(1, 1, 2, 2), 1, 5, 11, 28)},
		// SAME_UPPER with explicit zero pads (dropped): the extra pad goes to the end, so output (i,j)
		// sums x[i..i+1][j..j+1] inside the 3x3 input: 1+2+4+5, 2+3+5+6, 3+6, 4+5+7+8, 5+6+8+9, 6+9, 7+8, 8+9, 9
		{name: "SAME_UPPER", opset: 11,
			node:   node("Conv", []string{"x", "w"}, []string{"y"}, aString("auto_pad", "SAME_UPPER"), aInts("pads", 0, 0, 0, 0)),
			inputs: nnIn(1, 1, 3, 3), feeds: []*tensor.Tensor{nnX3x3}, inits: []nnInit{{"w", ones}},
			want: nnF32(nnShape(1, 1, 3, 3), 12, 16, 9, 24, 28, 15, 15, 17, 9)},
		// 1-D, group 2: channel 0 [1,2,3]*[1,1] = [3,5]; channel 1 [4,5,6]*[1,-1] = [-1,-1]
		{name: "1d groups", opset: 11, node: node("Conv", []string{"x", "w"}, []string{"y"}, aInt("group", 2)),
			inputs: nnIn(1, 2, 3), feeds: []*tensor.Tensor{nnF32(nnShape(1, 2, 3), 1, 2, 3, 4, 5, 6)},
			inits: []nnInit{{"w", nnF32(nnShape(2, 1, 2), 1, 1, 1, -1)}},
			want:  nnF32(nnShape(1, 2, 2), 3, 5, -1, -1)},
		// dilation 2: taps i and i+2 of [1..5]: 1+3, 2+4, 3+5
		{name: "1d dilated", opset: 11, node: node("Conv", []string{"x", "w"}, []string{"y"}, aInts("dilations", 2)),
			inputs: nnIn(1, 1, 5), feeds: []*tensor.Tensor{nnF32(nnShape(1, 1, 5), 1, 2, 3, 4, 5)},
			inits: []nnInit{{"w", nnF32(nnShape(1, 1, 2), 1, 1)}},
			want:  nnF32(nnShape(1, 1, 3), 4, 6, 8)},
		// float64 input, VALID: 2x2 ones over 1..9 = 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9
		{name: "float64 VALID", opset: 11,
			node:   node("Conv", []string{"x", "w"}, []string{"y"}, aString("auto_pad", "VALID")),
			inputs: []onnxpb.ValueInfo{tin("x", onnxpb.Double, 1, 1, 3, 3)},
			feeds:  []*tensor.Tensor{tensor.MustFromSlice([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3)},
			inits:  []nnInit{{"w", tensor.MustFromSlice([]float64{1, 1, 1, 1}, 1, 1, 2, 2)}},
			want:   tensor.MustFromSlice([]float64{12, 16, 24, 28}, 1, 1, 2, 2)},
	})
	nnRunErrs(t, []nnErrCase{
		{name: "strides wrong type", opset: 11, node: node("Conv", []string{"x", "w"}, []string{"y"}, aFloats("strides", 1, 1)),
			inputs: nnIn(1, 1, 3, 3), inits: []nnInit{{"w", ones}}, kind: ErrInvalidModel, msg: "strides"},
		{name: "kernel_shape mismatch", opset: 11,
			node:   node("Conv", []string{"x", "w"}, []string{"y"}, aInts("kernel_shape", 3, 3)),
			inputs: nnIn(1, 1, 3, 3), inits: []nnInit{{"w", ones}}, kind: ErrInvalidModel, msg: "kernel_shape"},
		{name: "missing weight", opset: 11, node: node("Conv", []string{"x"}, []string{"y"}),
			inputs: nnIn(1, 1, 3, 3), kind: ErrInvalidModel, msg: "has 1 inputs"},
		{name: "unknown attribute", opset: 11, node: node("Conv", []string{"x", "w"}, []string{"y"}, aInt("padding_mode", 1)),
			inputs: nnIn(1, 1, 3, 3), inits: []nnInit{{"w", ones}}, kind: ErrUnsupported, msg: "padding_mode"},
		{name: "group does not divide", opset: 11, node: node("Conv", []string{"x", "w"}, []string{"y"}, aInt("group", 2)),
			inputs: nnIn(1, 1, 3, 3), inits: []nnInit{{"w", ones}}, kind: ErrInvalidModel, msg: "group"},
		{name: "huge dilation", opset: 11,
			node:   node("Conv", []string{"x", "w"}, []string{"y"}, aInts("dilations", 1<<40, 1)),
			inputs: nnIn(1, 1, 3, 3), inits: []nnInit{{"w", ones}}, kind: ErrInvalidModel, msg: "dilation"},
		{name: "negative pads", opset: 11,
			node:   node("Conv", []string{"x", "w"}, []string{"y"}, aInts("pads", -1, 0, 0, 0)),
			inputs: nnIn(1, 1, 3, 3), inits: []nnInit{{"w", ones}}, kind: ErrInvalidModel, msg: "pads"},
	})
}

func TestNNConvTranspose(t *testing.T) {
	x1 := nnF32(nnShape(1, 1, 3), 1, 2, 3)
	w1 := nnF32(nnShape(1, 1, 2), 1, 1)
	x2 := nnF32(nnShape(1, 1, 2, 2), 1, 2, 3, 4)
	ones := nnF32(nnShape(1, 1, 2, 2), 1, 1, 1, 1)
	ct := func(inputs []string, attrs ...onnxpb.Attribute) onnxpb.Node {
		return node("ConvTranspose", inputs, []string{"y"}, attrs...)
	}
	nnRun(t, []nnCase{
		// stride 2, kernel [1,1]: x[i] lands on outputs 2i and 2i+1: [1,1,2,2,3,3]
		{name: "1d stride", opset: 11, node: ct([]string{"x", "w"}, aInts("strides", 2)),
			inputs: nnIn(1, 1, 3), feeds: []*tensor.Tensor{x1}, inits: []nnInit{{"w", w1}},
			want: nnF32(nnShape(1, 1, 6), 1, 1, 2, 2, 3, 3)},
		// output_padding 1 adds one output at the end, receiving only the bias 1
		{name: "output_padding bias", opset: 6, node: ct([]string{"x", "w", "b"}, aInts("strides", 2), aInts("output_padding", 1)),
			inputs: nnIn(1, 1, 3), feeds: []*tensor.Tensor{x1}, inits: []nnInit{{"w", w1}, {"b", nnF32(nnShape(1), 1)}},
			want: nnF32(nnShape(1, 1, 7), 2, 2, 3, 3, 4, 4, 1)},
		// output_shape [5]: total pad = 6 − 5 = 1, NOTSET puts 1 − 1/2 = 1 at the beginning: [1,2,2,3,3]
		{name: "output_shape spatial", opset: 11, node: ct([]string{"x", "w"}, aInts("strides", 2), aInts("output_shape", 5)),
			inputs: nnIn(1, 1, 3), feeds: []*tensor.Tensor{x1}, inits: []nnInit{{"w", w1}},
			want: nnF32(nnShape(1, 1, 5), 1, 2, 2, 3, 3)},
		// the same with the full output shape (N, M, 5)
		{name: "output_shape full", opset: 11, node: ct([]string{"x", "w"}, aInts("strides", 2), aInts("output_shape", 1, 1, 5)),
			inputs: nnIn(1, 1, 3), feeds: []*tensor.Tensor{x1}, inits: []nnInit{{"w", w1}},
			want: nnF32(nnShape(1, 1, 5), 1, 2, 2, 3, 3)},
		// 2-D, 2x2 ones, stride 1: out(i,j) sums x(a,b) with i−a, j−b in {0,1}:
		// [1, 1+2, 2; 1+3, 1+2+3+4, 2+4; 3, 3+4, 4]
		{name: "2d", opset: 11, node: ct([]string{"x", "w"}),
			inputs: nnIn(1, 1, 2, 2), feeds: []*tensor.Tensor{x2}, inits: []nnInit{{"w", ones}},
			want: nnF32(nnShape(1, 1, 3, 3), 1, 3, 2, 4, 10, 6, 3, 7, 4)},
		// pads 1 all round keep the centre only
		{name: "2d pads", opset: 11, node: ct([]string{"x", "w"}, aInts("pads", 1, 1, 1, 1), aInts("kernel_shape", 2, 2)),
			inputs: nnIn(1, 1, 2, 2), feeds: []*tensor.Tensor{x2}, inits: []nnInit{{"w", ones}},
			want: nnF32(nnShape(1, 1, 1, 1), 10)},
		// group 2, 1-D: channel c of x goes through w[c] into output channel c: [1,2]*[1,1] → [1,3,2];
		// [3,4]*[2,0] → [6,8,0]
		{name: "1d groups", opset: 11, node: ct([]string{"x", "w"}, aInt("group", 2)),
			inputs: nnIn(1, 2, 2), feeds: []*tensor.Tensor{nnF32(nnShape(1, 2, 2), 1, 2, 3, 4)},
			inits: []nnInit{{"w", nnF32(nnShape(2, 1, 2), 1, 1, 2, 0)}},
			want:  nnF32(nnShape(1, 2, 3), 1, 3, 2, 6, 8, 0)},
	})
	nnRunErrs(t, []nnErrCase{
		{name: "output_padding too large", opset: 11, node: ct([]string{"x", "w"}, aInts("output_padding", 1)),
			inputs: nnIn(1, 1, 3), inits: []nnInit{{"w", w1}}, kind: ErrInvalidModel, msg: "output_padding"},
		{name: "output_shape wrong length", opset: 11, node: ct([]string{"x", "w"}, aInts("output_shape", 5, 5)),
			inputs: nnIn(1, 1, 3), inits: []nnInit{{"w", w1}}, kind: ErrInvalidModel, msg: "output_shape"},
		{name: "output_shape wrong type", opset: 11, node: ct([]string{"x", "w"}, aInt("output_shape", 5)),
			inputs: nnIn(1, 1, 3), inits: []nnInit{{"w", w1}}, kind: ErrInvalidModel, msg: "output_shape"},
	})
}
