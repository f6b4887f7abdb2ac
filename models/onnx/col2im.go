package onnx

import (
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Col2Im (opset 18) composed of catalog ops: every column entry (channel,
// block offset, block position) is added at its pixel of the padded image
// with scatter_nd (reduction add) over constant addresses, then the padding
// is cropped. image_shape and block_shape must be known at import time.

func init() { register("Col2Im", col2imMap) }

func col2imMap(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 18, 3, 3, 1); err != nil {
		return err
	}
	img, err := c.constInts(1)
	if err != nil {
		return err
	}
	block, err := c.constInts(2)
	if err != nil {
		return err
	}
	r := len(img)
	if r == 0 || len(block) != r {
		return c.errorf(ErrInvalidModel, "image_shape %v and block_shape %v", img, block)
	}
	ints := func(name string, def int, count int) ([]int, error) {
		v, err := c.attrInts(name, nil)
		if err != nil {
			return nil, err
		}
		if v == nil {
			v = make([]int, count)
			for i := range v {
				v[i] = def
			}
		}
		if len(v) != count {
			return nil, c.errorf(ErrInvalidModel, "attribute %q has %d values, want %d", name, len(v), count)
		}
		return v, nil
	}
	dil, err := ints("dilations", 1, r)
	if err != nil {
		return err
	}
	strides, err := ints("strides", 1, r)
	if err != nil {
		return err
	}
	pads, err := ints("pads", 0, 2*r)
	if err != nil {
		return err
	}
	x := c.typeOf(c.in(0))
	if len(x.a) != 3 || !x.static() {
		return c.inputErrorf(0, ErrUnsupported, "Col2Im input of shape %v (a static [N, C·K, L] is needed)", x.a)
	}
	k, blocks := 1, 1
	padded := make([]int, r)
	nb := make([]int, r)
	for d := range r {
		if block[d] < 1 || dil[d] < 1 || strides[d] < 1 || img[d] < 1 || pads[d] < 0 || pads[r+d] < 0 {
			return c.errorf(ErrInvalidModel, "invalid block %v, dilations %v, strides %v, pads %v or image %v", block, dil, strides, pads, img)
		}
		k *= block[d]
		padded[d] = img[d] + pads[d] + pads[r+d]
		nb[d] = (padded[d]-(dil[d]*(block[d]-1)+1))/strides[d] + 1
		if nb[d] < 1 {
			return c.errorf(ErrInvalidModel, "block %d does not fit image dim %d", block[d], img[d])
		}
		blocks *= nb[d]
	}
	N, ck, L := x.a[0], x.a[1], x.a[2]
	if ck%k != 0 || L != blocks {
		return c.inputErrorf(0, ErrInvalidModel, "shape %v, want [N, C·%d, %d]", x.a, k, blocks)
	}
	C := ck / k
	total := C * k * L
	zeroCount := C * N
	for _, p := range padded {
		zeroCount *= p
	}
	if total*(r+1) > foldLimit || zeroCount > foldLimit {
		return c.errorf(ErrUnsupported, "Col2Im of %d columns into %v is too large to compose", total, img)
	}
	// addresses (c, y_1 … y_r) in [C, padded…]
	idx := make([]int64, 0, total*(r+1))
	off := make([]int, r)
	pos := make([]int, r)
	for ch := range C {
		for kk := range k {
			rem := kk
			for d := r - 1; d >= 0; d-- {
				off[d] = rem % block[d]
				rem /= block[d]
			}
			for l := range L {
				rem := l
				for d := r - 1; d >= 0; d-- {
					pos[d] = rem % nb[d]
					rem /= nb[d]
				}
				idx = append(idx, int64(ch))
				for d := range r {
					idx = append(idx, int64(pos[d]*strides[d]+off[d]*dil[d]))
				}
			}
		}
	}
	call := func(op string, attrs ops.Attrs, in ...string) (string, error) { return cmpCall(c, op, attrs, in...) }
	u, err := call("reshape", ops.Attrs{"shape": []int{N, C, k, L}}, c.in(0))
	if err != nil {
		return err
	}
	if u, err = call("transpose", ops.Attrs{"perm": []int{1, 2, 3, 0}}, u); err != nil {
		return err
	}
	if u, err = call("reshape", ops.Attrs{"shape": []int{total, N}}, u); err != nil {
		return err
	}
	dataShape := append(append([]int{C}, padded...), N)
	zeros, err := tensor.New(x.dtype, dataShape...)
	if err != nil {
		return err
	}
	y, err := call("scatter_nd", ops.Attrs{"reduction": "add"}, c.addConst(zeros), c.addConst(tensor.MustFromSlice(idx, total, r+1)), u)
	if err != nil {
		return err
	}
	starts, ends, axes := make([]int, r), make([]int, r), make([]int, r)
	for d := range r {
		starts[d], ends[d], axes[d] = pads[d], pads[d]+img[d], 1+d
	}
	if y, err = call("slice", ops.Attrs{"starts": starts, "ends": ends, "axes": axes}, y); err != nil {
		return err
	}
	perm := []int{r + 1, 0}
	for d := range r {
		perm = append(perm, 1+d)
	}
	return c.emit("transpose", ops.Attrs{"perm": perm}, []string{y}, c.out(0))
}
