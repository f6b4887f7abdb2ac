package hostile

import (
	"math"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
)

// GatherModel gathers rows of a float32[5, 2] weight by int64[3] indices
// given as the model's input: indices outside [-5, 5) are the client's
// mistake, one every backend refuses alike.
func GatherModel() []byte {
	w := onnxpb.Tensor{Name: "table", Dims: []int64{5, 2}, DataType: onnxpb.Float,
		FloatData: []float32{0, 1, 10, 11, 20, 21, 30, 31, 40, 41}}
	return encode(model("gather", []onnxpb.Node{{Name: "g", OpType: "Gather", Inputs: []string{"table", "idx"}, Outputs: []string{"y"}}},
		[]onnxpb.ValueInfo{tensorInfo("idx", onnxpb.Int64, 3)}, []onnxpb.ValueInfo{untyped("y")}, w))
}

// IntDivModel divides int32[4] x by int32[4] y: a zero in y is the client's mistake.
func IntDivModel() []byte {
	return encode(model("intdiv", []onnxpb.Node{{Name: "div", OpType: "Div", Inputs: []string{"x", "y"}, Outputs: []string{"q"}}},
		[]onnxpb.ValueInfo{tensorInfo("x", onnxpb.Int32, 4), tensorInfo("y", onnxpb.Int32, 4)}, []onnxpb.ValueInfo{untyped("q")}))
}

// ScaleModel is y = 2x + 1 over float32[4]: NaN in, NaN out.
func ScaleModel() []byte {
	two := onnxpb.Tensor{Name: "two", Dims: []int64{1}, DataType: onnxpb.Float, FloatData: []float32{2}}
	one := onnxpb.Tensor{Name: "one", Dims: []int64{1}, DataType: onnxpb.Float, FloatData: []float32{1}}
	return encode(model("scale", []onnxpb.Node{
		{Name: "mul", OpType: "Mul", Inputs: []string{"x", "two"}, Outputs: []string{"m"}},
		{Name: "add", OpType: "Add", Inputs: []string{"m", "one"}, Outputs: []string{"y"}},
	}, []onnxpb.ValueInfo{tensorInfo("x", onnxpb.Float, 4)}, []onnxpb.ValueInfo{untyped("y")}, two, one))
}

// SqrtModel is ONNX's test_operator_sqrt graph (Sqrt of float32[3, 4]): on
// negative inputs its correct output is NaN.
func SqrtModel() []byte {
	return encode(model("operator_sqrt", []onnxpb.Node{{Name: "sqrt", OpType: "Sqrt", Inputs: []string{"x"}, Outputs: []string{"y"}}},
		[]onnxpb.ValueInfo{tensorInfo("x", onnxpb.Float, 3, 4)}, []onnxpb.ValueInfo{untyped("y")}))
}

// PowModel is ONNX's test_operator_pow graph (Pow of two float32[1, 2, 3, 4]):
// a negative base with a fractional exponent gives NaN, a zero base with a
// negative exponent +Inf.
func PowModel() []byte {
	return encode(model("operator_pow", []onnxpb.Node{{Name: "pow", OpType: "Pow", Inputs: []string{"x", "y"}, Outputs: []string{"z"}}},
		[]onnxpb.ValueInfo{tensorInfo("x", onnxpb.Float, 1, 2, 3, 4), tensorInfo("y", onnxpb.Float, 1, 2, 3, 4)}, []onnxpb.ValueInfo{untyped("z")}))
}

// LogModel is Log of float32[4]: log 0 is -Inf, a legitimate output.
func LogModel() []byte {
	return encode(model("log", []onnxpb.Node{{Name: "log", OpType: "Log", Inputs: []string{"x"}, Outputs: []string{"y"}}},
		[]onnxpb.ValueInfo{tensorInfo("x", onnxpb.Float, 4)}, []onnxpb.ValueInfo{untyped("y")}))
}

// NaN32 is a float32 NaN, for hostile inputs.
var NaN32 = float32(math.NaN())
