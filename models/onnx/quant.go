package onnx

import (
	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Quantization ops composed of catalog ops: QuantizeLinear and
// DequantizeLinear (per tensor, per axis and blocked), DynamicQuantizeLinear,
// MatMulInteger, ConvInteger, QLinearMatMul and QLinearConv. Integer
// products are exact: matmuls accumulate in int32, convolutions in float64
// (every sum of 8-bit products a model can hold is far below 2^53), and
// requantization divides, rounds half to even and saturates as ONNX does.
// Float8 and 4-bit types are refused by name, as the importer refuses
// their tensors.

func init() {
	register("QuantizeLinear", qQuantize)
	register("DequantizeLinear", qDequantize)
	register("DynamicQuantizeLinear", qDynamic)
	register("MatMulInteger", qMatMulInteger)
	register("ConvInteger", qConvInteger)
	register("QLinearMatMul", qLinearMatMul)
	register("QLinearConv", qLinearConv)
}

// qParam returns scale or zero point p shaped to broadcast against x (of
// rank r) along axis: a scalar or one-element tensor as it is, a 1-D tensor
// of x.shape[axis] entries laid along axis, and a blocked tensor (rank r,
// ceil(x.shape[axis]/block) along axis) repeated block times along axis and
// cut to x's size.
func qParam(c *converter, p string, x valType, axis, block int) (string, error) {
	pt := c.typeOf(p)
	r := len(x.a)
	if pt.a.NumElements() == 1 && len(pt.a) <= 1 {
		if len(pt.a) == 0 {
			return p, nil
		}
		return cmpCall(c, "reshape", ops.Attrs{"shape": []int{}}, p)
	}
	if axis < -r || axis >= r {
		return "", c.errorf(ErrInvalidModel, "attribute \"axis\" %d out of range for rank %d", axis, r)
	}
	if axis < 0 {
		axis += r
	}
	if x.dynamic(axis) {
		return "", c.errorf(ErrUnsupported, "per-axis quantization along a symbolic axis")
	}
	if block <= 0 {
		if len(pt.a) != 1 || pt.a[0] != x.a[axis] {
			return "", c.errorf(ErrInvalidModel, "per-axis parameter %q has shape %v, want [%d]", p, pt.a, x.a[axis])
		}
		shape := make([]int, r-axis)
		for i := range shape {
			shape[i] = 1
		}
		shape[0] = x.a[axis]
		return cmpCall(c, "reshape", ops.Attrs{"shape": shape}, p)
	}
	if len(pt.a) != r {
		return "", c.errorf(ErrInvalidModel, "blocked parameter %q has rank %d, want %d", p, len(pt.a), r)
	}
	for i := range r {
		if pt.dynamic(i) {
			return "", c.errorf(ErrUnsupported, "blocked parameter %q with symbolic dims", p)
		}
	}
	nb := pt.a[axis]
	if nb*block < x.a[axis] || (nb-1)*block >= x.a[axis] {
		return "", c.errorf(ErrInvalidModel, "blocked parameter %q has %d blocks of %d along axis %d, for %d entries", p, nb, block, axis, x.a[axis])
	}
	// [.., nb, ..] → [.., nb, 1, ..] → expand [.., nb, block, ..] → [.., nb·block, ..] → slice to x's size.
	ins := append(append(append([]int{}, pt.a[:axis+1]...), 1), pt.a[axis+1:]...)
	v, err := cmpCall(c, "reshape", ops.Attrs{"shape": ins}, p)
	if err != nil {
		return "", err
	}
	exp := append([]int{}, ins...)
	exp[axis+1] = block
	if v, err = cmpCall(c, "expand", ops.Attrs{"shape": exp}, v); err != nil {
		return "", err
	}
	merged := append([]int{}, pt.a...)
	merged[axis] = nb * block
	if v, err = cmpCall(c, "reshape", ops.Attrs{"shape": merged}, v); err != nil {
		return "", err
	}
	if nb*block == x.a[axis] {
		return v, nil
	}
	return cmpCall(c, "slice", ops.Attrs{"starts": []int{0}, "ends": []int{x.a[axis]}, "axes": []int{axis}}, v)
}

// qAxisBlock reads axis (default 1) and block_size (opset 21).
func qAxisBlock(c *converter) (axis, block int, err error) {
	if axis, err = c.attrInt("axis", 1); err != nil {
		return
	}
	if err = nnSince(c, 21, "block_size"); err != nil {
		return
	}
	block, err = c.attrInt("block_size", 0)
	return
}

// qDequantizeValue returns (x − zp)·scale in float32 (float64 when the scale
// is), with zp and scale shaped by qParam.
func qDequantizeValue(c *converter, x, scale, zp string, axis, block int) (string, error) {
	xt := c.typeOf(x)
	fd := tensor.Float32
	if c.typeOf(scale).dtype == tensor.Float64 {
		fd = tensor.Float64
	}
	xf, err := cmpCast(c, x, fd)
	if err != nil {
		return "", err
	}
	if zp != "" {
		z, err := qParam(c, zp, xt, axis, block)
		if err != nil {
			return "", err
		}
		if z, err = cmpCast(c, z, fd); err != nil {
			return "", err
		}
		if xf, err = cmpCall(c, "sub", nil, xf, z); err != nil {
			return "", err
		}
	}
	s, err := qParam(c, scale, xt, axis, block)
	if err != nil {
		return "", err
	}
	if s, err = cmpCast(c, s, fd); err != nil {
		return "", err
	}
	return cmpCall(c, "mul", nil, xf, s)
}

func qDequantize(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 10, 2, 3, 1); err != nil {
		return err
	}
	axis, block, err := qAxisBlock(c)
	if err != nil {
		return err
	}
	out := c.typeOf(c.in(1)).dtype
	if c.hasAttr("output_dtype") {
		od, err := c.attrInt("output_dtype", 0)
		if err != nil {
			return err
		}
		if od != 0 {
			if out, err = dtypeOf(onnxpb.DataType(od)); err != nil {
				return c.errorf(ErrUnsupported, "attribute \"output_dtype\": %v", err)
			}
		}
	}
	// A constant (weight) dequantizes at import whatever its size, so the
	// conv or matmul it feeds sees a plain float weight (QDQ folding).
	c.foldWeights = qAllConstant(c, c.in(0), c.in(1), c.in(2))
	defer func() { c.foldWeights = false }()
	y, err := qDequantizeValue(c, c.in(0), c.in(1), c.in(2), axis, block)
	if err != nil {
		return err
	}
	return c.emit("cast", ops.Attrs{"to": out.String()}, []string{y}, c.out(0))
}

// qAllConstant reports whether every named value ("" = omitted) is known
// at import time.
func qAllConstant(c *converter, names ...string) bool {
	for _, name := range names {
		if _, ok := c.consts[name]; name != "" && !ok {
			return false
		}
	}
	return true
}

// qRequantize returns saturate(round(v) + zp) cast to dtype d, for float v.
func qRequantize(c *converter, v, zp string, d tensor.DType) (string, error) {
	fd := c.typeOf(v).dtype
	r, err := cmpCall(c, "round", nil, v)
	if err != nil {
		return "", err
	}
	if zp != "" {
		z, err := cmpCast(c, zp, fd)
		if err != nil {
			return "", err
		}
		if r, err = cmpCall(c, "add", nil, r, z); err != nil {
			return "", err
		}
	}
	lo, hi := tensor.IntRange(d)
	if r, err = cmpCall(c, "clip", ops.Attrs{"min": float64(lo), "max": float64(hi)}, r); err != nil {
		return "", err
	}
	return cmpCall(c, "cast", ops.Attrs{"to": d.String()}, r)
}

func qQuantize(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 10, 2, 3, 1); err != nil {
		return err
	}
	axis, block, err := qAxisBlock(c)
	if err != nil {
		return err
	}
	c.ignore("saturate") // only float8 outputs saturate optionally
	d := tensor.Uint8
	if c.in(2) != "" {
		d = c.typeOf(c.in(2)).dtype
	}
	if c.hasAttr("output_dtype") {
		od, err := c.attrInt("output_dtype", 0)
		if err != nil {
			return err
		}
		if od != 0 {
			if d, err = dtypeOf(onnxpb.DataType(od)); err != nil {
				return c.errorf(ErrUnsupported, "attribute \"output_dtype\": %v", err)
			}
		}
	}
	if !d.IsInt() {
		return c.errorf(ErrUnsupported, "QuantizeLinear to %v", d)
	}
	x := c.in(0)
	xt := c.typeOf(x)
	fd := tensor.Float32
	if xt.dtype == tensor.Float64 {
		fd = tensor.Float64
	}
	xf, err := cmpCast(c, x, fd)
	if err != nil {
		return err
	}
	s, err := qParam(c, c.in(1), xt, axis, block)
	if err != nil {
		return err
	}
	if s, err = cmpCast(c, s, fd); err != nil {
		return err
	}
	q, err := cmpCall(c, "div", nil, xf, s)
	if err != nil {
		return err
	}
	zp := ""
	if c.in(2) != "" {
		if zp, err = qParam(c, c.in(2), xt, axis, block); err != nil {
			return err
		}
	}
	y, err := qRequantize(c, q, zp, d)
	if err != nil {
		return err
	}
	return c.emit("identity", nil, []string{y}, c.out(0))
}

// qDynamic maps DynamicQuantizeLinear: the range [min(0, min x), max(0,
// max x)] onto uint8 with scale = range/255 and zero point
// saturate(round(−min/scale)).
func qDynamic(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 11, 1, 1, 3); err != nil {
		return err
	}
	x, err := cmpCast(c, c.in(0), tensor.Float32)
	if err != nil {
		return err
	}
	all := ops.Attrs{"keepdims": 0}
	zero, err := cmpScalar(c, tensor.Float32, 0)
	if err != nil {
		return err
	}
	lo, err := cmpCall(c, "reduce_min", all, x)
	if err != nil {
		return err
	}
	if lo, err = cmpCall(c, "min", nil, lo, zero); err != nil {
		return err
	}
	hi, err := cmpCall(c, "reduce_max", all, x)
	if err != nil {
		return err
	}
	if hi, err = cmpCall(c, "max", nil, hi, zero); err != nil {
		return err
	}
	span, err := cmpCall(c, "sub", nil, hi, lo)
	if err != nil {
		return err
	}
	q255, err := cmpScalar(c, tensor.Float32, 255)
	if err != nil {
		return err
	}
	scale := c.out(1)
	if scale == "" {
		scale = c.tmp()
	}
	if err := c.emit("div", nil, []string{span, q255}, scale); err != nil {
		return err
	}
	negLo, err := cmpCall(c, "sub", nil, zero, lo)
	if err != nil {
		return err
	}
	zf, err := cmpCall(c, "div", nil, negLo, scale)
	if err != nil {
		return err
	}
	zp, err := qRequantize(c, zf, "", tensor.Uint8)
	if err != nil {
		return err
	}
	if c.out(2) != "" {
		if err := c.emit("identity", nil, []string{zp}, c.out(2)); err != nil {
			return err
		}
	}
	q, err := cmpCall(c, "div", nil, x, scale)
	if err != nil {
		return err
	}
	y, err := qRequantize(c, q, zp, tensor.Uint8)
	if err != nil {
		return err
	}
	return c.emit("identity", nil, []string{y}, c.out(0))
}

// qCentered returns v − zp in dtype d; zp (optional) is a scalar or, when
// rowAxis >= 0, a 1-D tensor laid along that axis of v.
func qCentered(c *converter, v, zp string, d tensor.DType, rowAxis int) (string, error) {
	vd, err := cmpCast(c, v, d)
	if err != nil {
		return "", err
	}
	if zp == "" {
		return vd, nil
	}
	vt := c.typeOf(v)
	z := zp
	zt := c.typeOf(zp)
	if zt.a.NumElements() != 1 || len(zt.a) > 1 {
		if rowAxis < 0 {
			return "", c.errorf(ErrUnsupported, "zero point %q of shape %v", zp, zt.a)
		}
		if z, err = qParam(c, zp, vt, rowAxis, 0); err != nil {
			return "", err
		}
	} else if len(zt.a) == 1 {
		if z, err = cmpCall(c, "reshape", ops.Attrs{"shape": []int{}}, zp); err != nil {
			return "", err
		}
	}
	if z, err = cmpCast(c, z, d); err != nil {
		return "", err
	}
	return cmpCall(c, "sub", nil, vd, z)
}

// qIntMatMul returns (a − a_zp)·(b − b_zp) in int32: a's zero point may be
// per row (axis −2 of a), b's per column (axis −1 of b).
func qIntMatMul(c *converter, a, azp, b, bzp string) (string, error) {
	ar, br := len(c.typeOf(a).a), len(c.typeOf(b).a)
	arow, bcol := -1, -1
	if ar >= 2 {
		arow = ar - 2
	}
	if br >= 2 {
		bcol = br - 1
	}
	ac, err := qCentered(c, a, azp, tensor.Int32, arow)
	if err != nil {
		return "", err
	}
	bc, err := qCentered(c, b, bzp, tensor.Int32, bcol)
	if err != nil {
		return "", err
	}
	return cmpCall(c, "matmul", nil, ac, bc)
}

func qMatMulInteger(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 10, 2, 4, 1); err != nil {
		return err
	}
	y, err := qIntMatMul(c, c.in(0), c.in(2), c.in(1), c.in(3))
	if err != nil {
		return err
	}
	return c.emit("identity", nil, []string{y}, c.out(0))
}

// qIntConv returns conv(x − x_zp, w − w_zp) in float64 (exact), w's zero
// point per output channel when 1-D, with the node's conv attributes.
func qIntConv(c *converter, x, xzp, w, wzp string) (string, error) {
	attrs := ops.Attrs{}
	if err := nnCopyAttrs(c, attrs, "kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"); err != nil {
		return "", err
	}
	xc, err := qCentered(c, x, xzp, tensor.Float64, -1)
	if err != nil {
		return "", err
	}
	wc, err := qCentered(c, w, wzp, tensor.Float64, 0)
	if err != nil {
		return "", err
	}
	return cmpCall(c, "conv", attrs, xc, wc)
}

func qConvInteger(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 10, 2, 4, 1); err != nil {
		return err
	}
	y, err := qIntConv(c, c.in(0), c.in(2), c.in(1), c.in(3))
	if err != nil {
		return err
	}
	return c.emit("cast", ops.Attrs{"to": "int32"}, []string{y}, c.out(0))
}

// qScaleRatio returns a_scale·b_scale/y_scale in float64, b's scale laid
// along axis bAxis of a value of type like when it has several entries.
func qScaleRatio(c *converter, as, bs, ys string, like valType, bAxis int) (string, error) {
	a, err := cmpCast(c, as, tensor.Float64)
	if err != nil {
		return "", err
	}
	b := bs
	if bt := c.typeOf(bs); bt.a.NumElements() != 1 || len(bt.a) > 1 {
		if b, err = qParam(c, bs, like, bAxis, 0); err != nil {
			return "", err
		}
	} else if len(bt.a) == 1 {
		if b, err = cmpCall(c, "reshape", ops.Attrs{"shape": []int{}}, bs); err != nil {
			return "", err
		}
	}
	if b, err = cmpCast(c, b, tensor.Float64); err != nil {
		return "", err
	}
	y, err := cmpCast(c, ys, tensor.Float64)
	if err != nil {
		return "", err
	}
	if ys != "" && len(c.typeOf(ys).a) == 1 {
		if y, err = cmpCall(c, "reshape", ops.Attrs{"shape": []int{}}, y); err != nil {
			return "", err
		}
	}
	ab, err := cmpCall(c, "mul", nil, a, b)
	if err != nil {
		return "", err
	}
	return cmpCall(c, "div", nil, ab, y)
}

func qLinearMatMul(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 10, 8, 8, 1); err != nil {
		return err
	}
	acc, err := qIntMatMul(c, c.in(0), c.in(2), c.in(3), c.in(5))
	if err != nil {
		return err
	}
	accT := c.typeOf(acc)
	accF, err := cmpCast(c, acc, tensor.Float64)
	if err != nil {
		return err
	}
	a := c.in(1)
	if at := c.typeOf(a); len(at.a) == 1 && at.a[0] == 1 {
		if a, err = cmpCall(c, "reshape", ops.Attrs{"shape": []int{}}, a); err != nil {
			return err
		}
	}
	ratio, err := qScaleRatio(c, a, c.in(4), c.in(6), accT, len(accT.a)-1)
	if err != nil {
		return err
	}
	v, err := cmpCall(c, "mul", nil, accF, ratio)
	if err != nil {
		return err
	}
	yzp := c.in(7)
	if zt := c.typeOf(yzp); len(zt.a) == 1 {
		if yzp, err = cmpCall(c, "reshape", ops.Attrs{"shape": []int{}}, yzp); err != nil {
			return err
		}
	}
	y, err := qRequantize(c, v, yzp, c.typeOf(c.in(7)).dtype)
	if err != nil {
		return err
	}
	return c.emit("identity", nil, []string{y}, c.out(0))
}

func qLinearConv(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 10, 8, 9, 1); err != nil {
		return err
	}
	acc, err := qIntConv(c, c.in(0), c.in(2), c.in(3), c.in(5))
	if err != nil {
		return err
	}
	if c.in(8) != "" { // int32 bias, per output channel (axis 1 of the result)
		b, err := qParam(c, c.in(8), c.typeOf(acc), 1, 0)
		if err != nil {
			return err
		}
		if b, err = cmpCast(c, b, tensor.Float64); err != nil {
			return err
		}
		if acc, err = cmpCall(c, "add", nil, acc, b); err != nil {
			return err
		}
	}
	ratio, err := qScaleRatio(c, c.in(1), c.in(4), c.in(6), c.typeOf(acc), 1)
	if err != nil {
		return err
	}
	v, err := cmpCall(c, "mul", nil, acc, ratio)
	if err != nil {
		return err
	}
	y, err := qRequantize(c, v, c.in(7), c.typeOf(c.in(7)).dtype)
	if err != nil {
		return err
	}
	return c.emit("identity", nil, []string{y}, c.out(0))
}
