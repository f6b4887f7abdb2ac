// Package gorgonia converts between backplane tensors and gorgonia.org/tensor
// dense tensors, sharing element memory where the layouts allow.
//
// It is a separate package so that programs which never touch gorgonia do
// not link it, its dependencies or its init-time work.
//
// Gorgonia has float32, float64, int8, uint8, int32, int64 and bool, which
// convert both ways; backplane's float16 and bfloat16 and gorgonia's other
// types (int, int16, uint16..., complex64, complex128, string...) are
// rejected with an error wrapping tensor.ErrDType.
//
// Sharing memory means a write through either side is seen by the other, and
// the backing array stays alive while either holds it. Do not hand a Dense
// made by ToDense to gorgonia's tensor pool (gt.ReturnTensor) while the
// backplane tensor is still in use.
package gorgonia

import (
	"errors"
	"fmt"

	"github.com/backplane-ml/backplane/tensor"
	gt "gorgonia.org/tensor"
)

// ErrLayout is wrapped by FromDense's error for a Dense whose elements are
// not one contiguous row-major run (a transpose, a strided slice, column-major
// order, a mask); FromDenseCopy converts those.
var ErrLayout = errors.New("gorgonia tensor layout cannot be shared")

// ToDense returns a gorgonia Dense of t's dtype and shape backed by t's
// element slice, without copying. A rank-0 tensor becomes a gorgonia scalar
// (shape ()). An empty tensor (a zero dimension) gets a fresh empty Dense:
// there is no memory to share, and gorgonia cannot wrap an empty slice.
func ToDense(t *tensor.Tensor) (d *gt.Dense, err error) {
	defer func() { // gorgonia reports construction problems by panicking
		if r := recover(); r != nil {
			d, err = nil, fmt.Errorf("gorgonia: building a Dense for %v%v: %v", t.DType(), t.Shape(), r)
		}
	}()
	if t == nil {
		return nil, fmt.Errorf("%w: nil tensor", tensor.ErrDType)
	}
	dt, err := gorgoniaDType(t.DType())
	if err != nil {
		return nil, err
	}
	shape := []int(t.Shape().Clone())
	if t.NumElements() == 0 {
		return gt.New(gt.Of(dt), gt.WithShape(shape...)), nil
	}
	return gt.New(gt.WithShape(shape...), gt.WithBacking(t.Data())), nil
}

// FromDense returns a backplane tensor backed by d's memory, without
// copying. It fails with ErrLayout unless d's elements are one contiguous
// row-major run in Go memory: a transposed (d.T) or strided (d.Slice) view,
// a column-major Dense or a masked one must go through FromDenseCopy (or
// d.Materialize first). A contiguous view, such as a slice of whole rows,
// is shared. A gorgonia scalar becomes a rank-0 tensor.
func FromDense(d *gt.Dense) (*tensor.Tensor, error) {
	dt, err := checkDense(d)
	if err != nil {
		return nil, err
	}
	shape := []int(d.Shape().Clone())
	if !isRowMajorContiguous(d) {
		return nil, fmt.Errorf("%w: shape %v strides %v order %v (use FromDenseCopy)",
			ErrLayout, d.Shape(), d.Strides(), d.DataOrder())
	}
	if n := numElements(shape); n == 0 {
		return tensor.New(dt, shape...)
	}
	switch dt {
	case tensor.Float32:
		return share(d.Float32s(), shape)
	case tensor.Float64:
		return share(d.Float64s(), shape)
	case tensor.Int8:
		return share(d.Int8s(), shape)
	case tensor.Uint8:
		return share(d.Uint8s(), shape)
	case tensor.Int32:
		return share(d.Int32s(), shape)
	case tensor.Int64:
		return share(d.Int64s(), shape)
	case tensor.Bool:
		return share(d.Bools(), shape)
	}
	return nil, fmt.Errorf("%w: unreachable dtype %v", tensor.ErrDType, dt)
}

// FromDenseCopy returns a new backplane tensor holding d's elements in
// logical row-major order, whatever d's layout (transposed, strided view,
// column-major). Masks are not represented in backplane, so a masked Dense
// is an error rather than silently unmasked.
func FromDenseCopy(d *gt.Dense) (*tensor.Tensor, error) {
	dt, err := checkDense(d)
	if err != nil {
		return nil, err
	}
	shape := []int(d.Shape().Clone())
	if isRowMajorContiguous(d) {
		t, err := FromDense(d)
		if err != nil {
			return nil, err
		}
		return t.Clone(), nil
	}
	out, err := tensor.New(dt, shape...)
	if err != nil {
		return nil, err
	}
	strides := d.Strides()
	if len(strides) != len(shape) {
		return nil, fmt.Errorf("%w: shape %v has strides %v", ErrLayout, d.Shape(), strides)
	}
	switch dt {
	case tensor.Float32:
		err = gather(tensor.MustView[float32](out), d.Float32s(), shape, strides)
	case tensor.Float64:
		err = gather(tensor.MustView[float64](out), d.Float64s(), shape, strides)
	case tensor.Int8:
		err = gather(tensor.MustView[int8](out), d.Int8s(), shape, strides)
	case tensor.Uint8:
		err = gather(tensor.MustView[uint8](out), d.Uint8s(), shape, strides)
	case tensor.Int32:
		err = gather(tensor.MustView[int32](out), d.Int32s(), shape, strides)
	case tensor.Int64:
		err = gather(tensor.MustView[int64](out), d.Int64s(), shape, strides)
	case tensor.Bool:
		err = gather(tensor.MustView[bool](out), d.Bools(), shape, strides)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkDense returns the backplane dtype of d or why d cannot be converted.
func checkDense(d *gt.Dense) (tensor.DType, error) {
	if d == nil {
		return tensor.Invalid, fmt.Errorf("%w: nil gorgonia Dense", tensor.ErrDType)
	}
	dt, err := backplaneDType(d.Dtype())
	if err != nil {
		return tensor.Invalid, err
	}
	switch {
	case !d.IsNativelyAccessible():
		return tensor.Invalid, fmt.Errorf("%w: memory is not accessible from Go (e.g. on a GPU)", ErrLayout)
	case len(d.Mask()) > 0: // not d.IsMasked(), which is true for every empty Dense
		return tensor.Invalid, fmt.Errorf("%w: masked tensors have no backplane equivalent", ErrLayout)
	}
	if err := tensor.Shape(d.Shape()).Validate(); err != nil {
		return tensor.Invalid, err
	}
	return dt, nil
}

// isRowMajorContiguous reports whether d's elements, starting at the first
// element of its backing memory, are laid out row-major with no gaps. Strides
// are the ground truth: a "transposed" Dense whose permuted axes all have
// size 1 is still contiguous, a row slice of a matrix is too.
func isRowMajorContiguous(d *gt.Dense) bool {
	shape, strides := d.Shape(), d.Strides()
	n := numElements(shape)
	if n <= 1 {
		return true // a single element (or none) has no layout
	}
	if len(strides) != len(shape) {
		// gorgonia abbreviates the strides of column-major vectors such as
		// (3, 1); a non-view vector with one dimension above 1 is contiguous.
		big := 0
		for _, s := range shape {
			if s > 1 {
				big++
			}
		}
		return big == 1 && !d.IsView() && d.DataOrder().IsContiguous()
	}
	want := 1
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] > 1 && strides[i] != want {
			return false
		}
		want *= shape[i]
	}
	return d.DataSize() >= n
}

// share wraps the first element count of data as a tensor of the given shape.
func share[T tensor.Element](data []T, shape []int) (*tensor.Tensor, error) {
	n := numElements(shape)
	if len(data) < n {
		return nil, fmt.Errorf("%w: %d elements back shape %v", ErrLayout, len(data), shape)
	}
	return tensor.FromSlice(data[:n:n], shape...)
}

// gather copies the strided elements of src into dst in row-major order,
// checking every offset against src first.
func gather[T tensor.Element](dst, src []T, shape, strides []int) error {
	if len(dst) == 0 {
		return nil
	}
	hi := 0 // largest offset reached; strides from gorgonia are never negative
	for i, s := range shape {
		if strides[i] < 0 {
			return fmt.Errorf("%w: negative stride in %v", ErrLayout, strides)
		}
		hi += (s - 1) * strides[i]
	}
	if hi >= len(src) {
		return fmt.Errorf("%w: shape %v strides %v reach element %d of %d",
			ErrLayout, shape, strides, hi, len(src))
	}
	idx := make([]int, len(shape))
	off := 0
	for i := range dst {
		dst[i] = src[off]
		// advance the multi-index like an odometer, last axis fastest
		for ax := len(shape) - 1; ax >= 0; ax-- {
			idx[ax]++
			off += strides[ax]
			if idx[ax] < shape[ax] {
				break
			}
			off -= idx[ax] * strides[ax]
			idx[ax] = 0
		}
	}
	return nil
}

func numElements(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// gorgoniaDType maps a backplane dtype to gorgonia's.
func gorgoniaDType(d tensor.DType) (gt.Dtype, error) {
	switch d {
	case tensor.Float32:
		return gt.Float32, nil
	case tensor.Float64:
		return gt.Float64, nil
	case tensor.Int8:
		return gt.Int8, nil
	case tensor.Uint8:
		return gt.Uint8, nil
	case tensor.Int32:
		return gt.Int32, nil
	case tensor.Int64:
		return gt.Int64, nil
	case tensor.Bool:
		return gt.Bool, nil
	}
	return gt.Dtype{}, fmt.Errorf("%w: gorgonia has no %v", tensor.ErrDType, d)
}

// backplaneDType maps a gorgonia dtype to backplane's.
func backplaneDType(d gt.Dtype) (tensor.DType, error) {
	switch d {
	case gt.Float32:
		return tensor.Float32, nil
	case gt.Float64:
		return tensor.Float64, nil
	case gt.Int8:
		return tensor.Int8, nil
	case gt.Uint8:
		return tensor.Uint8, nil
	case gt.Int32:
		return tensor.Int32, nil
	case gt.Int64:
		return tensor.Int64, nil
	case gt.Bool:
		return tensor.Bool, nil
	}
	return tensor.Invalid, fmt.Errorf("%w: backplane has no gorgonia dtype %v", tensor.ErrDType, d)
}
