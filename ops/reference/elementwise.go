package reference

import (
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Elementwise kernels, part 1: the broadcasting loop every multi-input
// elementwise kernel shares, and the unary kernels. Float dtypes are computed
// in float64 and rounded once on output; integer dtypes in int64, narrowed
// (wrapping) on output.

// ewBroadcast visits every element of an output of shape out in row-major
// order, calling visit with the output's flat index and, in idx, the flat
// index of the matching element of each input. Each input shape must
// broadcast to out numpy-style (ops.Infer guarantees it). idx is reused
// between calls; visit must not keep or modify it.
func ewBroadcast(out tensor.Shape, ins []tensor.Shape, visit func(o int, idx []int)) {
	n := out.NumElements()
	if n == 0 {
		return
	}
	rank := len(out)
	// steps[k][d] is how far input k's flat index moves when output dim d
	// advances by one: its row-major stride, or 0 where input k broadcasts
	// (a size-1 or missing leading dimension).
	steps := make([][]int, len(ins))
	for k, s := range ins {
		st := s.Strides()
		steps[k] = make([]int, rank)
		off := rank - len(s)
		for d := range s {
			if s[d] != 1 {
				steps[k][off+d] = st[d]
			}
		}
	}
	idx := make([]int, len(ins))
	pos := make([]int, rank) // the output multi-index, as an odometer
	for o := range n {
		visit(o, idx)
		for d := rank - 1; d >= 0; d-- {
			pos[d]++
			for k := range idx {
				idx[k] += steps[k][d]
			}
			if pos[d] < out[d] {
				break
			}
			// dimension d wrapped: rewind it and carry into d-1
			for k := range idx {
				idx[k] -= steps[k][d] * out[d]
			}
			pos[d] = 0
		}
	}
}

// ewUnaryFloat makes a kernel applying the function mk builds from the
// attributes to every element, in float64. Float tensors are widened in
// chunks of unaryChunk elements, so the scratch is bounded whatever the size.
func ewUnaryFloat(mk func(a ops.Attrs) func(float64) float64) kernel {
	return func(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
		f := mk(a)
		if in[0].DType().IsFloat() && out[0].DType.IsFloat() {
			return single(unaryChunked(in[0], out[0], f))
		}
		v := in[0].Float64s()
		for i, x := range v {
			v[i] = f(x)
		}
		return single(tensor.FromFloat64s(out[0].DType, out[0].Shape, v))
	}
}

// ewUnaryNumeric makes a kernel applying f to float dtypes (in float64) and
// g to integer dtypes (in int64).
func ewUnaryNumeric(f func(float64) float64, g func(int64) int64) kernel {
	floatKernel := ewUnaryFloat(ewFixed(f))
	return func(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
		if in[0].DType().IsFloat() {
			return floatKernel(a, in, out)
		}
		v := in[0].Int64s()
		for i, x := range v {
			v[i] = g(x)
		}
		return single(tensor.FromInt64s(out[0].DType, out[0].Shape, v))
	}
}

// ewFixed adapts an attribute-free function to ewUnaryFloat.
func ewFixed(f func(float64) float64) func(ops.Attrs) func(float64) float64 {
	return func(ops.Attrs) func(float64) float64 { return f }
}

// ewSigmoid is 1/(1+e^-x) arranged so the exponential never overflows.
func ewSigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// ewSoftplus is log(1+e^x) as max(x,0)+log1p(e^-|x|): exact for large |x|
// where the naive form overflows (x ≫ 0) or rounds to 0 (x ≪ 0).
func ewSoftplus(x float64) float64 {
	return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

func ewGelu(a ops.Attrs) func(float64) float64 {
	if a.String("approximate", ops.GeluApproximateNone) == ops.GeluApproximateTanh {
		c := math.Sqrt(2 / math.Pi)
		return func(x float64) float64 { return 0.5 * x * (1 + math.Tanh(c*(x+0.044715*x*x*x))) }
	}
	return func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }
}

func ewElu(a ops.Attrs) func(float64) float64 {
	alpha := a.Float("alpha", ops.EluDefaultAlpha)
	return func(x float64) float64 {
		if x < 0 {
			return alpha * math.Expm1(x)
		}
		return x
	}
}

func ewSelu(a ops.Attrs) func(float64) float64 {
	alpha := a.Float("alpha", ops.SeluDefaultAlpha)
	gamma := a.Float("gamma", ops.SeluDefaultGamma)
	return func(x float64) float64 {
		if x > 0 {
			return gamma * x
		}
		return gamma * alpha * math.Expm1(x)
	}
}

func ewLeakyRelu(a ops.Attrs) func(float64) float64 {
	alpha := a.Float("alpha", ops.LeakyReluDefaultAlpha)
	return func(x float64) float64 {
		if x < 0 {
			return alpha * x
		}
		return x
	}
}

func ewHardSigmoid(a ops.Attrs) func(float64) float64 {
	alpha := a.Float("alpha", ops.HardSigmoidDefaultAlpha)
	beta := a.Float("beta", ops.HardSigmoidDefaultBeta)
	return func(x float64) float64 { return math.Max(0, math.Min(1, alpha*x+beta)) }
}

// ewRelu is max(0, x) with NaN kept (x < 0 is false for NaN).
func ewRelu(x float64) float64 {
	if x < 0 {
		return 0
	}
	return x
}

// ewSign is −1, 0 or 1, and NaN for NaN.
func ewSign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	case x == 0:
		return 0
	}
	return x // NaN
}

func ewSignInt(x int64) int64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

func ewAbsInt(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func ewKernelNot(_ ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	t, err := tensor.New(tensor.Bool, out[0].Shape...)
	if err != nil {
		return nil, err
	}
	dst, src := tensor.MustView[bool](t), tensor.MustView[bool](in[0])
	for i, x := range src {
		dst[i] = !x
	}
	return []*tensor.Tensor{t}, nil
}

func init() {
	for name, mk := range map[string]func(ops.Attrs) func(float64) float64{
		"exp":          ewFixed(math.Exp),
		"log":          ewFixed(math.Log),
		"sqrt":         ewFixed(math.Sqrt),
		"reciprocal":   ewFixed(func(x float64) float64 { return 1 / x }),
		"sigmoid":      ewFixed(ewSigmoid),
		"tanh":         ewFixed(math.Tanh),
		"erf":          ewFixed(math.Erf),
		"softplus":     ewFixed(ewSoftplus),
		"softsign":     ewFixed(func(x float64) float64 { return x / (1 + math.Abs(x)) }),
		"floor":        ewFixed(math.Floor),
		"ceil":         ewFixed(math.Ceil),
		"gelu":         ewGelu,
		"elu":          ewElu,
		"selu":         ewSelu,
		"leaky_relu":   ewLeakyRelu,
		"hard_sigmoid": ewHardSigmoid,
	} {
		register(name, ewUnaryFloat(mk))
		chunkedFloat[name] = true
	}
	register("neg", ewUnaryNumeric(func(x float64) float64 { return -x }, func(x int64) int64 { return -x }))
	register("abs", ewUnaryNumeric(math.Abs, ewAbsInt))
	register("relu", ewUnaryNumeric(ewRelu, func(x int64) int64 { return max(x, 0) }))
	register("sign", ewUnaryNumeric(ewSign, ewSignInt))
	for _, name := range []string{"neg", "abs", "relu", "sign"} {
		chunkedFloat[name] = true
	}
	register("not", ewKernelNot)
}

// unaryChunk is how many elements the chunked unary kernels widen at once
// (512 KiB of float64).
const unaryChunk = 1 << 16

// unaryChunked applies f to every element of the float tensor x, widening
// and rounding back one chunk at a time.
func unaryChunked(x *tensor.Tensor, out ops.Type, f func(float64) float64) (*tensor.Tensor, error) {
	y, err := tensor.New(out.DType, out.Shape...)
	if err != nil {
		return nil, err
	}
	n := x.NumElements()
	buf := make([]float64, min(n, unaryChunk))
	for off := 0; off < n; off += len(buf) {
		chunk := buf[:min(len(buf), n-off)]
		x.ReadFloat64s(chunk, off)
		for i, v := range chunk {
			chunk[i] = f(v)
		}
		y.WriteFloat64s(off, chunk)
	}
	return y, nil
}

// binaryChunkable reports whether a binary float op can run in chunks: a
// float output, float inputs each either of the output's shape or a single
// element (no other broadcasting).
func binaryChunkable(out ops.Type, a, b *tensor.Tensor) bool {
	if !out.DType.IsFloat() {
		return false
	}
	for _, t := range []*tensor.Tensor{a, b} {
		if !t.DType().IsFloat() || (t.NumElements() != 1 && !t.Shape().Equal(out.Shape)) {
			return false
		}
	}
	return true
}

// binaryChunked applies f to a and b (see binaryChunkable), widening and
// rounding back one chunk at a time, so the scratch is three chunks whatever
// the size.
func binaryChunked(out ops.Type, a, b *tensor.Tensor, f func(x, y float64) float64) (*tensor.Tensor, error) {
	y, err := tensor.New(out.DType, out.Shape...)
	if err != nil {
		return nil, err
	}
	n := y.NumElements()
	size := min(n, unaryChunk)
	res, av, bv := make([]float64, size), make([]float64, size), make([]float64, size)
	var as, bs float64 // the values of single-element operands
	aOne, bOne := a.NumElements() == 1 && n != 1, b.NumElements() == 1 && n != 1
	if aOne {
		a.ReadFloat64s(av[:1], 0)
		as = av[0]
	}
	if bOne {
		b.ReadFloat64s(bv[:1], 0)
		bs = bv[0]
	}
	for off := 0; off < n; off += size {
		k := min(size, n-off)
		if !aOne {
			a.ReadFloat64s(av[:k], off)
		}
		if !bOne {
			b.ReadFloat64s(bv[:k], off)
		}
		for i := range k {
			x, z := as, bs
			if !aOne {
				x = av[i]
			}
			if !bOne {
				z = bv[i]
			}
			res[i] = f(x, z)
		}
		y.WriteFloat64s(off, res[:k])
	}
	return y, nil
}
