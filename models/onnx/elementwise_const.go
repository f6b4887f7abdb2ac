package onnx

import (
	"fmt"
	"slices"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Mappers of the ONNX ops that make tensors from attributes: Constant and
// ConstantOfShape. Their outputs are import-time constants, which become
// initializers only if an emitted node or the graph output list reads them.

func init() {
	register("Constant", elemConstant)
	register("ConstantOfShape", elemConstantOfShape)
}

// elemConstantAttrs are the attributes of which a Constant sets exactly one.
// value is the only one before opset 11 (sparse_value) and 12 (the rest).
var elemConstantAttrs = []string{"value", "sparse_value", "value_float", "value_floats",
	"value_int", "value_ints", "value_string", "value_strings"}

// elemConstant maps Constant onto an import-time constant.
func elemConstant(c *converter, n *onnxpb.Node) error {
	if err := c.requireInputs(0, 0); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	var set []string
	for _, name := range elemConstantAttrs {
		if c.hasAttr(name) {
			set = append(set, name)
		}
	}
	if len(set) != 1 {
		c.ignore(set...) // this error, not "attribute not supported", is the one to report
		return c.errorf(ErrInvalidModel, "Constant must set exactly one of %v, sets %v", elemConstantAttrs, set)
	}
	name := set[0]
	switch {
	case name == "sparse_value" || name == "value_string" || name == "value_strings":
		c.ignore(name)
		return c.errorf(ErrUnsupported, "Constant attribute %q (sparse and string tensors are not supported)", name)
	case name != "value" && c.opset < 12:
		c.ignore(name)
		return opsetError(c, fmt.Sprintf("Constant attribute %q (introduced in opset 12)", name))
	}
	t, err := elemConstantValue(c, name)
	if err != nil {
		return err
	}
	c.setConst(c.out(0), t)
	return nil
}

// elemConstantValue reads the Constant attribute name as a tensor: value_float
// is a float32 scalar, value_floats a float32 vector, value_int an int64
// scalar and value_ints an int64 vector.
func elemConstantValue(c *converter, name string) (*tensor.Tensor, error) {
	var want onnxpb.AttrType
	switch name {
	case "value":
		return c.attrTensor(name)
	case "value_float":
		want = onnxpb.AttrFloat
	case "value_floats":
		want = onnxpb.AttrFloats
	case "value_int":
		want = onnxpb.AttrInt
	default:
		want = onnxpb.AttrInts
	}
	// Read raw: the int readers bound values to 32 bits, but a Constant's
	// integers are data (Slice ends near 2^63 are common).
	a, err := c.attr(name, want)
	if err != nil {
		return nil, err
	}
	var t *tensor.Tensor
	switch name {
	case "value_float":
		t = tensor.Scalar(a.F)
	case "value_floats":
		t, err = tensor.FromSlice(slices.Clone(a.Floats), len(a.Floats))
	case "value_int":
		t = tensor.Scalar(a.I)
	default:
		t, err = tensor.FromSlice(slices.Clone(a.Ints), len(a.Ints))
	}
	if err != nil {
		return nil, c.errorf(ErrInvalidModel, "attribute %q: %v", name, err)
	}
	return t, nil
}

// elemConstantOfShape maps ConstantOfShape (opset 9 on). The shape input must
// be known at import time; the output is the one-element attribute value
// (default float32 0) expanded to it, folded into a constant when small.
func elemConstantOfShape(c *converter, n *onnxpb.Node) error {
	if err := elemSince(c, n, 9); err != nil {
		return err
	}
	if err := elemOneInput(c); err != nil {
		return err
	}
	if r := len(c.typeOf(c.in(0)).a); r != 1 {
		return c.inputErrorf(0, ErrInvalidModel, "shape must be a 1-D tensor, has rank %d", r)
	}
	dims, err := c.constInts(0)
	if err != nil {
		return err
	}
	shape := tensor.Shape(dims)
	for _, d := range dims {
		if d < 0 {
			return c.inputErrorf(0, ErrInvalidModel, "shape %v has a negative dim", shape)
		}
	}
	if err := shape.Validate(); err != nil {
		return c.inputErrorf(0, ErrInvalidModel, "shape %v: %v", shape, err)
	}
	value, err := c.attrTensor("value")
	if err != nil {
		return err
	}
	if value == nil {
		value = tensor.Scalar(float32(0))
	}
	if value.NumElements() != 1 {
		return c.errorf(ErrInvalidModel, "attribute \"value\" must hold one element, has shape %v", value.Shape())
	}
	scalar, err := value.Reshape()
	if err != nil {
		return err
	}
	return c.emit("expand", ops.Attrs{"shape": dims}, []string{c.addConst(scalar)}, c.out(0))
}
