package onnx_test

import (
	"testing"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

// Range's bounds, OneHot's depth and Resize's scales given as graph inputs
// decide output shapes from their values: the model imports as a template
// and each run specializes it (Range and OneHot on their small value
// inputs, Resize's scales through a probe). Expected values by hand.

func TestDynamicRangeOneHotResizeInputs(t *testing.T) {
	t.Run("Range", func(t *testing.T) {
		run := newDynRunner(t, dynModel(t, []onnxpb.Node{dynNode("Range", []string{"start", "limit", "delta"}, "y")},
			[]onnxpb.ValueInfo{dynIn("start", onnxpb.Float), dynIn("limit", onnxpb.Float), dynIn("delta", onnxpb.Float)},
			[]onnxpb.ValueInfo{dynIn("y", onnxpb.Float, "n")}))
		s := func(v float32) *tensor.Tensor { return tensor.Scalar(v) }
		run.run(t, []*tensor.Tensor{tensor.MustFromSlice([]float32{1, 3}, 2)}, s(1), s(5), s(2))
		run.run(t, []*tensor.Tensor{tensor.MustFromSlice([]float32{10, 7.5, 5, 2.5}, 4)}, s(10), s(0), s(-2.5))
		run.requireSpecializations(t, 2)
	})
	t.Run("OneHot", func(t *testing.T) {
		run := newDynRunner(t, dynModel(t, []onnxpb.Node{dynNode("OneHot", []string{"idx", "depth", "values"}, "y")},
			[]onnxpb.ValueInfo{dynIn("idx", onnxpb.Int64, 2), dynIn("depth", onnxpb.Int64), dynIn("values", onnxpb.Float, 2)},
			[]onnxpb.ValueInfo{dynIn("y", onnxpb.Float, 2, "d")}))
		idx := tensor.MustFromSlice([]int64{0, 2}, 2)
		vals := tensor.MustFromSlice([]float32{0, 1}, 2)
		run.run(t, []*tensor.Tensor{tensor.MustFromSlice([]float32{1, 0, 0, 0, 0, 1}, 2, 3)}, idx, tensor.Scalar(int64(3)), vals)
		run.run(t, []*tensor.Tensor{tensor.MustFromSlice([]float32{1, 0, 0, 0, 0, 0, 1, 0}, 2, 4)}, idx, tensor.Scalar(int64(4)), vals)
	})
	t.Run("Resize", func(t *testing.T) {
		run := newDynRunner(t, dynModel(t, []onnxpb.Node{dynNode("Resize", []string{"x", "", "scales"}, "y",
			onnxpb.Attribute{Name: "mode", Type: onnxpb.AttrString, S: []byte("nearest")})},
			[]onnxpb.ValueInfo{dynIn("x", onnxpb.Float, 1, 1, 2, 2), dynIn("scales", onnxpb.Float, 4)},
			[]onnxpb.ValueInfo{dynIn("y", onnxpb.Float, 1, 1, "h", "w")}))
		x := tensor.MustFromSlice([]float32{1, 2, 3, 4}, 1, 1, 2, 2)
		// nearest (half_pixel and round_prefer_floor by default): doubling repeats each pixel
		run.run(t, []*tensor.Tensor{tensor.MustFromSlice([]float32{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, 1, 1, 4, 4)},
			x, tensor.MustFromSlice([]float32{1, 1, 2, 2}, 4))
		run.run(t, []*tensor.Tensor{tensor.MustFromSlice([]float32{1, 2, 3, 4}, 1, 1, 2, 2)},
			x, tensor.MustFromSlice([]float32{1, 1, 1, 1}, 4))
	})
}
