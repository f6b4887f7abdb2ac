package onnx

import (
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// STFT (opset 17) composed of catalog ops: frame f of the signal is
// samples [f·frame_step, f·frame_step + frame_length), gathered with a
// constant index matrix, multiplied by the window when there is one, and
// transformed like DFT along the frame axis (onesided by default). The
// output is [batch, frames, bins, 2] with frames = (signal_length −
// frame_length)/frame_step + 1. frame_step and frame_length must be
// constants and the signal length static: they decide the shape.

func init() { register("STFT", stftMap) }

func stftMap(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 17, 2, 4, 1); err != nil {
		return err
	}
	x := c.typeOf(c.in(0))
	if len(x.a) != 3 || (x.a[2] != 1 && x.a[2] != 2) {
		return c.inputErrorf(0, ErrInvalidModel, "shape %v, want [batch, signal_length, 1 or 2]", x.a)
	}
	if !x.dtype.IsFloat() {
		return c.inputErrorf(0, ErrInvalidModel, "dtype %v, want a float dtype", x.dtype)
	}
	if x.dynamic(1) {
		return c.inputErrorf(0, ErrUnsupported, "STFT of a signal of symbolic length")
	}
	scalar := func(i int, what string) (int, error) {
		v, err := c.constInts(i)
		if err != nil {
			return 0, err
		}
		if len(v) != 1 || v[0] < 1 {
			return 0, c.inputErrorf(i, ErrInvalidModel, "%s is %v, want one value >= 1", what, v)
		}
		return v[0], nil
	}
	step, err := scalar(1, "frame_step")
	if err != nil {
		return err
	}
	length := 0
	if c.in(3) != "" {
		if length, err = scalar(3, "frame_length"); err != nil {
			return err
		}
	}
	window := c.in(2)
	if window != "" {
		w := c.typeOf(window)
		if len(w.a) != 1 || w.dynamic(0) {
			return c.inputErrorf(2, ErrInvalidModel, "window shape %v, want [frame_length]", w.a)
		}
		if w.dtype != x.dtype {
			return c.inputErrorf(2, ErrInvalidModel, "window dtype %v, the signal's is %v", w.dtype, x.dtype)
		}
		if length != 0 && w.a[0] != length {
			return c.inputErrorf(2, ErrInvalidModel, "window of %d samples, frame_length %d", w.a[0], length)
		}
		length = w.a[0]
	}
	if length == 0 {
		return c.errorf(ErrInvalidModel, "neither a window nor frame_length gives the frame length")
	}
	onesided, err := shapeFlag(c, "onesided", 1)
	if err != nil {
		return err
	}
	if length > x.a[1] {
		return c.inputErrorf(0, ErrInvalidModel, "frame_length %d exceeds the signal's %d samples", length, x.a[1])
	}
	frames := (x.a[1]-length)/step + 1
	if frames > foldLimit/length {
		return c.errorf(ErrUnsupported, "STFT of %d frames of %d samples needs a %d-entry index matrix", frames, length, frames*length)
	}
	idx := make([]int64, frames*length)
	for f := range frames {
		for j := range length {
			idx[f*length+j] = int64(f*step + j)
		}
	}
	it, err := tensor.FromSlice(idx, frames, length)
	if err != nil {
		return err
	}
	framed, err := cmpCall(c, "gather", ops.Attrs{"axis": 1}, c.in(0), c.addConst(it)) // [batch, frames, length, 1|2]
	if err != nil {
		return err
	}
	if window != "" {
		w, err := cmpCall(c, "reshape", ops.Attrs{"shape": []int{length, 1}}, window)
		if err != nil {
			return err
		}
		if framed, err = cmpCall(c, "mul", nil, framed, w); err != nil {
			return err
		}
	}
	return dftEmit(c, framed, 2, length, false, onesided, c.out(0))
}
