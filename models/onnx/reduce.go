package onnx

import (
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Reductions: ReduceSum/Mean/Max/Min/Prod onto the catalog's reduce_* ops
// and ArgMax/ArgMin onto argmax/argmin.

func init() {
	// ReduceSum took axes as an input from opset 13, the others from 18;
	// noop_with_empty_axes arrived at the same time.
	register("ReduceSum", reduceMapper("reduce_sum", 13))
	register("ReduceMean", reduceMapper("reduce_mean", 18))
	register("ReduceMax", reduceMapper("reduce_max", 18))
	register("ReduceMin", reduceMapper("reduce_min", 18))
	register("ReduceProd", reduceMapper("reduce_prod", 18))
	register("ArgMax", reduceArgMapper("argmax"))
	register("ArgMin", reduceArgMapper("argmin"))
}

// reduceArgs checks a ReduceX node's arity and reads its axes (an attribute
// before opset since, an optional input from it), keepdims and, from since,
// noop_with_empty_axes.
func reduceArgs(c *converter, since int64) (axes []int, keep int, noop bool, err error) {
	maxIn := 1
	if c.opset >= since {
		maxIn = 2
	}
	if err := c.requireInputs(1, maxIn); err != nil {
		return nil, 0, false, err
	}
	if err := c.requireOutputs(1); err != nil {
		return nil, 0, false, err
	}
	if axes, _, err = shapeIntsArg(c, "axes", 1, since); err != nil {
		return nil, 0, false, err
	}
	if keep, err = c.attrInt("keepdims", 1); err != nil {
		return nil, 0, false, err
	}
	if c.opset >= since {
		if noop, err = shapeFlag(c, "noop_with_empty_axes", 0); err != nil {
			return nil, 0, false, err
		}
	}
	return axes, keep, noop, nil
}

// reduceMapper maps a ReduceX op whose axes moved from an attribute to an
// optional input at opset since. Absent or empty axes reduce every axis,
// unless noop_with_empty_axes=1 (from since), which makes it an identity.
func reduceMapper(op string, since int64) mapper {
	return func(c *converter, n *onnxpb.Node) error {
		axes, keep, noop, err := reduceArgs(c, since)
		if err != nil {
			return err
		}
		if len(axes) == 0 && noop {
			return c.emit("identity", nil, []string{c.in(0)}, c.out(0))
		}
		attrs := ops.Attrs{"keepdims": keep}
		if len(axes) > 0 {
			attrs["axes"] = axes
		}
		if (op == "reduce_max" || op == "reduce_min") && c.typeOf(c.in(0)).dtype == tensor.Bool {
			// ReduceMax/Min-20 take bool: any/all, as uint8 0/1.
			if c.opset < 20 {
				return c.inputErrorf(0, ErrInvalidModel, "%s of bool needs opset 20 (model opset %d)", n.OpType, c.opset)
			}
			u, err := cmpCast(c, c.in(0), tensor.Uint8)
			if err != nil {
				return err
			}
			r, err := cmpCall(c, op, attrs, u)
			if err != nil {
				return err
			}
			return c.emit("cast", ops.Attrs{"to": "bool"}, []string{r}, c.out(0))
		}
		return c.emit(op, attrs, []string{c.in(0)}, c.out(0))
	}
}

// reduceArgMapper maps ArgMax/ArgMin (select_last_index from opset 12).
func reduceArgMapper(op string) mapper {
	return func(c *converter, n *onnxpb.Node) error {
		if err := c.requireInputs(1, 1); err != nil {
			return err
		}
		if err := c.requireOutputs(1); err != nil {
			return err
		}
		axis, err := c.attrInt("axis", 0)
		if err != nil {
			return err
		}
		keep, err := c.attrInt("keepdims", 1)
		if err != nil {
			return err
		}
		attrs := ops.Attrs{"axis": axis, "keepdims": keep}
		if c.opset >= 12 {
			last, err := c.attrInt("select_last_index", 0)
			if err != nil {
				return err
			}
			attrs["select_last_index"] = last
		}
		return c.emit(op, attrs, []string{c.in(0)}, c.out(0))
	}
}
