package onnx

import (
	"math"
	"testing"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

// TestBatchNormTrainingMode: x = [1 3 5 7] over N=2, L=2 of one channel has
// batch mean 4 and population variance (9+1+1+9)/4 = 5; with epsilon 0,
// scale 2 and bias 1, y = 2·(x−4)/√5 + 1; momentum 0.5 moves the running
// mean 0 to 0·0.5 + 4·0.5 = 2 and the running variance 1 to 1·0.5 + 5·0.5 = 3.
func TestBatchNormTrainingMode(t *testing.T) {
	x := tensor.MustFromSlice([]float32{1, 3, 5, 7}, 2, 1, 2)
	inits := []onnxpb.Tensor{
		initializer(t, "s", tensor.MustFromSlice([]float32{2}, 1)), initializer(t, "b", tensor.MustFromSlice([]float32{1}, 1)),
		initializer(t, "m", tensor.MustFromSlice([]float32{0}, 1)), initializer(t, "v", tensor.MustFromSlice([]float32{1}, 1)),
	}
	n := node("BatchNormalization", []string{"x", "s", "b", "m", "v"}, []string{"y", "rm", "rv"},
		aInt("training_mode", 1), aFloat("epsilon", 0), aFloat("momentum", 0.5))
	out := runModel(t, model(15, []onnxpb.Node{n}, []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 1, 2)},
		[]onnxpb.ValueInfo{tout("y"), tout("rm"), tout("rv")}, inits...), x)
	k := 2 / math.Sqrt(5)
	requireClose(t, out[0], tensor.MustFromSlice([]float32{float32(-3*k + 1), float32(-k + 1), float32(k + 1), float32(3*k + 1)}, 2, 1, 2))
	requireClose(t, out[1], tensor.MustFromSlice([]float32{2}, 1))
	requireClose(t, out[2], tensor.MustFromSlice([]float32{3}, 1))
	// Only y read: the running statistics are left out.
	out = runModel(t, model(15, []onnxpb.Node{node("BatchNormalization", []string{"x", "s", "b", "m", "v"}, []string{"y"},
		aInt("training_mode", 1), aFloat("epsilon", 0))}, []onnxpb.ValueInfo{tin("x", onnxpb.Float, 2, 1, 2)},
		[]onnxpb.ValueInfo{tout("y")}, inits...), x)
	requireClose(t, out[0], tensor.MustFromSlice([]float32{float32(-3*k + 1), float32(-k + 1), float32(k + 1), float32(3*k + 1)}, 2, 1, 2))
}
