package reference

import (
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

func init() {
	register("conv", convKernel)
	register("conv_transpose", convTransposeKernel)
}

// Both kernels walk the weights one kernel tap at a time: for a fixed tap the
// input position is an affine function of the output position
// (in = out·stride + tapOffset for conv), so one tap contributes
// weight·x[...] along whole rows, and the innermost loop runs over a
// contiguous row of the output (conv) or of the input (conv_transpose) with
// the valid range worked out once per row instead of a bounds test per
// element. Everything accumulates in float64 and is rounded once at the end.

// convShapes holds the sizes a kernel needs, taken from the input tensors and
// the resolved geometry.
type convShapes struct {
	n, c, m    int   // batch, input channels, output channels
	cg, mg     int   // channels per group: input, output
	in, out    []int // spatial dims
	kernel     []int
	inSize     int // elements in one spatial plane of x
	outSize    int // ... of the output
	kSize      int // taps in one kernel
	inStrides  []int
	outStrides []int
	// tapOff[t*k+i] is the offset of tap t along spatial dim i:
	// kernelIndex·dilation − padBegin.
	tapOff []int
}

func convShapesOf(x tensor.Shape, m int, g ops.ConvGeometry) convShapes {
	k := len(g.Kernel)
	s := convShapes{
		n: x[0], c: x[1], m: m, cg: x[1] / g.Group, mg: m / g.Group,
		in: x[2:], out: g.Out, kernel: g.Kernel,
		inSize: tensor.Shape(x[2:]).NumElements(), outSize: tensor.Shape(g.Out).NumElements(),
		kSize:     tensor.Shape(g.Kernel).NumElements(),
		inStrides: tensor.Shape(x[2:]).Strides(), outStrides: tensor.Shape(g.Out).Strides(),
	}
	s.tapOff = make([]int, s.kSize*k)
	pos := make([]int, k) // multi-index of the tap, last dim fastest
	for t := range s.kSize {
		for i := range k {
			s.tapOff[t*k+i] = pos[i]*g.Dilations[i] - g.Pads[i]
		}
		for i := k - 1; i >= 0; i-- {
			pos[i]++
			if pos[i] < g.Kernel[i] {
				break
			}
			pos[i] = 0
		}
	}
	return s
}

// convBiasInit returns the float64 output buffer of n×m planes of size
// plane, each filled with its channel's bias (zeros without a bias).
func convBiasInit(b *tensor.Tensor, n, m, plane int) []float64 {
	res := make([]float64, n*m*plane)
	if b == nil {
		return res
	}
	bias := b.Float64s()
	for i := range n * m {
		row := res[i*plane : (i+1)*plane]
		for j := range row {
			row[j] = bias[i%m]
		}
	}
	return res
}

func convKernel(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	x, w := in[0], in[1]
	g, err := ops.ResolveConv(x.Shape(), w.Shape(), a)
	if err != nil {
		return nil, err
	}
	s := convShapesOf(x.Shape(), w.Shape()[0], g)
	var b *tensor.Tensor
	if len(in) > 2 {
		b = in[2]
	}
	res := convBiasInit(b, s.n, s.m, s.outSize)
	xs, ws := x.Float64s(), w.Float64s()
	t := newConvTapper(len(s.kernel), g.Strides)
	for n := range s.n {
		for m := range s.m {
			dst := res[(n*s.m+m)*s.outSize : (n*s.m+m+1)*s.outSize]
			grp := m / s.mg
			for c := range s.cg {
				ic := grp*s.cg + c
				src := xs[(n*s.c+ic)*s.inSize : (n*s.c+ic+1)*s.inSize]
				wk := ws[(m*s.cg+c)*s.kSize : (m*s.cg+c+1)*s.kSize]
				for tap, wv := range wk {
					off := s.tapOff[tap*len(s.kernel) : (tap+1)*len(s.kernel)]
					// output positions iterate; the input position is out·stride + off
					t.run(dst, src, wv, s.out, s.outStrides, s.in, s.inStrides, off, false)
				}
			}
		}
	}
	return single(tensor.FromFloat64s(out[0].DType, out[0].Shape, res))
}

func convTransposeKernel(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	x, w := in[0], in[1]
	g, err := ops.ResolveConvTranspose(x.Shape(), w.Shape(), a)
	if err != nil {
		return nil, err
	}
	s := convShapesOf(x.Shape(), w.Shape()[1]*g.Group, g)
	var b *tensor.Tensor
	if len(in) > 2 {
		b = in[2]
	}
	res := convBiasInit(b, s.n, s.m, s.outSize)
	xs, ws := x.Float64s(), w.Float64s()
	t := newConvTapper(len(s.kernel), g.Strides)
	for n := range s.n {
		for ic := range s.c {
			src := xs[(n*s.c+ic)*s.inSize : (n*s.c+ic+1)*s.inSize]
			grp := ic / s.cg
			for m := range s.mg {
				om := grp*s.mg + m
				dst := res[(n*s.m+om)*s.outSize : (n*s.m+om+1)*s.outSize]
				wk := ws[(ic*s.mg+m)*s.kSize : (ic*s.mg+m+1)*s.kSize]
				for tap, wv := range wk {
					off := s.tapOff[tap*len(s.kernel) : (tap+1)*len(s.kernel)]
					// input positions iterate; the output position is in·stride + off
					t.run(dst, src, wv, s.in, s.inStrides, s.out, s.outStrides, off, true)
				}
			}
		}
	}
	return single(tensor.FromFloat64s(out[0].DType, out[0].Shape, res))
}

// convTapper applies one kernel tap to one (input plane, output plane) pair.
// Its slices are scratch space reused across calls, so the hot path does
// not allocate.
type convTapper struct {
	strides     []int
	lo, hi, idx []int
}

func newConvTapper(k int, strides []int) *convTapper {
	return &convTapper{strides: strides, lo: make([]int, k), hi: make([]int, k), idx: make([]int, k)}
}

// run visits every position p of the iterated space (dims iterDims, strides
// iterStr) whose image q = p·stride + off lies inside the mapped space (dims
// mapDims, strides mapStr). Without transposed it adds wv·src[q] to dst[p]
// (conv: iterate the output, read the input); with transposed it adds
// wv·src[p] to dst[q] (conv_transpose: iterate the input, scatter into the
// output).
func (t *convTapper) run(dst, src []float64, wv float64, iterDims, iterStr, mapDims, mapStr, off []int, transposed bool) {
	k := len(iterDims)
	for i := range k {
		// p·s + off ∈ [0, mapDims[i]) ⇔ p ∈ [ceil(−off/s), floor((mapDims[i]−1−off)/s)]
		s := t.strides[i]
		t.lo[i] = max(0, convCeilDiv(-off[i], s))
		t.hi[i] = min(iterDims[i]-1, convFloorDiv(mapDims[i]-1-off[i], s))
		if t.lo[i] > t.hi[i] {
			return // this tap never lands inside
		}
		t.idx[i] = t.lo[i]
	}
	last := k - 1
	sLast := t.strides[last]
	count := t.hi[last] - t.lo[last] + 1
	for {
		// the start of the row at the current outer index
		pOff, qOff := t.lo[last], t.lo[last]*sLast+off[last]
		for i := range last {
			pOff += t.idx[i] * iterStr[i]
			qOff += (t.idx[i]*t.strides[i] + off[i]) * mapStr[i]
		}
		switch {
		case sLast == 1: // both rows contiguous: the common stride-1 case
			dOff, sOff := pOff, qOff
			if transposed {
				dOff, sOff = qOff, pOff
			}
			sr := src[sOff : sOff+count]
			d := dst[dOff : dOff+len(sr)] // same length: no bounds checks below
			for j, v := range sr {
				d[j] += wv * v
			}
		case transposed:
			row := src[pOff : pOff+count]
			for j, v := range row {
				dst[qOff+j*sLast] += wv * v
			}
		default:
			row := dst[pOff : pOff+count]
			for j := range row {
				row[j] += wv * src[qOff+j*sLast]
			}
		}
		// advance the outer multi-index over its valid ranges, last outer dim fastest
		i := last - 1
		for ; i >= 0; i-- {
			t.idx[i]++
			if t.idx[i] <= t.hi[i] {
				break
			}
			t.idx[i] = t.lo[i]
		}
		if i < 0 {
			return
		}
	}
}

// convFloorDiv is floor(a/b) for b > 0.
func convFloorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// convCeilDiv is ceil(a/b) for b > 0.
func convCeilDiv(a, b int) int { return -convFloorDiv(-a, b) }
