package onnx

import (
	"math"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// More ONNX ops composed of catalog ops or folded to constants: the window
// functions (HannWindow, HammingWindow, BlackmanWindow), EyeLike,
// LpNormalization, LpPool and CenterCropPad.

func init() {
	register("HannWindow", cmpWindow(func(x float64) float64 { return 0.5 - 0.5*math.Cos(x) }))
	register("HammingWindow", cmpWindow(func(x float64) float64 { return 25.0/46 - 21.0/46*math.Cos(x) }))
	register("BlackmanWindow", cmpWindow(func(x float64) float64 { return 0.42 - 0.5*math.Cos(x) + 0.08*math.Cos(2*x) }))
	register("EyeLike", cmpEyeLike)
	register("LpNormalization", cmpLpNorm)
	register("LpPool", cmpLpPool)
	register("CenterCropPad", cmpCenterCropPad)
	register("BitCast", cmpBitCast)
}

// cmpBitCast maps BitCast (opset 26) onto bitcast.
func cmpBitCast(c *converter, n *onnxpb.Node) error {
	if err := elemSince(c, n, 26); err != nil {
		return err
	}
	if _, err := cmpUnaryIO(c); err != nil {
		return err
	}
	if !c.hasAttr("to") {
		return c.errorf(ErrInvalidModel, "required attribute \"to\" is missing")
	}
	d, err := cmpOutputDType(c, "to", tensor.Invalid)
	if err != nil {
		return err
	}
	return c.emit("bitcast", ops.Attrs{"to": d.String()}, []string{c.in(0)}, c.out(0))
}

// cmpOutputDType reads a data type attribute (default def).
func cmpOutputDType(c *converter, name string, def tensor.DType) (tensor.DType, error) {
	if !c.hasAttr(name) {
		return def, nil
	}
	v, err := c.attrInt(name, 0)
	if err != nil {
		return tensor.Invalid, err
	}
	d, err := dtypeOf(onnxpb.DataType(v))
	if err != nil {
		return tensor.Invalid, c.errorf(ErrUnsupported, "attribute %q: %v", name, err)
	}
	return d, nil
}

// cmpWindow folds a window of the constant size input: w(2πn/D) for n in
// [0, size), with D = size (periodic, the default) or size − 1.
func cmpWindow(w func(float64) float64) mapper {
	return func(c *converter, n *onnxpb.Node) error {
		if err := c.checkNode(n, 17, 1, 1, 1); err != nil {
			return err
		}
		size, err := c.constInts(0)
		if err != nil {
			return err
		}
		if len(size) != 1 || size[0] < 0 || size[0] > foldLimit {
			return c.inputErrorf(0, ErrInvalidModel, "size %v, want one value in [0, %d]", size, foldLimit)
		}
		periodic, err := shapeFlag(c, "periodic", 1)
		if err != nil {
			return err
		}
		d, err := cmpOutputDType(c, "output_datatype", tensor.Float32)
		if err != nil {
			return err
		}
		N := size[0]
		den := float64(N)
		if !periodic {
			den = float64(N - 1)
		}
		vals := make([]float64, N)
		for i := range vals {
			vals[i] = w(2 * math.Pi * float64(i) / den)
		}
		t, err := tensor.FromFloat64s(d, tensor.Shape{N}, vals)
		if err != nil {
			return err
		}
		c.setConst(c.out(0), t)
		return nil
	}
}

// cmpEyeLike folds a 2-D identity (diagonal k) of the input's static shape.
func cmpEyeLike(c *converter, n *onnxpb.Node) error {
	if err := elemSince(c, n, 9); err != nil {
		return err
	}
	if err := elemOneInput(c); err != nil {
		return err
	}
	x := c.typeOf(c.in(0))
	if len(x.a) != 2 || !x.static() || x.a[0]*x.a[1] > foldLimit {
		return c.inputErrorf(0, ErrUnsupported, "EyeLike of shape %v (a static 2-D shape is needed)", x.a)
	}
	d, err := cmpOutputDType(c, "dtype", x.dtype)
	if err != nil {
		return err
	}
	k, err := c.attrInt("k", 0)
	if err != nil {
		return err
	}
	rows, cols := x.a[0], x.a[1]
	vals := make([]int64, rows*cols)
	for i := range rows {
		if j := i + k; j >= 0 && j < cols {
			vals[i*cols+j] = 1
		}
	}
	t, err := tensor.FromInt64s(d, tensor.Shape{rows, cols}, vals)
	if err != nil {
		return err
	}
	c.setConst(c.out(0), t)
	return nil
}

// cmpLpNorm is x / (Σ|x|^p)^(1/p) along axis, p 1 or 2; a zero norm gives zeros.
func cmpLpNorm(c *converter, n *onnxpb.Node) error {
	if _, err := cmpUnaryIO(c); err != nil {
		return err
	}
	axis, err := c.attrInt("axis", -1)
	if err != nil {
		return err
	}
	p, err := c.attrInt("p", 2)
	if err != nil {
		return err
	}
	x := c.in(0)
	keep := ops.Attrs{"axes": []int{axis}, "keepdims": 1}
	var norm string
	switch p {
	case 1:
		a, err := cmpCall(c, "abs", nil, x)
		if err != nil {
			return err
		}
		norm, err = cmpCall(c, "reduce_sum", keep, a)
		if err != nil {
			return err
		}
	case 2:
		sq, err := cmpCall(c, "mul", nil, x, x)
		if err != nil {
			return err
		}
		s, err := cmpCall(c, "reduce_sum", keep, sq)
		if err != nil {
			return err
		}
		if norm, err = cmpCall(c, "sqrt", nil, s); err != nil {
			return err
		}
	default:
		return c.errorf(ErrInvalidModel, "attribute \"p\" is %d, want 1 or 2", p)
	}
	// A zero norm divides by 1 instead, giving zeros as ONNX's reference does.
	d := c.typeOf(x).dtype
	zero, err := cmpScalar(c, d, 0)
	if err != nil {
		return err
	}
	one, err := cmpScalar(c, d, 1)
	if err != nil {
		return err
	}
	isZero, err := cmpCall(c, "equal", nil, norm, zero)
	if err != nil {
		return err
	}
	if norm, err = cmpCall(c, "where", nil, isZero, one, norm); err != nil {
		return err
	}
	return c.emit("div", nil, []string{x, norm}, c.out(0))
}

// cmpLpPool is (Σ_window |x|^p)^(1/p): an average pool counting the padding,
// times the window size.
func cmpLpPool(c *converter, n *onnxpb.Node) error {
	d, err := cmpUnaryIO(c)
	if err != nil {
		return err
	}
	if err := nnSince(c, 18, "ceil_mode"); err != nil {
		return err
	}
	if err := nnSince(c, 19, "dilations"); err != nil {
		return err
	}
	p, err := c.attrInt("p", 2)
	if err != nil {
		return err
	}
	if p < 1 {
		return c.errorf(ErrInvalidModel, "attribute \"p\" is %d, want >= 1", p)
	}
	attrs := ops.Attrs{"count_include_pad": 1}
	if err := nnCopyAttrs(c, attrs, "kernel_shape", "strides", "pads", "dilations", "ceil_mode", "auto_pad"); err != nil {
		return err
	}
	ks, _ := attrs["kernel_shape"].([]int)
	if len(ks) == 0 {
		return c.errorf(ErrInvalidModel, "required attribute \"kernel_shape\" is missing")
	}
	window := 1
	for _, k := range ks {
		window *= k
	}
	x, err := cmpCall(c, "abs", nil, c.in(0))
	if err != nil {
		return err
	}
	pf, err := cmpScalar(c, d, float64(p))
	if err != nil {
		return err
	}
	if p != 1 {
		if x, err = cmpCall(c, "pow", nil, x, pf); err != nil {
			return err
		}
	}
	avg, err := cmpCall(c, "avg_pool", attrs, x)
	if err != nil {
		return err
	}
	w, err := cmpScalar(c, d, float64(window))
	if err != nil {
		return err
	}
	sum, err := cmpCall(c, "mul", nil, avg, w)
	if err != nil {
		return err
	}
	if p == 1 {
		return c.emit("identity", nil, []string{sum}, c.out(0))
	}
	inv, err := cmpScalar(c, d, 1/float64(p))
	if err != nil {
		return err
	}
	return c.emit("pow", nil, []string{sum, inv}, c.out(0))
}

// cmpCenterCropPad crops (centered, the extra element dropped at the end)
// or pads with zeros (the extra element added at the end) each listed
// axis to the constant target shape.
func cmpCenterCropPad(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 18, 2, 2, 1); err != nil {
		return err
	}
	target, err := c.constInts(1)
	if err != nil {
		return err
	}
	x := c.typeOf(c.in(0))
	r := len(x.a)
	axes, err := c.attrInts("axes", nil)
	if err != nil {
		return err
	}
	if axes == nil {
		for i := range r {
			axes = append(axes, i)
		}
	}
	if len(axes) != len(target) {
		return c.inputErrorf(1, ErrInvalidModel, "shape has %d values for %d axes", len(target), len(axes))
	}
	var starts, ends, sliceAxes []int
	pads := make([]int, 2*r)
	padded := false
	for k, ax := range axes {
		if ax < -r || ax >= r {
			return c.errorf(ErrInvalidModel, "axis %d out of range for rank %d", ax, r)
		}
		if ax < 0 {
			ax += r
		}
		if x.dynamic(ax) {
			return c.inputErrorf(0, ErrUnsupported, "CenterCropPad of symbolic axis %d", ax)
		}
		in, out := x.a[ax], target[k]
		if out < 0 {
			return c.inputErrorf(1, ErrInvalidModel, "target size %d", out)
		}
		switch {
		case out < in:
			s := (in - out) / 2
			starts, ends, sliceAxes = append(starts, s), append(ends, s+out), append(sliceAxes, ax)
		case out > in:
			pads[ax] = (out - in) / 2
			pads[r+ax] = out - in - pads[ax]
			padded = true
		}
	}
	v := c.in(0)
	if len(sliceAxes) > 0 {
		if v, err = cmpCall(c, "slice", ops.Attrs{"starts": starts, "ends": ends, "axes": sliceAxes}, v); err != nil {
			return err
		}
	}
	if padded {
		return c.emit("pad", ops.Attrs{"pads": pads}, []string{v}, c.out(0))
	}
	return c.emit("identity", nil, []string{v}, c.out(0))
}
