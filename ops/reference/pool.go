package reference

import (
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

func init() {
	register("max_pool", poolWindowKernel(false))
	register("avg_pool", poolWindowKernel(true))
	register("global_avg_pool", poolGlobalKernel(true))
	register("global_max_pool", poolGlobalKernel(false))
}

// poolTaps lists, for one spatial dim and each output position along it, the
// input positions its window reads (taps inside the input) and how many of
// its taps fall inside the padded input (the count_include_pad divisor).
type poolTaps struct {
	in     [][]int
	padded []int
}

func poolDimTaps(d, kernel, stride, dilation, padBegin, padEnd, out int) poolTaps {
	t := poolTaps{in: make([][]int, out), padded: make([]int, out)}
	for o := range out {
		start := o*stride - padBegin
		// Taps j in [0, kernel) sit at start + j·dilation; count the ones in
		// [lo, hi) arithmetically rather than visiting every tap, since a
		// hostile kernel_shape can be huge while the output stays tiny.
		first, last := poolTapRange(start, dilation, kernel, 0, d)
		for j := first; j < last; j++ {
			t.in[o] = append(t.in[o], start+j*dilation)
		}
		pf, pl := poolTapRange(start, dilation, kernel, -padBegin, d+padEnd)
		t.padded[o] = pl - pf
	}
	return t
}

// poolTapRange returns the taps [first, last) of a window starting at start
// with the given dilation and kernel size whose positions lie in [lo, hi).
func poolTapRange(start, dilation, kernel, lo, hi int) (first, last int) {
	first = 0
	if start < lo {
		first = (lo - start + dilation - 1) / dilation
	}
	last = kernel
	if hi <= start {
		return first, first
	}
	if n := (hi-start-1)/dilation + 1; n < last {
		last = n
	}
	if last < first {
		last = first
	}
	return first, last
}

// poolWindowKernel computes max_pool or avg_pool. Windows are the cartesian
// product of the per-dim tap lists, walked with an odometer; sums are float64.
func poolWindowKernel(avg bool) kernel {
	return func(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
		x := in[0]
		shape := x.Shape()
		g, err := ops.ResolvePool(shape, a, avg)
		if err != nil {
			return nil, err
		}
		k := len(shape) - 2
		taps := make([]poolTaps, k)
		for i := range k {
			taps[i] = poolDimTaps(shape[2+i], g.Kernel[i], g.Strides[i], g.Dilations[i], g.Pads[i], g.Pads[k+i], g.Out[i])
		}
		inStrides := shape.Strides()[2:]
		inPlane := 1
		outPlane := 1
		for i := range k {
			inPlane *= shape[2+i]
			outPlane *= g.Out[i]
		}
		src := x.Float64s()
		dst := make([]float64, out[0].Shape.NumElements())
		empty := math.Inf(-1)
		if !avg && !x.DType().IsFloat() {
			lo, _ := tensor.IntRange(x.DType())
			empty = float64(lo)
		}
		oIdx := make([]int, k) // output position within the plane
		tIdx := make([]int, k) // tap index per dim within the current window
		planes := shape[0] * shape[1]
		for p := range planes {
			plane := src[p*inPlane : (p+1)*inPlane]
			for o := range outPlane {
				poolUnravel(o, g.Out, oIdx)
				count, padded := 1, 1
				for i := range k {
					count *= len(taps[i].in[oIdx[i]])
					padded *= taps[i].padded[oIdx[i]]
				}
				acc := 0.0
				if !avg {
					acc = empty
				}
				for w := range count {
					poolUnravelTaps(w, taps, oIdx, tIdx)
					off := 0
					for i := range k {
						off += taps[i].in[oIdx[i]][tIdx[i]] * inStrides[i]
					}
					if avg {
						acc += plane[off]
					} else {
						acc = poolMax(acc, plane[off])
					}
				}
				if avg {
					div := count
					if g.CountIncludePad {
						div = padded
					}
					acc /= float64(div) // 0/0 is NaN: a window with nothing to count
				}
				dst[p*outPlane+o] = acc
			}
		}
		return single(tensor.FromFloat64s(out[0].DType, out[0].Shape, dst))
	}
}

// poolUnravel writes the multi-index of flat position o in dims into idx.
func poolUnravel(o int, dims, idx []int) {
	for i := len(dims) - 1; i >= 0; i-- {
		idx[i] = o % dims[i]
		o /= dims[i]
	}
}

// poolUnravelTaps writes the tap multi-index of flat window position w.
func poolUnravelTaps(w int, taps []poolTaps, oIdx, tIdx []int) {
	for i := len(taps) - 1; i >= 0; i-- {
		n := len(taps[i].in[oIdx[i]])
		tIdx[i] = w % n
		w /= n
	}
}

// poolMax is max that propagates NaN, as PyTorch's pooling does.
func poolMax(acc, v float64) float64 {
	if v > acc || math.IsNaN(v) || math.IsNaN(acc) {
		if math.IsNaN(acc) {
			return acc
		}
		return v
	}
	return acc
}

// poolGlobalKernel reduces every spatial dim of each (n, c) plane.
func poolGlobalKernel(avg bool) kernel {
	return func(_ ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
		x := in[0]
		shape := x.Shape()
		planes := shape[0] * shape[1]
		inPlane := 1
		for _, d := range shape[2:] {
			inPlane *= d
		}
		src := x.Float64s()
		dst := make([]float64, planes)
		for p := range planes {
			acc := 0.0
			if !avg {
				acc = math.Inf(-1)
			}
			for _, v := range src[p*inPlane : (p+1)*inPlane] {
				if avg {
					acc += v
				} else {
					acc = poolMax(acc, v)
				}
			}
			if avg {
				acc /= float64(inPlane)
			}
			dst[p] = acc
		}
		return single(tensor.FromFloat64s(out[0].DType, out[0].Shape, dst))
	}
}
