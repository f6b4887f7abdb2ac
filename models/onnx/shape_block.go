package onnx

import (
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// DepthToSpace and SpaceToDepth: block rearrangements between the channel
// dim and the spatial dims of an NCHW tensor, decomposed into reshape to
// 6-D, transpose, reshape back to 4-D.

func init() {
	register("DepthToSpace", shapeDepthToSpace)
	register("SpaceToDepth", shapeSpaceToDepth)
}

// shapeBlockArgs checks a DepthToSpace/SpaceToDepth input: rank 4, a sane
// blocksize, and dims (per probe) divisible as the op needs: channels by
// blocksize² for DepthToSpace, height and width by blocksize for SpaceToDepth.
func shapeBlockArgs(c *converter, toSpace bool) (b int, err error) {
	if err := c.requireInputs(1, 1); err != nil {
		return 0, err
	}
	if err := c.requireOutputs(1); err != nil {
		return 0, err
	}
	if !c.hasAttr("blocksize") {
		return 0, c.errorf(ErrInvalidModel, "attribute blocksize is required")
	}
	if b, err = c.attrInt("blocksize", 0); err != nil {
		return 0, err
	}
	if b < 1 || b > tensor.MaxElements/b {
		return 0, c.errorf(ErrInvalidModel, "blocksize %d is out of range", b)
	}
	xt := c.typeOf(c.in(0))
	if len(xt.a) != 4 {
		return 0, c.inputErrorf(0, ErrInvalidModel, "has shape %s, want rank 4 (N, C, H, W)", shapeDims(xt.a, xt.b))
	}
	for _, s := range [2]tensor.Shape{xt.a, xt.b} {
		// The rearranged dims multiply by b or b*b; a zero dim elsewhere lets
		// the others be large, so bound the products explicitly.
		_, ok1 := shapeProd([]int{s[1], b, b})
		_, ok2 := shapeProd([]int{s[2], b})
		_, ok3 := shapeProd([]int{s[3], b})
		if !ok1 || !ok2 || !ok3 {
			return 0, c.errorf(ErrInvalidModel, "blocksize %d is too large for %v", b, s)
		}
	}
	check := func(dim, by int) error {
		if xt.a[dim]%by == 0 && xt.b[dim]%by == 0 {
			return nil
		}
		if xt.dynamic(dim) {
			return c.inputErrorf(0, ErrUnsupported, "dimension %d of %s is symbolic; it must be a multiple of %d: %w",
				dim, shapeDims(xt.a, xt.b), by, errNeedsDims)
		}
		return c.inputErrorf(0, ErrInvalidModel, "dimension %d of %v is not a multiple of %d", dim, xt.a, by)
	}
	if toSpace {
		return b, check(1, b*b)
	}
	if err := check(2, b); err != nil {
		return 0, err
	}
	return b, check(3, b)
}

// shapeBlocks emits the reshape, transpose, reshape that rearranges blocks:
// x is reshaped to 6-D by split (per probe shape), transposed by perm and
// reshaped to final (per probe shape). same6 and sameOut mark the dims of
// the 6-D and final shapes that are same-position copies (always the batch).
func shapeBlocks(c *converter, split, final func(s tensor.Shape) tensor.Shape, perm []int, same6, sameOut []bool) error {
	x := c.in(0)
	xt := c.typeOf(x)
	t6, tp := c.tmp(), c.tmp()
	if err := shapeReshapeTo(c, x, t6, split(xt.a), split(xt.b), same6); err != nil {
		return err
	}
	if err := c.emit("transpose", ops.Attrs{"perm": perm}, []string{t6}, tp); err != nil {
		return err
	}
	return shapeReshapeTo(c, tp, c.out(0), final(xt.a), final(xt.b), sameOut)
}

// shapeDepthToSpace maps DepthToSpace: channel blocks become b×b spatial
// blocks. Mode DCR (default; the only one before opset 11) takes the block
// offset from the outer channel bits, CRD (opset 11) from the inner ones.
func shapeDepthToSpace(c *converter, n *onnxpb.Node) error {
	b, err := shapeBlockArgs(c, true)
	if err != nil {
		return err
	}
	mode := "DCR"
	if c.opset >= 11 {
		if mode, err = c.attrString("mode", "DCR"); err != nil {
			return err
		}
	}
	final := func(s tensor.Shape) tensor.Shape { return tensor.Shape{s[0], s[1] / (b * b), s[2] * b, s[3] * b} }
	sameOut := []bool{true, false, false, false}
	switch mode {
	case "DCR": // [N, b, b, C', H, W] -> [N, C', H, b, W, b]
		split := func(s tensor.Shape) tensor.Shape { return tensor.Shape{s[0], b, b, s[1] / (b * b), s[2], s[3]} }
		return shapeBlocks(c, split, final, []int{0, 3, 4, 1, 5, 2}, []bool{true, false, false, false, false, false}, sameOut)
	case "CRD": // [N, C', b, b, H, W] -> [N, C', H, b, W, b]
		split := func(s tensor.Shape) tensor.Shape { return tensor.Shape{s[0], s[1] / (b * b), b, b, s[2], s[3]} }
		return shapeBlocks(c, split, final, []int{0, 1, 4, 2, 5, 3}, []bool{true, false, false, false, false, false}, sameOut)
	}
	return c.errorf(ErrInvalidModel, "mode %q, want DCR or CRD", mode)
}

// shapeSpaceToDepth maps SpaceToDepth, the inverse of DepthToSpace in DCR
// mode: each b×b spatial block becomes b*b channel groups.
func shapeSpaceToDepth(c *converter, n *onnxpb.Node) error {
	b, err := shapeBlockArgs(c, false)
	if err != nil {
		return err
	}
	// [N, C, H', b, W', b] -> [N, b, b, C, H', W']
	split := func(s tensor.Shape) tensor.Shape { return tensor.Shape{s[0], s[1], s[2] / b, b, s[3] / b, b} }
	final := func(s tensor.Shape) tensor.Shape { return tensor.Shape{s[0], s[1] * b * b, s[2] / b, s[3] / b} }
	return shapeBlocks(c, split, final, []int{0, 3, 5, 1, 2, 4},
		[]bool{true, true, false, false, false, false}, []bool{true, false, false, false})
}
