package onnx

import (
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// irfftEmit writes the inverse DFT of a onesided spectrum (DFT with inverse
// and onesided: IRFFT) into dst: src is [..., bins, 2] along axis, cut or
// zero-padded to the L/2+1 bins a real signal of length L has, and the
// output is that real signal, [..., L, 1]. The missing bins are the
// conjugates of the kept ones (X[L−k] = X[k]*), so
//
//	x[n] = (1/L)·Σ_{k=0}^{L/2} w_k·(Re X[k]·cos(2πkn/L) − Im X[k]·sin(2πkn/L))
//
// with w_k = 2 for the bins that stand for a conjugate pair and 1 for k = 0
// and, when L is even, k = L/2 (their imaginary parts drop out, as in
// numpy's irfft). Two matmuls with constant matrices.
func irfftEmit(c *converter, src string, axis, length int, dst string) error {
	x := c.typeOf(src)
	r := len(x.a)
	bins := length/2 + 1
	if bins*length > foldLimit {
		return c.errorf(ErrUnsupported, "IRFFT of length %d needs a %d-entry matrix", length, bins*length)
	}
	call := func(op string, attrs ops.Attrs, in ...string) (string, error) { return cmpCall(c, op, attrs, in...) }
	keepDims := make([]int, r-1)
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
	part := func(k int) (string, error) {
		v, err := call("slice", ops.Attrs{"starts": []int{k}, "ends": []int{k + 1}, "axes": []int{r - 1}}, src)
		if err != nil {
			return "", err
		}
		if v, err = call("reshape", ops.Attrs{"shape": keepDims}, v); err != nil {
			return "", err
		}
		switch n := x.a[axis]; {
		case bins < n:
			if v, err = call("slice", ops.Attrs{"starts": []int{0}, "ends": []int{bins}, "axes": []int{axis}}, v); err != nil {
				return "", err
			}
		case bins > n:
			pads := make([]int, 2*(r-1))
			pads[r-1+axis] = bins - n
			if v, err = call("pad", ops.Attrs{"pads": pads}, v); err != nil {
				return "", err
			}
		}
		return call("transpose", ops.Attrs{"perm": perm}, v)
	}
	re, err := part(0)
	if err != nil {
		return err
	}
	im, err := part(1)
	if err != nil {
		return err
	}
	cosM, sinM := make([]float64, bins*length), make([]float64, bins*length)
	for k := range bins {
		w := 2.0
		if k == 0 || 2*k == length {
			w = 1
		}
		for n := range length {
			th := 2 * math.Pi * float64((k*n)%length) / float64(length)
			cosM[k*length+n] = w * math.Cos(th) / float64(length)
			sinM[k*length+n] = w * math.Sin(th) / float64(length)
		}
	}
	mat := func(v []float64) (string, error) {
		t, err := tensor.FromFloat64s(x.dtype, tensor.Shape{bins, length}, v)
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
	rc, err := call("matmul", nil, re, cm)
	if err != nil {
		return err
	}
	is, err := call("matmul", nil, im, sm)
	if err != nil {
		return err
	}
	y, err := call("sub", nil, rc, is)
	if err != nil {
		return err
	}
	if y, err = call("transpose", ops.Attrs{"perm": back}, y); err != nil {
		return err
	}
	return c.emit("reshape", ops.Attrs{"shape": append(make([]int, r-1), 1)}, []string{y}, dst) // 0 keeps a dim
}
