package onnx

import (
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// MaxUnpool composed of catalog ops: X's values are scattered (scatter_nd)
// into zeros of the output shape at the flat indices I (MaxPool's Indices
// output, over the whole tensor). The output shape is (in − 1)·stride −
// pads + kernel per spatial dim, or output_shape (known at import time), into
// which the indices of that default shape are re-raveled.

func init() { register("MaxUnpool", maxUnpoolMap) }

func maxUnpoolMap(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 9, 2, 3, 1); err != nil {
		return err
	}
	x := c.typeOf(c.in(0))
	r := len(x.a) - 2
	if r < 1 || !x.static() {
		return c.inputErrorf(0, ErrUnsupported, "MaxUnpool of shape %v (a static N×C×D… is needed)", x.a)
	}
	ks, err := c.attrInts("kernel_shape", nil)
	if err != nil {
		return err
	}
	strides, err := c.attrInts("strides", nil)
	if err != nil {
		return err
	}
	pads, err := c.attrInts("pads", nil)
	if err != nil {
		return err
	}
	if len(ks) != r || (strides != nil && len(strides) != r) || (pads != nil && len(pads) != 2*r) {
		return c.errorf(ErrInvalidModel, "kernel_shape %v, strides %v, pads %v for %d spatial dims", ks, strides, pads, r)
	}
	def := []int{x.a[0], x.a[1]}
	for d := range r {
		s, pb, pe := 1, 0, 0
		if strides != nil {
			s = strides[d]
		}
		if pads != nil {
			pb, pe = pads[d], pads[r+d]
		}
		def = append(def, (x.a[2+d]-1)*s-pb-pe+ks[d])
	}
	out := def
	if c.in(2) != "" {
		if out, err = c.constInts(2); err != nil {
			return err
		}
		if len(out) != r+2 {
			return c.inputErrorf(2, ErrInvalidModel, "output_shape %v, want %d dims", out, r+2)
		}
	}
	total := 1
	for _, v := range out {
		if v < 0 {
			return c.errorf(ErrInvalidModel, "output shape %v", out)
		}
		total *= v
	}
	if total > foldLimit {
		return c.errorf(ErrUnsupported, "MaxUnpool output of %d elements is too large to compose", total)
	}
	zeros, err := tensor.New(x.dtype, total)
	if err != nil {
		return err
	}
	count := x.a.NumElements()
	idx, err := cmpCast(c, c.in(1), tensor.Int64)
	if err != nil {
		return err
	}
	if !tensor.Shape(out).Equal(def) {
		// Indices address the default output shape: unravel them there and
		// ravel them into the requested one.
		var flat string
		rest := idx
		stride := int64(1)
		for d := len(def) - 1; d >= 0; d-- {
			dim := c.addConst(tensor.Scalar(int64(max(def[d], 1))))
			coord, err := cmpCall(c, "mod", nil, rest, dim)
			if err != nil {
				return err
			}
			if rest, err = cmpCall(c, "div", nil, rest, dim); err != nil {
				return err
			}
			term, err := cmpCall(c, "mul", nil, coord, c.addConst(tensor.Scalar(stride)))
			if err != nil {
				return err
			}
			if flat == "" {
				flat = term
			} else if flat, err = cmpCall(c, "add", nil, flat, term); err != nil {
				return err
			}
			stride *= int64(out[d])
		}
		idx = flat
	}
	if idx, err = cmpCall(c, "reshape", ops.Attrs{"shape": []int{count, 1}}, idx); err != nil {
		return err
	}
	vals, err := cmpCall(c, "reshape", ops.Attrs{"shape": []int{count}}, c.in(0))
	if err != nil {
		return err
	}
	y, err := cmpCall(c, "scatter_nd", nil, c.addConst(zeros), idx, vals)
	if err != nil {
		return err
	}
	return c.emit("reshape", ops.Attrs{"shape": out}, []string{y}, c.out(0))
}
