package onnx

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

// Opsets are accepted from 1 to MaxOpset; what is refused is an op whose
// definition at the model's opset is not the one mapped, by name.
func TestOpsetRange(t *testing.T) {
	x := tensor.MustFromSlice([]float32{-1, 2}, 2)
	relu := func(opset int64) *onnxpb.Model {
		return model(opset, []onnxpb.Node{node("Relu", []string{"x"}, []string{"y"})},
			[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 2)}, []onnxpb.ValueInfo{tout("y")})
	}
	for _, opset := range []int64{6, 21, 22, 23, 25, 28} {
		out := runModel(t, relu(opset), x)
		requireClose(t, out[0], tensor.MustFromSlice([]float32{0, 2}, 2)) // relu by hand
	}

	// Not has had one definition since opset 1: an opset-1 model imports.
	b := tensor.MustFromSlice([]bool{true, false}, 2)
	not := model(1, []onnxpb.Node{node("Not", []string{"x"}, []string{"y"})},
		[]onnxpb.ValueInfo{tin("x", onnxpb.Bool, 2)}, []onnxpb.ValueInfo{tout("y")})
	requireClose(t, runModel(t, not, b)[0], tensor.MustFromSlice([]bool{false, true}, 2))

	// Relu-1 had consumed_inputs and is redefined at opset 6: refused by name.
	e := importErr(t, relu(5))
	require.ErrorIs(t, e, ErrUnsupported)
	require.Equal(t, "Relu", e.OpType)
	require.Contains(t, e.Error(), "Relu as defined at opset 5")

	e = importErr(t, relu(MaxOpset+1))
	require.ErrorIs(t, e, ErrUnsupported)
	require.Contains(t, e.Error(), "does not exist yet")
}

// Cast gained round_mode at opset 24; it only affects float8e8m0 targets.
func TestCastRoundModeOpset24(t *testing.T) {
	cast := func(opset int64) *onnxpb.Model {
		return model(opset, []onnxpb.Node{node("Cast", []string{"x"}, []string{"y"},
			aInt("to", int64(onnxpb.Int32)), aString("round_mode", "up"))},
			[]onnxpb.ValueInfo{tin("x", onnxpb.Float, 2)}, []onnxpb.ValueInfo{tout("y")})
	}
	out := runModel(t, cast(24), tensor.MustFromSlice([]float32{1.75, -2.5}, 2))
	requireClose(t, out[0], tensor.MustFromSlice([]int32{1, -2}, 2)) // truncation toward zero
	e := importErr(t, cast(23))
	require.Contains(t, e.Error(), `attribute "round_mode" is not supported`)
}
