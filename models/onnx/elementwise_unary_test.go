package onnx

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

// n1 is a node with input x and output y.
func n1(op string, attrs ...onnxpb.Attribute) onnxpb.Node {
	return node(op, []string{"x"}, []string{"y"}, attrs...)
}

// elemUnaryCase is one x -> y graph over a graph input.
func elemUnaryCase(name string, opset int64, n onnxpb.Node, x, want *tensor.Tensor) elemCase {
	return elemCase{name, opset, []onnxpb.Node{n}, []elemVal{elemIn("x", x)}, []*tensor.Tensor{want}}
}

func TestElemUnary(t *testing.T) {
	v := elemF32
	i := func(d tensor.DType, vals ...float64) *tensor.Tensor { return elemOf(d, []int{len(vals)}, vals...) }
	s := []int{3}
	elemRun(t, []elemCase{
		elemUnaryCase("Sqrt", 13, n1("Sqrt"), v(s, 4, 9, 0.25), v(s, 2, 3, 0.5)),
		elemUnaryCase("Sqrt/float64", 6, n1("Sqrt"), i(tensor.Float64, 16, 0), i(tensor.Float64, 4, 0)),
		// e^0 = 1, e^1 = 2.718281828459045, e^-1 = 0.36787944117144233.
		elemUnaryCase("Exp", 13, n1("Exp"), v(s, 0, 1, -1), v(s, 1, 2.718281828459045, 0.36787944117144233)),
		// ln 1 = 0, ln 0.5 = -0.6931471805599453, ln 4 = 1.3862943611198906.
		elemUnaryCase("Log", 6, n1("Log"), v(s, 1, 0.5, 4), v(s, 0, -0.6931471805599453, 1.3862943611198906)),
		elemUnaryCase("Neg", 13, n1("Neg"), v(s, 1, -2, 0), v(s, -1, 2, 0)),
		// int8 wraps: -(-128) is -128.
		elemUnaryCase("Neg/int8", 13, n1("Neg"), i(tensor.Int8, -128, 5), i(tensor.Int8, -128, -5)),
		elemUnaryCase("Abs", 6, n1("Abs"), v([]int{2}, -1.5, 2), v([]int{2}, 1.5, 2)),
		elemUnaryCase("Abs/int32", 13, n1("Abs"), i(tensor.Int32, -3, 4), i(tensor.Int32, 3, 4)),
		elemUnaryCase("Reciprocal", 13, n1("Reciprocal"), v(s, 2, -4, 0.5), v(s, 0.5, -0.25, 2)),
		elemUnaryCase("Floor", 13, n1("Floor"), v(s, 1.5, -1.5, 2), v(s, 1, -2, 2)),
		elemUnaryCase("Ceil", 6, n1("Ceil"), v(s, 1.5, -1.5, 2), v(s, 2, -1, 2)),
		elemUnaryCase("Ceil/empty", 13, n1("Ceil"), v([]int{2, 0}), v([]int{2, 0})),
		elemUnaryCase("Sign", 9, n1("Sign"), v(s, -3, 0, 2.5), v(s, -1, 0, 1)),
		elemUnaryCase("Sign/int64", 13, n1("Sign"), i(tensor.Int64, -7, 0, 9), i(tensor.Int64, -1, 0, 1)),
		// erf 0 = 0, erf 1 = 0.8427007929497149, erf -0.5 = -0.5204998778130465.
		elemUnaryCase("Erf", 9, n1("Erf"), v(s, 0, 1, -0.5), v(s, 0, 0.8427007929497149, -0.5204998778130465)),
		elemUnaryCase("Relu", 6, n1("Relu"), v(s, -1, 0, 2), v(s, 0, 0, 2)),
		elemUnaryCase("Relu/int32", 14, n1("Relu"), i(tensor.Int32, -5, 7), i(tensor.Int32, 0, 7)),
		// Default alpha 0.01: -1 -> -0.01.
		elemUnaryCase("LeakyRelu", 6, n1("LeakyRelu"), v([]int{2}, -1, 2), v([]int{2}, -0.01, 2)),
		// alpha 0.5: -10 -> -5.
		elemUnaryCase("LeakyRelu/alpha", 16, n1("LeakyRelu", aFloat("alpha", 0.5)), v([]int{2}, -10, 3), v([]int{2}, -5, 3)),
		// Default alpha 1: e^-1 - 1 = -0.6321205588285577.
		elemUnaryCase("Elu", 6, n1("Elu"), v([]int{2}, -1, 2), v([]int{2}, -0.6321205588285577, 2)),
		// alpha 2: 2(e^-1 - 1) = -1.2642411176571153.
		elemUnaryCase("Elu/alpha", 6, n1("Elu", aFloat("alpha", 2)), v([]int{2}, -1, 0), v([]int{2}, -1.2642411176571153, 0)),
		// Defaults: gamma·alpha·(e^-1 - 1) = 1.0507010221481323 · 1.6732631921768188 · -0.6321205588285577
		// = -1.1113307412864784; gamma·1 = 1.0507010221481323.
		elemUnaryCase("Selu", 6, n1("Selu"), v([]int{2}, -1, 1), v([]int{2}, -1.1113307412864784, 1.0507010221481323)),
		// alpha 2, gamma 3: 3·2·(e^-1 - 1) = -3.792723352971346; 3·2 = 6.
		elemUnaryCase("Selu/attrs", 6, n1("Selu", aFloat("alpha", 2), aFloat("gamma", 3)),
			v([]int{2}, -1, 2), v([]int{2}, -3.792723352971346, 6)),
		// Defaults alpha 0.2, beta 0.5: 0.2x+0.5 = -0.1 0.5 0.7 1.1, clamped to [0, 1].
		elemUnaryCase("HardSigmoid", 6, n1("HardSigmoid"), v([]int{4}, -3, 0, 1, 3), v([]int{4}, 0, 0.5, 0.7, 1)),
		// alpha 0.5, beta 0: -0.5 0.5 1.5 clamped.
		elemUnaryCase("HardSigmoid/attrs", 6, n1("HardSigmoid", aFloat("alpha", 0.5), aFloat("beta", 0)),
			v(s, -1, 1, 3), v(s, 0, 0.5, 1)),
		// 1/(1+e^-2) = 0.8807970779778823.
		elemUnaryCase("Sigmoid", 13, n1("Sigmoid"), v([]int{2}, 0, 2), v([]int{2}, 0.5, 0.8807970779778823)),
		elemUnaryCase("Tanh", 6, n1("Tanh"), v([]int{2}, 0, 1), v([]int{2}, 0, 0.7615941559557649)),
		// ln 2 = 0.6931471805599453, ln(1+e) = 1.3132616875182228.
		elemUnaryCase("Softplus", 6, n1("Softplus"), v([]int{2}, 0, 1), v([]int{2}, 0.6931471805599453, 1.3132616875182228)),
		// 1/(1+1) = 0.5, -3/(1+3) = -0.75.
		elemUnaryCase("Softsign", 6, n1("Softsign"), v([]int{2}, 1, -3), v([]int{2}, 0.5, -0.75)),
		elemUnaryCase("Not", 6, n1("Not"), elemBools([]int{2}, true, false), elemBools([]int{2}, false, true)),
		// 0.5·x·(1+erf(x/√2)): erf(1/√2) = 0.6826894921370859, so gelu(1) = 0.8413447460685429,
		// gelu(-1) = -0.5·(1-0.6826894921370859) = -0.15865525393145707.
		elemUnaryCase("Gelu", 20, n1("Gelu"), v(s, 0, 1, -1), v(s, 0, 0.8413447460685429, -0.15865525393145707)),
		elemUnaryCase("Gelu/none", 20, n1("Gelu", aString("approximate", "none")),
			v([]int{1}, 1), v([]int{1}, 0.8413447460685429)),
		// tanh form: 0.5·(1+tanh(√(2/π)·1.044715)) = 0.8411919906082768 at 1;
		// -0.5·(1+tanh(-√(2/π)·1.044715)) = -0.15880800939172324 at -1.
		elemUnaryCase("Gelu/tanh", 20, n1("Gelu", aString("approximate", "tanh")),
			v(s, 0, 1, -1), v(s, 0, 0.8411919906082768, -0.15880800939172324)),
	})
}

func TestElemClip(t *testing.T) {
	x := elemF32([]int{3}, -2, 0.5, 3)
	clip3 := node("Clip", []string{"x", "lo", "hi"}, []string{"y"})
	elemRun(t, []elemCase{
		// Opset 6 attributes: [-2 0.5 3] into [-1, 1].
		elemUnaryCase("attrs", 6, n1("Clip", aFloat("min", -1), aFloat("max", 1)), x, elemF32([]int{3}, -1, 0.5, 1)),
		elemUnaryCase("attr-min-only", 6, n1("Clip", aFloat("min", 0)), x, elemF32([]int{3}, 0, 0.5, 3)),
		elemUnaryCase("no-bounds", 6, n1("Clip"), x, x),
		// Opset 11 inputs, min only (max omitted).
		{"input-min", 11, []onnxpb.Node{node("Clip", []string{"x", "lo", ""}, []string{"y"})},
			[]elemVal{elemIn("x", x), elemInit("lo", tensor.Scalar(float32(-1)))},
			[]*tensor.Tensor{elemF32([]int{3}, -1, 0.5, 3)}},
		{"input-max", 13, []onnxpb.Node{node("Clip", []string{"x", "", "hi"}, []string{"y"})},
			[]elemVal{elemIn("x", x), elemInit("hi", tensor.Scalar(float32(0)))},
			[]*tensor.Tensor{elemF32([]int{3}, -2, 0, 0)}},
		{"inputs", 11, []onnxpb.Node{clip3},
			[]elemVal{elemIn("x", x), elemInit("lo", tensor.Scalar(float32(0))), elemInit("hi", tensor.Scalar(float32(2)))},
			[]*tensor.Tensor{elemF32([]int{3}, 0, 0.5, 2)}},
		// Bounds from a Constant node, with x an int32 (opset 12 on): [-5 5 0] into [-2, 3].
		{"int32-constant-bounds", 12, []onnxpb.Node{
			node("Constant", nil, []string{"lo"}, aTensor(t, "value", tensor.Scalar(int32(-2)))),
			node("Constant", nil, []string{"hi"}, aTensor(t, "value", elemOf(tensor.Int32, []int{1}, 3))),
			clip3},
			[]elemVal{elemIn("x", elemOf(tensor.Int32, []int{3}, -5, 5, 0))},
			[]*tensor.Tensor{elemOf(tensor.Int32, []int{3}, -2, 3, 0)}},
		{"only-x", 13, []onnxpb.Node{n1("Clip")}, []elemVal{elemIn("x", x)}, []*tensor.Tensor{x}},
		// Bounds given as graph inputs, known only at run time: max then min.
		{"run-time-bounds", 11, []onnxpb.Node{clip3},
			[]elemVal{elemIn("x", x), elemIn("lo", tensor.Scalar(float32(-1))), elemIn("hi", tensor.Scalar(float32(2)))},
			[]*tensor.Tensor{elemF32([]int{3}, -1, 0.5, 2)}},
		{"run-time-max-constant-min", 11, []onnxpb.Node{clip3},
			[]elemVal{elemIn("x", x), elemInit("lo", tensor.Scalar(float32(0))), elemIn("hi", elemF32([]int{1}, 1))},
			[]*tensor.Tensor{elemF32([]int{3}, 0, 0.5, 1)}},
	})
}

func TestElemCastIdentity(t *testing.T) {
	elemRun(t, []elemCase{
		// float -> int32 truncates toward zero.
		elemUnaryCase("Cast/float-int32", 6, n1("Cast", aInt("to", int64(onnxpb.Int32))),
			elemF32([]int{3}, 1.7, -1.7, 0), elemOf(tensor.Int32, []int{3}, 1, -1, 0)),
		elemUnaryCase("Cast/int64-float", 13, n1("Cast", aInt("to", int64(onnxpb.Float))),
			elemOf(tensor.Int64, []int{2}, 3, -2), elemF32([]int{2}, 3, -2)),
		elemUnaryCase("Cast/float-bool", 9, n1("Cast", aInt("to", int64(onnxpb.Bool))),
			elemF32([]int{2}, 0, 2.5), elemBools([]int{2}, false, true)),
		elemUnaryCase("Cast/bool-int8", 13, n1("Cast", aInt("to", int64(onnxpb.Int8))),
			elemBools([]int{2}, true, false), elemOf(tensor.Int8, []int{2}, 1, 0)),
		// 1.5 and -0.25 are exact in float16; opset 19 adds saturate, which only float8 uses.
		elemUnaryCase("Cast/float16-saturate", 19, n1("Cast", aInt("to", int64(onnxpb.Float16)), aInt("saturate", 1)),
			elemOf(tensor.Float64, []int{2}, 1.5, -0.25), elemOf(tensor.Float16, []int{2}, 1.5, -0.25)),
		elemUnaryCase("Cast/same", 13, n1("Cast", aInt("to", int64(onnxpb.Float))),
			elemF32([]int{2}, 1, 2), elemF32([]int{2}, 1, 2)),
		elemUnaryCase("Identity", 6, n1("Identity"), elemOf(tensor.Int64, []int{2}, 7, -1), elemOf(tensor.Int64, []int{2}, 7, -1)),
		elemUnaryCase("Identity/bool", 16, n1("Identity"), elemBools([]int{1}, true), elemBools([]int{1}, true)),
		// Identity of an initializer folds into a constant graph output.
		{"Identity/initializer", 13, []onnxpb.Node{n1("Identity")},
			[]elemVal{elemInit("x", elemF32([]int{2}, 3, 4))}, []*tensor.Tensor{elemF32([]int{2}, 3, 4)}},
	})
}

func TestElemDropout(t *testing.T) {
	x := elemF32([]int{2, 2}, 1, -2, 3, -4)
	withMask := func(attrs ...onnxpb.Attribute) onnxpb.Node {
		return node("Dropout", []string{"x"}, []string{"y", "mask"}, attrs...)
	}
	elemRun(t, []elemCase{
		// Inference: y = x; the mask is named but nothing reads it.
		elemUnaryCase("opset6", 6, withMask(aInt("is_test", 1), aFloat("ratio", 0.3)), x, x),
		elemUnaryCase("opset6-is_test-default", 6, withMask(), x, x),
		elemUnaryCase("opset10", 10, withMask(aFloat("ratio", 0.5)), x, x),
		elemUnaryCase("opset7-no-mask", 7, n1("Dropout"), x, x),
		{"opset12-inputs", 12, []onnxpb.Node{node("Dropout", []string{"x", "r", "m"}, []string{"y", "mask"}, aInt("seed", 3))},
			[]elemVal{elemIn("x", x), elemInit("r", tensor.Scalar(float32(0.5))), elemInit("m", tensor.Scalar(false))},
			[]*tensor.Tensor{x}},
		{"opset13-ratio-only", 13, []onnxpb.Node{node("Dropout", []string{"x", "r"}, []string{"y"})},
			[]elemVal{elemIn("x", x), elemIn("r", tensor.Scalar(float32(0.1)))},
			[]*tensor.Tensor{x}},
		// The mask of an unused Dropout output before a consumer of y.
		{"chained", 12, []onnxpb.Node{node("Dropout", []string{"x"}, []string{"d", "mask"}), node("Neg", []string{"d"}, []string{"y"})},
			[]elemVal{elemIn("x", x)}, []*tensor.Tensor{elemF32([]int{2, 2}, -1, 2, -3, 4)}},
	})
}

func TestElemUnaryErrors(t *testing.T) {
	x := elemIn("x", elemF32([]int{3}, -2, 0.5, 3))
	i32 := elemIn("x", elemOf(tensor.Int32, []int{2}, 1, 2))
	elemRunErrs(t, []elemErrCase{
		{"Relu/two-inputs", 13, []onnxpb.Node{node("Relu", []string{"x", "x"}, []string{"y"})}, []elemVal{x},
			ErrInvalidModel, "", "has 2 inputs"},
		{"Relu/no-output", 13, []onnxpb.Node{node("Relu", []string{"x"}, []string{""})}, []elemVal{x},
			ErrInvalidModel, "", "has no output"},
		{"Sqrt/int", 13, []onnxpb.Node{n1("Sqrt")}, []elemVal{i32}, ErrInvalidModel, "x", "sqrt"},
		{"Erf/opset8", 8, []onnxpb.Node{n1("Erf")}, []elemVal{x}, ErrUnsupported, "", "introduced in opset 9"},
		{"Sign/opset8", 8, []onnxpb.Node{n1("Sign")}, []elemVal{x}, ErrUnsupported, "", "introduced in opset 9"},
		{"Gelu/opset19", 19, []onnxpb.Node{n1("Gelu")}, []elemVal{x}, ErrUnsupported, "", "introduced in opset 20"},
		{"Gelu/bad-approximate", 20, []onnxpb.Node{n1("Gelu", aString("approximate", "erf"))}, []elemVal{x},
			ErrInvalidModel, "", `"approximate" is "erf"`},
		{"LeakyRelu/int-alpha", 13, []onnxpb.Node{n1("LeakyRelu", aInt("alpha", 1))}, []elemVal{x},
			ErrInvalidModel, "", `attribute "alpha" has type`},
		{"Relu/unknown-attr", 13, []onnxpb.Node{n1("Relu", aFloat("alpha", 1))}, []elemVal{x},
			ErrUnsupported, "", `attribute "alpha" is not supported`},
		{"Not/float", 13, []onnxpb.Node{n1("Not")}, []elemVal{x}, ErrInvalidModel, "x", "bool"},
		// Clip.
		{"Clip/attr-in-opset11", 11, []onnxpb.Node{n1("Clip", aFloat("min", 0))}, []elemVal{x},
			ErrUnsupported, "", `attribute "min" is not supported`},
		{"Clip/input-in-opset10", 10, []onnxpb.Node{node("Clip", []string{"x", "lo"}, []string{"y"})},
			[]elemVal{x, elemInit("lo", tensor.Scalar(float32(0)))}, ErrInvalidModel, "", "has 2 inputs"},
		{"Clip/run-time-vector-min", 11, []onnxpb.Node{node("Clip", []string{"x", "lo"}, []string{"y"})},
			[]elemVal{x, elemIn("lo", elemF32([]int{2}, 0, 1))}, ErrInvalidModel, "lo", "must be a one-element float32"},
		{"Clip/vector-max", 11, []onnxpb.Node{node("Clip", []string{"x", "", "hi"}, []string{"y"})},
			[]elemVal{x, elemInit("hi", elemF32([]int{2}, 1, 2))}, ErrInvalidModel, "hi", "must be a scalar"},
		{"Clip/dtype-mismatch", 11, []onnxpb.Node{node("Clip", []string{"x", "lo"}, []string{"y"})},
			[]elemVal{x, elemInit("lo", tensor.Scalar(float64(0)))}, ErrInvalidModel, "lo", "float64"},
		{"Clip/nan-min", 6, []onnxpb.Node{n1("Clip", aFloat("min", float32(math.NaN())))}, []elemVal{x},
			ErrInvalidModel, "", "NaN"},
		// Cast.
		{"Cast/missing-to", 13, []onnxpb.Node{n1("Cast")}, []elemVal{x}, ErrInvalidModel, "", `"to" is missing`},
		{"Cast/string-to", 13, []onnxpb.Node{n1("Cast", aString("to", "float"))}, []elemVal{x},
			ErrInvalidModel, "", `attribute "to" has type`},
		{"Cast/to-string", 13, []onnxpb.Node{n1("Cast", aInt("to", int64(onnxpb.String)))}, []elemVal{x},
			ErrUnsupported, "", "element type 8"},
		{"Cast/saturate-opset18", 18, []onnxpb.Node{n1("Cast", aInt("to", 1), aInt("saturate", 1))}, []elemVal{x},
			ErrUnsupported, "", `attribute "saturate" is not supported`},
		{"Identity/two-inputs", 13, []onnxpb.Node{node("Identity", []string{"x", "x"}, []string{"y"})}, []elemVal{x},
			ErrInvalidModel, "", "has 2 inputs"},
		// Dropout.
		{"Dropout/training", 12, []onnxpb.Node{node("Dropout", []string{"x", "", "m"}, []string{"y"})},
			[]elemVal{x, elemInit("m", tensor.Scalar(true))}, ErrUnsupported, "m", "training_mode is true"},
		{"Dropout/dynamic-training-mode", 12, []onnxpb.Node{node("Dropout", []string{"x", "", "m"}, []string{"y"})},
			[]elemVal{x, elemIn("m", tensor.Scalar(false))}, ErrUnsupported, "m", "known at import time"},
		{"Dropout/float-training-mode", 13, []onnxpb.Node{node("Dropout", []string{"x", "", "m"}, []string{"y"})},
			[]elemVal{x, elemInit("m", tensor.Scalar(float32(0)))}, ErrInvalidModel, "m", "bool scalar"},
		{"Dropout/ratio-input-opset11", 11, []onnxpb.Node{node("Dropout", []string{"x", "r"}, []string{"y"})},
			[]elemVal{x, elemInit("r", tensor.Scalar(float32(0.5)))}, ErrInvalidModel, "", "has 2 inputs"},
		{"Dropout/ratio-attr-opset12", 12, []onnxpb.Node{n1("Dropout", aFloat("ratio", 0.5))}, []elemVal{x},
			ErrUnsupported, "", `attribute "ratio" is not supported`},
		{"Dropout/three-outputs", 12, []onnxpb.Node{node("Dropout", []string{"x"}, []string{"y", "m", "z"})}, []elemVal{x},
			ErrUnsupported, "", "output 2"},
	})
}

// TestElemDropoutMaskRead: from opset 10 a mask the graph reads is all true
// in inference (every element kept, NaN ones too); before, the mask has the
// input's type and is refused by name.
func TestElemDropoutMaskRead(t *testing.T) {
	x := elemF32([]int{3}, 1, math.NaN(), -2)
	elemRun(t, []elemCase{
		// Not of the mask: all false.
		{"read-by-not", 10, []onnxpb.Node{node("Dropout", []string{"x"}, []string{"d", "mask"}), node("Not", []string{"mask"}, []string{"y"})},
			[]elemVal{elemIn("x", x)}, []*tensor.Tensor{elemBools([]int{3}, false, false, false)}},
	})
	// The mask as a graph output.
	m, _ := elemModel(t, 13, []onnxpb.Node{node("Dropout", []string{"x"}, []string{"d", "mask"})},
		[]elemVal{elemIn("x", elemF32([]int{2}, 1, 2))}, "d", "mask")
	out := runModel(t, m, elemF32([]int{2}, 1, 2))
	requireClose(t, out[1], elemBools([]int{2}, true, true))
	// Opset 7: the mask would be of x's type; refused, naming the node.
	m, _ = elemModel(t, 7, []onnxpb.Node{node("Dropout", []string{"x"}, []string{"d", "mask"})},
		[]elemVal{elemIn("x", elemF32([]int{2}, 1, 2))}, "d", "mask")
	e := importErr(t, m)
	require.Equal(t, ErrUnsupported, e.Kind, "%v", e)
	require.Equal(t, "Dropout_node", e.Node)
	require.Contains(t, e.Error(), `"mask"`)
}
