package onnx

import (
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/tensor"
)

// Ops whose output shape depends on their input's values. The catalog keeps
// static shapes, so they are computed at import from a value known there: a
// constant, or a value a probe computed from data for this run (see
// specialize.go); each distinct input value is then its own specialization.

func init() {
	register("NonZero", dataNonZero)
}

// dataNonZero maps NonZero (opset 9 on): the indices of the nonzero
// elements, int64 [rank, count], in row-major order.
func dataNonZero(c *converter, n *onnxpb.Node) error {
	if c.opset < 9 {
		return c.errorf(ErrUnsupported, "NonZero is not in opset %d (it was introduced in opset 9)", c.opset)
	}
	if err := c.requireInputs(1, 1); err != nil {
		return err
	}
	if err := c.requireOutputs(1); err != nil {
		return err
	}
	x, ok := c.constant(c.in(0))
	if !ok {
		return c.notKnown(0, "NonZero's input must be known to size its output")
	}
	shape := x.Shape()
	if len(shape) == 0 {
		return c.inputErrorf(0, ErrUnsupported, "NonZero of a scalar (its output's rank is not settled among runtimes)")
	}
	vals := x.Float64s()
	var idx [][]int64 // per nonzero element, its index
	for flat, v := range vals {
		if v == 0 {
			continue
		}
		ix := make([]int64, len(shape))
		rem := flat
		for d := len(shape) - 1; d >= 0; d-- {
			ix[d] = int64(rem % shape[d])
			rem /= shape[d]
		}
		idx = append(idx, ix)
	}
	rank := len(shape)
	out := make([]int64, rank*len(idx))
	for j, ix := range idx {
		for d, v := range ix {
			out[d*len(idx)+j] = v
		}
	}
	t, err := tensor.FromSlice(out, rank, len(idx))
	if err != nil {
		return c.errorf(ErrInvalidModel, "%v", err)
	}
	c.setConst(c.out(0), t)
	return nil
}
