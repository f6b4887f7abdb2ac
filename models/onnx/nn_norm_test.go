package onnx

import (
	"math"
	"testing"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

// Import tests of the normalizations. Where epsilon keeps its default 1e-5
// the variances are >= 1, so it moves results by at most 5e-6 relative,
// inside requireClose's tolerance.

func TestNNBatchNormalization(t *testing.T) {
	// x (N=1, C=2, D=2): channel 0 [1,3], channel 1 [2,4]; scale [2,1], bias [2,0], mean [2,3], var [4,1]
	// channel 0: 2·(1−2)/2+2 = 1, 2·(3−2)/2+2 = 3; channel 1: (2−3)/1 = −1, (4−3)/1 = 1
	x := nnF32(nnShape(1, 2, 2), 1, 3, 2, 4)
	want := nnF32(nnShape(1, 2, 2), 1, 3, -1, 1)
	params := []nnInit{
		{"scale", nnF32(nnShape(2), 2, 1)}, {"bias", nnF32(nnShape(2), 2, 0)},
		{"mean", nnF32(nnShape(2), 2, 3)}, {"var", nnF32(nnShape(2), 4, 1)},
	}
	in := []string{"x", "scale", "bias", "mean", "var"}
	bn := func(outs []string, attrs ...onnxpb.Attribute) onnxpb.Node {
		return node("BatchNormalization", in, outs, attrs...)
	}
	y := []string{"y"}
	nnRun(t, []nnCase{
		// opset 6 with every legacy attribute; epsilon 0 exactly
		{name: "opset6 legacy attrs", opset: 6,
			node: bn(y, aInt("spatial", 1), aInt("is_test", 1), aFloat("momentum", 0.9), aFloat("epsilon", 0),
				aInts("consumed_inputs", 0, 0, 0, 1, 1)),
			inputs: nnIn(1, 2, 2), feeds: []*tensor.Tensor{x}, inits: params, want: want},
		// opset 7 still has spatial; the unused optional outputs have empty names
		{name: "opset7 spatial", opset: 7, node: bn([]string{"y", "", ""}, aInt("spatial", 1)),
			inputs: nnIn(1, 2, 2), feeds: []*tensor.Tensor{x}, inits: params, want: want},
		{name: "opset9 default epsilon", opset: 9, node: bn(y),
			inputs: nnIn(1, 2, 2), feeds: []*tensor.Tensor{x}, inits: params, want: want},
		{name: "opset14 training_mode 0", opset: 14, node: bn(y, aInt("training_mode", 0), aFloat("momentum", 0.1)),
			inputs: nnIn(1, 2, 2), feeds: []*tensor.Tensor{x}, inits: params, want: want},
		// opset 15: mean/var may have another dtype than x (T2); cast to x's
		{name: "opset15 float64 stats", opset: 15, node: bn(y),
			inputs: nnIn(1, 2, 2), feeds: []*tensor.Tensor{x},
			inits: []nnInit{params[0], params[1],
				{"mean", tensor.MustFromSlice([]float64{2, 3}, 2)}, {"var", tensor.MustFromSlice([]float64{4, 1}, 2)}},
			want: want},
		// rank 2 (N, C): one value per channel; channel 0: 2·(3−2)/2+2 = 3, channel 1: (5−3)/1 = 2
		{name: "rank 2", opset: 15, node: bn(y),
			inputs: nnIn(1, 2), feeds: []*tensor.Tensor{nnF32(nnShape(1, 2), 3, 5)}, inits: params,
			want: nnF32(nnShape(1, 2), 3, 2)},
	})
	nnRunErrs(t, []nnErrCase{
		{name: "spatial 0", opset: 7, node: bn(y, aInt("spatial", 0)),
			inputs: nnIn(1, 2, 2), inits: params, kind: ErrUnsupported, msg: "spatial"},
		{name: "spatial after opset 8", opset: 9, node: bn(y, aInt("spatial", 1)),
			inputs: nnIn(1, 2, 2), inits: params, kind: ErrInvalidModel, msg: "removed in opset 9"},
		// training_mode 1 is TestBatchNormTrainingMode's; its outputs are three at most.
		{name: "training_mode 1 with four outputs", opset: 14, node: bn([]string{"y", "rm", "rv", "extra"}, aInt("training_mode", 1)),
			inputs: nnIn(1, 2, 2), inits: params, kind: ErrUnsupported, msg: "extra"},
		{name: "training_mode before 14", opset: 13, node: bn(y, aInt("training_mode", 0)),
			inputs: nnIn(1, 2, 2), inits: params, kind: ErrInvalidModel, msg: "before opset 14"},
		{name: "is_test after opset 6", opset: 7, node: bn(y, aInt("is_test", 1)),
			inputs: nnIn(1, 2, 2), inits: params, kind: ErrUnsupported, msg: "is_test"},
		{name: "running mean output", opset: 14, node: bn([]string{"y", "rm"}),
			inputs: nnIn(1, 2, 2), inits: params, kind: ErrUnsupported, msg: "rm"},
		{name: "mixed dtypes before opset 15", opset: 14, node: bn(y),
			inputs: nnIn(1, 2, 2),
			inits: []nnInit{params[0], params[1],
				{"mean", tensor.MustFromSlice([]float64{2, 3}, 2)}, {"var", tensor.MustFromSlice([]float64{4, 1}, 2)}},
			kind: ErrInvalidModel, msg: "float64"},
		{name: "wrong channel count", opset: 15, node: bn(y),
			inputs: nnIn(1, 3, 2), inits: params, kind: ErrInvalidModel, msg: "scale"},
		{name: "four inputs", opset: 15, node: node("BatchNormalization", in[:4], y),
			inputs: nnIn(1, 2, 2), inits: params, kind: ErrInvalidModel, msg: "has 4 inputs"},
	})
}

func TestNNInstanceNormalization(t *testing.T) {
	// x (1, 2, 2): channel 0 [1,3] (mean 2, var 1) → [−1,1]·2 + 0; channel 1 [2,2] (var 0) → 0·3 + 1
	in := []string{"x", "scale", "bias"}
	params := []nnInit{{"scale", nnF32(nnShape(2), 2, 3)}, {"bias", nnF32(nnShape(2), 0, 1)}}
	nnRun(t, []nnCase{
		{name: "1d", opset: 6, node: node("InstanceNormalization", in, []string{"y"}),
			inputs: nnIn(1, 2, 2), feeds: []*tensor.Tensor{nnF32(nnShape(1, 2, 2), 1, 3, 2, 2)}, inits: params,
			want: nnF32(nnShape(1, 2, 2), -2, 2, 1, 1)},
		// epsilon 3 with channel 0 [0,2] (var 1): ±1/sqrt(1+3) = ±0.5, ·2 → ∓1; channel 1 [5,5] → bias 1.
		// 2-D spatial (1x2 each).
		{name: "2d epsilon", opset: 6, node: node("InstanceNormalization", in, []string{"y"}, aFloat("epsilon", 3)),
			inputs: nnIn(1, 2, 1, 2), feeds: []*tensor.Tensor{nnF32(nnShape(1, 2, 1, 2), 0, 2, 5, 5)}, inits: params,
			want: nnF32(nnShape(1, 2, 1, 2), -1, 1, 1, 1)},
	})
	nnRunErrs(t, []nnErrCase{
		{name: "no bias", opset: 6, node: node("InstanceNormalization", in[:2], []string{"y"}),
			inputs: nnIn(1, 2, 2), inits: params, kind: ErrInvalidModel, msg: "has 2 inputs"},
		{name: "negative epsilon", opset: 6, node: node("InstanceNormalization", in, []string{"y"}, aFloat("epsilon", -1)),
			inputs: nnIn(1, 2, 2), inits: params, kind: ErrInvalidModel, msg: "epsilon"},
	})
}

func TestNNLayerNormalization(t *testing.T) {
	ln := func(inputs, outs []string, attrs ...onnxpb.Attribute) onnxpb.Node {
		return node("LayerNormalization", inputs, outs, attrs...)
	}
	scale := nnInit{"scale", nnF32(nnShape(2), 1, 2)}
	bias := nnInit{"bias", nnF32(nnShape(2), 0, 1)}
	// rows [1,3] (mean 2, var 1) and [2,6] (mean 4, var 4) both normalize to [−1,1]
	x := nnF32(nnShape(2, 2), 1, 3, 2, 6)
	y := []string{"y"}
	nnRun(t, []nnCase{
		// ·[1,2] + [0,1] = [−1,3]
		{name: "last axis", opset: 17, node: ln([]string{"x", "scale", "bias"}, y, aInt("stash_type", 1)),
			inputs: nnIn(2, 2), feeds: []*tensor.Tensor{x}, inits: []nnInit{scale, bias},
			want: nnF32(nnShape(2, 2), -1, 3, -1, 3)},
		{name: "no bias", opset: 18, node: ln([]string{"x", "scale"}, y),
			inputs: nnIn(2, 2), feeds: []*tensor.Tensor{x}, inits: []nnInit{scale},
			want: nnF32(nnShape(2, 2), -1, 2, -1, 2)},
		// axis 0 normalizes all of [[1,1],[3,3]] (mean 2, var 1) to [[−1,−1],[1,1]]; scale [1,2]
		// broadcasts over the normalized shape [2,2]
		{name: "axis 0", opset: 17, node: ln([]string{"x", "scale"}, y, aInt("axis", 0)),
			inputs: nnIn(2, 2), feeds: []*tensor.Tensor{nnF32(nnShape(2, 2), 1, 1, 3, 3)}, inits: []nnInit{scale},
			want: nnF32(nnShape(2, 2), -1, -2, 1, 2)},
		// epsilon 3: row [0,2] (var 1) → ±1/2
		{name: "epsilon", opset: 17, node: ln([]string{"x", "scale"}, y, aFloat("epsilon", 3), aInt("axis", -1)),
			inputs: nnIn(1, 2), feeds: []*tensor.Tensor{nnF32(nnShape(1, 2), 0, 2)}, inits: []nnInit{scale},
			want: nnF32(nnShape(1, 2), -0.5, 1)},
	})
	nnRunErrs(t, []nnErrCase{
		{name: "before opset 17", opset: 16, node: ln([]string{"x", "scale"}, y),
			inputs: nnIn(2, 2), inits: []nnInit{scale}, kind: ErrInvalidModel, msg: "opset 17"},
		{name: "fourth output", opset: 17, node: ln([]string{"x", "scale"}, []string{"y", "mean", "inv", "extra"}),
			inputs: nnIn(2, 2), inits: []nnInit{scale}, kind: ErrUnsupported, msg: "output 3"},
		{name: "axis out of range", opset: 17, node: ln([]string{"x", "scale"}, y, aInt("axis", 2)),
			inputs: nnIn(2, 2), inits: []nnInit{scale}, kind: ErrInvalidModel, msg: "axis"},
		{name: "scale mismatch", opset: 17, node: ln([]string{"x", "scale"}, y),
			inputs: nnIn(2, 3), inits: []nnInit{scale}, kind: ErrInvalidModel, msg: "scale"},
	})
}

func TestNNLRN(t *testing.T) {
	lrn := func(attrs ...onnxpb.Attribute) onnxpb.Node {
		return node("LRN", []string{"x"}, []string{"y"}, attrs...)
	}
	// x (1, 3, 1) = [1,2,3], size 3: square sums over channels {0,1}, {0,1,2}, {1,2} = 5, 14, 13;
	// alpha 3 (alpha/size = 1), beta 1, bias 1: y = x/(1+sum) = 1/6, 2/15, 3/14
	x := nnF32(nnShape(1, 3, 1), 1, 2, 3)
	nnRun(t, []nnCase{
		{name: "size 3", opset: 13, node: lrn(aInt("size", 3), aFloat("alpha", 3), aFloat("beta", 1), aFloat("bias", 1)),
			inputs: nnIn(1, 3, 1), feeds: []*tensor.Tensor{x}, want: nnF32(nnShape(1, 3, 1), 1./6, 2./15, 3./14)},
		// size 2 sums channels c−0 .. c+1 (floor((2−1)/2) = 0 before, ceil(1/2) = 1 after): 5, 13, 9;
		// alpha 2 (alpha/size = 1), beta 0.5, bias 0: y = x/sqrt(sum)
		{name: "size 2 even", opset: 6, node: lrn(aInt("size", 2), aFloat("alpha", 2), aFloat("beta", 0.5), aFloat("bias", 0)),
			inputs: nnIn(1, 3, 1), feeds: []*tensor.Tensor{x},
			want: nnF32(nnShape(1, 3, 1), float32(1/math.Sqrt(5)), float32(2/math.Sqrt(13)), float32(3/math.Sqrt(9)))},
		// defaults alpha 1e-4, beta 0.75, bias 1 with size 1: y = x/(1 + 1e-4·x²)^0.75
		{name: "defaults", opset: 13, node: lrn(aInt("size", 1)),
			inputs: nnIn(1, 3, 1), feeds: []*tensor.Tensor{x},
			want: nnF32(nnShape(1, 3, 1), float32(1/math.Pow(1.0001, 0.75)), float32(2/math.Pow(1.0004, 0.75)),
				float32(3/math.Pow(1.0009, 0.75)))},
	})
	nnRunErrs(t, []nnErrCase{
		{name: "no size", opset: 13, node: lrn(), inputs: nnIn(1, 3, 1), kind: ErrInvalidModel, msg: "size"},
		{name: "size 0", opset: 13, node: lrn(aInt("size", 0)), inputs: nnIn(1, 3, 1), kind: ErrInvalidModel, msg: "size"},
		{name: "size float", opset: 13, node: lrn(aFloat("size", 3)), inputs: nnIn(1, 3, 1), kind: ErrInvalidModel, msg: "size"},
	})
}
