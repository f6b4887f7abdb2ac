package onnx

import (
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
)

// Mappers of GatherElements, ScatterElements (and the deprecated Scatter),
// GatherND, ScatterND, CumSum and TopK onto ops/indexing.go.

func init() {
	register("GatherElements", ixMap("gather_elements", 11, 2, []string{"axis"}, nil))
	register("ScatterElements", ixMap("scatter_elements", 11, 3, []string{"axis"}, []string{"reduction"}))
	register("Scatter", ixScatterLegacy)
	register("GatherND", ixMap("gather_nd", 11, 2, []string{"batch_dims"}, nil))
	register("ScatterND", ixMap("scatter_nd", 11, 3, nil, []string{"reduction"}))
	register("CumSum", ixCumulative("cumsum", 11))
	register("CumProd", ixCumulative("cumprod", 26))
	register("TopK", ixTopK)
}

// ixMap maps an op of n inputs whose int and string attributes pass
// through when set.
func ixMap(op string, since int64, n int, ints, strs []string) mapper {
	return func(c *converter, node *onnxpb.Node) error {
		if err := elemSince(c, node, since); err != nil {
			return err
		}
		if err := c.requireInputs(n, n); err != nil {
			return err
		}
		if err := c.requireOutputs(1); err != nil {
			return err
		}
		attrs := ops.Attrs{}
		for _, name := range ints {
			if c.hasAttr(name) {
				v, err := c.attrInt(name, 0)
				if err != nil {
					return err
				}
				attrs[name] = v
			}
		}
		for _, name := range strs {
			if c.hasAttr(name) {
				v, err := c.attrString(name, "")
				if err != nil {
					return err
				}
				attrs[name] = v
			}
		}
		return c.emit(op, attrs, nnInputs(c, n), c.out(0))
	}
}

// ixScatterLegacy maps Scatter (opsets 9 and 10), ScatterElements without reduction.
func ixScatterLegacy(c *converter, n *onnxpb.Node) error {
	if c.opset >= 11 {
		return c.errorf(ErrInvalidModel, "Scatter was replaced by ScatterElements in opset 11 (model opset %d)", c.opset)
	}
	return ixMap("scatter_elements", 9, 3, []string{"axis"}, nil)(c, n)
}

// ixCumulative maps CumSum and CumProd: the axis is an input and must be
// known at import time.
func ixCumulative(op string, since int64) mapper {
	return func(c *converter, n *onnxpb.Node) error { return ixCum(c, n, op, since) }
}

func ixCum(c *converter, n *onnxpb.Node, op string, since int64) error {
	if err := c.checkNode(n, since, 2, 2, 1); err != nil {
		return err
	}
	axis, err := c.constInts(1)
	if err != nil {
		return err
	}
	if len(axis) != 1 {
		return c.inputErrorf(1, ErrInvalidModel, "axis has %d values, want 1", len(axis))
	}
	attrs := ops.Attrs{"axis": axis[0]}
	for _, name := range []string{"exclusive", "reverse"} {
		if c.hasAttr(name) {
			v, err := c.attrInt(name, 0)
			if err != nil {
				return err
			}
			attrs[name] = v
		}
	}
	return c.emit(op, attrs, []string{c.in(0)}, c.out(0))
}

// ixTopK maps TopK: k is an attribute before opset 10, then an input that
// must be known at import time; largest and sorted arrived in opset 11.
func ixTopK(c *converter, n *onnxpb.Node) error {
	maxIn := 1
	if c.opset >= 10 {
		maxIn = 2
	}
	if err := c.requireInputs(maxIn, maxIn); err != nil {
		return err
	}
	if err := c.requireOutputs(2); err != nil {
		return err
	}
	var k int
	if c.opset < 10 {
		v, err := c.attrInt("k", -1)
		if err != nil {
			return err
		}
		k = v
	} else {
		v, err := c.constInts(1)
		if err != nil {
			return err
		}
		if len(v) != 1 {
			return c.inputErrorf(1, ErrInvalidModel, "k has %d values, want 1", len(v))
		}
		k = v[0]
	}
	attrs := ops.Attrs{"k": k}
	names := []string{"axis"}
	if c.opset >= 11 {
		names = append(names, "largest", "sorted")
	}
	for _, name := range names {
		if c.hasAttr(name) {
			v, err := c.attrInt(name, 0)
			if err != nil {
				return err
			}
			attrs[name] = v
		}
	}
	return c.emit("topk", attrs, []string{c.in(0)}, c.out(0), c.out(1))
}
