// Package tensor is backplane's dense tensor: a dtype, a shape and one
// contiguous row-major slice of elements.
//
// Data lives in an ordinary Go slice of the dtype's element type ([]float32
// for Float32, []Float16Value for Float16, ...). Typed views, reshapes and the
// conversion to gorgonia.org/tensor share that slice; nothing is copied unless
// a function says so (Clone, AsType).
package tensor

import (
	"errors"
	"fmt"
	"unsafe"
)

// ErrDType is wrapped by every error about a dtype mismatch or an invalid dtype.
var ErrDType = errors.New("dtype mismatch")

// Tensor is a dense, row-major, contiguous n-dimensional array.
//
// A Tensor's dtype and shape never change after construction; its elements may
// be written through a typed view. Tensors are safe for concurrent reads;
// concurrent writes need outside synchronisation, like a Go slice.
type Tensor struct {
	dtype DType
	shape Shape
	data  any // []T for the dtype's element type T; len(data) == shape.NumElements()
}

// New returns a zero-filled tensor of the given dtype and shape.
func New(d DType, shape ...int) (*Tensor, error) {
	if !d.Valid() {
		return nil, fmt.Errorf("%w: %v is not a valid dtype", ErrDType, d)
	}
	s := Shape(shape).Clone()
	if _, err := checkedBytes(d, s); err != nil {
		return nil, err
	}
	n := s.NumElements()
	var data any
	switch d {
	case Float32:
		data = make([]float32, n)
	case Float64:
		data = make([]float64, n)
	case Float16:
		data = make([]Float16Value, n)
	case BFloat16:
		data = make([]BFloat16Value, n)
	case Int8:
		data = make([]int8, n)
	case Uint8:
		data = make([]uint8, n)
	case Int32:
		data = make([]int32, n)
	case Int64:
		data = make([]int64, n)
	case Bool:
		data = make([]bool, n)
	case Int16:
		data = make([]int16, n)
	case Uint16:
		data = make([]uint16, n)
	case Uint32:
		data = make([]uint32, n)
	case Uint64:
		data = make([]uint64, n)
	}
	if s == nil {
		s = Shape{}
	}
	return &Tensor{dtype: d, shape: s, data: data}, nil
}

// Zeros is New under the name numpy users look for.
func Zeros(d DType, shape ...int) (*Tensor, error) { return New(d, shape...) }

// FromSlice wraps data (not a copy) as a tensor of the given shape. With no
// shape it makes a 1-D tensor of len(data) elements.
func FromSlice[T Element](data []T, shape ...int) (*Tensor, error) {
	s := Shape(shape).Clone()
	if shape == nil {
		s = Shape{len(data)}
	}
	d := DTypeOf[T]()
	if _, err := checkedBytes(d, s); err != nil {
		return nil, err
	}
	if n := s.NumElements(); n != len(data) {
		return nil, fmt.Errorf("%w: %d elements do not fill shape %v (%d elements)", ErrShape, len(data), s, n)
	}
	if data == nil {
		data = []T{}
	}
	return &Tensor{dtype: d, shape: s, data: data}, nil
}

// MustFromSlice is FromSlice for literals in tests and examples; it panics on error.
func MustFromSlice[T Element](data []T, shape ...int) *Tensor {
	t, err := FromSlice(data, shape...)
	if err != nil {
		panic(err)
	}
	return t
}

// Scalar returns a rank-0 tensor holding v.
func Scalar[T Element](v T) *Tensor {
	return &Tensor{dtype: DTypeOf[T](), shape: Shape{}, data: []T{v}}
}

// Full returns a tensor of the given shape with every element set to v.
func Full[T Element](v T, shape ...int) (*Tensor, error) {
	t, err := New(DTypeOf[T](), shape...)
	if err != nil {
		return nil, err
	}
	data := t.data.([]T)
	for i := range data {
		data[i] = v
	}
	return t, nil
}

// DType returns the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Shape returns the dimensions. The caller must not modify the returned slice.
func (t *Tensor) Shape() Shape { return t.shape }

// Rank is the number of dimensions.
func (t *Tensor) Rank() int { return len(t.shape) }

// NumElements is the number of elements.
func (t *Tensor) NumElements() int { return t.shape.NumElements() }

// NumBytes is the size of the element data in bytes.
func (t *Tensor) NumBytes() int { return t.NumElements() * t.dtype.Size() }

// Data returns the backing slice as an any holding []T for the dtype's T.
func (t *Tensor) Data() any { return t.data }

// View returns the backing slice of t as []T without copying. It fails if T
// is not the Go type of t's dtype.
func View[T Element](t *Tensor) ([]T, error) {
	if t == nil {
		return nil, fmt.Errorf("%w: nil tensor", ErrDType)
	}
	v, ok := t.data.([]T)
	if !ok {
		return nil, fmt.Errorf("%w: tensor is %v, view asks for %v", ErrDType, t.dtype, DTypeOf[T]())
	}
	return v, nil
}

// MustView is View that panics on a dtype mismatch, for code that has already
// checked the dtype.
func MustView[T Element](t *Tensor) []T {
	v, err := View[T](t)
	if err != nil {
		panic(err)
	}
	return v
}

// Bytes returns the element data as raw bytes in host byte order, sharing
// memory with t.
func (t *Tensor) Bytes() []byte {
	n := t.NumBytes()
	if n == 0 {
		return []byte{}
	}
	var p unsafe.Pointer
	switch v := t.data.(type) {
	case []float32:
		p = unsafe.Pointer(unsafe.SliceData(v))
	case []float64:
		p = unsafe.Pointer(unsafe.SliceData(v))
	case []Float16Value:
		p = unsafe.Pointer(unsafe.SliceData(v))
	case []BFloat16Value:
		p = unsafe.Pointer(unsafe.SliceData(v))
	case []int8:
		p = unsafe.Pointer(unsafe.SliceData(v))
	case []uint8:
		p = unsafe.Pointer(unsafe.SliceData(v))
	case []int32:
		p = unsafe.Pointer(unsafe.SliceData(v))
	case []int64:
		p = unsafe.Pointer(unsafe.SliceData(v))
	case []bool:
		p = unsafe.Pointer(unsafe.SliceData(v))
	case []int16:
		p = unsafe.Pointer(unsafe.SliceData(v))
	case []uint16:
		p = unsafe.Pointer(unsafe.SliceData(v))
	case []uint32:
		p = unsafe.Pointer(unsafe.SliceData(v))
	case []uint64:
		p = unsafe.Pointer(unsafe.SliceData(v))
	}
	return unsafe.Slice((*byte)(p), n)
}

// Reshape returns a tensor sharing t's data with a new shape of the same
// element count. One dimension may be -1, meaning "whatever is left".
func (t *Tensor) Reshape(shape ...int) (*Tensor, error) {
	s := append(Shape{}, shape...) // never nil: a scalar's shape is Shape{}, as from New
	infer := -1
	known := 1
	for i, d := range s {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			return nil, fmt.Errorf("%w: cannot reshape %v to %v", ErrShape, t.shape, Shape(shape))
		default:
			known *= d
		}
	}
	n := t.NumElements()
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			return nil, fmt.Errorf("%w: cannot reshape %v to %v", ErrShape, t.shape, Shape(shape))
		}
		s[infer] = n / known
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.NumElements() != n {
		return nil, fmt.Errorf("%w: cannot reshape %v (%d elements) to %v", ErrShape, t.shape, n, Shape(shape))
	}
	return &Tensor{dtype: t.dtype, shape: s, data: t.data}, nil
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	c, _ := New(t.dtype, t.shape...) // t's shape is already valid
	copy(c.Bytes(), t.Bytes())
	return c
}

// SameType reports whether t and o have the same dtype and shape.
func (t *Tensor) SameType(o *Tensor) bool {
	return t.dtype == o.dtype && t.shape.Equal(o.shape)
}
