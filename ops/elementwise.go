package ops

import (
	"github.com/backplane-ml/backplane/tensor"
)

// The elementwise family, part 1: unary maps. Each takes one input "x" and
// returns a tensor of the same dtype and shape. Binary ops, comparisons,
// logical ops, where, clip, cast and identity live in elementwise_binary.go.

// Attribute defaults of the elementwise ops. They are exported so that every
// backend applies the same values as the Infer code and the reference kernels.
const (
	// EluDefaultAlpha is elu's alpha when the attribute is absent.
	EluDefaultAlpha = 1.0
	// SeluDefaultAlpha is selu's alpha when absent (ONNX's value, float32-exact).
	SeluDefaultAlpha = 1.67326319217681884765625
	// SeluDefaultGamma is selu's gamma when absent (ONNX's value, float32-exact).
	SeluDefaultGamma = 1.05070102214813232421875
	// LeakyReluDefaultAlpha is leaky_relu's alpha when absent.
	LeakyReluDefaultAlpha = 0.01
	// HardSigmoidDefaultAlpha is hard_sigmoid's alpha when absent.
	HardSigmoidDefaultAlpha = 0.2
	// HardSigmoidDefaultBeta is hard_sigmoid's beta when absent.
	HardSigmoidDefaultBeta = 0.5
	// GeluApproximateNone selects the exact gelu, 0.5·x·(1+erf(x/√2)); the default.
	GeluApproximateNone = "none"
	// GeluApproximateTanh selects gelu's tanh approximation.
	GeluApproximateTanh = "tanh"
)

// ewDomain is the set of dtypes an elementwise op accepts.
type ewDomain uint8

const (
	ewFloat   ewDomain = iota + 1 // float dtypes
	ewNumeric                     // float or integer dtypes
	ewBool                        // bool only
	ewAny                         // every dtype
)

// check reports the first listed input whose dtype is outside the domain.
func (d ewDomain) check(in []Type, idx ...int) error {
	switch d {
	case ewFloat:
		return requireFloat(in, idx...)
	case ewNumeric:
		return requireNumeric(in, idx...)
	case ewBool:
		return requireAll(in, idx, func(t tensor.DType) bool { return t == tensor.Bool }, "bool")
	}
	return nil
}

// ewUnary describes one unary op of the table below.
type ewUnary struct {
	name   string
	doc    string
	domain ewDomain
	attrs  []AttrSpec
	// check validates op-specific attribute values beyond finiteness (nil: none).
	check func(a Attrs) error
}

// ewFloatAttr is a float attribute spec; every float attribute of a unary op
// must be finite, since a NaN or infinite slope or scale has no sensible meaning.
func ewFloatAttr(name, doc string) AttrSpec {
	return AttrSpec{Name: name, Kind: AttrFloat, Doc: doc}
}

var ewUnaryOps = []ewUnary{
	{name: "exp", domain: ewFloat, doc: "e^x."},
	{name: "log", domain: ewFloat, doc: "Natural logarithm; log(0) = -Inf, log of a negative number is NaN."},
	{name: "sqrt", domain: ewFloat, doc: "Square root; NaN for negative inputs."},
	{name: "reciprocal", domain: ewFloat, doc: "1/x; ±Inf at ±0."},
	{name: "sigmoid", domain: ewFloat, doc: "1/(1+e^-x), computed without overflow for large |x|."},
	{name: "tanh", domain: ewFloat, doc: "Hyperbolic tangent."},
	{name: "erf", domain: ewFloat, doc: "Gauss error function."},
	{name: "softplus", domain: ewFloat,
		doc: "log(1+e^x), computed stably as max(x,0)+log1p(e^-|x|) so large x neither overflows nor loses precision."},
	{name: "softsign", domain: ewFloat, doc: "x/(1+|x|)."},
	{name: "floor", domain: ewFloat, doc: "Largest integer not above x (NaN and ±Inf unchanged)."},
	{name: "ceil", domain: ewFloat, doc: "Smallest integer not below x (NaN and ±Inf unchanged)."},
	{name: "gelu", domain: ewFloat,
		doc: "Gaussian error linear unit: 0.5·x·(1+erf(x/√2)), or with approximate=\"tanh\" " +
			"0.5·x·(1+tanh(√(2/π)·(x+0.044715·x³))).",
		attrs: []AttrSpec{{Name: "approximate", Kind: AttrString,
			Doc: `"none" (default, exact erf form) or "tanh"; any other value is an error`}},
		check: func(a Attrs) error {
			switch v := a.String("approximate", GeluApproximateNone); v {
			case GeluApproximateNone, GeluApproximateTanh:
				return nil
			default:
				return AttrErrorf("approximate", "%q is not one of %q, %q", v, GeluApproximateNone, GeluApproximateTanh)
			}
		}},
	{name: "elu", domain: ewFloat, doc: "x for x >= 0, alpha·(e^x−1) for x < 0.",
		attrs: []AttrSpec{ewFloatAttr("alpha", "scale of the negative part; default 1.0, must be finite")}},
	{name: "selu", domain: ewFloat, doc: "gamma·x for x > 0, gamma·alpha·(e^x−1) for x <= 0.",
		attrs: []AttrSpec{
			ewFloatAttr("alpha", "default 1.67326319217681884765625 (ONNX's), must be finite"),
			ewFloatAttr("gamma", "default 1.05070102214813232421875 (ONNX's), must be finite"),
		}},
	{name: "leaky_relu", domain: ewFloat, doc: "x for x >= 0, alpha·x for x < 0; NaN stays NaN.",
		attrs: []AttrSpec{ewFloatAttr("alpha", "slope for x < 0; default 0.01, must be finite")}},
	{name: "hard_sigmoid", domain: ewFloat, doc: "max(0, min(1, alpha·x+beta)); NaN stays NaN.",
		attrs: []AttrSpec{
			ewFloatAttr("alpha", "default 0.2, must be finite"),
			ewFloatAttr("beta", "default 0.5, must be finite"),
		}},
	{name: "neg", domain: ewNumeric, doc: "−x. Integers wrap at the dtype's width (−(−128) is −128 in int8, as in Go and numpy)."},
	{name: "abs", domain: ewNumeric, doc: "|x|. Integers wrap at the dtype's width (|−128| is −128 in int8, as in numpy)."},
	{name: "relu", domain: ewNumeric, doc: "max(0, x); NaN stays NaN (as numpy's maximum and PyTorch's relu)."},
	{name: "sign", domain: ewNumeric, doc: "−1, 0 or 1 by the sign of x; sign(±0) = 0 and sign(NaN) = NaN."},
	{name: "not", domain: ewBool, doc: "Logical negation of a bool tensor."},
}

func init() {
	for _, u := range ewUnaryOps {
		Register(&Op{
			Name:   u.name,
			Doc:    u.doc,
			Inputs: []InputSpec{{Name: "x"}},
			Attrs:  u.attrs,
			Infer:  u.infer,
		})
	}
}

func (u ewUnary) infer(in []Type, a Attrs) ([]Type, error) {
	if err := u.domain.check(in, 0); err != nil {
		return nil, err
	}
	for _, s := range u.attrs {
		if s.Kind != AttrFloat {
			continue
		}
		if v, ok := a[s.Name].(float64); ok && !finite(v) {
			return nil, AttrErrorf(s.Name, "must be finite, got %v", v)
		}
	}
	if u.check != nil {
		if err := u.check(a); err != nil {
			return nil, err
		}
	}
	return one(Type{DType: in[0].DType, Shape: in[0].Shape.Clone()}), nil
}
