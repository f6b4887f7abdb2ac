package onnx

import (
	"math"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Export rules of the elementwise ops: arithmetic, comparisons, logic, the
// activations and math functions, Clip, Cast and Gelu.

func init() {
	for _, r := range []struct {
		op, onnx string
		types    dtypeSet
		attrs    []string
	}{
		{op: "add", onnx: "Add", types: tsArith}, {op: "sub", onnx: "Sub", types: tsArith},
		{op: "mul", onnx: "Mul", types: tsArith}, {op: "div", onnx: "Div", types: tsArith},
		{op: "pow", onnx: "Pow", types: tsMatMul},
		{op: "max", onnx: "Max", types: tsNumeric}, {op: "min", onnx: "Min", types: tsNumeric},
		{op: "equal", onnx: "Equal", types: tsAll}, {op: "less", onnx: "Less", types: tsNumeric},
		{op: "less_equal", onnx: "LessOrEqual", types: tsNumeric}, {op: "greater", onnx: "Greater", types: tsNumeric},
		{op: "greater_equal", onnx: "GreaterOrEqual", types: tsNumeric},
		{op: "and", onnx: "And", types: tsBool}, {op: "or", onnx: "Or", types: tsBool},
		{op: "xor", onnx: "Xor", types: tsBool}, {op: "not", onnx: "Not", types: tsBool},
		{op: "prelu", onnx: "PRelu", types: tsMatMul},
		{op: "abs", onnx: "Abs", types: tsNumeric}, {op: "neg", onnx: "Neg", types: tsSigned},
		{op: "sign", onnx: "Sign", types: tsNumeric}, {op: "relu", onnx: "Relu", types: tsSigned},
		{op: "sqrt", onnx: "Sqrt", types: tsFloat}, {op: "exp", onnx: "Exp", types: tsFloat},
		{op: "log", onnx: "Log", types: tsFloat}, {op: "reciprocal", onnx: "Reciprocal", types: tsFloat},
		{op: "floor", onnx: "Floor", types: tsFloat}, {op: "ceil", onnx: "Ceil", types: tsFloat},
		{op: "sigmoid", onnx: "Sigmoid", types: tsFloat}, {op: "tanh", onnx: "Tanh", types: tsFloat},
		{op: "erf", onnx: "Erf", types: tsFloat},
		{op: "softplus", onnx: "Softplus", types: tsFloatNoBF}, {op: "softsign", onnx: "Softsign", types: tsFloatNoBF},
		{op: "elu", onnx: "Elu", types: tsFloatNoBF, attrs: []string{"alpha"}},
		{op: "selu", onnx: "Selu", types: tsFloatNoBF, attrs: []string{"alpha", "gamma"}},
		{op: "leaky_relu", onnx: "LeakyRelu", types: tsFloat, attrs: []string{"alpha"}},
		{op: "hard_sigmoid", onnx: "HardSigmoid", types: tsFloatNoBF, attrs: []string{"alpha", "beta"}},
		{op: "identity", onnx: "Identity", types: tsAll},
	} {
		registerExport(r.op, r.onnx, r.types, simple(r.onnx, r.attrs...))
	}
	// Where's type constraint is about x (input 1); the condition is bool.
	registerExportAt("where", exportRule{onnx: "Where", in: 1, types: func(int) dtypeSet { return tsAll },
		emit: simple("Where")})
	registerExport("cast", "Cast", tsAll, exportCast)
	registerExport("clip", "Clip", tsNumeric, exportClip)
	registerExportAt("gelu", exportRule{onnx: "Gelu", types: func(opset int) dtypeSet {
		if opset >= 20 {
			return tsFloat
		}
		return tsComputeF32 // the expansion: float16 and bfloat16 are computed in float32
	}, emit: exportGelu})
}

// exportCast maps cast's dtype name onto Cast's element type number.
func exportCast(c *exportCtx) error {
	to, err := tensor.ParseDType(c.n.Attrs.String("to", ""))
	if err != nil {
		return c.unsupported("%v", err)
	}
	et, err := onnxpb.DataTypeOf(to)
	if err != nil {
		return c.unsupported("%v", err)
	}
	c.emit("Cast", c.in, c.out, xInt("to", int64(et)))
	return nil
}

// exportClip writes clip's bounds as Clip's scalar inputs of x's dtype.
//
// An absent bound of a float clip is written as an infinity: Clip-13 says an
// absent bound defaults to the type's lowest or highest finite value, which
// would turn an infinite x into a finite one, where clip leaves it alone. For
// an integer clip an absent bound means the dtype's range either way, and a
// set bound is truncated toward zero and saturated to the dtype, as clip
// does. Rounding a float bound to x's dtype changes no result: an x between
// the bound and its rounded value would be a value of the dtype nearer to the
// bound than the rounded one.
func exportClip(c *exportCtx) error {
	bounds := [2]string{}
	for i, b := range []struct {
		name string
		def  float64
	}{{"min", math.Inf(-1)}, {"max", math.Inf(1)}} {
		v, set := c.n.Attrs[b.name].(float64)
		var (
			name string
			err  error
		)
		switch {
		case c.dt.IsFloat():
			if !set {
				v = b.def
			}
			name, err = c.scalar(b.name, c.dt, v)
		case set:
			var t *tensor.Tensor
			if t, err = tensor.FromInt64s(c.dt, tensor.Shape{}, []int64{exportIntBound(v, c.dt)}); err == nil {
				name, err = c.constant(b.name, t)
			}
		default:
			continue
		}
		if err != nil {
			return err
		}
		bounds[i] = name
	}
	c.emit("Clip", []string{c.in[0], bounds[0], bounds[1]}, c.out)
	return nil
}

// exportIntBound truncates a clip bound toward zero and saturates it to d's range.
func exportIntBound(v float64, d tensor.DType) int64 {
	lo, hi := tensor.IntRange(d)
	switch {
	case v <= float64(lo):
		return lo
	case v >= float64(hi):
		return hi
	}
	return int64(v)
}

// exportGelu writes Gelu from opset 20, and before it the formula of the
// catalog op in ONNX's arithmetic, computed in x's dtype when that is
// float32 or float64 (the rule promotes float16 and bfloat16 to float32):
//
//	none: 0.5·x·(1 + erf(x·(1/√2)))
//	tanh: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
func exportGelu(c *exportCtx) error {
	approx := c.n.Attrs.String("approximate", ops.GeluApproximateNone)
	if c.opset >= 20 {
		attrs, err := c.attrs(c.n.Attrs, "approximate")
		if err != nil {
			return err
		}
		c.emit("Gelu", c.in, c.out, attrs...)
		return nil
	}
	var kerr error // the first failure to add a constant; the export fails with it
	k := func(hint string, v float64) string {
		name, err := c.scalar(hint, c.dt, v)
		if kerr == nil {
			kerr = err
		}
		return name
	}
	x := c.in[0]
	var inner string
	if approx == ops.GeluApproximateTanh {
		x3 := c.emitTmp("Mul", []string{c.emitTmp("Mul", []string{x, x}), x})
		u := c.emitTmp("Add", []string{x, c.emitTmp("Mul", []string{x3, k("c", 0.044715)})})
		inner = c.emitTmp("Tanh", []string{c.emitTmp("Mul", []string{u, k("sqrt_2_over_pi", math.Sqrt(2/math.Pi))})})
	} else {
		inner = c.emitTmp("Erf", []string{c.emitTmp("Mul", []string{x, k("inv_sqrt2", 1/math.Sqrt2)})})
	}
	one := c.emitTmp("Add", []string{inner, k("one", 1)})
	c.emit("Mul", []string{c.emitTmp("Mul", []string{x, one}), k("half", 0.5)}, c.out)
	return kerr
}
