package onnx

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

// Hand-computed cases of the ONNX ops the importer composes from catalog
// ops (composite.go, composite_norm.go).

// cmpRun imports a one-node model over float32 inputs x (and more) and runs it.
func cmpRun(t *testing.T, opset int64, n onnxpb.Node, outs []string, inputs []onnxpb.ValueInfo, feeds []*tensor.Tensor,
	inits ...onnxpb.Tensor) []*tensor.Tensor {
	t.Helper()
	var ov []onnxpb.ValueInfo
	for _, o := range outs {
		ov = append(ov, tout(o))
	}
	return runModel(t, model(opset, []onnxpb.Node{n}, inputs, ov, inits...), feeds...)
}

func TestCompositeLayerNormStats(t *testing.T) {
	// rows [1,3] (mean 2, var 1) and [2,6] (mean 4, var 4); epsilon 0.
	x := nnF32(nnShape(2, 2), 1, 3, 2, 6)
	scale := initializer(t, "scale", nnF32(nnShape(2), 1, 2))
	out := cmpRun(t, 17, node("LayerNormalization", []string{"x", "scale"}, []string{"y", "mean", "inv"}, aFloat("epsilon", 0)),
		[]string{"y", "mean", "inv"}, []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 2)}, []*tensor.Tensor{x}, scale)
	requireClose(t, out[0], nnF32(nnShape(2, 2), -1, 2, -1, 2))
	requireClose(t, out[1], nnF32(nnShape(2, 1), 2, 4))
	requireClose(t, out[2], nnF32(nnShape(2, 1), 1, 0.5))
}

func TestCompositeUnary(t *testing.T) {
	x := nnF32(nnShape(5), -4, -1, 0, 1, 4)
	in := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 5)}
	e := float32(math.E)
	for _, tc := range []struct {
		name  string
		opset int64
		n     onnxpb.Node
		want  *tensor.Tensor
	}{
		// x·clip(x/6 + 1/2, 0, 1)
		{"HardSwish", 14, node("HardSwish", []string{"x"}, []string{"y"}), nnF32(nnShape(5), 0, -1.0/3, 0, 2.0/3, 4)},
		// x > 1 keeps x
		{"ThresholdedRelu", 10, node("ThresholdedRelu", []string{"x"}, []string{"y"}), nnF32(nnShape(5), 0, 0, 0, 0, 4)},
		// lambd 2, bias 1: x < −2 → x+1, x > 2 → x−1
		{"Shrink", 9, node("Shrink", []string{"x"}, []string{"y"}, aFloat("lambd", 2), aFloat("bias", 1)),
			nnF32(nnShape(5), -3, 0, 0, 0, 3)},
		// alpha 2: x >= 0 → x; x < 0 → 2(e^(x/2) − 1)
		{"Celu", 12, node("Celu", []string{"x"}, []string{"y"}, aFloat("alpha", 2)),
			nnF32(nnShape(5), 2*(1/(e*e)-1), 2*(float32(math.Exp(-0.5))-1), 0, 1, 4)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := cmpRun(t, tc.opset, tc.n, []string{"y"}, in, []*tensor.Tensor{x})
			requireClose(t, out[0], tc.want)
		})
	}
}

func TestCompositeReduce(t *testing.T) {
	// rows [3, −4] and [0, 0]
	x := nnF32(nnShape(2, 2), 3, -4, 0, 0)
	in := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 2)}
	axes := initializer(t, "axes", tensor.MustFromSlice([]int64{1}, 1))
	ln2 := float32(math.Ln2)
	for _, tc := range []struct {
		op   string
		want *tensor.Tensor
	}{
		{"ReduceL1", nnF32(nnShape(2, 1), 7, 0)},
		{"ReduceL2", nnF32(nnShape(2, 1), 5, 0)},
		{"ReduceSumSquare", nnF32(nnShape(2, 1), 25, 0)},
		// log(e^0 + e^0) = ln 2 for the zero row; 3 + log(1 + e^−7) for the other
		{"ReduceLogSumExp", nnF32(nnShape(2, 1), 3+float32(math.Log1p(math.Exp(-7))), ln2)},
	} {
		t.Run(tc.op, func(t *testing.T) {
			out := cmpRun(t, 18, node(tc.op, []string{"x", "axes"}, []string{"y"}), []string{"y"}, in, []*tensor.Tensor{x}, axes)
			requireClose(t, out[0], tc.want)
		})
	}
}

func TestCompositeTriluOneHotHardmax(t *testing.T) {
	x := nnF32(nnShape(2, 3), 1, 2, 3, 4, 5, 6)
	in := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 3)}
	k := initializer(t, "k", tensor.Scalar(int64(1)))
	out := cmpRun(t, 14, node("Trilu", []string{"x", "k"}, []string{"y"}), []string{"y"}, in, []*tensor.Tensor{x}, k)
	requireClose(t, out[0], nnF32(nnShape(2, 3), 0, 2, 3, 0, 0, 6)) // j − i >= 1
	out = cmpRun(t, 14, node("Trilu", []string{"x"}, []string{"y"}, aInt("upper", 0)), []string{"y"}, in, []*tensor.Tensor{x})
	requireClose(t, out[0], nnF32(nnShape(2, 3), 1, 0, 0, 4, 5, 0)) // j <= i

	out = cmpRun(t, 13, node("Hardmax", []string{"x"}, []string{"y"}), []string{"y"},
		in, []*tensor.Tensor{nnF32(nnShape(2, 3), 1, 7, 7, 0, 0, 0)})
	requireClose(t, out[0], nnF32(nnShape(2, 3), 0, 1, 0, 1, 0, 0)) // the first maximum wins

	// indices [1, −1, 5] with depth 3: −1 counts from the end, 5 matches nothing.
	depth := initializer(t, "depth", tensor.Scalar(int64(3)))
	values := initializer(t, "values", nnF32(nnShape(2), -1, 9))
	out = cmpRun(t, 11, node("OneHot", []string{"i", "depth", "values"}, []string{"y"}), []string{"y"},
		[]onnxpb.ValueInfo{tin("i", onnxpb.Int64, 3)}, []*tensor.Tensor{tensor.MustFromSlice([]int64{1, -1, 5}, 3)}, depth, values)
	requireClose(t, out[0], nnF32(nnShape(3, 3), -1, 9, -1, -1, -1, 9, -1, -1, -1))
}

func TestCompositeRangeCastLike(t *testing.T) {
	start := initializer(t, "s", tensor.Scalar(int32(10)))
	limit := initializer(t, "l", tensor.Scalar(int32(3)))
	delta := initializer(t, "d", tensor.Scalar(int32(-3)))
	m := model(11, []onnxpb.Node{node("Range", []string{"s", "l", "d"}, []string{"y"})}, nil, []onnxpb.ValueInfo{tout("y")},
		start, limit, delta)
	out := runModel(t, m)
	require.Equal(t, []int32{10, 7, 4}, tensor.MustView[int32](out[0]))

	out = cmpRun(t, 15, node("CastLike", []string{"x", "like"}, []string{"y"}), []string{"y"},
		[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 2)}, []*tensor.Tensor{nnF32(nnShape(2), 1.5, -2.5)},
		initializer(t, "like", tensor.Scalar(int32(0))))
	require.Equal(t, []int32{1, -2}, tensor.MustView[int32](out[0]))
}

func TestCompositeNLL(t *testing.T) {
	// log-probabilities of 2 samples over 3 classes; targets 2 and 1; weights 1, 2, 3.
	x := nnF32(nnShape(2, 3), -1, -2, -3, -4, -5, -6)
	in := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 3), tin("t", onnxpb.Int64, 2)}
	feeds := []*tensor.Tensor{x, tensor.MustFromSlice([]int64{2, 1}, 2)}
	w := initializer(t, "w", nnF32(nnShape(3), 1, 2, 3))
	nll := func(attrs ...onnxpb.Attribute) onnxpb.Node {
		return node("NegativeLogLikelihoodLoss", []string{"x", "t", "w"}, []string{"y"}, attrs...)
	}
	// losses 3·3 = 9 and 5·2 = 10
	out := cmpRun(t, 13, nll(aString("reduction", "none")), []string{"y"}, in, feeds, w)
	requireClose(t, out[0], nnF32(nnShape(2), 9, 10))
	out = cmpRun(t, 13, nll(), []string{"y"}, in, feeds, w) // mean: 19 / (3 + 2)
	requireClose(t, out[0], tensor.Scalar(float32(3.8)))
	out = cmpRun(t, 13, nll(aInt("ignore_index", 1)), []string{"y"}, in, feeds, w) // 9 / 3
	requireClose(t, out[0], tensor.Scalar(float32(3)))
}

func TestCompositeWindowsAndCrops(t *testing.T) {
	size := initializer(t, "n", tensor.Scalar(int64(4)))
	m := model(17, []onnxpb.Node{node("HannWindow", []string{"n"}, []string{"y"})}, nil, []onnxpb.ValueInfo{tout("y")}, size)
	out := runModel(t, m)
	requireClose(t, out[0], nnF32(nnShape(4), 0, 0.5, 1, 0.5)) // 0.5 − 0.5·cos(2πn/4)
	m = model(17, []onnxpb.Node{node("HannWindow", []string{"n"}, []string{"y"}, aInt("periodic", 0))}, nil,
		[]onnxpb.ValueInfo{tout("y")}, size)
	out = runModel(t, m)
	requireClose(t, out[0], nnF32(nnShape(4), 0, 0.75, 0.75, 0)) // cos(2πn/3)

	out = cmpRun(t, 13, node("LpNormalization", []string{"x"}, []string{"y"}, aInt("p", 1)), []string{"y"},
		[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 1, 2)}, []*tensor.Tensor{nnF32(nnShape(1, 2), 1, -3)})
	requireClose(t, out[0], nnF32(nnShape(1, 2), 0.25, -0.75))

	x := nnF32(nnShape(5), 1, 2, 3, 4, 5)
	in := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 5)}
	crop := initializer(t, "s", tensor.MustFromSlice([]int64{3}, 1))
	out = cmpRun(t, 18, node("CenterCropPad", []string{"x", "s"}, []string{"y"}), []string{"y"}, in, []*tensor.Tensor{x}, crop)
	requireClose(t, out[0], nnF32(nnShape(3), 2, 3, 4))
	pad := initializer(t, "s", tensor.MustFromSlice([]int64{8}, 1))
	out = cmpRun(t, 18, node("CenterCropPad", []string{"x", "s"}, []string{"y"}), []string{"y"}, in, []*tensor.Tensor{x}, pad)
	requireClose(t, out[0], nnF32(nnShape(8), 0, 1, 2, 3, 4, 5, 0, 0))
}

func TestCompositeEinsum(t *testing.T) {
	a := nnF32(nnShape(2, 2), 1, 2, 3, 4)
	b := nnF32(nnShape(2, 2), 5, 6, 7, 8)
	in := []onnxpb.ValueInfo{tin("a", onnxpb.Float, 2, 2), tin("b", onnxpb.Float, 2, 2)}
	// [[1 2] [3 4]]·[[5 6] [7 8]] = [[19 22] [43 50]]
	out := cmpRun(t, 12, node("Einsum", []string{"a", "b"}, []string{"y"}, aString("equation", "ij,jk->ik")), []string{"y"},
		in, []*tensor.Tensor{a, b})
	requireClose(t, out[0], nnF32(nnShape(2, 2), 19, 22, 43, 50))
	// implicit output: the letters seen once, sorted: "ik"; transposed operand
	out = cmpRun(t, 12, node("Einsum", []string{"a", "b"}, []string{"y"}, aString("equation", "ji,jk")), []string{"y"},
		in, []*tensor.Tensor{a, b})
	requireClose(t, out[0], nnF32(nnShape(2, 2), 26, 30, 38, 44)) // aᵀ·b
	// trace: 1 + 4
	out = cmpRun(t, 12, node("Einsum", []string{"a"}, []string{"y"}, aString("equation", "ii->")), []string{"y"},
		in[:1], []*tensor.Tensor{a})
	requireClose(t, out[0], tensor.Scalar(float32(5)))
	// batch diagonal with an ellipsis
	out = cmpRun(t, 12, node("Einsum", []string{"a"}, []string{"y"}, aString("equation", "...ii->...i")), []string{"y"},
		in[:1], []*tensor.Tensor{a})
	requireClose(t, out[0], nnF32(nnShape(2), 1, 4))
}

func TestCompositeDFT(t *testing.T) {
	// x = δ[n−1]: X[k] = e^(−2πik/4) = 1, −i, −1, i
	x := nnF32(nnShape(1, 4, 1), 0, 1, 0, 0)
	in := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 1, 4, 1)}
	out := cmpRun(t, 17, node("DFT", []string{"x"}, []string{"y"}), []string{"y"}, in, []*tensor.Tensor{x})
	requireClose(t, out[0], nnF32(nnShape(1, 4, 2), 1, 0, 0, -1, -1, 0, 0, 1))
	// onesided keeps k = 0, 1, 2
	out = cmpRun(t, 17, node("DFT", []string{"x"}, []string{"y"}, aInt("onesided", 1)), []string{"y"}, in, []*tensor.Tensor{x})
	requireClose(t, out[0], nnF32(nnShape(1, 3, 2), 1, 0, 0, -1, -1, 0))
	// the inverse of that spectrum is δ[n−1] again
	spec := nnF32(nnShape(1, 4, 2), 1, 0, 0, -1, -1, 0, 0, 1)
	out = cmpRun(t, 17, node("DFT", []string{"x"}, []string{"y"}, aInt("inverse", 1)), []string{"y"},
		[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 1, 4, 2)}, []*tensor.Tensor{spec})
	requireClose(t, out[0], nnF32(nnShape(1, 4, 2), 0, 0, 1, 0, 0, 0, 0, 0))
}

func TestCompositeGridSample(t *testing.T) {
	x := nnF32(nnShape(1, 1, 2, 2), 1, 2, 3, 4)
	// the centre averages all four pixels; (−1, −1) without aligned corners is the outer corner,
	// a quarter of pixel (0, 0) with zeros padding and all of it with border padding
	grid := nnF32(nnShape(1, 1, 2, 2), 0, 0, -1, -1)
	in := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 1, 1, 2, 2), tin("g", onnxpb.Float, 1, 1, 2, 2)}
	out := cmpRun(t, 16, node("GridSample", []string{"x", "g"}, []string{"y"}), []string{"y"}, in, []*tensor.Tensor{x, grid})
	requireClose(t, out[0], nnF32(nnShape(1, 1, 1, 2), 2.5, 0.25))
	out = cmpRun(t, 16, node("GridSample", []string{"x", "g"}, []string{"y"}, aString("padding_mode", "border")), []string{"y"},
		in, []*tensor.Tensor{x, grid})
	requireClose(t, out[0], nnF32(nnShape(1, 1, 1, 2), 2.5, 1))
}

func TestCompositeReverseSequenceAffineGrid(t *testing.T) {
	x := nnF32(nnShape(3, 2), 1, 2, 3, 4, 5, 6)
	lens := initializer(t, "l", tensor.MustFromSlice([]int64{3, 1}, 2))
	// batch 0 reverses all 3 steps, batch 1 only its first
	out := cmpRun(t, 10, node("ReverseSequence", []string{"x", "l"}, []string{"y"}, aInt("time_axis", 0), aInt("batch_axis", 1)),
		[]string{"y"}, []onnxpb.ValueInfo{tin("x", onnxpb.Float, 3, 2)}, []*tensor.Tensor{x}, lens)
	requireClose(t, out[0], nnF32(nnShape(3, 2), 5, 2, 3, 4, 1, 6))

	theta := nnF32(nnShape(1, 2, 3), 1, 0, 0, 0, 1, 0) // identity
	size := initializer(t, "s", tensor.MustFromSlice([]int64{1, 1, 2, 2}, 4))
	out = cmpRun(t, 20, node("AffineGrid", []string{"theta", "s"}, []string{"y"}, aInt("align_corners", 1)), []string{"y"},
		[]onnxpb.ValueInfo{tin("theta", onnxpb.Float, 1, 2, 3)}, []*tensor.Tensor{theta}, size)
	requireClose(t, out[0], nnF32(nnShape(1, 2, 2, 2), -1, -1, 1, -1, -1, 1, 1, 1))
}

func TestCompositeCol2Im(t *testing.T) {
	// blocks of 2 over an image of 3: block 0 covers pixels 0, 1 and block 1 pixels 1, 2;
	// column k of block l is [[1 2] [3 4]][k][l], so pixel 1 sums 2 + 3.
	img := initializer(t, "img", tensor.MustFromSlice([]int64{3}, 1))
	blk := initializer(t, "blk", tensor.MustFromSlice([]int64{2}, 1))
	out := cmpRun(t, 18, node("Col2Im", []string{"x", "img", "blk"}, []string{"y"}), []string{"y"},
		[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 1, 2, 2)}, []*tensor.Tensor{nnF32(nnShape(1, 2, 2), 1, 2, 3, 4)}, img, blk)
	requireClose(t, out[0], nnF32(nnShape(1, 1, 3), 1, 5, 4))
}

func TestCompositeMaxUnpool(t *testing.T) {
	// 2×2 pooling of a 4×4 map: the four maxima return to flat indices 5, 7, 8 and 14.
	x := nnF32(nnShape(1, 1, 2, 2), 5, 7, 9, 11)
	i := tensor.MustFromSlice([]int64{5, 7, 8, 14}, 1, 1, 2, 2)
	in := []onnxpb.ValueInfo{tin("x", onnxpb.Float, 1, 1, 2, 2), tin("i", onnxpb.Int64, 1, 1, 2, 2)}
	n := node("MaxUnpool", []string{"x", "i"}, []string{"y"}, aInts("kernel_shape", 2, 2), aInts("strides", 2, 2))
	out := cmpRun(t, 11, n, []string{"y"}, in, []*tensor.Tensor{x, i})
	want := make([]float32, 16)
	want[5], want[7], want[8], want[14] = 5, 7, 9, 11
	requireClose(t, out[0], nnF32(nnShape(1, 1, 4, 4), want...))
	// into a 5×5 output: (1,1) → 6, (1,3) → 8, (2,0) → 10, (3,2) → 17
	shape := initializer(t, "s", tensor.MustFromSlice([]int64{1, 1, 5, 5}, 4))
	n = node("MaxUnpool", []string{"x", "i", "s"}, []string{"y"}, aInts("kernel_shape", 2, 2), aInts("strides", 2, 2))
	out = cmpRun(t, 11, n, []string{"y"}, in, []*tensor.Tensor{x, i}, shape)
	want = make([]float32, 25)
	want[6], want[8], want[10], want[17] = 5, 7, 9, 11
	requireClose(t, out[0], nnF32(nnShape(1, 1, 5, 5), want...))
}

func TestReduceMaxMinBool(t *testing.T) {
	x := tensor.MustFromSlice([]bool{true, false, false, false}, 2, 2)
	in := []onnxpb.ValueInfo{tin("x", onnxpb.Bool, 2, 2)}
	axes := initializer(t, "axes", tensor.MustFromSlice([]int64{1}, 1))
	out := cmpRun(t, 20, node("ReduceMax", []string{"x", "axes"}, []string{"y"}, aInt("keepdims", 0)), []string{"y"}, in,
		[]*tensor.Tensor{x}, axes)
	require.Equal(t, []bool{true, false}, tensor.MustView[bool](out[0])) // any
	out = cmpRun(t, 20, node("ReduceMin", []string{"x", "axes"}, []string{"y"}, aInt("keepdims", 0)), []string{"y"}, in,
		[]*tensor.Tensor{x}, axes)
	require.Equal(t, []bool{false, false}, tensor.MustView[bool](out[0])) // all
}
