package tensor

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNew(t *testing.T) {
	for _, d := range DTypes() {
		t.Run(d.String(), func(t *testing.T) {
			x, err := New(d, 2, 3)
			require.NoError(t, err)
			require.Equal(t, d, x.DType())
			require.Equal(t, Shape{2, 3}, x.Shape())
			require.Equal(t, 2, x.Rank())
			require.Equal(t, 6, x.NumElements())
			require.Equal(t, 6*d.Size(), x.NumBytes())
			require.Len(t, x.Bytes(), 6*d.Size())
			for _, b := range x.Bytes() {
				require.Zero(t, b, "zero-filled")
			}
			require.Equal(t, make([]float64, 6), x.Float64s())

			s, err := New(d)
			require.NoError(t, err)
			require.Equal(t, Shape{}, s.Shape(), "no dims is a scalar, with a non-nil shape")
			require.Equal(t, 1, s.NumElements())
		})
	}
	z, err := Zeros(Int32, 4)
	require.NoError(t, err)
	require.Equal(t, []int32{0, 0, 0, 0}, MustView[int32](z))
}

func TestNewErrors(t *testing.T) {
	_, err := New(Invalid, 2)
	require.ErrorIs(t, err, ErrDType)
	_, err = New(DType(99), 2)
	require.ErrorIs(t, err, ErrDType)
	_, err = New(Float32, 2, -1)
	require.ErrorIs(t, err, ErrShape)
	_, err = New(Float32, 1<<21, 1<<20) // 2^41 elements
	require.ErrorIs(t, err, ErrShape)
}

func TestNewCopiesShape(t *testing.T) {
	dims := []int{2, 3}
	x, err := New(Float32, dims...)
	require.NoError(t, err)
	dims[0] = 7
	require.Equal(t, Shape{2, 3}, x.Shape())
}

func TestFromSlice(t *testing.T) {
	tests := []struct {
		name  string
		make  func() (*Tensor, error)
		shape Shape
		err   error
	}{
		{"1-D by default", func() (*Tensor, error) { return FromSlice([]float32{1, 2, 3}) }, Shape{3}, nil},
		{"shaped", func() (*Tensor, error) { return FromSlice([]int64{1, 2, 3, 4, 5, 6}, 3, 2) }, Shape{3, 2}, nil},
		{"scalar via empty shape", func() (*Tensor, error) { return FromSlice([]bool{true}, []int{}...) }, Shape{}, nil},
		{"nil slice, shape [0]", func() (*Tensor, error) { return FromSlice[float64](nil, 0) }, Shape{0}, nil},
		{"nil slice, no shape", func() (*Tensor, error) { return FromSlice[int8](nil) }, Shape{0}, nil},
		{"empty slice, shape [2 0]", func() (*Tensor, error) { return FromSlice([]uint8{}, 2, 0) }, Shape{2, 0}, nil},
		{"too few", func() (*Tensor, error) { return FromSlice([]float32{1, 2, 3}, 2, 2) }, nil, ErrShape},
		{"too many", func() (*Tensor, error) { return FromSlice([]float32{1, 2, 3}, 2) }, nil, ErrShape},
		{"nil slice, shape [1]", func() (*Tensor, error) { return FromSlice[float32](nil, 1) }, nil, ErrShape},
		{"scalar needs one element", func() (*Tensor, error) { return FromSlice([]int32{1, 2}, []int{}...) }, nil, ErrShape},
		{"negative dim", func() (*Tensor, error) { return FromSlice([]float32{}, 0, -1) }, nil, ErrShape},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, err := tc.make()
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.shape, x.Shape())
			require.NotNil(t, x.Data(), "empty tensors still hold a typed empty slice")
		})
	}
	require.Panics(t, func() { MustFromSlice([]float32{1}, 2) })
}

func TestScalarAndFull(t *testing.T) {
	s := Scalar(int64(-3))
	require.Equal(t, Int64, s.DType())
	require.Equal(t, Shape{}, s.Shape())
	require.Equal(t, []int64{-3}, MustView[int64](s))

	h := Scalar(BFloat16FromFloat32(2))
	require.Equal(t, BFloat16, h.DType())

	f, err := Full(float32(1.5), 2, 2)
	require.NoError(t, err)
	require.Equal(t, []float32{1.5, 1.5, 1.5, 1.5}, MustView[float32](f))
	e, err := Full(true, 0)
	require.NoError(t, err)
	require.Equal(t, 0, e.NumElements())
	_, err = Full(int8(1), -2)
	require.ErrorIs(t, err, ErrShape)
}

func TestView(t *testing.T) {
	x := MustFromSlice([]float32{1, 2, 3})
	v, err := View[float32](x)
	require.NoError(t, err)
	require.Equal(t, []float32{1, 2, 3}, v)

	_, err = View[float64](x)
	require.ErrorIs(t, err, ErrDType)
	require.ErrorContains(t, err, "tensor is float32, view asks for float64")
	_, err = View[int32](MustFromSlice([]int64{1}))
	require.ErrorIs(t, err, ErrDType)
	_, err = View[float32](nil)
	require.ErrorIs(t, err, ErrDType)
	require.Panics(t, func() { MustView[bool](x) })
}

// Zero-copy: the caller's slice, views, reshapes and Bytes are one memory.
func TestSharedMemory(t *testing.T) {
	data := []float32{1, 2, 3, 4, 5, 6}
	x := MustFromSlice(data, 2, 3)

	data[0] = 10
	require.Equal(t, float32(10), MustView[float32](x)[0], "FromSlice wraps, not copies")

	MustView[float32](x)[1] = 20
	require.Equal(t, float32(20), data[1], "View writes reach the slice")

	r, err := x.Reshape(3, 2)
	require.NoError(t, err)
	MustView[float32](r)[5] = 60
	require.Equal(t, float32(60), MustView[float32](x)[5], "Reshape shares")
	MustView[float32](x)[2] = 30
	require.Equal(t, float32(30), MustView[float32](r)[2])

	b := x.Bytes()
	require.Len(t, b, 24)
	binary.NativeEndian.PutUint32(b[4*3:], math.Float32bits(-1.5))
	require.Equal(t, float32(-1.5), data[3], "Bytes shares, in host byte order")
	data[4] = 0.5
	require.Equal(t, math.Float32bits(0.5), binary.NativeEndian.Uint32(b[4*4:]))

	for _, d := range DTypes() {
		y, err := New(d, 3)
		require.NoError(t, err)
		y.Bytes()[d.Size()] = 1 // the low or high byte of element 1: nonzero either way
		require.NotZero(t, y.Float64s()[1], "%v", d)
	}
	e, err := New(Float64, 0)
	require.NoError(t, err)
	require.NotNil(t, e.Bytes())
	require.Empty(t, e.Bytes())
}

func TestReshape(t *testing.T) {
	x := MustFromSlice([]int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 3, 4)
	empty := MustFromSlice([]int32{}, 0, 3)
	one := MustFromSlice([]int32{7}, 1, 1)
	tests := []struct {
		name string
		x    *Tensor
		to   []int
		want Shape // nil: ErrShape
	}{
		{"same count", x, []int{2, 6}, Shape{2, 6}},
		{"rank 3", x, []int{2, 3, 2}, Shape{2, 3, 2}},
		{"flatten", x, []int{12}, Shape{12}},
		{"infer first", x, []int{-1, 6}, Shape{2, 6}},
		{"infer middle", x, []int{2, -1, 3}, Shape{2, 2, 3}},
		{"infer all", x, []int{-1}, Shape{12}},
		{"to scalar", one, []int{}, Shape{}},
		{"scalar infer", one, []int{-1}, Shape{1}},
		{"empty infer", empty, []int{-1}, Shape{0}},
		{"empty to other empty", empty, []int{3, 0, 5}, Shape{3, 0, 5}},
		{"count mismatch", x, []int{5, 2}, nil},
		{"two -1", x, []int{-1, -1}, nil},
		{"negative other than -1", x, []int{-2, -6}, nil},
		{"-1 does not divide", x, []int{5, -1}, nil},
		{"-1 beside a zero", empty, []int{0, -1}, nil},
		{"-1 with huge dims", x, []int{-1, 1 << 62, 1 << 62}, nil},
		{"huge dims", x, []int{1 << 40, 1 << 40}, nil},
		{"scalar from many", x, []int{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.x.Reshape(tc.to...)
			if tc.want == nil {
				require.ErrorIs(t, err, ErrShape)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, r.Shape())
			require.Equal(t, tc.x.Float64s(), r.Float64s())
		})
	}
	r, err := x.Reshape(-1)
	require.NoError(t, err)
	require.Equal(t, Shape{3, 4}, x.Shape(), "the original keeps its shape")
	require.Equal(t, Shape{12}, r.Shape())
}

func TestClone(t *testing.T) {
	for _, d := range DTypes() {
		t.Run(d.String(), func(t *testing.T) {
			x, err := FromFloat64s(d, Shape{2, 2}, []float64{1, 0, 1, 1})
			require.NoError(t, err)
			c := x.Clone()
			require.True(t, c.SameType(x))
			require.Equal(t, x.Bytes(), c.Bytes())
			c.Bytes()[0] ^= 1 // stays a valid bool for Bool
			require.NotEqual(t, x.Bytes(), c.Bytes(), "writing the clone leaves the original")
			require.Equal(t, 1.0, x.Float64s()[0])
		})
	}
	s := Scalar(float32(2)).Clone()
	require.Equal(t, Shape{}, s.Shape())
	e, err := New(Bool, 0, 2)
	require.NoError(t, err)
	require.Equal(t, Shape{0, 2}, e.Clone().Shape())
}

func TestSameType(t *testing.T) {
	a := MustFromSlice([]float32{1, 2})
	require.True(t, a.SameType(MustFromSlice([]float32{3, 4})))
	require.False(t, a.SameType(MustFromSlice([]float64{1, 2})))
	require.False(t, a.SameType(MustFromSlice([]float32{1, 2}, 2, 1)))
}
