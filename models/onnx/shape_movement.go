package onnx

import (
	"math"
	"slices"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Data-movement ONNX ops that map one-to-one onto catalog ops once their
// shape-deciding tensor inputs (split sizes, slice bounds, repeats, expand
// shapes, pads) are read as constants and turned into attributes.

func init() {
	register("Concat", shapeConcat)
	register("Split", shapeSplit)
	register("Slice", shapeSlice)
	register("Gather", shapeGather)
	register("Tile", shapeTile)
	register("Expand", shapeExpand)
	register("Pad", shapePad)
}

// shapeConcat maps Concat (axis required; negative accepted in every opset).
func shapeConcat(c *converter, n *onnxpb.Node) error {
	if len(n.Inputs) == 0 {
		return c.errorf(ErrInvalidModel, "Concat needs at least one input")
	}
	if err := c.requireInputs(len(n.Inputs), len(n.Inputs)); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	if !c.hasAttr("axis") {
		return c.errorf(ErrInvalidModel, "attribute axis is required")
	}
	axis, err := c.attrInt("axis", 0)
	if err != nil {
		return err
	}
	return c.emit("concat", ops.Attrs{"axis": axis}, n.Inputs, c.out(0))
}

// shapeSplit maps Split: sizes from the split attribute (until opset 12) or
// input (from 13), a num_outputs attribute (from 18), or else equal pieces,
// one per output.
func shapeSplit(c *converter, n *onnxpb.Node) error {
	maxIn := 1
	if c.opset >= 13 {
		maxIn = 2
	}
	if err := c.requireInputs(1, maxIn); err != nil {
		return err
	}
	outs := n.Outputs
	if len(outs) == 0 {
		return c.errorf(ErrInvalidModel, "Split has no outputs")
	}
	axis, err := c.attrInt("axis", 0)
	if err != nil {
		return err
	}
	sizes, _, err := shapeIntsArg(c, "split", 1, 13)
	if err != nil {
		return err
	}
	num, hasNum := 0, false
	if c.opset >= 18 && c.hasAttr("num_outputs") {
		if num, err = c.attrInt("num_outputs", 0); err != nil {
			return err
		}
		hasNum = true
	}
	xt := c.typeOf(c.in(0))
	ax, err := tensor.NormalizeAxis(axis, len(xt.a))
	if err != nil {
		return c.errorf(ErrInvalidModel, "axis: %v", err)
	}
	if xt.dynamic(ax) && len(outs) > 2 && len(sizes) == 0 {
		// Equal pieces of a symbolic dim do not exist for every probe size
		// (1 cannot make 3 pieces of ceil(1/3) and a smaller last one).
		return c.errorf(ErrUnsupported, "splitting symbolic dimension %d of %s into %d pieces: %w",
			ax, shapeDims(xt.a, xt.b), len(outs), errNeedsDims)
	}
	attrs := ops.Attrs{"axis": axis}
	switch {
	case len(sizes) > 0 && hasNum:
		return c.errorf(ErrInvalidModel, "give either split or num_outputs, not both")
	case len(sizes) > 0:
		if len(sizes) != len(outs) {
			return c.errorf(ErrInvalidModel, "split has %d sizes for %d outputs", len(sizes), len(outs))
		}
		if xt.dynamic(ax) {
			return c.errorf(ErrUnsupported, "split sizes %v along symbolic dimension %d of %s: %w", sizes, ax, shapeDims(xt.a, xt.b), errNeedsDims)
		}
		attrs["split"] = sizes
	case hasNum:
		if num != len(outs) {
			return c.errorf(ErrInvalidModel, "num_outputs is %d but the node has %d outputs", num, len(outs))
		}
		attrs["num_outputs"] = num
	case xt.dynamic(ax):
		// Equal pieces of a symbolic dim: the catalog's num_outputs agrees
		// whenever the dim is a multiple of the piece count, as ONNX requires.
		attrs["num_outputs"] = len(outs)
	default:
		// Before opset 18 the pieces must be equal; opset 18 requires split
		// or num_outputs, but the old meaning is unambiguous, so keep it.
		d := xt.a[ax]
		if d%len(outs) != 0 {
			return c.errorf(ErrInvalidModel, "dimension %d (size %d) cannot be split into %d equal pieces", ax, d, len(outs))
		}
		eq := make([]int, len(outs))
		for i := range eq {
			eq[i] = d / len(outs)
		}
		attrs["split"] = eq
	}
	return c.emit("split", attrs, []string{c.in(0)}, outs...)
}

// shapeSlice maps Slice: starts/ends/axes attributes until opset 9, then
// starts/ends/axes/steps inputs, which must be known at import.
func shapeSlice(c *converter, n *onnxpb.Node) error {
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	attrs := ops.Attrs{}
	if c.opset < 10 {
		if err := c.requireInputs(1, 1); err != nil {
			return err
		}
		for _, name := range []string{"starts", "ends", "axes"} {
			if !c.hasAttr(name) {
				if name == "axes" {
					continue
				}
				return c.errorf(ErrInvalidModel, "attribute %s is required", name)
			}
			v, err := c.attrInts(name, nil)
			if err != nil {
				return err
			}
			attrs[name] = v
		}
	} else {
		if err := c.requireInputs(3, 5); err != nil {
			return err
		}
		for i, name := range []string{"", "starts", "ends", "axes", "steps"} {
			if i == 0 || c.in(i) == "" {
				continue
			}
			v, err := shapeConstInts(c, i)
			if err != nil {
				return err
			}
			attrs[name] = v
		}
	}
	return c.emit("slice", attrs, []string{c.in(0)}, c.out(0))
}

// shapeGather maps Gather (axis default 0; negative indices as in opset 11+).
func shapeGather(c *converter, n *onnxpb.Node) error {
	if err := c.requireInputs(2, 2); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	axis, err := c.attrInt("axis", 0)
	if err != nil {
		return err
	}
	return c.emit("gather", ops.Attrs{"axis": axis}, []string{c.in(0), c.in(1)}, c.out(0))
}

// shapeTile maps Tile (opset 6+: repeats is input 1, known at import).
func shapeTile(c *converter, n *onnxpb.Node) error {
	if err := c.requireInputs(2, 2); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	reps, err := shapeConstInts(c, 1)
	if err != nil {
		return err
	}
	return c.emit("tile", ops.Attrs{"repeats": reps}, []string{c.in(0)}, c.out(0))
}

// shapeExpand maps Expand (opset 8+: the shape is input 1, known at import).
func shapeExpand(c *converter, n *onnxpb.Node) error {
	if c.opset < 8 {
		return opsetError(c, "Expand (added in opset 8)")
	}
	if err := c.requireInputs(2, 2); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	shape, err := shapeConstInts(c, 1)
	if err != nil {
		return err
	}
	return c.emit("expand", ops.Attrs{"shape": shape}, []string{c.in(0)}, c.out(0))
}

// shapePad maps Pad: pads and value attributes until opset 10; from 11 pads
// and constant_value are inputs, and from 18 an axes input names the padded
// axes. Modes constant, reflect and edge map onto pad; wrap (opset 19) is a
// gather per padded axis (shapePadWrap).
func shapePad(c *converter, n *onnxpb.Node) error {
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	mode, err := c.attrString("mode", "constant")
	if err != nil {
		return err
	}
	switch mode {
	case "constant", "reflect", "edge", "wrap":
	default:
		return c.errorf(ErrInvalidModel, "Pad mode %q, want constant, reflect or edge", mode)
	}
	x := c.in(0)
	var pads []int
	value := 0.0
	if c.opset < 11 {
		if err := c.requireInputs(1, 1); err != nil {
			return err
		}
		if !c.hasAttr("pads") {
			return c.errorf(ErrInvalidModel, "attribute pads is required")
		}
		if pads, err = c.attrInts("pads", nil); err != nil {
			return err
		}
		if value, err = c.attrFloat("value", 0); err != nil {
			return err
		}
	} else {
		maxIn := 3
		if c.opset >= 18 {
			maxIn = 4
		}
		if err := c.requireInputs(2, maxIn); err != nil {
			return err
		}
		if pads, err = shapeConstInts(c, 1); err != nil {
			return err
		}
		if value, err = shapePadValue(c, 2); err != nil {
			return err
		}
		if c.in(3) != "" {
			if pads, err = shapePadAxes(c, pads, len(c.typeOf(x).a)); err != nil {
				return err
			}
		}
	}
	if mode == "wrap" {
		return shapePadWrap(c, x, pads)
	}
	attrs := ops.Attrs{"pads": pads, "mode": mode}
	if mode == "constant" {
		attrs["value"] = value
	}
	return c.emit("pad", attrs, []string{x}, c.out(0))
}

// shapePadWrap pads x circularly: along each axis with pads (b, e), output
// element j is input element (j − b) mod n, a gather with a constant index
// vector (negative pads crop, and pads beyond n wrap around again).
func shapePadWrap(c *converter, x string, pads []int) error {
	xt := c.typeOf(x)
	r := len(xt.a)
	if len(pads) != 2*r {
		return c.inputErrorf(1, ErrInvalidModel, "has %d values, want %d (begin and end per axis of rank %d)", len(pads), 2*r, r)
	}
	v := x
	for i := range r {
		b, e := pads[i], pads[r+i]
		if b == 0 && e == 0 {
			continue
		}
		if xt.dynamic(i) {
			return c.errorf(ErrUnsupported, "Pad mode wrap along symbolic axis %d: %w", i, errNeedsDims)
		}
		n := xt.a[i]
		out := n + b + e
		if out < 0 || (out > 0 && n == 0) || out > foldLimit {
			return c.inputErrorf(1, ErrInvalidModel, "pads %d and %d on axis %d of size %d", b, e, i, n)
		}
		idx := make([]int64, out)
		for j := range idx {
			idx[j] = int64(((j-b)%n + n) % n)
		}
		it, err := tensor.FromSlice(idx, out)
		if err != nil {
			return err
		}
		last := i == r-1 || slices.Equal(pads[i+1:r], make([]int, r-1-i)) && slices.Equal(pads[r+i+1:], make([]int, r-1-i))
		if last {
			return c.emit("gather", ops.Attrs{"axis": i}, []string{v, c.addConst(it)}, c.out(0))
		}
		if v, err = cmpCall(c, "gather", ops.Attrs{"axis": i}, v, c.addConst(it)); err != nil {
			return err
		}
	}
	return c.emit("identity", nil, []string{v}, c.out(0))
}

// shapePadValue reads Pad's optional constant_value input (default 0).
func shapePadValue(c *converter, i int) (float64, error) {
	name := c.in(i)
	if name == "" {
		return 0, nil
	}
	t, ok := c.constant(name)
	if !ok {
		return 0, c.notKnown(i, "must be known at import time")
	}
	if t.NumElements() != 1 {
		return 0, c.inputErrorf(i, ErrInvalidModel, "has shape %v, want a scalar", t.Shape())
	}
	v := t.Float64s()[0]
	if t.DType() == tensor.Int64 {
		// float64 holds the catalog's value attribute; refuse an int64 it
		// would round rather than pad with a different number.
		iv := t.Int64s()[0]
		if v >= math.MaxInt64 || int64(v) != iv {
			return 0, c.inputErrorf(i, ErrUnsupported, "pad value %d is not exactly representable as float64", iv)
		}
	}
	return v, nil
}

// shapePadAxes expands pads given for the axes of Pad's input 3 (opset 18)
// to the full 2*rank list, zeros for the axes not named.
func shapePadAxes(c *converter, pads []int, rank int) ([]int, error) {
	axes, err := shapeConstInts(c, 3)
	if err != nil {
		return nil, err
	}
	norm, err := shapeNormAxes(c, axes, rank, "axes")
	if err != nil {
		return nil, err
	}
	if len(pads) != 2*len(norm) {
		return nil, c.inputErrorf(1, ErrInvalidModel, "has %d entries, want 2*%d for axes %v", len(pads), len(norm), axes)
	}
	full := make([]int, 2*rank)
	for j, ax := range norm {
		full[ax], full[rank+ax] = pads[j], pads[len(norm)+j]
	}
	return full, nil
}
