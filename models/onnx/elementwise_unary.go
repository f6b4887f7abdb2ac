package onnx

import (
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Mappers of the ONNX one-input elementwise ops: the activations and math
// functions, Clip, Cast, Identity and Dropout.

// elemUnaryOps lists the ONNX ops that map one-to-one onto a catalog op of
// the same attributes. Float attributes are passed only when the node sets
// them: the catalog's defaults are ONNX's.
var elemUnaryOps = []struct {
	onnx, op string
	since    int64    // opset that introduced the op; the ones of opset 1 say 1
	floats   []string // float attributes
}{
	{onnx: "Sqrt", op: "sqrt", since: 1}, {onnx: "Exp", op: "exp", since: 1}, {onnx: "Log", op: "log", since: 1},
	{onnx: "Neg", op: "neg", since: 1}, {onnx: "Abs", op: "abs", since: 1},
	{onnx: "Reciprocal", op: "reciprocal", since: 1}, {onnx: "Floor", op: "floor", since: 1},
	{onnx: "Ceil", op: "ceil", since: 1}, {onnx: "Sign", op: "sign", since: 9}, {onnx: "Erf", op: "erf", since: 9},
	{onnx: "Relu", op: "relu", since: 1}, {onnx: "Sigmoid", op: "sigmoid", since: 1},
	{onnx: "Tanh", op: "tanh", since: 1}, {onnx: "Softplus", op: "softplus", since: 1},
	{onnx: "Softsign", op: "softsign", since: 1}, {onnx: "Not", op: "not", since: 1},
	{onnx: "LeakyRelu", op: "leaky_relu", since: 1, floats: []string{"alpha"}},
	{onnx: "Elu", op: "elu", since: 1, floats: []string{"alpha"}},
	{onnx: "Selu", op: "selu", since: 1, floats: []string{"alpha", "gamma"}},
	{onnx: "HardSigmoid", op: "hard_sigmoid", since: 1, floats: []string{"alpha", "beta"}},
}

func init() {
	for _, u := range elemUnaryOps {
		register(u.onnx, elemUnary(u.op, u.since, u.floats))
	}
	register("Gelu", elemGelu)
	register("Clip", elemClip)
	register("Cast", elemCast)
	register("Identity", elemIdentity)
	register("Dropout", elemDropout)
}

// elemOneInput checks the arity of a one-input, one-output node.
func elemOneInput(c *converter) error {
	if err := c.requireInputs(1, 1); err != nil {
		return err
	}
	return c.requireOutputs(1)
}

func elemUnary(op string, since int64, floats []string) mapper {
	return func(c *converter, n *onnxpb.Node) error {
		if err := elemSince(c, n, since); err != nil {
			return err
		}
		if err := elemOneInput(c); err != nil {
			return err
		}
		var attrs ops.Attrs
		for _, name := range floats {
			if !c.hasAttr(name) {
				continue
			}
			v, err := c.attrFloat(name, 0)
			if err != nil {
				return err
			}
			if attrs == nil {
				attrs = ops.Attrs{}
			}
			attrs[name] = v
		}
		return c.emit(op, attrs, []string{c.in(0)}, c.out(0))
	}
}

// elemGelu maps Gelu (opset 20 on) with its approximate attribute.
func elemGelu(c *converter, n *onnxpb.Node) error {
	if err := elemSince(c, n, 20); err != nil {
		return err
	}
	if err := elemOneInput(c); err != nil {
		return err
	}
	approx, err := c.attrString("approximate", ops.GeluApproximateNone)
	if err != nil {
		return err
	}
	if approx != ops.GeluApproximateNone && approx != ops.GeluApproximateTanh {
		return c.errorf(ErrInvalidModel, "attribute \"approximate\" is %q, want \"none\" or \"tanh\"", approx)
	}
	return c.emit("gelu", ops.Attrs{"approximate": approx}, []string{c.in(0)}, c.out(0))
}

// elemClip maps Clip: bounds are the attributes min and max until opset 10,
// then the optional inputs 1 and 2: the catalog clip's attributes when known
// at import, else elementwise max and min with the bound. An absent bound does not clip: Clip-6
// documents its defaults as the float type's lowest and highest finite
// values, which differ from no bound only for infinite inputs.
func elemClip(c *converter, n *onnxpb.Node) error {
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	attrs := ops.Attrs{}
	bounds := []string{"min", "max"}
	if c.opset < 11 {
		if err := c.requireInputs(1, 1); err != nil {
			return err
		}
		for _, name := range bounds {
			if !c.hasAttr(name) {
				continue
			}
			v, err := c.attrFloat(name, 0)
			if err != nil {
				return err
			}
			attrs[name] = v
		}
	} else {
		if err := c.requireInputs(1, 3); err != nil {
			return err
		}
		x := c.in(0)
		var upper string // a bound computed at run time: max clips after the constant bounds
		for i, name := range bounds {
			in := c.in(i + 1)
			if in == "" {
				continue
			}
			t, ok := c.constant(in)
			if !ok {
				// A bound known only at run time: max(x, min) and min(x, max).
				bt, xd := c.typeOf(in), c.typeOf(x).dtype
				if bt.a.NumElements() != 1 || !bt.static() || bt.dtype != xd {
					return c.inputErrorf(i+1, ErrInvalidModel, "Clip's %s must be a one-element %v, is %v%v", name, xd, bt.dtype, bt.a)
				}
				if name == "max" {
					upper = in
					continue
				}
				lo := c.tmp()
				if err := c.emit("max", nil, []string{x, in}, lo); err != nil {
					return err
				}
				x = lo
				continue
			}
			if t.NumElements() != 1 {
				return c.inputErrorf(i+1, ErrInvalidModel, "Clip's %s must be a scalar, has shape %v", name, t.Shape())
			}
			if xd := c.typeOf(c.in(0)).dtype; t.DType() != xd {
				return c.inputErrorf(i+1, ErrInvalidModel, "Clip's %s is %v, input is %v", name, t.DType(), xd)
			}
			// An int64 bound beyond 2^53 loses precision as a float attribute;
			// such bounds only ever mean "no bound" in practice.
			attrs[name] = t.Float64s()[0]
		}
		if upper != "" {
			mid := c.tmp()
			if err := c.emit("clip", attrs, []string{x}, mid); err != nil {
				return err
			}
			return c.emit("min", nil, []string{mid, upper}, c.out(0))
		}
		return c.emit("clip", attrs, []string{x}, c.out(0))
	}
	return c.emit("clip", attrs, []string{c.in(0)}, c.out(0))
}

// elemCast maps Cast; its `to` is an ONNX DataType number (opset 6 on).
func elemCast(c *converter, n *onnxpb.Node) error {
	if err := elemOneInput(c); err != nil {
		return err
	}
	if c.opset >= 19 {
		c.ignore("saturate") // affects float8 targets only, which are refused below
	}
	if c.opset >= 24 {
		c.ignore("round_mode") // affects float8e8m0 targets only, which are refused below
	}
	if !c.hasAttr("to") {
		return c.errorf(ErrInvalidModel, "required attribute \"to\" is missing")
	}
	to, err := c.attrInt("to", 0)
	if err != nil {
		return err
	}
	d, err := dtypeOf(onnxpb.DataType(to))
	if err != nil {
		return c.errorf(ErrUnsupported, "Cast to ONNX element type %d", to)
	}
	return c.emit("cast", ops.Attrs{"to": d.String()}, []string{c.in(0)}, c.out(0))
}

// elemIdentity maps Identity.
func elemIdentity(c *converter, n *onnxpb.Node) error {
	if err := elemOneInput(c); err != nil {
		return err
	}
	return c.emit("identity", nil, []string{c.in(0)}, c.out(0))
}

// elemDropout maps Dropout as inference does: the identity, and from opset
// 10 an all-true bool mask when the graph reads it (left undefined when
// nothing does).
//
// Opset 6 has the attribute is_test; its default 0 asks for training mode,
// yet exporters leave it unset on inference graphs and runtimes ignore it,
// so it is ignored here too. The ratio (attribute before opset 12, input
// from 12) and seed do not matter for inference. From opset 12 the input
// training_mode may turn dropout on: it must be omitted or a constant false.
func elemDropout(c *converter, n *onnxpb.Node) error {
	maxIn := 1
	switch {
	case c.opset < 7:
		c.ignore("is_test")
		fallthrough
	case c.opset < 12:
		if _, err := c.attrFloat("ratio", 0.5); err != nil {
			return err
		}
	default:
		maxIn = 3
		if _, err := c.attrInt("seed", 0); err != nil {
			return err
		}
	}
	if err := c.requireInputs(1, maxIn); err != nil {
		return err
	}
	if err := c.requireOutputs(2); err != nil {
		return err
	}
	if mode := c.in(2); mode != "" {
		t, ok := c.constant(mode)
		if !ok {
			return c.notKnown(2, "training_mode must be known at import time "+
				"(only inference, training_mode false, is supported)")
		}
		if t.DType() != tensor.Bool || t.NumElements() != 1 {
			return c.inputErrorf(2, ErrInvalidModel, "training_mode must be a bool scalar, is %v%v", t.DType(), t.Shape())
		}
		if t.Int64s()[0] != 0 {
			return c.inputErrorf(2, ErrUnsupported, "training_mode is true (only inference is supported)")
		}
	}
	if mask := c.out(1); mask != "" && c.consumed[mask] {
		if c.opset < 10 {
			return c.errorf(ErrUnsupported, "output %q, the dropout mask of opset %d (of the input's type), is read by the graph", mask, c.opset)
		}
		// Inference keeps every element: the bool mask is all true, made
		// from x so that it has x's shape (symbolic dims included) whatever
		// x holds (NaN or not).
		nan, err := cmpCall(c, "is_nan", nil, c.in(0))
		if err != nil {
			return err
		}
		num, err := cmpCall(c, "not", nil, nan)
		if err != nil {
			return err
		}
		if err := c.emit("or", nil, []string{nan, num}, mask); err != nil {
			return err
		}
	}
	return c.emit("identity", nil, []string{c.in(0)}, c.out(0))
}
