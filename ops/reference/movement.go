package reference

import (
	"fmt"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Data movement kernels. Each one only works out, for every output element,
// which input element it copies (a flat source index); movementTake then does
// the copying once for every dtype. Elements are copied as their Go values,
// so int64 beyond 2^53, NaN payloads, float16 and bool all survive exactly.

func init() {
	register("reshape", movementReshape)
	register("transpose", movementTranspose)
	register("concat", movementConcat)
	register("split", movementSplit)
	register("slice", movementSlice)
	register("gather", movementGather)
	register("pad", movementPad)
	register("tile", movementTile)
	register("expand", movementExpand)
}

// movementTake returns a tensor of type out whose element i is element
// srcIndex[i] of the sources' flat data laid end to end (source 1 starts at
// index srcs[0].NumElements(), and so on). Every source must have out's dtype.
func movementTake(out ops.Type, srcIndex []int, srcs ...*tensor.Tensor) (*tensor.Tensor, error) {
	dst, err := tensor.New(out.DType, out.Shape...)
	if err != nil {
		return nil, err
	}
	if len(srcIndex) != dst.NumElements() {
		return nil, fmt.Errorf("internal: %d source indices for output %v", len(srcIndex), out)
	}
	switch out.DType {
	case tensor.Float32:
		err = movementTakeInto[float32](dst, srcIndex, srcs)
	case tensor.Float64:
		err = movementTakeInto[float64](dst, srcIndex, srcs)
	case tensor.Float16:
		err = movementTakeInto[tensor.Float16Value](dst, srcIndex, srcs)
	case tensor.BFloat16:
		err = movementTakeInto[tensor.BFloat16Value](dst, srcIndex, srcs)
	case tensor.Int8:
		err = movementTakeInto[int8](dst, srcIndex, srcs)
	case tensor.Uint8:
		err = movementTakeInto[uint8](dst, srcIndex, srcs)
	case tensor.Int32:
		err = movementTakeInto[int32](dst, srcIndex, srcs)
	case tensor.Int64:
		err = movementTakeInto[int64](dst, srcIndex, srcs)
	case tensor.Bool:
		err = movementTakeInto[bool](dst, srcIndex, srcs)
	case tensor.Int16:
		err = movementTakeInto[int16](dst, srcIndex, srcs)
	case tensor.Uint16:
		err = movementTakeInto[uint16](dst, srcIndex, srcs)
	case tensor.Uint32:
		err = movementTakeInto[uint32](dst, srcIndex, srcs)
	case tensor.Uint64:
		err = movementTakeInto[uint64](dst, srcIndex, srcs)
	default:
		err = fmt.Errorf("internal: no element copy for dtype %v", out.DType)
	}
	if err != nil {
		return nil, err
	}
	return dst, nil
}

func movementTakeInto[T tensor.Element](dst *tensor.Tensor, srcIndex []int, srcs []*tensor.Tensor) error {
	var from []T
	for _, s := range srcs {
		v, err := tensor.View[T](s)
		if err != nil {
			return err
		}
		if len(srcs) == 1 {
			from = v // the usual case: read in place
			break
		}
		from = append(from, v...)
	}
	to := tensor.MustView[T](dst)
	for i, j := range srcIndex {
		if j < 0 || j >= len(from) {
			return fmt.Errorf("internal: source index %d out of range [0, %d)", j, len(from))
		}
		to[i] = from[j]
	}
	return nil
}

// movementIndex returns the flat source index of every element of an output
// of the given shape when each output axis contributes independently:
// axisMap[k][c] is what coordinate c on axis k adds to the index, or -1 when
// that coordinate has no source (then the whole element gets -1).
func movementIndex(out tensor.Shape, axisMap [][]int) []int {
	idx := make([]int, out.NumElements())
	if len(idx) == 0 {
		return idx
	}
	coord := make([]int, len(out))
	for i := range idx {
		at := 0
		for k, c := range coord {
			v := axisMap[k][c]
			if v < 0 {
				at = -1
				break
			}
			at += v
		}
		idx[i] = at
		for k := len(out) - 1; k >= 0; k-- { // odometer step, last axis fastest
			if coord[k]++; coord[k] < out[k] {
				break
			}
			coord[k] = 0
		}
	}
	return idx
}

// movementAffineMap returns the axis map of an axis of n output coordinates
// reading source coordinate start+c*step, stride elements apart.
func movementAffineMap(n, start, step, stride int) []int {
	m := make([]int, n)
	for c := range m {
		m[c] = (start + c*step) * stride
	}
	return m
}

func movementReshape(_ ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	idx := make([]int, in[0].NumElements())
	for i := range idx {
		idx[i] = i
	}
	t, err := movementTake(out[0], idx, in[0])
	return []*tensor.Tensor{t}, err
}

func movementTranspose(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	x := in[0]
	perm := ops.TransposePerm(a, x.Rank())
	strides := x.Shape().Strides()
	maps := make([][]int, len(perm))
	for k, p := range perm {
		maps[k] = movementAffineMap(out[0].Shape[k], 0, 1, strides[p])
	}
	t, err := movementTake(out[0], movementIndex(out[0].Shape, maps), x)
	return []*tensor.Tensor{t}, err
}

func movementConcat(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	shape := out[0].Shape
	axis, err := tensor.NormalizeAxis(a.Int("axis", 0), len(shape))
	if err != nil {
		return nil, err
	}
	outer := tensor.Shape(shape[:axis]).NumElements()
	inner := tensor.Shape(shape[axis+1:]).NumElements()
	idx := make([]int, 0, shape.NumElements())
	for o := range outer {
		base := 0 // where input j starts in the sources laid end to end
		for _, x := range in {
			block := x.Shape()[axis] * inner // input j's elements per outer index
			for e := range block {
				idx = append(idx, base+o*block+e)
			}
			base += x.NumElements()
		}
	}
	t, err := movementTake(out[0], idx, in...)
	return []*tensor.Tensor{t}, err
}

func movementSplit(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	x := in[0]
	axis, err := tensor.NormalizeAxis(a.Int("axis", 0), x.Rank())
	if err != nil {
		return nil, err
	}
	strides := x.Shape().Strides()
	res := make([]*tensor.Tensor, len(out))
	offset := 0
	for i, o := range out {
		maps := make([][]int, len(o.Shape))
		for k, n := range o.Shape {
			start := 0
			if k == axis {
				start = offset
			}
			maps[k] = movementAffineMap(n, start, 1, strides[k])
		}
		if res[i], err = movementTake(o, movementIndex(o.Shape, maps), x); err != nil {
			return nil, err
		}
		offset += o.Shape[axis]
	}
	return res, nil
}

func movementSlice(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	x := in[0]
	starts, steps, _, err := ops.ResolveSlice(x.Shape(), a)
	if err != nil {
		return nil, err
	}
	strides := x.Shape().Strides()
	maps := make([][]int, x.Rank())
	for k := range maps {
		maps[k] = movementAffineMap(out[0].Shape[k], starts[k], steps[k], strides[k])
	}
	t, err := movementTake(out[0], movementIndex(out[0].Shape, maps), x)
	return []*tensor.Tensor{t}, err
}

func movementGather(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	data, indices := in[0], in[1]
	shape := data.Shape()
	axis, err := tensor.NormalizeAxis(a.Int("axis", 0), len(shape))
	if err != nil {
		return nil, err
	}
	dim := shape[axis]
	outer := shape[:axis].NumElements()
	inner := shape[axis+1:].NumElements()
	picks := indices.Int64s() // exact for int32 and int64
	for i, p := range picks {
		if p < -int64(dim) || p >= int64(dim) {
			return nil, inputDataError{fmt.Errorf("index %d (element %d of indices) is out of range for axis %d of size %d",
				p, i, axis, dim)}
		}
		if p < 0 {
			picks[i] = p + int64(dim)
		}
	}
	idx := make([]int, 0, out[0].Shape.NumElements())
	for o := range outer {
		for _, p := range picks {
			base := (o*dim + int(p)) * inner
			for e := range inner {
				idx = append(idx, base+e)
			}
		}
	}
	t, err := movementTake(out[0], idx, data)
	return []*tensor.Tensor{t}, err
}

func movementPad(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	x := in[0]
	shape := x.Shape()
	rank := len(shape)
	pads := a.Ints("pads", nil)
	mode := a.String("mode", "constant")
	strides := shape.Strides()
	maps := make([][]int, rank)
	for k, d := range shape {
		m := make([]int, out[0].Shape[k])
		for o := range m {
			c := o - pads[k] // source coordinate before any mirroring or clamping
			switch {
			case c >= 0 && c < d:
			case mode == "edge":
				c = min(max(c, 0), d-1)
			case mode == "reflect" && c < 0:
				c = -c
			case mode == "reflect":
				c = 2*(d-1) - c
			default:
				c = -1 // constant: no source
			}
			m[o] = -1
			if c >= 0 {
				m[o] = c * strides[k]
			}
		}
		maps[k] = m
	}
	idx := movementIndex(out[0].Shape, maps)
	fill, err := tensor.FromFloat64s(x.DType(), tensor.Shape{1}, []float64{a.Float("value", 0)})
	if err != nil {
		return nil, err
	}
	for i, j := range idx {
		if j < 0 {
			idx[i] = x.NumElements() // the fill element, laid after x
		}
	}
	t, err := movementTake(out[0], idx, x, fill)
	return []*tensor.Tensor{t}, err
}

func movementTile(_ ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	x := in[0]
	shape := x.Shape()
	strides := shape.Strides()
	maps := make([][]int, len(shape))
	for k, d := range shape {
		m := make([]int, out[0].Shape[k])
		for o := range m {
			m[o] = (o % d) * strides[k] // out dim is 0 when d is 0, so no division by 0
		}
		maps[k] = m
	}
	t, err := movementTake(out[0], movementIndex(out[0].Shape, maps), x)
	return []*tensor.Tensor{t}, err
}

func movementExpand(_ ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error) {
	x := in[0]
	shape := x.Shape()
	strides := shape.Strides()
	oshape := out[0].Shape
	lead := len(oshape) - len(shape) // x's dims align with the trailing output dims
	maps := make([][]int, len(oshape))
	for k, n := range oshape {
		step := 0 // new leading axes and size-1 axes of x repeat the same element
		if j := k - lead; j >= 0 && shape[j] != 1 {
			step = strides[j]
		}
		maps[k] = movementAffineMap(n, 0, step, 1)
	}
	t, err := movementTake(out[0], movementIndex(oshape, maps), x)
	return []*tensor.Tensor{t}, err
}
