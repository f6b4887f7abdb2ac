package onnx

import (
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Normalizations composed of catalog ops: LayerNormalization when its Mean
// or InvStdDev output is wanted, GroupNormalization, RMSNormalization and
// MeanVarianceNormalization. Statistics are computed in the stash type
// (ONNX's stash_type, float32 by default) as ONNX's function bodies do.

func init() {
	register("GroupNormalization", cmpGroupNorm)
	register("RMSNormalization", cmpRMSNorm)
	register("MeanVarianceNormalization", cmpMVN)
}

// cmpStash returns the dtype of ONNX's stash_type attribute (default float32).
func cmpStash(c *converter) (tensor.DType, error) {
	st, err := c.attrInt("stash_type", int(onnxpb.Float))
	if err != nil {
		return tensor.Invalid, err
	}
	d, err := dtypeOf(onnxpb.DataType(st))
	if err != nil || !d.IsFloat() {
		return tensor.Invalid, c.errorf(ErrUnsupported, "attribute \"stash_type\" %d is not a float type backplane has", st)
	}
	return d, nil
}

// cmpCast casts v to d unless it already has that dtype.
func cmpCast(c *converter, v string, d tensor.DType) (string, error) {
	if c.typeOf(v).dtype == d {
		return v, nil
	}
	return cmpCall(c, "cast", ops.Attrs{"to": d.String()}, v)
}

// cmpAxesFrom lists the axes from axis (possibly negative) to rank−1.
func cmpAxesFrom(c *converter, axis, rank int) ([]int, error) {
	if axis < -rank || axis >= rank {
		return nil, c.errorf(ErrInvalidModel, "attribute \"axis\" %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	var axes []int
	for i := axis; i < rank; i++ {
		axes = append(axes, i)
	}
	return axes, nil
}

// cmpStandardize returns (x − mean)·invStd, mean and invStd over axes
// (dims kept), invStd = 1/sqrt(var + eps), all in x's dtype.
func cmpStandardize(c *converter, x string, axes []int, eps float64) (norm, mean, inv string, err error) {
	keep := ops.Attrs{"axes": axes, "keepdims": 1}
	d := c.typeOf(x).dtype
	if mean, err = cmpCall(c, "reduce_mean", keep, x); err != nil {
		return
	}
	var diff, sq, variance, e, std string
	if diff, err = cmpCall(c, "sub", nil, x, mean); err != nil {
		return
	}
	if sq, err = cmpCall(c, "mul", nil, diff, diff); err != nil {
		return
	}
	if variance, err = cmpCall(c, "reduce_mean", keep, sq); err != nil {
		return
	}
	if e, err = cmpScalar(c, d, eps); err != nil {
		return
	}
	if variance, err = cmpCall(c, "add", nil, variance, e); err != nil {
		return
	}
	if std, err = cmpCall(c, "sqrt", nil, variance); err != nil {
		return
	}
	if inv, err = cmpCall(c, "reciprocal", nil, std); err != nil {
		return
	}
	norm, err = cmpCall(c, "mul", nil, diff, inv)
	return
}

// cmpLayerNormStats maps LayerNormalization with its Mean and InvStdDev
// outputs (ONNX's function body: statistics in the stash type).
func cmpLayerNormStats(c *converter) error {
	stash, err := cmpStash(c)
	if err != nil {
		return err
	}
	eps, err := c.attrFloat("epsilon", 1e-5)
	if err != nil {
		return err
	}
	axis, err := c.attrInt("axis", -1)
	if err != nil {
		return err
	}
	x := c.in(0)
	d := c.typeOf(x).dtype
	axes, err := cmpAxesFrom(c, axis, len(c.typeOf(x).a))
	if err != nil {
		return err
	}
	xs, err := cmpCast(c, x, stash)
	if err != nil {
		return err
	}
	norm, mean, inv, err := cmpStandardize(c, xs, axes, eps)
	if err != nil {
		return err
	}
	if norm, err = cmpCast(c, norm, d); err != nil {
		return err
	}
	y := c.out(0)
	if c.in(2) != "" {
		y = c.tmp()
	}
	if err := c.emit("mul", nil, []string{norm, c.in(1)}, y); err != nil {
		return err
	}
	if c.in(2) != "" {
		if err := c.emit("add", nil, []string{y, c.in(2)}, c.out(0)); err != nil {
			return err
		}
	}
	if c.out(1) != "" {
		if err := c.emit("identity", nil, []string{mean}, c.out(1)); err != nil {
			return err
		}
	}
	if c.out(2) != "" {
		if err := c.emit("identity", nil, []string{inv}, c.out(2)); err != nil {
			return err
		}
	}
	return nil
}

// cmpGroupNorm maps GroupNormalization: x (N×C×D…) is viewed as
// N×G×(C/G·D…), standardized per group, then scaled and shifted per channel
// (opset 21; opset 18's per-group scale and bias are repeated per channel).
func cmpGroupNorm(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 18, 3, 3, 1); err != nil {
		return err
	}
	groups, err := c.attrInt("num_groups", 0)
	if err != nil {
		return err
	}
	eps, err := c.attrFloat("epsilon", 1e-5)
	if err != nil {
		return err
	}
	stash := tensor.Float32
	if c.opset >= 21 {
		if stash, err = cmpStash(c); err != nil {
			return err
		}
	}
	x := c.in(0)
	xt := c.typeOf(x)
	r := len(xt.a)
	if r < 2 {
		return c.inputErrorf(0, ErrInvalidModel, "rank %d, want >= 2 (N, C, ...)", r)
	}
	for i := 1; i < r; i++ {
		if xt.dynamic(i) {
			return c.inputErrorf(0, ErrUnsupported, "GroupNormalization with symbolic dim %d", i)
		}
	}
	ch := xt.a[1]
	if groups < 1 || ch%groups != 0 {
		return c.errorf(ErrInvalidModel, "attribute \"num_groups\" %d does not divide the %d channels", groups, ch)
	}
	d := xt.dtype
	xs, err := cmpCast(c, x, stash)
	if err != nil {
		return err
	}
	grouped, err := cmpCall(c, "reshape", ops.Attrs{"shape": []int{0, groups, -1}}, xs)
	if err != nil {
		return err
	}
	norm, _, _, err := cmpStandardize(c, grouped, []int{2}, eps)
	if err != nil {
		return err
	}
	back := append([]int{0}, xt.a[1:]...)
	if norm, err = cmpCall(c, "reshape", ops.Attrs{"shape": back}, norm); err != nil {
		return err
	}
	if norm, err = cmpCast(c, norm, d); err != nil {
		return err
	}
	perChannel := make([]int, r-1)
	for i := range perChannel {
		perChannel[i] = 1
	}
	perChannel[0] = ch
	params := make([]string, 2)
	for i := range params {
		p := c.in(1 + i)
		pt := c.typeOf(p)
		if len(pt.a) != 1 || (pt.a[0] != ch && pt.a[0] != groups) {
			return c.inputErrorf(1+i, ErrInvalidModel, "shape %v, want [%d] (channels) or [%d] (groups)", pt.a, ch, groups)
		}
		if pt.a[0] != ch { // opset 18: one value per group
			if p, err = cmpCall(c, "reshape", ops.Attrs{"shape": []int{groups, 1}}, p); err != nil {
				return err
			}
			if p, err = cmpCall(c, "expand", ops.Attrs{"shape": []int{groups, ch / groups}}, p); err != nil {
				return err
			}
		}
		if params[i], err = cmpCall(c, "reshape", ops.Attrs{"shape": perChannel}, p); err != nil {
			return err
		}
		if params[i], err = cmpCast(c, params[i], d); err != nil {
			return err
		}
	}
	scaled, err := cmpCall(c, "mul", nil, norm, params[0])
	if err != nil {
		return err
	}
	return c.emit("add", nil, []string{scaled, params[1]}, c.out(0))
}

// cmpRMSNorm maps RMSNormalization: x / sqrt(mean(x²) + eps) · scale over
// the axes from axis on, computed in the stash type.
func cmpRMSNorm(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 23, 2, 2, 1); err != nil {
		return err
	}
	stash, err := cmpStash(c)
	if err != nil {
		return err
	}
	eps, err := c.attrFloat("epsilon", 1e-5)
	if err != nil {
		return err
	}
	axis, err := c.attrInt("axis", -1)
	if err != nil {
		return err
	}
	x := c.in(0)
	d := c.typeOf(x).dtype
	axes, err := cmpAxesFrom(c, axis, len(c.typeOf(x).a))
	if err != nil {
		return err
	}
	xs, err := cmpCast(c, x, stash)
	if err != nil {
		return err
	}
	sq, err := cmpCall(c, "mul", nil, xs, xs)
	if err != nil {
		return err
	}
	ms, err := cmpCall(c, "reduce_mean", ops.Attrs{"axes": axes, "keepdims": 1}, sq)
	if err != nil {
		return err
	}
	e, err := cmpScalar(c, stash, eps)
	if err != nil {
		return err
	}
	if ms, err = cmpCall(c, "add", nil, ms, e); err != nil {
		return err
	}
	rms, err := cmpCall(c, "sqrt", nil, ms)
	if err != nil {
		return err
	}
	inv, err := cmpCall(c, "reciprocal", nil, rms)
	if err != nil {
		return err
	}
	norm, err := cmpCall(c, "mul", nil, xs, inv)
	if err != nil {
		return err
	}
	if norm, err = cmpCast(c, norm, d); err != nil {
		return err
	}
	return c.emit("mul", nil, []string{norm, c.in(1)}, c.out(0))
}

// cmpMVN maps MeanVarianceNormalization as ONNX's function body does:
// (x − E[x]) / (sqrt(E[x²] − E[x]²) + 1e-9) over axes (default 0, 2, 3).
func cmpMVN(c *converter, n *onnxpb.Node) error {
	if err := elemSince(c, n, 9); err != nil {
		return err
	}
	d, err := cmpUnaryIO(c)
	if err != nil {
		return err
	}
	axes, err := c.attrInts("axes", []int{0, 2, 3})
	if err != nil {
		return err
	}
	x := c.in(0)
	keep := ops.Attrs{"axes": axes, "keepdims": 1}
	mean, err := cmpCall(c, "reduce_mean", keep, x)
	if err != nil {
		return err
	}
	meanSq, err := cmpCall(c, "mul", nil, mean, mean)
	if err != nil {
		return err
	}
	sq, err := cmpCall(c, "mul", nil, x, x)
	if err != nil {
		return err
	}
	eSq, err := cmpCall(c, "reduce_mean", keep, sq)
	if err != nil {
		return err
	}
	variance, err := cmpCall(c, "sub", nil, eSq, meanSq)
	if err != nil {
		return err
	}
	std, err := cmpCall(c, "sqrt", nil, variance)
	if err != nil {
		return err
	}
	e, err := cmpScalar(c, d, 1e-9)
	if err != nil {
		return err
	}
	if std, err = cmpCall(c, "add", nil, std, e); err != nil {
		return err
	}
	diff, err := cmpCall(c, "sub", nil, x, mean)
	if err != nil {
		return err
	}
	return c.emit("div", nil, []string{diff, std}, c.out(0))
}
