package onnx

import (
	"fmt"
	"strings"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Shape-changing ONNX ops: Reshape, Flatten, Squeeze, Unsqueeze and
// Transpose become catalog reshapes and transposes (DepthToSpace and
// SpaceToDepth too, in shape_block.go); Shape and Size become constants.
//
// A reshape computed by the importer (Flatten, Squeeze, ...) must keep
// working for every size of the symbolic dimensions, so its shape attribute
// cannot simply hold the probed sizes: a dimension that depends on a
// symbolic dim is written as 0 (copy the input dim) when it is exactly the
// input dim at the same position, or as the single -1 reshape infers.
// Whether an output dim is a copy comes from the op's structure, never from
// comparing probed sizes, because two different symbolic dims probe alike.

func init() {
	register("Reshape", shapeReshape)
	register("Flatten", shapeFlatten)
	register("Squeeze", shapeSqueeze)
	register("Unsqueeze", shapeUnsqueeze)
	register("Transpose", shapeTranspose)
	register("Shape", shapeShape)
	register("Size", shapeSize)
}

// shapeConstInts reads input i, a constant list of integers (a 1-D tensor;
// a scalar is accepted as a list of one, as onnxruntime does).
func shapeConstInts(c *converter, i int) ([]int, error) {
	v, err := c.constInts(i)
	if err != nil {
		return nil, err
	}
	if t, _ := c.constant(c.in(i)); t.Rank() > 1 {
		return nil, c.inputErrorf(i, ErrInvalidModel, "has shape %v, want a 1-D list", t.Shape())
	}
	return v, nil
}

// shapeIntsArg reads a list of integers ONNX passes as attribute name before
// opset since and as input i from then on. present is false when the
// attribute or the (optional) input is absent.
func shapeIntsArg(c *converter, name string, i int, since int64) (vals []int, present bool, err error) {
	if c.opset < since {
		if i < len(c.node.Inputs) && c.node.Inputs[i] != "" {
			return nil, false, c.inputErrorf(i, ErrInvalidModel, "%s is an attribute before opset %d, not an input", name, since)
		}
		if !c.hasAttr(name) {
			return nil, false, nil
		}
		vals, err = c.attrInts(name, nil)
		return vals, true, err
	}
	if c.hasAttr(name) {
		c.ignore(name)
		return nil, false, c.errorf(ErrInvalidModel, "%s is an input from opset %d, not an attribute", name, since)
	}
	if c.in(i) == "" {
		return nil, false, nil
	}
	vals, err = shapeConstInts(c, i)
	return vals, true, err
}

// shapeNormAxes normalizes axes against rank, refusing out-of-range and
// repeated ones. what names the attribute or input for the message.
func shapeNormAxes(c *converter, axes []int, rank int, what string) ([]int, error) {
	out := make([]int, len(axes))
	seen := make([]bool, rank)
	for i, a := range axes {
		n, err := tensor.NormalizeAxis(a, rank)
		if err != nil {
			return nil, c.errorf(ErrInvalidModel, "%s[%d]: %v", what, i, err)
		}
		if seen[n] {
			return nil, c.errorf(ErrInvalidModel, "%s repeats axis %d", what, n)
		}
		seen[n] = true
		out[i] = n
	}
	return out, nil
}

// shapeFlag reads a 0/1 attribute.
func shapeFlag(c *converter, name string, def int) (bool, error) {
	v, err := c.attrInt(name, def)
	if err != nil {
		return false, err
	}
	if v != 0 && v != 1 {
		return false, c.errorf(ErrInvalidModel, "attribute %q is %d, want 0 or 1", name, v)
	}
	return v == 1, nil
}

// shapeProd multiplies dims, failing beyond tensor.MaxElements (a shape
// with a zero dim validates whatever its other dims, so a partial product
// can exceed what its full product suggests).
func shapeProd(dims []int) (int, bool) {
	p := 1
	for _, d := range dims {
		if d != 0 && p > tensor.MaxElements/d {
			return 0, false
		}
		p *= d
	}
	return p, true
}

// shapeDims formats a shape under both probes, "?" for symbolic dims.
func shapeDims(a, b tensor.Shape) string {
	parts := make([]string, len(a))
	for i := range a {
		if a[i] == b[i] {
			parts[i] = fmt.Sprint(a[i])
		} else {
			parts[i] = "?"
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// shapeSpec builds the catalog reshape attribute producing outA/outB (the
// output under both probes); same[i] says output dim i is exactly input dim
// i. ok is false when the shape cannot be written: more than one symbolic
// dim that is not a same-position copy, or a zero dim that is not a copy
// (reshape reads a 0 as "copy").
func shapeSpec(outA, outB tensor.Shape, same []bool) (spec []int, ok bool) {
	spec = make([]int, len(outA))
	inferred, zero := false, false
	for i := range outA {
		switch {
		case same[i]:
			spec[i] = 0
			zero = zero || outA[i] == 0 || outB[i] == 0
		case outA[i] == outB[i] && outA[i] != 0:
			spec[i] = outA[i]
		case outA[i] == outB[i]:
			return nil, false
		case inferred:
			return nil, false
		default:
			spec[i], inferred = -1, true
		}
	}
	if inferred && zero {
		return nil, false // reshape cannot infer a -1 next to a zero dim
	}
	return spec, true
}

// shapeIsIdentity reports whether the output is the input, dim for dim.
func shapeIsIdentity(rank int, same []bool) bool {
	if len(same) != rank {
		return false
	}
	for _, s := range same {
		if !s {
			return false
		}
	}
	return true
}

// shapeReshapeTo defines y as x reshaped to outA/outB (see shapeSpec). When
// no reshape attribute can express it but the output is static and empty,
// y becomes an empty constant: it has no elements to take from x.
func shapeReshapeTo(c *converter, x, y string, outA, outB tensor.Shape, same []bool) error {
	xt := c.typeOf(x)
	if shapeIsIdentity(len(xt.a), same) {
		return c.emit("identity", nil, []string{x}, y)
	}
	if spec, ok := shapeSpec(outA, outB, same); ok {
		return c.emit("reshape", ops.Attrs{"shape": spec}, []string{x}, y)
	}
	if outA.Equal(outB) && outA.NumElements() == 0 {
		t, err := tensor.New(xt.dtype, outA...)
		if err != nil {
			return c.errorf(ErrInvalidModel, "%v", err)
		}
		c.setConst(y, t)
		return nil
	}
	return c.errorf(ErrUnsupported, "reshaping %s to %s cannot be expressed for every size of the symbolic "+
		"dimensions (more than one symbolic dim moves): %w", shapeDims(xt.a, xt.b), shapeDims(outA, outB), errNeedsDims)
}

// shapeReshape maps Reshape (opset 5+: the target shape is input 1 and
// must be known at import; allowzero from 14).
func shapeReshape(c *converter, n *onnxpb.Node) error {
	if c.hasAttr("shape") {
		c.ignore("shape")
		return c.errorf(ErrInvalidModel, "the shape attribute is Reshape's opset 1-4 form; from opset 5 the shape is input 1")
	}
	if err := c.requireInputs(2, 2); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	allowZero := false
	if c.opset >= 14 {
		var err error
		if allowZero, err = shapeFlag(c, "allowzero", 0); err != nil {
			return err
		}
	}
	spec, err := shapeConstInts(c, 1)
	if err != nil {
		return err
	}
	hasZero, hasInfer := false, false
	for _, d := range spec {
		hasZero = hasZero || d == 0
		hasInfer = hasInfer || d == -1
	}
	if !allowZero || !hasZero {
		return c.emit("reshape", ops.Attrs{"shape": spec}, []string{c.in(0)}, c.out(0))
	}
	// allowzero=1 and a 0 in the shape: a literal empty dim, which the
	// catalog's reshape (0 = copy) cannot say. The output has no elements,
	// so neither may the input, and the result is an empty constant.
	if hasInfer {
		return c.inputErrorf(1, ErrInvalidModel, "shape %v has both 0 and -1, which allowzero=1 forbids", spec)
	}
	out := tensor.Shape(spec)
	if err := out.Validate(); err != nil {
		return c.inputErrorf(1, ErrInvalidModel, "shape %v: %v", spec, err)
	}
	xt := c.typeOf(c.in(0))
	if xt.a.NumElements() != 0 || xt.b.NumElements() != 0 {
		return c.inputErrorf(1, ErrInvalidModel, "cannot reshape %s (which has elements) to the empty shape %v",
			shapeDims(xt.a, xt.b), spec)
	}
	return shapeReshapeTo(c, c.in(0), c.out(0), out, out, make([]bool, len(out)))
}

// shapeFlatten maps Flatten: [d0..dk-1, dk..dn-1] -> [d0*..*dk-1, dk*..*dn-1]
// for axis k (default 1). Negative axes (opset 11) are accepted in every
// opset: they are unambiguous and onnxruntime takes them too.
func shapeFlatten(c *converter, n *onnxpb.Node) error {
	if err := c.requireInputs(1, 1); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	axis, err := c.attrInt("axis", 1)
	if err != nil {
		return err
	}
	xt := c.typeOf(c.in(0))
	r := len(xt.a)
	if axis < -r || axis > r {
		return c.errorf(ErrInvalidModel, "axis %d is out of range for rank %d", axis, r)
	}
	if axis < 0 {
		axis += r
	}
	var out [2]tensor.Shape
	for p, s := range [2]tensor.Shape{xt.a, xt.b} {
		outer, ok1 := shapeProd(s[:axis])
		inner, ok2 := shapeProd(s[axis:])
		if !ok1 || !ok2 {
			return c.errorf(ErrInvalidModel, "flattening %v exceeds %d elements", s, tensor.MaxElements)
		}
		out[p] = tensor.Shape{outer, inner}
	}
	same := []bool{axis == 1, axis == 1 && r == 2}
	return shapeReshapeTo(c, c.in(0), c.out(0), out[0], out[1], same)
}

// shapeSqueeze maps Squeeze (axes attribute until opset 12, input from 13;
// absent or empty axes remove every dim of size 1).
func shapeSqueeze(c *converter, n *onnxpb.Node) error {
	maxIn := 1
	if c.opset >= 13 {
		maxIn = 2
	}
	if err := c.requireInputs(1, maxIn); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	axes, _, err := shapeIntsArg(c, "axes", 1, 13)
	if err != nil {
		return err
	}
	x := c.in(0)
	xt := c.typeOf(x)
	r := len(xt.a)
	squeezed := make([]bool, r)
	if len(axes) == 0 {
		for i := range r {
			if xt.dynamic(i) {
				return c.errorf(ErrUnsupported, "Squeeze without axes of %s: whether symbolic dimension %d "+
					"is removed depends on its size; give axes", shapeDims(xt.a, xt.b), i)
			}
			squeezed[i] = xt.a[i] == 1
		}
	} else {
		norm, err := shapeNormAxes(c, axes, r, "axes")
		if err != nil {
			return err
		}
		for _, ax := range norm {
			if xt.dynamic(ax) {
				// Valid only when the symbolic dim is 1; the importer then
				// binds symbolic dims to 1 (see converter.convert).
				return fmt.Errorf("%w: Squeeze of symbolic dimension %d", errProbe, ax)
			}
			if xt.a[ax] != 1 {
				return c.errorf(ErrInvalidModel, "cannot squeeze axis %d of %v: its size is not 1", ax, xt.a)
			}
			squeezed[ax] = true
		}
	}
	var kept, gone []int
	for i, s := range squeezed {
		if s {
			gone = append(gone, i)
		} else {
			kept = append(kept, i)
		}
	}
	outA, outB := make(tensor.Shape, len(kept)), make(tensor.Shape, len(kept))
	same := make([]bool, len(kept))
	for j, k := range kept {
		outA[j], outB[j], same[j] = xt.a[k], xt.b[k], k == j
	}
	if shapeIsIdentity(r, same) {
		return c.emit("identity", nil, []string{x}, c.out(0))
	}
	if spec, ok := shapeSpec(outA, outB, same); ok {
		return c.emit("reshape", ops.Attrs{"shape": spec}, []string{x}, c.out(0))
	}
	// Move the squeezed dims last, then every kept dim is a same-position copy.
	t := c.tmp()
	if err := c.emit("transpose", ops.Attrs{"perm": append(kept, gone...)}, []string{x}, t); err != nil {
		return err
	}
	return c.emit("reshape", ops.Attrs{"shape": make([]int, len(kept))}, []string{t}, c.out(0))
}

// shapeUnsqueeze maps Unsqueeze (axes attribute until opset 12, input from
// 13): axes are positions of new size-1 dims in the output.
func shapeUnsqueeze(c *converter, n *onnxpb.Node) error {
	minIn, maxIn := 1, 1
	if c.opset >= 13 {
		minIn, maxIn = 2, 2
	}
	if err := c.requireInputs(minIn, maxIn); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	axes, present, err := shapeIntsArg(c, "axes", 1, 13)
	if err != nil {
		return err
	}
	if !present {
		return c.errorf(ErrInvalidModel, "Unsqueeze needs axes")
	}
	x := c.in(0)
	xt := c.typeOf(x)
	r := len(xt.a)
	norm, err := shapeNormAxes(c, axes, r+len(axes), "axes")
	if err != nil {
		return err
	}
	rank := r + len(axes)
	added := make([]bool, rank)
	for _, ax := range norm {
		added[ax] = true
	}
	outA, outB := make(tensor.Shape, rank), make(tensor.Shape, rank)
	same := make([]bool, rank)
	perm := make([]int, rank) // for the fallback: from x's dims followed by the new ones
	k, j := 0, r
	for p := range rank {
		if added[p] {
			outA[p], outB[p], perm[p] = 1, 1, j
			j++
			continue
		}
		outA[p], outB[p], same[p], perm[p] = xt.a[k], xt.b[k], k == p, k
		k++
	}
	if len(axes) == 0 {
		return c.emit("identity", nil, []string{x}, c.out(0))
	}
	if spec, ok := shapeSpec(outA, outB, same); ok {
		return c.emit("reshape", ops.Attrs{"shape": spec}, []string{x}, c.out(0))
	}
	// Append the new dims (x's dims are then same-position copies), then
	// move them into place.
	spec := make([]int, rank)
	for p := r; p < rank; p++ {
		spec[p] = 1
	}
	t := c.tmp()
	if err := c.emit("reshape", ops.Attrs{"shape": spec}, []string{x}, t); err != nil {
		return err
	}
	return c.emit("transpose", ops.Attrs{"perm": perm}, []string{t}, c.out(0))
}

// shapeTranspose maps Transpose (perm defaults to reversing the axes).
func shapeTranspose(c *converter, n *onnxpb.Node) error {
	if err := c.requireInputs(1, 1); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	attrs := ops.Attrs{}
	if c.hasAttr("perm") {
		perm, err := c.attrInts("perm", nil)
		if err != nil {
			return err
		}
		attrs["perm"] = perm
	}
	return c.emit("transpose", attrs, []string{c.in(0)}, c.out(0))
}

// shapeShape maps Shape to a constant int64 list (start/end from opset 15).
// Dims that depend on a symbolic dim cannot be constants; symbolic-dim Shape
// support is future work.
func shapeShape(c *converter, n *onnxpb.Node) error {
	if err := c.requireInputs(1, 1); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	xt := c.typeOf(c.in(0))
	r := len(xt.a)
	start, end := 0, r
	if c.opset >= 15 {
		var err error
		if start, err = c.attrInt("start", 0); err != nil {
			return err
		}
		if end, err = c.attrInt("end", r); err != nil {
			return err
		}
	}
	// ONNX clamps like slicing: negative counts from the end, then [0, rank].
	clamp := func(v int) int {
		if v < 0 {
			v += r
		}
		return min(max(v, 0), r)
	}
	start, end = clamp(start), clamp(end)
	end = max(end, start)
	vals := make([]int64, 0, end-start)
	for i := start; i < end; i++ {
		if xt.dynamic(i) {
			return c.inputErrorf(0, ErrUnsupported, "Shape of %s: dimension %d is symbolic (only static dims can "+
				"be folded): %w", shapeDims(xt.a, xt.b), i, errNeedsDims)
		}
		vals = append(vals, int64(xt.a[i]))
	}
	t, err := tensor.FromSlice(vals, len(vals))
	if err != nil {
		return c.errorf(ErrInvalidModel, "%v", err)
	}
	c.setConst(c.out(0), t)
	return nil
}

// shapeSize maps Size to a constant int64 scalar: the element count.
func shapeSize(c *converter, n *onnxpb.Node) error {
	if err := c.requireInputs(1, 1); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	xt := c.typeOf(c.in(0))
	if na := xt.a.NumElements(); na == xt.b.NumElements() {
		c.setConst(c.out(0), tensor.Scalar(int64(na)))
		return nil
	}
	return c.inputErrorf(0, ErrUnsupported, "Size of %s depends on symbolic dimensions: %w",
		shapeDims(xt.a, xt.b), errNeedsDims)
}
