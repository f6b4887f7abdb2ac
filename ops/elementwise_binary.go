package ops

import (
	"math"

	"github.com/backplane-ml/backplane/tensor"
)

// The elementwise family, part 2: ops over several inputs that broadcast
// numpy-style (binary arithmetic, comparisons, logical ops, prelu, where), and
// the remaining one-input ops with their own rules (clip, cast, identity).

// ewBinary describes one op with inputs "a" and "b" of the same dtype.
type ewBinary struct {
	name   string
	doc    string
	domain ewDomain
	// boolOut makes the output bool (comparisons); otherwise it has the inputs' dtype.
	boolOut bool
}

var ewBinaryOps = []ewBinary{
	{name: "add", domain: ewNumeric, doc: "a + b. Integers wrap at the dtype's width."},
	{name: "sub", domain: ewNumeric, doc: "a − b. Integers wrap at the dtype's width."},
	{name: "mul", domain: ewNumeric, doc: "a · b. Integers wrap at the dtype's width."},
	{name: "div", domain: ewNumeric,
		doc: "a / b. Integer division truncates toward zero (as Go and C; ONNX leaves it to the platform); " +
			"an integer division by zero is a run-time error, float division by zero gives ±Inf or NaN."},
	{name: "pow", domain: ewFloat, doc: "a^b (float only); a negative base with a non-integer exponent is NaN."},
	{name: "max", domain: ewNumeric, doc: "Elementwise maximum of a and b; a NaN in either gives NaN."},
	{name: "min", domain: ewNumeric, doc: "Elementwise minimum of a and b; a NaN in either gives NaN."},
	{name: "equal", domain: ewAny, boolOut: true, doc: "a == b as bool; NaN equals nothing, not even NaN."},
	{name: "less", domain: ewNumeric, boolOut: true, doc: "a < b as bool; false if either is NaN."},
	{name: "less_equal", domain: ewNumeric, boolOut: true, doc: "a <= b as bool; false if either is NaN."},
	{name: "greater", domain: ewNumeric, boolOut: true, doc: "a > b as bool; false if either is NaN."},
	{name: "greater_equal", domain: ewNumeric, boolOut: true, doc: "a >= b as bool; false if either is NaN."},
	{name: "and", domain: ewBool, doc: "Logical and of bool tensors."},
	{name: "or", domain: ewBool, doc: "Logical or of bool tensors."},
	{name: "xor", domain: ewBool, doc: "Logical exclusive or of bool tensors."},
}

func init() {
	for _, b := range ewBinaryOps {
		Register(&Op{
			Name:   b.name,
			Doc:    b.doc + " Inputs must have the same dtype; shapes broadcast numpy-style.",
			Inputs: []InputSpec{{Name: "a"}, {Name: "b"}},
			Infer:  b.infer,
		})
	}
	Register(&Op{
		Name: "prelu",
		Doc: "x for x >= 0, slope·x otherwise (float only). slope has x's dtype and must broadcast to x's " +
			"shape (the output is always x's shape), e.g. a per-channel slope of shape [C,1,1] for NCHW x.",
		Inputs: []InputSpec{{Name: "x"}, {Name: "slope"}},
		Infer:  ewPreluInfer,
	})
	Register(&Op{
		Name: "where",
		Doc: "condition ? x : y elementwise. condition is bool; x and y share any dtype; all three " +
			"broadcast numpy-style.",
		Inputs: []InputSpec{{Name: "condition"}, {Name: "x"}, {Name: "y"}},
		Infer:  ewWhereInfer,
	})
	Register(&Op{
		Name: "clip",
		Doc: "min(max(x, min), max) for numeric x, so min > max gives max everywhere (as ONNX); NaN stays NaN. " +
			"For integer dtypes each bound is first truncated toward zero and saturated to the dtype's range.",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs: []AttrSpec{
			{Name: "min", Kind: AttrFloat, Doc: "lower bound; default -Inf; NaN is an error"},
			{Name: "max", Kind: AttrFloat, Doc: "upper bound; default +Inf; NaN is an error"},
		},
		Infer: ewClipInfer,
	})
	Register(&Op{
		Name: "cast",
		Doc: "Converts x to dtype `to` with tensor.AsType's rules: float→int truncates toward zero and wraps to " +
			"the width (NaN becomes 0), →bool is x != 0, bool→number is 0 or 1, float→float rounds to nearest.",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs: []AttrSpec{{Name: "to", Kind: AttrString, Required: true,
			Doc: "target dtype name as tensor.ParseDType accepts, e.g. \"float16\", \"int64\", \"bool\""}},
		Infer: ewCastInfer,
	})
	Register(&Op{
		Name:   "identity",
		Doc:    "Returns x unchanged (any dtype).",
		Inputs: []InputSpec{{Name: "x"}},
		Infer: func(in []Type, _ Attrs) ([]Type, error) {
			return one(Type{DType: in[0].DType, Shape: in[0].Shape.Clone()}), nil
		},
	})
}

func (b ewBinary) infer(in []Type, _ Attrs) ([]Type, error) {
	if err := requireSameDType(in, 0, 1); err != nil {
		return nil, err
	}
	if err := b.domain.check(in, 0); err != nil {
		return nil, err
	}
	shape, err := ewBroadcastInputs(in, 0, 1)
	if err != nil {
		return nil, err
	}
	d := in[0].DType
	if b.boolOut {
		d = tensor.Bool
	}
	return one(Type{DType: d, Shape: shape}), nil
}

// ewBroadcastInputs returns the numpy broadcast of the shapes of the listed
// inputs. An error names the first input that does not fit the shapes before
// it, and an output too large to exist is an error about the last input.
func ewBroadcastInputs(in []Type, idx ...int) (tensor.Shape, error) {
	shape := tensor.Shape{}
	for _, i := range idx {
		s, err := tensor.BroadcastShapes(shape, in[i].Shape)
		if err != nil {
			return nil, InputErrorf(i, "shape %v with %v: %v", in[i].Shape, shape, err)
		}
		shape = s
	}
	if err := shape.Validate(); err != nil {
		return nil, InputErrorf(idx[len(idx)-1], "broadcast result: %v", err)
	}
	return shape, nil
}

func ewPreluInfer(in []Type, _ Attrs) ([]Type, error) {
	if err := requireSameDType(in, 0, 1); err != nil {
		return nil, err
	}
	if err := requireFloat(in, 0); err != nil {
		return nil, err
	}
	shape, err := ewBroadcastInputs(in, 0, 1)
	if err != nil {
		return nil, err
	}
	if !shape.Equal(in[0].Shape) {
		return nil, InputErrorf(1, "slope shape %v must broadcast to x's shape %v (broadcast gives %v)",
			in[1].Shape, in[0].Shape, shape)
	}
	return one(Type{DType: in[0].DType, Shape: in[0].Shape.Clone()}), nil
}

func ewWhereInfer(in []Type, _ Attrs) ([]Type, error) {
	if err := ewBool.check(in, 0); err != nil {
		return nil, err
	}
	if err := requireSameDType(in, 1, 2); err != nil {
		return nil, err
	}
	shape, err := ewBroadcastInputs(in, 0, 1, 2)
	if err != nil {
		return nil, err
	}
	return one(Type{DType: in[1].DType, Shape: shape}), nil
}

func ewClipInfer(in []Type, a Attrs) ([]Type, error) {
	if err := requireNumeric(in, 0); err != nil {
		return nil, err
	}
	for _, name := range []string{"min", "max"} {
		if math.IsNaN(a.Float(name, 0)) {
			return nil, AttrErrorf(name, "is NaN")
		}
	}
	return one(Type{DType: in[0].DType, Shape: in[0].Shape.Clone()}), nil
}

func ewCastInfer(in []Type, a Attrs) ([]Type, error) {
	d, err := tensor.ParseDType(a.String("to", ""))
	if err != nil {
		return nil, AttrErrorf("to", "%v", err)
	}
	return one(Type{DType: d, Shape: in[0].Shape.Clone()}), nil
}
