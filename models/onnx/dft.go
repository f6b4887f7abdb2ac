package onnx

import (
	"math"

	"github.com/backplane-ml/backplane/models/onnx/onnxpb"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// DFT (opsets 17 to 20) composed of catalog ops: the signal axis, padded
// with zeros or cut to dft_length, is moved last and multiplied by constant
// cosine and sine matrices; forward X[k] = Σ x[n]·e^(−2πi·kn/L), inverse
// x[n] = (1/L)·Σ X[k]·e^(2πi·kn/L), onesided keeping k <= L/2. The inverse
// of a onesided spectrum (IRFFT) is in dft_irfft.go.

func init() { register("DFT", dftMap) }

func dftMap(c *converter, n *onnxpb.Node) error {
	if err := c.checkNode(n, 17, 1, 3, 1); err != nil {
		return err
	}
	x := c.typeOf(c.in(0))
	r := len(x.a)
	if r < 2 || (x.a[r-1] != 1 && x.a[r-1] != 2) {
		return c.inputErrorf(0, ErrInvalidModel, "shape %v, want [..., signal, 1 or 2]", x.a)
	}
	axis := 1
	if c.opset >= 20 {
		axis = -2
		if c.in(2) != "" {
			v, err := c.constInts(2)
			if err != nil {
				return err
			}
			if len(v) != 1 {
				return c.inputErrorf(2, ErrInvalidModel, "axis has %d values, want 1", len(v))
			}
			axis = v[0]
		}
	} else {
		v, err := c.attrInt("axis", 1)
		if err != nil {
			return err
		}
		axis = v
	}
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r-1 {
		return c.errorf(ErrInvalidModel, "axis %d is not a signal axis of rank %d", axis, r)
	}
	inverse, err := shapeFlag(c, "inverse", 0)
	if err != nil {
		return err
	}
	onesided, err := shapeFlag(c, "onesided", 0)
	if err != nil {
		return err
	}
	if x.dynamic(axis) {
		return c.inputErrorf(0, ErrUnsupported, "DFT along a symbolic axis")
	}
	length := x.a[axis]
	if inverse && onesided {
		if x.a[r-1] != 2 {
			return c.inputErrorf(0, ErrInvalidModel, "shape %v: the inverse of a onesided spectrum (IRFFT) takes complex input", x.a)
		}
		length = 2 * (x.a[axis] - 1) // the default: the full signal of that spectrum
	}
	if c.in(1) != "" {
		v, err := c.constInts(1)
		if err != nil {
			return err
		}
		if len(v) != 1 || v[0] < 1 {
			return c.inputErrorf(1, ErrInvalidModel, "dft_length %v, want one value >= 1", v)
		}
		length = v[0]
	}
	if inverse && onesided {
		if length < 1 {
			return c.inputErrorf(0, ErrInvalidModel, "a onesided spectrum of %d bins gives no signal; give dft_length", x.a[axis])
		}
		return irfftEmit(c, c.in(0), axis, length, c.out(0))
	}
	return dftEmit(c, c.in(0), axis, length, inverse, onesided, c.out(0))
}

// dftEmit writes the DFT of src ([..., signal, 1 or 2]) along axis, over
// length points (src's axis cut or zero-padded to it), into dst.
func dftEmit(c *converter, src string, axis, length int, inverse, onesided bool, dst string) error {
	x := c.typeOf(src)
	r := len(x.a)
	out := length
	if onesided {
		out = length/2 + 1
	}
	if length*out > foldLimit {
		return c.errorf(ErrUnsupported, "DFT of length %d needs a %d-entry matrix", length, length*out)
	}
	d := x.dtype
	call := func(op string, attrs ops.Attrs, in ...string) (string, error) { return cmpCall(c, op, attrs, in...) }
	// real and imaginary parts without the last axis
	keepDims := make([]int, r-1)
	part := func(k int) (string, error) {
		s, err := call("slice", ops.Attrs{"starts": []int{k}, "ends": []int{k + 1}, "axes": []int{r - 1}}, src)
		if err != nil {
			return "", err
		}
		return call("reshape", ops.Attrs{"shape": keepDims}, s)
	}
	re, err := part(0)
	if err != nil {
		return err
	}
	im := ""
	if x.a[r-1] == 2 {
		if im, err = part(1); err != nil {
			return err
		}
	}
	perm := make([]int, 0, r-1)
	for i := range r - 1 {
		if i != axis {
			perm = append(perm, i)
		}
	}
	perm = append(perm, axis)
	back := make([]int, r-1)
	for i, p := range perm {
		back[p] = i
	}
	prep := func(v string) (string, error) {
		if v == "" {
			return "", nil
		}
		switch n := x.a[axis]; {
		case length < n:
			var err error
			if v, err = call("slice", ops.Attrs{"starts": []int{0}, "ends": []int{length}, "axes": []int{axis}}, v); err != nil {
				return "", err
			}
		case length > n:
			pads := make([]int, 2*(r-1))
			pads[r-1+axis] = length - n
			var err error
			if v, err = call("pad", ops.Attrs{"pads": pads}, v); err != nil {
				return "", err
			}
		}
		return call("transpose", ops.Attrs{"perm": perm}, v)
	}
	if re, err = prep(re); err != nil {
		return err
	}
	if im, err = prep(im); err != nil {
		return err
	}
	cosM, sinM := make([]float64, length*out), make([]float64, length*out)
	for j := range length {
		for k := range out {
			th := 2 * math.Pi * float64((j*k)%length) / float64(length)
			cosM[j*out+k], sinM[j*out+k] = math.Cos(th), math.Sin(th)
		}
	}
	mat := func(v []float64) (string, error) {
		t, err := tensor.FromFloat64s(d, tensor.Shape{length, out}, v)
		if err != nil {
			return "", err
		}
		return c.addConst(t), nil
	}
	cm, err := mat(cosM)
	if err != nil {
		return err
	}
	sm, err := mat(sinM)
	if err != nil {
		return err
	}
	mm := func(a, b string) (string, error) { return call("matmul", nil, a, b) }
	reC, err := mm(re, cm)
	if err != nil {
		return err
	}
	reS, err := mm(re, sm)
	if err != nil {
		return err
	}
	outRe, outIm := reC, ""
	if outIm, err = call("neg", nil, reS); err != nil {
		return err
	}
	if inverse {
		outIm = reS
	}
	if im != "" {
		imC, err := mm(im, cm)
		if err != nil {
			return err
		}
		imS, err := mm(im, sm)
		if err != nil {
			return err
		}
		if inverse { // (re·cos − im·sin) + i(im·cos + re·sin)
			if outRe, err = call("sub", nil, reC, imS); err != nil {
				return err
			}
			if outIm, err = call("add", nil, imC, reS); err != nil {
				return err
			}
		} else { // (re·cos + im·sin) + i(im·cos − re·sin)
			if outRe, err = call("add", nil, reC, imS); err != nil {
				return err
			}
			if outIm, err = call("sub", nil, imC, reS); err != nil {
				return err
			}
		}
	}
	parts := []string{outRe, outIm}
	for i, p := range parts {
		if inverse {
			s, err := cmpScalar(c, d, 1/float64(length))
			if err != nil {
				return err
			}
			if p, err = call("mul", nil, p, s); err != nil {
				return err
			}
		}
		if p, err = call("transpose", ops.Attrs{"perm": back}, p); err != nil {
			return err
		}
		if parts[i], err = call("reshape", ops.Attrs{"shape": append(make([]int, r-1), 1)}, p); err != nil {
			return err
		}
	}
	return c.emit("concat", ops.Attrs{"axis": r - 1}, parts, dst)
}
