package onnx

import (
	"github.com/backplane-ml/backplane/ops"
)

// nnBatchNormTraining maps BatchNormalization with training_mode 1 (opset
// 14 on): the output normalizes x with the batch's own statistics, mean and
// population variance over every axis but the channel (1), and the optional
// outputs 1 and 2 are the updated running statistics,
// input_mean·momentum + batch_mean·(1 − momentum) and likewise for the
// variance (ONNX's reference; momentum defaults to 0.9). Composed of
// reductions and elementwise ops in x's dtype, like LayerNormalization.
func nnBatchNormTraining(c *converter) error {
	if err := c.requireOutputs(3); err != nil {
		return err
	}
	eps, err := c.attrFloat("epsilon", 1e-5)
	if err != nil {
		return err
	}
	momentum, err := c.attrFloat("momentum", 0.9)
	if err != nil {
		return err
	}
	x := c.in(0)
	xt := c.typeOf(x)
	r := len(xt.a)
	if r < 2 {
		return c.inputErrorf(0, ErrInvalidModel, "rank %d, want [N, C, ...]", r)
	}
	if !xt.dtype.IsFloat() {
		return c.inputErrorf(0, ErrInvalidModel, "dtype %v, want a float dtype", xt.dtype)
	}
	d := xt.dtype
	call := func(op string, attrs ops.Attrs, in ...string) (string, error) { return cmpCall(c, op, attrs, in...) }
	axes := []int{0}
	for i := 2; i < r; i++ {
		axes = append(axes, i)
	}
	keep := ops.Attrs{"axes": axes, "keepdims": 1}
	param := func(i int) (string, error) { // input i as x's dtype, laid along the channel axis
		v := c.in(i)
		if c.typeOf(v).dtype != d {
			var err error
			if v, err = cmpCast(c, v, d); err != nil {
				return "", err
			}
		}
		return call("reshape", ops.Attrs{"shape": channelShape(r)}, v)
	}
	mean, err := call("reduce_mean", keep, x)
	if err != nil {
		return err
	}
	diff, err := call("sub", nil, x, mean)
	if err != nil {
		return err
	}
	sq, err := call("mul", nil, diff, diff)
	if err != nil {
		return err
	}
	variance, err := call("reduce_mean", keep, sq)
	if err != nil {
		return err
	}
	epsC, err := cmpScalar(c, d, eps)
	if err != nil {
		return err
	}
	den, err := call("add", nil, variance, epsC)
	if err != nil {
		return err
	}
	if den, err = call("sqrt", nil, den); err != nil {
		return err
	}
	norm, err := call("div", nil, diff, den)
	if err != nil {
		return err
	}
	scale, err := param(1)
	if err != nil {
		return err
	}
	bias, err := param(2)
	if err != nil {
		return err
	}
	scaled, err := call("mul", nil, norm, scale)
	if err != nil {
		return err
	}
	if err := c.emit("add", nil, []string{scaled, bias}, c.out(0)); err != nil {
		return err
	}
	// Running statistics, [C].
	running := func(out string, input int, batch string) error {
		if out == "" {
			return nil
		}
		b, err := call("reshape", ops.Attrs{"shape": []int{-1}}, batch)
		if err != nil {
			return err
		}
		in := c.in(input)
		if c.typeOf(in).dtype != d {
			if in, err = cmpCast(c, in, d); err != nil {
				return err
			}
		}
		m, err := cmpScalar(c, d, momentum)
		if err != nil {
			return err
		}
		rest, err := cmpScalar(c, d, 1-momentum)
		if err != nil {
			return err
		}
		kept, err := call("mul", nil, in, m)
		if err != nil {
			return err
		}
		fresh, err := call("mul", nil, b, rest)
		if err != nil {
			return err
		}
		return c.emit("add", nil, []string{kept, fresh}, out)
	}
	if err := running(c.out(1), 3, mean); err != nil {
		return err
	}
	return running(c.out(2), 4, variance)
}

// channelShape is the reshape target [1, -1, 1, ...] of rank r that lays a
// per-channel vector along axis 1.
func channelShape(r int) []int {
	s := make([]int, r)
	for i := range s {
		s[i] = 1
	}
	s[1] = -1
	return s
}
