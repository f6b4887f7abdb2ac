package ops

import (
	"github.com/backplane-ml/backplane/tensor"
)

// Softmax and normalization: softmax, log_softmax, batch_norm, layer_norm,
// instance_norm and lrn.

// normEpsilonAttr is the epsilon attribute shared by the normalizations.
var normEpsilonAttr = AttrSpec{Name: "epsilon", Kind: AttrFloat,
	Doc: "added to the variance before the square root; default 1e-5; must be finite and >= 0"}

func init() {
	softmaxAttrs := []AttrSpec{{Name: "axis", Kind: AttrInt,
		Doc: "the axis to normalize along, negative counting from the end; default -1"}}
	Register(&Op{
		Name: "softmax",
		Doc: "Computes exp(x) / sum(exp(x)) along the single axis in attribute axis (ONNX opset 13), " +
			"subtracting the maximum along that axis first so large inputs do not overflow. Float dtypes only; " +
			"input rank >= 1. A zero-size axis gives an empty output.",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs:  softmaxAttrs,
		Infer:  softmaxInfer,
	})
	Register(&Op{
		Name: "log_softmax",
		Doc: "Computes x - log(sum(exp(x))) along the single axis in attribute axis (ONNX opset 13), " +
			"subtracting the maximum along that axis first so large inputs do not overflow. Float dtypes only; " +
			"input rank >= 1. A zero-size axis gives an empty output.",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs:  softmaxAttrs,
		Infer:  softmaxInfer,
	})
	Register(&Op{
		Name: "batch_norm",
		Doc: "Inference-mode batch normalization: y = scale·(x − mean)/sqrt(var + epsilon) + bias, with the " +
			"rank-1 parameters of length C applied per channel along axis 1 of x (shape N×C×D1…Dk, rank >= 2). " +
			"All inputs share one float dtype; y has x's type.",
		Inputs: []InputSpec{{Name: "x"}, {Name: "scale"}, {Name: "bias"}, {Name: "mean"}, {Name: "var"}},
		Attrs:  []AttrSpec{normEpsilonAttr},
		Infer:  batchNormInfer,
	})
	Register(&Op{
		Name: "layer_norm",
		Doc: "Layer normalization: each slice x[i0…i(axis-1), :, …, :] is shifted to mean 0 and scaled by " +
			"1/sqrt(variance + epsilon) (population variance, divided by n), then multiplied by scale and, when " +
			"present, offset by bias. scale and bias broadcast one way (numpy rules, never growing) to " +
			"x.shape[axis:]. All inputs share one float dtype; the single output has x's type (ONNX's optional " +
			"Mean and InvStdDev outputs are not produced).",
		Inputs: []InputSpec{{Name: "x"}, {Name: "scale"}, {Name: "bias", Optional: true}},
		Attrs: []AttrSpec{
			{Name: "axis", Kind: AttrInt, Doc: "first normalized axis, negative counting from the end; default -1"},
			normEpsilonAttr,
		},
		Infer: layerNormInfer,
	})
	Register(&Op{
		Name: "instance_norm",
		Doc: "Instance normalization: for every sample n and channel c of x (shape N×C×D1…Dk, rank >= 3) the " +
			"spatial values are shifted to mean 0, scaled by 1/sqrt(variance + epsilon) (population variance), " +
			"then multiplied by scale[c] and offset by bias[c]. All inputs share one float dtype.",
		Inputs: []InputSpec{{Name: "x"}, {Name: "scale"}, {Name: "bias"}},
		Attrs:  []AttrSpec{normEpsilonAttr},
		Infer:  instanceNormInfer,
	})
	Register(&Op{
		Name: "lrn",
		Doc: "Local response normalization across channels (ONNX LRN): for x of shape N×C×D1…Dk (rank >= 3), " +
			"square_sum[n,c,…] = Σ x[n,i,…]² over i from max(0, c − floor((size−1)/2)) to " +
			"min(C−1, c + ceil((size−1)/2)), and y = x / (bias + alpha/size · square_sum)^beta. Float dtypes only.",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs: []AttrSpec{
			{Name: "size", Kind: AttrInt, Required: true, Doc: "number of channels summed over; >= 1"},
			{Name: "alpha", Kind: AttrFloat, Doc: "scale of the square sum; default 1e-4; finite"},
			{Name: "beta", Kind: AttrFloat, Doc: "exponent; default 0.75; finite"},
			{Name: "bias", Kind: AttrFloat, Doc: "added to the scaled square sum; default 1.0; finite"},
		},
		Infer: lrnInfer,
	})
}

func softmaxInfer(in []Type, a Attrs) ([]Type, error) {
	if err := requireFloat(in, 0); err != nil {
		return nil, err
	}
	rank := len(in[0].Shape)
	if rank == 0 {
		return nil, InputErrorf(0, "rank 0; softmax needs an axis to normalize along")
	}
	if _, err := tensor.NormalizeAxis(a.Int("axis", -1), rank); err != nil {
		return nil, AttrErrorf("axis", "%v", err)
	}
	return one(in[0]), nil
}

// normEpsilon checks the epsilon attribute.
func normEpsilon(a Attrs) error {
	if eps := a.Float("epsilon", 1e-5); !finite(eps) || eps < 0 {
		return AttrErrorf("epsilon", "is %v, want a finite value >= 0", eps)
	}
	return nil
}

// normChannelParams checks that inputs idx (called names[k] in errors) are rank 1 of
// length C, the channel count of x (axis 1).
func normChannelParams(in []Type, names []string, idx ...int) error {
	c := in[0].Shape[1]
	for k, i := range idx {
		if s := in[i].Shape; len(s) != 1 || s[0] != c {
			return InputErrorf(i, "%s has shape %v, want [%d] (the channel count, x.shape[1])", names[k], s, c)
		}
	}
	return nil
}

func batchNormInfer(in []Type, a Attrs) ([]Type, error) {
	if err := requireFloat(in); err != nil {
		return nil, err
	}
	if err := requireSameDType(in); err != nil {
		return nil, err
	}
	if r := len(in[0].Shape); r < 2 {
		return nil, InputErrorf(0, "rank %d (shape %v), want rank >= 2 (N, C, ...)", r, in[0].Shape)
	}
	if err := normEpsilon(a); err != nil {
		return nil, err
	}
	if err := normChannelParams(in, []string{"scale", "bias", "mean", "var"}, 1, 2, 3, 4); err != nil {
		return nil, err
	}
	return one(in[0]), nil
}

func instanceNormInfer(in []Type, a Attrs) ([]Type, error) {
	if err := requireFloat(in); err != nil {
		return nil, err
	}
	if err := requireSameDType(in); err != nil {
		return nil, err
	}
	if r := len(in[0].Shape); r < 3 {
		return nil, InputErrorf(0, "rank %d (shape %v), want rank >= 3 (N, C, D1, ...)", r, in[0].Shape)
	}
	if err := normEpsilon(a); err != nil {
		return nil, err
	}
	if err := normChannelParams(in, []string{"scale", "bias"}, 1, 2); err != nil {
		return nil, err
	}
	return one(in[0]), nil
}

func layerNormInfer(in []Type, a Attrs) ([]Type, error) {
	if err := requireFloat(in); err != nil {
		return nil, err
	}
	if err := requireSameDType(in); err != nil {
		return nil, err
	}
	x := in[0].Shape
	if len(x) == 0 {
		return nil, InputErrorf(0, "rank 0; layer_norm needs an axis to normalize from")
	}
	axis, err := tensor.NormalizeAxis(a.Int("axis", -1), len(x))
	if err != nil {
		return nil, AttrErrorf("axis", "%v", err)
	}
	if err := normEpsilon(a); err != nil {
		return nil, err
	}
	norm := x[axis:]
	for i, name := range []string{"", "scale", "bias"} {
		if i == 0 || i >= len(in) || in[i].Absent() {
			continue
		}
		if !normBroadcastsTo(in[i].Shape, norm) {
			return nil, InputErrorf(i, "%s has shape %v, which does not broadcast to the normalized shape %v",
				name, in[i].Shape, norm)
		}
	}
	return one(in[0]), nil
}

// normBroadcastsTo reports whether shape s broadcasts one way to shape to
// (numpy rules with to fixed): s has rank <= len(to) and each of its
// dimensions, aligned from the end, equals to's or is 1. layer_norm's scale and
// bias must broadcast this way to the normalized shape.
func normBroadcastsTo(s, to tensor.Shape) bool {
	if len(s) > len(to) {
		return false
	}
	off := len(to) - len(s)
	for i, d := range s {
		if d != 1 && d != to[off+i] {
			return false
		}
	}
	return true
}

// Attribute defaults of lrn (ONNX's), exported so that every backend applies
// the same values as the reference kernel.
const (
	// LRNDefaultAlpha is lrn's alpha when the attribute is absent.
	LRNDefaultAlpha = 1e-4
	// LRNDefaultBeta is lrn's beta when absent.
	LRNDefaultBeta = 0.75
	// LRNDefaultBias is lrn's bias when absent.
	LRNDefaultBias = 1.0
)

func lrnInfer(in []Type, a Attrs) ([]Type, error) {
	if err := requireFloat(in, 0); err != nil {
		return nil, err
	}
	if r := len(in[0].Shape); r < 3 {
		return nil, InputErrorf(0, "rank %d (shape %v), want rank >= 3 (N, C, D1, ...)", r, in[0].Shape)
	}
	if size := a.Int("size", 0); size < 1 {
		return nil, AttrErrorf("size", "is %d, want >= 1", size)
	}
	for _, name := range []string{"alpha", "beta", "bias"} {
		if v := a.Float(name, 0); !finite(v) {
			return nil, AttrErrorf(name, "is %v, want a finite value", v)
		}
	}
	return one(in[0]), nil
}
