package gorgonia

import (
	"testing"

	"github.com/stretchr/testify/require"
	gt "gorgonia.org/tensor"

	"github.com/backplane-ml/backplane/tensor"
)

func TestToDenseSharesMemory(t *testing.T) {
	tests := []struct {
		name  string
		x     *tensor.Tensor
		dtype gt.Dtype
		// write sets element 1 (or 0 for a scalar) through the Dense; read gets it back through x
		write func(d *gt.Dense)
		read  func(x *tensor.Tensor) any
		want  any
	}{
		{"float32", tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3), gt.Float32,
			func(d *gt.Dense) { d.Float32s()[1] = 42 },
			func(x *tensor.Tensor) any { return tensor.MustView[float32](x)[1] }, float32(42)},
		{"float64", tensor.MustFromSlice([]float64{1, 2}), gt.Float64,
			func(d *gt.Dense) { d.Float64s()[1] = -0.5 },
			func(x *tensor.Tensor) any { return tensor.MustView[float64](x)[1] }, -0.5},
		{"int8", tensor.MustFromSlice([]int8{1, 2, 3}), gt.Int8,
			func(d *gt.Dense) { d.Int8s()[1] = -128 },
			func(x *tensor.Tensor) any { return tensor.MustView[int8](x)[1] }, int8(-128)},
		{"uint8", tensor.MustFromSlice([]uint8{1, 2}, 1, 2), gt.Uint8,
			func(d *gt.Dense) { d.Uint8s()[1] = 255 },
			func(x *tensor.Tensor) any { return tensor.MustView[uint8](x)[1] }, uint8(255)},
		{"int32", tensor.MustFromSlice([]int32{1, 2, 3, 4}, 2, 1, 2), gt.Int32,
			func(d *gt.Dense) { d.Int32s()[1] = 7 },
			func(x *tensor.Tensor) any { return tensor.MustView[int32](x)[1] }, int32(7)},
		{"int64", tensor.MustFromSlice([]int64{1, 2}), gt.Int64,
			func(d *gt.Dense) { d.Int64s()[1] = 1<<53 + 1 },
			func(x *tensor.Tensor) any { return tensor.MustView[int64](x)[1] }, int64(1<<53 + 1)},
		{"bool", tensor.MustFromSlice([]bool{false, false}), gt.Bool,
			func(d *gt.Dense) { d.Bools()[1] = true },
			func(x *tensor.Tensor) any { return tensor.MustView[bool](x)[1] }, true},
		{"scalar", tensor.Scalar(float32(3)), gt.Float32,
			func(d *gt.Dense) { d.Float32s()[0] = 9 },
			func(x *tensor.Tensor) any { return tensor.MustView[float32](x)[0] }, float32(9)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ToDense(tc.x)
			require.NoError(t, err)
			require.Equal(t, tc.dtype, d.Dtype())
			require.Equal(t, []int(tc.x.Shape()), []int(d.Shape()))
			tc.write(d)
			require.Equal(t, tc.want, tc.read(tc.x))

			// and back: the tensor from FromDense shares the same memory again
			back, err := FromDense(d)
			require.NoError(t, err)
			require.True(t, back.SameType(tc.x))
			require.Equal(t, &tc.x.Bytes()[0], &back.Bytes()[0], "same backing array")
		})
	}
}

func TestToDenseWritesFromBackplane(t *testing.T) {
	x := tensor.MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	d, err := ToDense(x)
	require.NoError(t, err)
	tensor.MustView[float32](x)[5] = -1
	v, err := d.At(1, 2)
	require.NoError(t, err)
	require.Equal(t, float32(-1), v)
}

func TestScalar(t *testing.T) {
	d, err := ToDense(tensor.Scalar(int64(-7)))
	require.NoError(t, err)
	require.True(t, d.IsScalar())
	require.Equal(t, int64(-7), d.ScalarValue())

	x, err := FromDense(gt.New(gt.FromScalar(float64(2.5))))
	require.NoError(t, err)
	require.Equal(t, 0, x.Rank())
	require.Equal(t, []float64{2.5}, x.Float64s())
}

func TestEmpty(t *testing.T) {
	x, err := tensor.New(tensor.Float32, 2, 0)
	require.NoError(t, err)
	d, err := ToDense(x)
	require.NoError(t, err)
	require.Equal(t, []int{2, 0}, []int(d.Shape()))
	require.Equal(t, 0, d.Size())

	back, err := FromDense(gt.New(gt.Of(gt.Int32), gt.WithShape(0, 3)))
	require.NoError(t, err)
	require.Equal(t, tensor.Int32, back.DType())
	require.Equal(t, tensor.Shape{0, 3}, back.Shape())
}

func TestFromDenseSharesMemory(t *testing.T) {
	data := []int32{1, 2, 3, 4, 5, 6}
	d := gt.New(gt.WithShape(3, 2), gt.WithBacking(data))
	x, err := FromDense(d)
	require.NoError(t, err)
	require.Equal(t, tensor.Shape{3, 2}, x.Shape())
	tensor.MustView[int32](x)[3] = 40 // element (1, 1)
	v, err := d.At(1, 1)
	require.NoError(t, err)
	require.Equal(t, int32(40), v)
	data[0] = 10
	require.Equal(t, int32(10), tensor.MustView[int32](x)[0])
}

func TestLayouts(t *testing.T) {
	// m is [[0 1 2 3] [4 5 6 7] [8 9 10 11]]
	m := func() *gt.Dense {
		return gt.New(gt.WithShape(3, 4), gt.WithBacking([]float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}))
	}
	tests := []struct {
		name   string
		dense  func(t *testing.T) *gt.Dense
		shared bool // FromDense shares it; otherwise it fails with ErrLayout
		shape  tensor.Shape
		want   []float64 // row-major logical values, from FromDenseCopy (and FromDense if shared)
	}{
		{"plain", func(t *testing.T) *gt.Dense { return m() }, true,
			tensor.Shape{3, 4}, []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{"row slice", func(t *testing.T) *gt.Dense {
			v, err := m().Slice(gt.S(1, 3)) // rows 1 and 2: contiguous
			require.NoError(t, err)
			return v.(*gt.Dense)
		}, true, tensor.Shape{2, 4}, []float64{4, 5, 6, 7, 8, 9, 10, 11}},
		{"single row", func(t *testing.T) *gt.Dense {
			v, err := m().Slice(gt.S(2)) // row 2 drops the axis
			require.NoError(t, err)
			return v.(*gt.Dense)
		}, true, tensor.Shape{4}, []float64{8, 9, 10, 11}},
		{"column slice", func(t *testing.T) *gt.Dense {
			v, err := m().Slice(nil, gt.S(1)) // column 1: stride 4
			require.NoError(t, err)
			return v.(*gt.Dense)
		}, false, tensor.Shape{3}, []float64{1, 5, 9}},
		{"stepped block", func(t *testing.T) *gt.Dense {
			// every row × columns 1,3 (gorgonia v0.9.24 mis-slices a step on the first axis)
			v, err := m().Slice(gt.S(0, 3), gt.S(1, 4, 2))
			require.NoError(t, err)
			return v.(*gt.Dense)
		}, false, tensor.Shape{3, 2}, []float64{1, 3, 5, 7, 9, 11}},
		{"transposed", func(t *testing.T) *gt.Dense {
			d := m()
			require.NoError(t, d.T())
			return d
		}, false, tensor.Shape{4, 3}, []float64{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}},
		{"transposed size-1 axes", func(t *testing.T) *gt.Dense {
			d := gt.New(gt.WithShape(1, 3), gt.WithBacking([]float64{1, 2, 3}))
			require.NoError(t, d.T()) // (3, 1): the same bytes in the same order
			return d
		}, true, tensor.Shape{3, 1}, []float64{1, 2, 3}},
		{"column-major", func(t *testing.T) *gt.Dense {
			// column-major [[0 2 4] [1 3 5]]
			return gt.New(gt.WithShape(2, 3), gt.WithBacking([]float64{0, 1, 2, 3, 4, 5}), gt.AsFortran(nil))
		}, false, tensor.Shape{2, 3}, []float64{0, 2, 4, 1, 3, 5}},
		{"column-major vector", func(t *testing.T) *gt.Dense {
			return gt.New(gt.WithShape(3, 1), gt.WithBacking([]float64{7, 8, 9}), gt.AsFortran(nil))
		}, true, tensor.Shape{3, 1}, []float64{7, 8, 9}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := tensor.MustFromSlice(tc.want, tc.shape...)

			c, err := FromDenseCopy(tc.dense(t))
			require.NoError(t, err)
			require.True(t, tensor.Compare(c, want, tensor.Tolerance{}).Equal, "copy %v", c)

			d := tc.dense(t)
			x, err := FromDense(d)
			if !tc.shared {
				require.ErrorIs(t, err, ErrLayout)
				return
			}
			require.NoError(t, err)
			require.True(t, tensor.Compare(x, want, tensor.Tolerance{}).Equal, "shared %v", x)
			tensor.MustView[float64](x)[0] = -1
			require.Equal(t, -1.0, d.Float64s()[0], "FromDense shares memory")
			require.Equal(t, tc.want[0], tensor.MustView[float64](c)[0], "FromDenseCopy does not")
		})
	}
}

func TestMasked(t *testing.T) {
	d := gt.New(gt.WithShape(2), gt.WithBacking([]float64{1, 2}, []bool{true, false}))
	_, err := FromDense(d)
	require.ErrorIs(t, err, ErrLayout)
	_, err = FromDenseCopy(d)
	require.ErrorIs(t, err, ErrLayout)
}

func TestUnsupportedDTypes(t *testing.T) {
	for _, d := range []tensor.DType{tensor.Float16, tensor.BFloat16} {
		x, err := tensor.New(d, 2)
		require.NoError(t, err)
		_, err = ToDense(x)
		require.ErrorIs(t, err, tensor.ErrDType)
		require.ErrorContains(t, err, d.String())
	}
	for _, d := range []*gt.Dense{
		gt.New(gt.WithShape(2), gt.WithBacking([]complex64{1, 2})),
		gt.New(gt.WithShape(2), gt.WithBacking([]complex128{1, 2})),
		gt.New(gt.WithShape(2), gt.WithBacking([]int{1, 2})),
		gt.New(gt.WithShape(2), gt.WithBacking([]uint16{1, 2})),
	} {
		_, err := FromDense(d)
		require.ErrorIs(t, err, tensor.ErrDType)
		require.ErrorContains(t, err, d.Dtype().String())
		_, err = FromDenseCopy(d)
		require.ErrorIs(t, err, tensor.ErrDType)
	}
	_, err := ToDense(nil)
	require.Error(t, err)
	_, err = FromDense(nil)
	require.Error(t, err)
}
