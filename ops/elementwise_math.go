package ops

import (
	"github.com/backplane-ml/backplane/tensor"
)

// The elementwise family, part 3: trigonometric and hyperbolic functions,
// round, the float classifiers is_nan and is_inf, mod, and the bitwise ops.

// Bit shift directions, spelled as ONNX's BitShift spells them.
const (
	BitShiftLeft  = "LEFT"
	BitShiftRight = "RIGHT"
)

var ewMathOps = []ewUnary{
	{name: "sin", domain: ewFloat, doc: "Sine (radians)."},
	{name: "cos", domain: ewFloat, doc: "Cosine (radians)."},
	{name: "tan", domain: ewFloat, doc: "Tangent (radians)."},
	{name: "asin", domain: ewFloat, doc: "Arcsine in [−π/2, π/2]; NaN outside [−1, 1]."},
	{name: "acos", domain: ewFloat, doc: "Arccosine in [0, π]; NaN outside [−1, 1]."},
	{name: "atan", domain: ewFloat, doc: "Arctangent in (−π/2, π/2)."},
	{name: "sinh", domain: ewFloat, doc: "Hyperbolic sine."},
	{name: "cosh", domain: ewFloat, doc: "Hyperbolic cosine."},
	{name: "asinh", domain: ewFloat, doc: "Inverse hyperbolic sine."},
	{name: "acosh", domain: ewFloat, doc: "Inverse hyperbolic cosine; NaN below 1."},
	{name: "atanh", domain: ewFloat, doc: "Inverse hyperbolic tangent; ±Inf at ±1, NaN beyond."},
	{name: "round", domain: ewFloat, doc: "Rounds to the nearest integer, halves to even (ONNX Round); NaN and ±Inf unchanged."},
}

func init() {
	for _, u := range ewMathOps {
		Register(&Op{Name: u.name, Doc: u.doc, Inputs: []InputSpec{{Name: "x"}}, Attrs: u.attrs, Infer: u.infer})
	}
	Register(&Op{
		Name:   "is_nan",
		Doc:    "x is NaN, as bool (float x).",
		Inputs: []InputSpec{{Name: "x"}},
		Infer:  ewClassifyInfer,
	})
	Register(&Op{
		Name: "is_inf",
		Doc: "x is +Inf (when detect_positive) or −Inf (when detect_negative), as bool (float x). " +
			"Both flags default to 1.",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs: []AttrSpec{
			{Name: "detect_positive", Kind: AttrInt, Doc: "0 or 1 (default)"},
			{Name: "detect_negative", Kind: AttrInt, Doc: "0 or 1 (default)"},
		},
		Infer: ewClassifyInfer,
	})
	Register(&Op{
		Name: "mod",
		Doc: "Remainder of a / b (ONNX Mod). fmod=0 (integers only): the sign of the divisor, like Python's %; " +
			"fmod=1: the sign of the dividend, like C's fmod (required for float dtypes). An integer remainder " +
			"by zero is an error. Inputs share one dtype and broadcast numpy-style.",
		Inputs: []InputSpec{{Name: "a"}, {Name: "b"}},
		Attrs:  []AttrSpec{{Name: "fmod", Kind: AttrInt, Doc: "0 (default) or 1"}},
		Infer:  ewModInfer,
	})
	for _, name := range []string{"bitwise_and", "bitwise_or", "bitwise_xor"} {
		Register(&Op{
			Name:   name,
			Doc:    "Bitwise " + name[len("bitwise_"):] + " of integer tensors of one dtype, broadcast numpy-style.",
			Inputs: []InputSpec{{Name: "a"}, {Name: "b"}},
			Infer:  ewBitwiseInfer,
		})
	}
	Register(&Op{
		Name:   "bitwise_not",
		Doc:    "Bitwise complement of an integer tensor.",
		Inputs: []InputSpec{{Name: "x"}},
		Infer: func(in []Type, _ Attrs) ([]Type, error) {
			if err := requireAll(in, nil, tensor.DType.IsInt, "an integer dtype"); err != nil {
				return nil, err
			}
			return one(Type{DType: in[0].DType, Shape: in[0].Shape.Clone()}), nil
		},
	})
	Register(&Op{
		Name: "bit_shift",
		Doc: "a shifted by b bits (ONNX BitShift) in direction LEFT or RIGHT, for unsigned integer dtypes; " +
			"bits shifted out are lost and a shift by the width or more gives 0. Inputs broadcast numpy-style.",
		Inputs: []InputSpec{{Name: "a"}, {Name: "b"}},
		Attrs:  []AttrSpec{{Name: "direction", Kind: AttrString, Required: true, Doc: "LEFT or RIGHT"}},
		Infer:  ewBitShiftInfer,
	})
}

func ewClassifyInfer(in []Type, a Attrs) ([]Type, error) {
	if err := requireFloat(in, 0); err != nil {
		return nil, err
	}
	for _, name := range []string{"detect_positive", "detect_negative"} {
		if v := a.Int(name, 1); v != 0 && v != 1 {
			return nil, AttrErrorf(name, "is %d, want 0 or 1", v)
		}
	}
	return one(Type{DType: tensor.Bool, Shape: in[0].Shape.Clone()}), nil
}

func ewModInfer(in []Type, a Attrs) ([]Type, error) {
	fmod := a.Int("fmod", 0)
	if fmod != 0 && fmod != 1 {
		return nil, AttrErrorf("fmod", "is %d, want 0 or 1", fmod)
	}
	if in[0].DType.IsFloat() && fmod != 1 {
		return nil, AttrErrorf("fmod", "is 0, but a float remainder needs fmod=1 (ONNX Mod)")
	}
	return ewBinary{domain: ewNumeric}.infer(in, a)
}

func ewBitwiseInfer(in []Type, a Attrs) ([]Type, error) {
	if err := requireAll(in, nil, tensor.DType.IsInt, "an integer dtype"); err != nil {
		return nil, err
	}
	return ewBinary{domain: ewNumeric}.infer(in, a)
}

func ewBitShiftInfer(in []Type, a Attrs) ([]Type, error) {
	if d := a.String("direction", ""); d != BitShiftLeft && d != BitShiftRight {
		return nil, AttrErrorf("direction", "%q is not LEFT or RIGHT", d)
	}
	if err := requireAll(in, nil, tensor.DType.IsUnsigned, "an unsigned integer dtype"); err != nil {
		return nil, err
	}
	return ewBinary{domain: ewNumeric}.infer(in, a)
}
