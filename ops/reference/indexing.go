package reference

import (
	"fmt"
	"math"
	"sort"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Kernels of gather_elements, scatter_elements, gather_nd, scatter_nd,
// cumsum and topk. Values move as float64 (float dtypes) or int64 (the
// others), which holds every value of its dtype exactly.

func init() {
	register("gather_elements", gatherElementsKernel)
	register("scatter_elements", scatterElementsKernel)
	register("gather_nd", gatherNDKernel)
	register("scatter_nd", scatterNDKernel)
	register("cumsum", cumKernel(false))
	register("cumprod", cumKernel(true))
	register("topk", topkKernel)
}

// ixValues is a tensor's elements as float64 or int64.
type ixValues struct {
	f []float64
	i []int64
}

func ixLoad(t *tensor.Tensor) ixValues {
	if t.DType().IsFloat() {
		return ixValues{f: t.Float64s()}
	}
	return ixValues{i: t.Int64s()}
}

func (v ixValues) store(t ops.Type) (*tensor.Tensor, error) {
	if v.f != nil || t.DType.IsFloat() {
		return tensor.FromFloat64s(t.DType, t.Shape, v.f)
	}
	return tensor.FromInt64s(t.DType, t.Shape, v.i)
}

// ixIndex normalizes index k of an axis of size n, or fails.
func ixIndex(k int64, n int) (int, error) {
	if k < -int64(n) || k >= int64(n) {
		return 0, fmt.Errorf("index %d is out of range for an axis of size %d", k, n)
	}
	if k < 0 {
		k += int64(n)
	}
	return int(k), nil
}

// ixCombine applies reduction r to dst[j] with src[k].
func ixCombine(r string, dst, src ixValues, j, k int) {
	if dst.f != nil {
		a, b := dst.f[j], src.f[k]
		switch r {
		case ops.ScatterAdd:
			a += b
		case ops.ScatterMul:
			a *= b
		case ops.ScatterMax:
			if b > a || math.IsNaN(b) {
				a = b
			}
		case ops.ScatterMin:
			if b < a || math.IsNaN(b) {
				a = b
			}
		default:
			a = b
		}
		dst.f[j] = a
		return
	}
	a, b := dst.i[j], src.i[k]
	switch r {
	case ops.ScatterAdd:
		a += b
	case ops.ScatterMul:
		a *= b
	case ops.ScatterMax:
		a = max(a, b)
	case ops.ScatterMin:
		a = min(a, b)
	default:
		a = b
	}
	dst.i[j] = a
}

// ixElementTargets calls visit(p, j) for every position p of an index
// tensor of shape idxShape and the flat position j of data (shape data) it
// addresses along axis.
func ixElementTargets(data, idxShape tensor.Shape, idx []int64, axis int, visit func(p, j int)) error {
	strides := data.Strides()
	pos := make([]int, len(idxShape))
	for p := range idx {
		k, err := ixIndex(idx[p], data[axis])
		if err != nil {
			return err
		}
		j := 0
		for d, c := range pos {
			if d == axis {
				c = k
			}
			j += c * strides[d]
		}
		visit(p, j)
		for d := len(pos) - 1; d >= 0; d-- {
			pos[d]++
			if pos[d] < idxShape[d] {
				break
			}
			pos[d] = 0
		}
	}
	return nil
}

func gatherElementsKernel(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	axis, _ := tensor.NormalizeAxis(a.Int("axis", 0), in[0].Rank())
	src := ixLoad(in[0])
	res := ixValues{}
	n := out[0].Shape.NumElements()
	if src.f != nil {
		res.f = make([]float64, n)
	} else {
		res.i = make([]int64, n)
	}
	err := ixElementTargets(in[0].Shape(), in[1].Shape(), in[1].Int64s(), axis, func(p, j int) {
		ixCombine(ops.ScatterNone, res, src, p, j)
	})
	if err != nil {
		return nil, err
	}
	return single(res.store(out[0]))
}

func scatterElementsKernel(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	axis, _ := tensor.NormalizeAxis(a.Int("axis", 0), in[0].Rank())
	res, upd := ixLoad(in[0]), ixLoad(in[2])
	r := a.String("reduction", ops.ScatterNone)
	err := ixElementTargets(in[0].Shape(), in[1].Shape(), in[1].Int64s(), axis, func(p, j int) {
		ixCombine(r, res, upd, j, p)
	})
	if err != nil {
		return nil, err
	}
	return single(res.store(out[0]))
}

// ixSlices calls visit(p, j) for the p-th address in indices (last axis m
// coordinates, after b batch axes) and the flat offset j of the data slice
// it addresses; each slice has size elements.
func ixSlices(data tensor.Shape, idxT *tensor.Tensor, b int, visit func(p, j int)) (size int, err error) {
	idxShape := idxT.Shape()
	m := idxShape[len(idxShape)-1]
	idx := idxT.Int64s()
	strides := data.Strides()
	size = 1
	for _, d := range data[b+m:] {
		size *= d
	}
	batchSize := 1 // addresses per batch entry
	for _, d := range idxShape[b : len(idxShape)-1] {
		batchSize *= d
	}
	count := len(idx) / max(m, 1)
	for p := range count {
		j := 0
		if b > 0 { // the batch coordinates of address p are those of its batch entry
			rem := p / max(batchSize, 1)
			for d := b - 1; d >= 0; d-- {
				j += (rem % data[d]) * strides[d]
				rem /= data[d]
			}
		}
		for k := range m {
			c, err := ixIndex(idx[p*m+k], data[b+k])
			if err != nil {
				return 0, err
			}
			j += c * strides[b+k]
		}
		visit(p, j)
	}
	return size, nil
}

func gatherNDKernel(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	src := ixLoad(in[0])
	res := ixValues{}
	n := out[0].Shape.NumElements()
	if src.f != nil {
		res.f = make([]float64, n)
	} else {
		res.i = make([]int64, n)
	}
	b := a.Int("batch_dims", 0)
	idxShape := in[1].Shape()
	size := 1
	for _, d := range in[0].Shape()[b+idxShape[len(idxShape)-1]:] {
		size *= d
	}
	_, err := ixSlices(in[0].Shape(), in[1], b, func(p, j int) {
		for e := range size {
			ixCombine(ops.ScatterNone, res, src, p*size+e, j+e)
		}
	})
	if err != nil {
		return nil, err
	}
	return single(res.store(out[0]))
}

func scatterNDKernel(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	res, upd := ixLoad(in[0]), ixLoad(in[2])
	r := a.String("reduction", ops.ScatterNone)
	// size is known before the first visit: data.shape[m:]'s element count.
	idxShape := in[1].Shape()
	size := 1
	for _, d := range in[0].Shape()[idxShape[len(idxShape)-1]:] {
		size *= d
	}
	_, err := ixSlices(in[0].Shape(), in[1], 0, func(p, j int) {
		for e := range size {
			ixCombine(r, res, upd, j+e, p*size+e)
		}
	})
	if err != nil {
		return nil, err
	}
	return single(res.store(out[0]))
}

// cumKernel makes the kernel of cumsum or, with prod, cumprod.
func cumKernel(prod bool) kernel {
	return func(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
		return cumulative(prod, a, in, out)
	}
}

func cumulative(prod bool, a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	x := in[0]
	axis, _ := tensor.NormalizeAxis(a.Int("axis", 0), x.Rank())
	exclusive, reverse := a.Int("exclusive", 0) == 1, a.Int("reverse", 0) == 1
	outer, n, inner := reduceSplit(x.Shape(), axis)
	v := ixLoad(x)
	for o := range outer {
		for i := range inner {
			var sf float64
			var si int64
			if prod {
				sf, si = 1, 1
			}
			for step := range n {
				k := step
				if reverse {
					k = n - 1 - step
				}
				j := (o*n+k)*inner + i
				if v.f != nil {
					cur := v.f[j]
					next := sf + cur
					if prod {
						next = sf * cur
					}
					if exclusive {
						v.f[j] = sf
					} else {
						v.f[j] = next
					}
					sf = next
				} else {
					cur := v.i[j]
					next := si + cur
					if prod {
						next = si * cur
					}
					if exclusive {
						v.i[j] = si
					} else {
						v.i[j] = next
					}
					si = next
				}
			}
		}
	}
	return single(v.store(out[0]))
}

// topkKernel sorts each line stably: larger (or with largest=0 smaller)
// first, NaN before every number, ties in input order.
func topkKernel(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	x := in[0]
	axis, _ := tensor.NormalizeAxis(a.Int("axis", -1), x.Rank())
	k := a.Int("k", 0)
	largest := a.Int("largest", 1) == 1
	outer, n, inner := reduceSplit(x.Shape(), axis)
	v := ixLoad(x)
	vals := ixValues{}
	total := outer * k * inner
	if v.f != nil {
		vals.f = make([]float64, total)
	} else {
		vals.i = make([]int64, total)
	}
	idxOut := make([]int64, total)
	order := make([]int, n)
	for o := range outer {
		for i := range inner {
			at := func(e int) int { return (o*n+e)*inner + i }
			for e := range order {
				order[e] = e
			}
			sort.SliceStable(order, func(p, q int) bool {
				jp, jq := at(order[p]), at(order[q])
				if v.f != nil {
					a, b := v.f[jp], v.f[jq]
					an, bn := math.IsNaN(a), math.IsNaN(b)
					if an || bn {
						return an && !bn // NaN ranks above numbers in both directions
					}
					if largest {
						return a > b
					}
					return a < b
				}
				if largest {
					return v.i[jp] > v.i[jq]
				}
				return v.i[jp] < v.i[jq]
			})
			for r := range k {
				dst := (o*k+r)*inner + i
				ixCombine(ops.ScatterNone, vals, v, dst, at(order[r]))
				idxOut[dst] = int64(order[r])
			}
		}
	}
	valT, err := vals.store(out[0])
	if err != nil {
		return nil, err
	}
	idxT, err := tensor.FromInt64s(tensor.Int64, out[1].Shape, idxOut)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{valT, idxT}, nil
}
