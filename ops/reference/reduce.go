package reference

import (
	"math"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Kernels for the reductions: reduce_sum, reduce_prod, reduce_max,
// reduce_min, reduce_mean, argmax and argmin.

// reduceKind says which reduction a reduce_* kernel performs.
type reduceKind int

const (
	reduceSum reduceKind = iota
	reduceProd
	reduceMax
	reduceMin
	reduceMean
)

func init() {
	register("reduce_sum", reduceKernel(reduceSum))
	register("reduce_prod", reduceKernel(reduceProd))
	register("reduce_max", reduceKernel(reduceMax))
	register("reduce_min", reduceKernel(reduceMin))
	register("reduce_mean", reduceKernel(reduceMean))
	register("argmax", argKernel(true))
	register("argmin", argKernel(false))
}

// reduceOutStrides returns, per dimension of x, how far the flat output index
// moves when that coordinate of x grows by one: the row-major stride of the
// keepdims output shape, and 0 along reduced axes, where every element lands
// in the same output slot. The keepdims=0 output has the same element order.
func reduceOutStrides(x tensor.Shape, axes []int) []int {
	kept := x.Clone()
	for _, ax := range axes {
		kept[ax] = 1
	}
	st := kept.Strides()
	for _, ax := range axes {
		st[ax] = 0
	}
	return st
}

// reduceWalk calls f(i, o) for every flat index i of shape, in order, with o
// the flat output index that element reduces into (see reduceOutStrides). It
// keeps a running multi-index instead of dividing, so the cost per element is
// a few additions.
func reduceWalk(shape tensor.Shape, outStrides []int, f func(i, o int)) {
	n := shape.NumElements()
	if n == 0 {
		return
	}
	idx := make([]int, len(shape))
	o := 0
	for i := range n {
		f(i, o)
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d]++
			o += outStrides[d]
			if idx[d] < shape[d] {
				break
			}
			o -= outStrides[d] * shape[d]
			idx[d] = 0
		}
	}
}

func reduceKernel(kind reduceKind) kernel {
	return func(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
		x := in[0]
		axes, err := ops.ReduceAxes(a, x.Rank())
		if err != nil {
			return nil, err
		}
		st := reduceOutStrides(x.Shape(), axes)
		n := out[0].Shape.NumElements()
		if x.DType().IsInt() {
			return reduceInts(kind, x, st, n, out[0])
		}
		acc := make([]float64, n)
		vals := x.Float64s()
		switch kind {
		case reduceSum, reduceMean:
			reduceWalk(x.Shape(), st, func(i, o int) { acc[o] += vals[i] })
		case reduceProd:
			reduceFill(acc, 1)
			reduceWalk(x.Shape(), st, func(i, o int) { acc[o] *= vals[i] })
		case reduceMax:
			reduceFill(acc, math.Inf(-1))
			// v != v: a NaN replaces the accumulator, and nothing replaces a NaN
			// (every comparison with it is false), so NaN propagates.
			reduceWalk(x.Shape(), st, func(i, o int) {
				if v := vals[i]; v > acc[o] || v != v {
					acc[o] = v
				}
			})
		case reduceMin:
			reduceFill(acc, math.Inf(1))
			reduceWalk(x.Shape(), st, func(i, o int) {
				if v := vals[i]; v < acc[o] || v != v {
					acc[o] = v
				}
			})
		}
		if kind == reduceMean {
			count := 1
			for _, ax := range axes {
				count *= x.Shape()[ax]
			}
			for o := range acc {
				acc[o] /= float64(count) // 0/0 = NaN for a zero-size reduction
			}
		}
		y, err := tensor.FromFloat64s(out[0].DType, out[0].Shape, acc)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{y}, nil
	}
}

// reduceInts is reduceKernel for integer dtypes: exact int64 accumulation
// with two's-complement wrap-around, narrowed once to the output dtype.
func reduceInts(kind reduceKind, x *tensor.Tensor, st []int, n int, out ops.Type) ([]*tensor.Tensor, error) {
	acc := make([]int64, n)
	vals := x.Int64s()
	lo, hi := tensor.IntRange(x.DType())
	switch kind {
	case reduceSum:
		reduceWalk(x.Shape(), st, func(i, o int) { acc[o] += vals[i] })
	case reduceProd:
		reduceFill(acc, 1)
		reduceWalk(x.Shape(), st, func(i, o int) { acc[o] *= vals[i] })
	case reduceMax:
		reduceFill(acc, lo)
		reduceWalk(x.Shape(), st, func(i, o int) { acc[o] = max(acc[o], vals[i]) })
	case reduceMin:
		reduceFill(acc, hi)
		reduceWalk(x.Shape(), st, func(i, o int) { acc[o] = min(acc[o], vals[i]) })
	}
	y, err := tensor.FromInt64s(out.DType, out.Shape, acc)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{y}, nil
}

// reduceFill sets every element of s to v.
func reduceFill[T any](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}

// reduceSplit returns the sizes of the dimensions before, at and after axis:
// element (o, k, i) of x sits at flat index (o·n + k)·inner + i.
func reduceSplit(s tensor.Shape, axis int) (outer, n, inner int) {
	outer, inner = 1, 1
	for _, d := range s[:axis] {
		outer *= d
	}
	for _, d := range s[axis+1:] {
		inner *= d
	}
	return outer, s[axis], inner
}

func argKernel(isMax bool) kernel {
	return func(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
		x := in[0]
		axis, err := tensor.NormalizeAxis(a.Int("axis", 0), x.Rank())
		if err != nil {
			return nil, err
		}
		last := a.Int("select_last_index", 0) == 1
		outer, n, inner := reduceSplit(x.Shape(), axis)
		var idx []int64
		if x.DType().IsInt() {
			// int64 beyond 2^53 would not survive float64, so compare as int64.
			idx = argSearch(x.Int64s(), outer, n, inner, func(v, best int64) bool {
				if v == best {
					return last
				}
				return (v > best) == isMax
			})
		} else {
			idx = argSearch(x.Float64s(), outer, n, inner, func(v, best float64) bool {
				vNaN, bNaN := math.IsNaN(v), math.IsNaN(best)
				switch {
				case vNaN || bNaN:
					// NaN outranks every number, and NaNs tie with each other.
					if vNaN && bNaN {
						return last
					}
					return vNaN
				case v == best:
					return last
				}
				return (v > best) == isMax
			})
		}
		y, err := tensor.FromInt64s(tensor.Int64, out[0].Shape, idx)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{y}, nil
	}
}

// argSearch returns, for every (outer, inner) position, the index k along the
// middle dimension of the element that wins under better(v, best), which
// reports whether v displaces the current best. n is at least 1 (ops.Infer
// rejects a zero-size searched axis).
func argSearch[T float64 | int64](vals []T, outer, n, inner int, better func(v, best T) bool) []int64 {
	idx := make([]int64, outer*inner)
	for o := range outer {
		for i := range inner {
			base := o*n*inner + i
			best, bestK := vals[base], 0
			for k := 1; k < n; k++ {
				if v := vals[base+k*inner]; better(v, best) {
					best, bestK = v, k
				}
			}
			idx[o*inner+i] = int64(bestK)
		}
	}
	return idx
}
