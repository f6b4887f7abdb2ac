package tensor

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MaxElements bounds the element count of any one tensor (2^40). It keeps
// element counts and byte sizes far from integer overflow and stops a hostile
// model file from requesting an absurd allocation.
const MaxElements = 1 << 40

// ErrShape is wrapped by every error about an invalid shape.
var ErrShape = errors.New("invalid shape")

// Shape is the list of dimension sizes of a tensor, outermost first. A scalar
// has an empty shape. Dimensions may be zero (an empty tensor) but never negative.
type Shape []int

// Rank is the number of dimensions.
func (s Shape) Rank() int { return len(s) }

// Validate reports a negative dimension, a dimension above MaxElements (even
// next to a zero dimension: an empty tensor of such a shape turns into an
// overflow as soon as an op changes the zero) or an element count above
// MaxElements.
func (s Shape) Validate() error {
	_, err := s.checkedElements()
	return err
}

func (s Shape) checkedElements() (int, error) {
	n := 1
	for i, d := range s {
		if d < 0 {
			return 0, fmt.Errorf("%w: dimension %d of %v is negative", ErrShape, i, s)
		}
		if d > MaxElements {
			return 0, fmt.Errorf("%w: dimension %d of %v is more than %d", ErrShape, i, s, MaxElements)
		}
		if d == 0 {
			n = 0
			continue
		}
		if n != 0 && n > MaxElements/d {
			return 0, fmt.Errorf("%w: %v has more than %d elements", ErrShape, s, MaxElements)
		}
		if n != 0 {
			n *= d
		}
	}
	// a later zero dimension makes the count 0; overflow before it still fails above,
	// which is the conservative answer for a shape nobody can allocate anyway.
	return n, nil
}

// NumElements is the product of the dimensions (1 for a scalar). It assumes a
// valid shape; call Validate first on shapes from untrusted sources.
func (s Shape) NumElements() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// Equal reports whether s and o have the same rank and dimensions.
func (s Shape) Equal(o Shape) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

// Clone returns a copy of s that shares no memory with it.
func (s Shape) Clone() Shape {
	if s == nil {
		return nil
	}
	return append(Shape{}, s...)
}

// Strides returns the row-major strides of s, in elements.
func (s Shape) Strides() []int {
	st := make([]int, len(s))
	acc := 1
	for i := len(s) - 1; i >= 0; i-- {
		st[i] = acc
		acc *= s[i]
	}
	return st
}

// String formats s like "[2 3 4]"; a scalar prints as "[]".
func (s Shape) String() string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(d))
	}
	b.WriteByte(']')
	return b.String()
}

// NormalizeAxis maps a possibly negative axis into [0, rank) or reports it
// out of range. Negative axes count from the end, as in numpy.
func NormalizeAxis(axis, rank int) (int, error) {
	if axis < -rank || axis >= rank {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	return axis, nil
}

// BroadcastShapes returns the numpy-broadcast shape of the given shapes. It
// fails on an invalid input shape and on a result above MaxElements.
func BroadcastShapes(shapes ...Shape) (Shape, error) {
	rank := 0
	for _, s := range shapes {
		if err := s.Validate(); err != nil {
			return nil, err
		}
		rank = max(rank, len(s))
	}
	out := make(Shape, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			switch o := out[off+i]; {
			case o == d || d == 1:
			case o == 1:
				out[off+i] = d
			default:
				return nil, fmt.Errorf("%w: shapes %v cannot be broadcast together (dimension %d: %d vs %d)",
					ErrShape, shapes, off+i-rank, o, d)
			}
		}
	}
	if err := out.Validate(); err != nil { // [2^30 1] and [1 2^30] are each fine; together they are not
		return nil, err
	}
	return out, nil
}

// checkedBytes returns the byte size of a tensor of dtype d and shape s.
func checkedBytes(d DType, s Shape) (int, error) {
	n, err := s.checkedElements()
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt/8 {
		return 0, fmt.Errorf("%w: %v too large", ErrShape, s)
	}
	return n * d.Size(), nil
}
