package onnx

import (
	"math"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

// Export rules of the data-movement ops and the reductions. The catalog
// keeps every shape-deciding value in an attribute; ONNX takes most of them
// as int64 tensor inputs, written here as initializers.

func init() {
	registerExport("transpose", "Transpose", tsAll, simple("Transpose", "perm"))
	registerExport("concat", "Concat", tsAll, simple("Concat", "axis"))
	registerExport("gather", "Gather", tsAll, simple("Gather", "axis"))
	registerExport("reshape", "Reshape", tsAll, exportWithInts("Reshape", "shape"))
	registerExport("tile", "Tile", tsAll, exportWithInts("Tile", "repeats"))
	registerExport("expand", "Expand", tsAll, exportWithInts("Expand", "shape"))
	registerExport("slice", "Slice", tsAll, exportSlice)
	registerExport("pad", "Pad", tsAll, exportPad)
	registerExport("split", "Split", tsAll, exportSplit)
	registerExport("argmax", "ArgMax", tsNumeric, simple("ArgMax", "axis", "keepdims", "select_last_index"))
	registerExport("argmin", "ArgMin", tsNumeric, simple("ArgMin", "axis", "keepdims", "select_last_index"))
	for _, r := range []struct{ op, onnx string }{
		{"reduce_sum", "ReduceSum"}, {"reduce_mean", "ReduceMean"}, {"reduce_prod", "ReduceProd"},
	} {
		registerExport(r.op, r.onnx, tsMatMul, exportReduce(r.onnx))
	}
	for _, r := range []struct{ op, onnx string }{{"reduce_max", "ReduceMax"}, {"reduce_min", "ReduceMin"}} {
		registerExportAt(r.op, exportRule{onnx: r.onnx, emit: exportReduce(r.onnx), types: func(opset int) dtypeSet {
			if opset >= 20 {
				return tsNumeric | tsBool // ReduceMax/Min-20 added bool
			}
			return tsNumeric
		}})
	}
}

// exportWithInts writes an op whose ints attribute is ONNX's input 1
// (Reshape's shape with allowzero=0, the catalog's meaning of 0; Tile's
// repeats; Expand's shape).
func exportWithInts(onnxOp, attr string) func(c *exportCtx) error {
	return func(c *exportCtx) error {
		v, err := c.ints(attr, c.n.Attrs.Ints(attr, nil))
		if err != nil {
			return err
		}
		c.emit(onnxOp, []string{c.in[0], v}, c.out)
		return nil
	}
}

// exportSlice writes Slice's starts, ends, axes and steps inputs; axes are
// written whenever steps are, since inputs are positional.
func exportSlice(c *exportCtx) error {
	a := c.n.Attrs
	in := []string{c.in[0]}
	starts := a.Ints("starts", nil)
	for _, name := range []string{"starts", "ends", "axes", "steps"} {
		v, ok := a[name].([]int)
		switch {
		case !ok && name == "axes" && a.Has("steps"):
			v = make([]int, len(starts))
			for i := range v {
				v[i] = i
			}
		case !ok:
			continue
		}
		t, err := c.ints(name, v)
		if err != nil {
			return err
		}
		in = append(in, t)
	}
	c.emit("Slice", in, c.out)
	return nil
}

// exportPad writes Pad's pads input and, in constant mode with a non-zero
// value, its constant_value input in x's dtype (pad has checked that the
// value converts exactly for integer and bool x).
func exportPad(c *exportCtx) error {
	a := c.n.Attrs
	pads, err := c.ints("pads", a.Ints("pads", nil))
	if err != nil {
		return err
	}
	in := []string{c.in[0], pads}
	mode := a.String("mode", "constant")
	if v := a.Float("value", 0); mode == "constant" && (v != 0 || math.Signbit(v)) {
		name, err := c.scalar("value", c.dt, v)
		if err != nil {
			return err
		}
		in = append(in, name)
	}
	var attrs []onnxpb.Attribute
	if mode != "constant" {
		attrs = append(attrs, xString("mode", mode))
	}
	c.emit("Pad", in, c.out, attrs...)
	return nil
}

// exportSplit writes Split with its sizes as input 1. num_outputs is resolved
// into sizes when the axis is static (ceil(dim/n) each, the rest last); on a
// symbolic axis it stays num_outputs from opset 18, which means the same, and
// before that becomes Split's equal pieces, the same whenever the dim is a
// multiple of n (otherwise ONNX refuses it at run time).
func exportSplit(c *exportCtx) error {
	a := c.n.Attrs
	x := c.typ(0)
	axis, err := tensor.NormalizeAxis(a.Int("axis", 0), len(x.a))
	if err != nil {
		return c.unsupported("%v", err)
	}
	attrs := []onnxpb.Attribute{xInt("axis", int64(axis))}
	in := []string{c.in[0]}
	sizes, hasSizes := a["split"].([]int)
	if n := a.Int("num_outputs", 0); !hasSizes && n > 0 {
		switch {
		case !x.dynamic(axis):
			d := x.a[axis]
			piece := (d + n - 1) / n
			sizes = make([]int, n)
			for i := range n - 1 {
				sizes[i] = piece
			}
			sizes[n-1] = d - (n-1)*piece // split's inference has checked it is >= 0
			hasSizes = true
		case c.opset >= 18:
			attrs = append(attrs, xInt("num_outputs", int64(n)))
		}
	}
	if hasSizes {
		v, err := c.ints("split", sizes)
		if err != nil {
			return err
		}
		in = append(in, v)
	}
	c.emit("Split", in, c.out, attrs...)
	return nil
}

func exportReduce(onnxOp string) func(c *exportCtx) error {
	return func(c *exportCtx) error {
		a := c.n.Attrs
		return c.reduceTo(onnxOp, c.in[0], a.Ints("axes", nil), a.Int("keepdims", 1), c.out[0])
	}
}

// reduce writes a ReduceX over axes keeping them, into a fresh value.
func (c *exportCtx) reduce(onnxOp, x string, axes []int, keepdims int) (string, error) {
	out := c.tmp(onnxOp)
	return out, c.reduceTo(onnxOp, x, axes, keepdims, out)
}

// reduceTo writes a ReduceX. Its axes are an input for ReduceSum from opset
// 13 and for the others from 18, an attribute before; absent or empty axes
// reduce every axis (noop_with_empty_axes keeps its default 0).
func (c *exportCtx) reduceTo(onnxOp, x string, axes []int, keepdims int, out string) error {
	in := []string{x}
	attrs := []onnxpb.Attribute{xInt("keepdims", int64(keepdims))}
	if len(axes) > 0 {
		if onnxOp == "ReduceSum" || c.opset >= 18 {
			v, err := c.ints("axes", axes)
			if err != nil {
				return err
			}
			in = append(in, v)
		} else {
			attrs = append(attrs, xInts("axes", axes))
		}
	}
	c.emit(onnxOp, in, []string{out}, attrs...)
	return nil
}
