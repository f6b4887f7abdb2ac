package onnx

import (
	"math"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

// Attribute readers for the current node. Each marks the attribute as used;
// convertNode refuses a node with an attribute no reader looked at, so a
// mapper can never silently ignore a semantic it does not implement.

// ignore marks attributes that do not change inference results (e.g. a
// Dropout seed, BatchNormalization's training-only momentum).
func (c *converter) ignore(names ...string) {
	for _, n := range names {
		c.used[n] = true
	}
}

// attr returns the named attribute of the current node, checking its type.
func (c *converter) attr(name string, want onnxpb.AttrType) (*onnxpb.Attribute, error) {
	c.used[name] = true
	for i := range c.node.Attributes {
		a := &c.node.Attributes[i]
		if a.Name != name {
			continue
		}
		if a.RefAttrName != "" {
			return nil, c.errorf(ErrUnsupported, "attribute %q refers to a function attribute", name)
		}
		if a.Type != want && !(a.Type == onnxpb.AttrUndefined && want != onnxpb.AttrUndefined) {
			return nil, c.errorf(ErrInvalidModel, "attribute %q has type %d, want %d", name, a.Type, want)
		}
		return a, nil
	}
	return nil, nil
}

// hasAttr reports whether the current node sets the attribute.
func (c *converter) hasAttr(name string) bool {
	for _, a := range c.node.Attributes {
		if a.Name == name {
			return true
		}
	}
	return false
}

// attrInt reads an INT attribute, or def when absent.
func (c *converter) attrInt(name string, def int) (int, error) {
	a, err := c.attr(name, onnxpb.AttrInt)
	if err != nil || a == nil {
		return def, err
	}
	if a.I > math.MaxInt32 || a.I < math.MinInt32 {
		// Axes, flags and sizes all fit in 32 bits; larger values are hostile.
		if a.I != math.MaxInt64 && a.I != math.MinInt64 && a.I != math.MaxInt64-1 {
			return 0, c.errorf(ErrInvalidModel, "attribute %q is %d, out of range", name, a.I)
		}
	}
	return int(a.I), nil
}

// attrInts reads an INTS attribute, or def when absent.
func (c *converter) attrInts(name string, def []int) ([]int, error) {
	a, err := c.attr(name, onnxpb.AttrInts)
	if err != nil || a == nil {
		return def, err
	}
	out := make([]int, len(a.Ints))
	for i, v := range a.Ints {
		out[i] = int(v)
	}
	return out, nil
}

// attrFloat reads a FLOAT attribute, or def when absent.
func (c *converter) attrFloat(name string, def float64) (float64, error) {
	a, err := c.attr(name, onnxpb.AttrFloat)
	if err != nil || a == nil {
		return def, err
	}
	return float64(a.F), nil
}

// attrFloats reads a FLOATS attribute, or def when absent.
func (c *converter) attrFloats(name string, def []float64) ([]float64, error) {
	a, err := c.attr(name, onnxpb.AttrFloats)
	if err != nil || a == nil {
		return def, err
	}
	out := make([]float64, len(a.Floats))
	for i, v := range a.Floats {
		out[i] = float64(v)
	}
	return out, nil
}

// attrString reads a STRING attribute, or def when absent.
func (c *converter) attrString(name string, def string) (string, error) {
	a, err := c.attr(name, onnxpb.AttrString)
	if err != nil || a == nil {
		return def, err
	}
	return string(a.S), nil
}

// attrTensor reads a TENSOR attribute as a backplane tensor (nil when absent).
func (c *converter) attrTensor(name string) (*tensor.Tensor, error) {
	a, err := c.attr(name, onnxpb.AttrTensor)
	if err != nil || a == nil {
		return nil, err
	}
	if a.T == nil {
		return nil, c.errorf(ErrInvalidModel, "attribute %q has no tensor", name)
	}
	t, err := onnxpb.ToTensor(a.T, c.opt.External)
	if err != nil {
		return nil, c.errorf(kindOf(err), "attribute %q: %w", name, err)
	}
	return t, nil
}

// requireInputs checks the current node's input count (omitted optional inputs count).
func (c *converter) requireInputs(min, max int) error {
	if n := len(c.node.Inputs); n < min || n > max {
		return c.errorf(ErrInvalidModel, "has %d inputs, want %d to %d", n, min, max)
	}
	for i := 0; i < min; i++ {
		if c.node.Inputs[i] == "" {
			return c.errorf(ErrInvalidModel, "required input %d is omitted", i)
		}
	}
	return nil
}

// checkNode makes the checks most mappers start with: the op exists in the
// model's opset (it was introduced in since), the node has minIn to maxIn
// inputs (the first minIn given) and at most maxOut outputs.
func (c *converter) checkNode(n *onnxpb.Node, since int64, minIn, maxIn, maxOut int) error {
	if err := elemSince(c, n, since); err != nil {
		return err
	}
	if err := c.requireInputs(minIn, maxIn); err != nil {
		return err
	}
	return c.requireOutputs(maxOut)
}

// requireOutputs checks that the node has at least one output and that
// optional outputs beyond max are unused.
func (c *converter) requireOutputs(max int) error {
	if len(c.node.Outputs) == 0 || c.node.Outputs[0] == "" {
		return c.errorf(ErrInvalidModel, "has no output")
	}
	for i := max; i < len(c.node.Outputs); i++ {
		if c.node.Outputs[i] != "" {
			return c.errorf(ErrUnsupported, "output %d (%q) is not supported (only inference outputs are)", i, c.node.Outputs[i])
		}
	}
	return nil
}

func opsetError(c *converter, what string) error {
	return c.errorf(ErrUnsupported, "%s in opset %d", what, c.opset)
}
