package onnxpb

import (
	"errors"
	"math"
	"testing"

	"github.com/backplane-ml/backplane/tensor"
	"github.com/stretchr/testify/require"
	"github.com/x448/float16"
)

func f16(bits uint16) tensor.Float16Value { return float16.Frombits(bits) }

func TestToTensorStorageForms(t *testing.T) {
	// Each supported data type in each storage form it may use, with values
	// written out by hand: raw_data is little-endian.
	tests := []struct {
		name string
		in   Tensor
		want *tensor.Tensor
	}{
		{"float raw", Tensor{Dims: []int64{2}, DataType: Float, RawData: []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}},
			tensor.MustFromSlice([]float32{1, -2})}, // 0x3f800000 = 1, 0xc0000000 = -2
		{"float float_data", Tensor{Dims: []int64{2}, DataType: Float, FloatData: []float32{1, -2}},
			tensor.MustFromSlice([]float32{1, -2})},
		{"double raw", Tensor{Dims: []int64{1}, DataType: Double, RawData: []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f}},
			tensor.MustFromSlice([]float64{1})}, // 0x3ff0000000000000 = 1
		{"double double_data", Tensor{Dims: []int64{2}, DataType: Double, DoubleData: []float64{0.5, -3}},
			tensor.MustFromSlice([]float64{0.5, -3})},
		{"float16 raw", Tensor{Dims: []int64{2}, DataType: Float16, RawData: []byte{0x00, 0x3c, 0x00, 0xc0}},
			tensor.MustFromSlice([]tensor.Float16Value{f16(0x3c00), f16(0xc000)})}, // 1, -2
		{"float16 int32_data", Tensor{Dims: []int64{2}, DataType: Float16, Int32Data: []int32{0x3c00, 0xc000}},
			tensor.MustFromSlice([]tensor.Float16Value{f16(0x3c00), f16(0xc000)})},
		{"bfloat16 raw", Tensor{Dims: []int64{2}, DataType: BFloat16, RawData: []byte{0x80, 0x3f, 0x00, 0xc0}},
			tensor.MustFromSlice([]tensor.BFloat16Value{0x3f80, 0xc000})}, // 1, -2
		{"bfloat16 int32_data", Tensor{Dims: []int64{2}, DataType: BFloat16, Int32Data: []int32{0x3f80, 0xc000}},
			tensor.MustFromSlice([]tensor.BFloat16Value{0x3f80, 0xc000})},
		{"int8 raw", Tensor{Dims: []int64{3}, DataType: Int8, RawData: []byte{0xff, 0x7f, 0x80}},
			tensor.MustFromSlice([]int8{-1, 127, -128})},
		{"int8 int32_data", Tensor{Dims: []int64{3}, DataType: Int8, Int32Data: []int32{-1, 127, -128}},
			tensor.MustFromSlice([]int8{-1, 127, -128})},
		{"uint8 raw", Tensor{Dims: []int64{2}, DataType: Uint8, RawData: []byte{0xff, 0x00}},
			tensor.MustFromSlice([]uint8{255, 0})},
		{"uint8 int32_data", Tensor{Dims: []int64{2}, DataType: Uint8, Int32Data: []int32{255, 0}},
			tensor.MustFromSlice([]uint8{255, 0})},
		{"int32 raw", Tensor{Dims: []int64{2}, DataType: Int32, RawData: []byte{0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0}},
			tensor.MustFromSlice([]int32{-1, 2})},
		{"int32 int32_data", Tensor{Dims: []int64{2}, DataType: Int32, Int32Data: []int32{math.MinInt32, 2}},
			tensor.MustFromSlice([]int32{math.MinInt32, 2})},
		{"int64 raw", Tensor{Dims: []int64{2}, DataType: Int64,
			RawData: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1, 0, 0}},
			tensor.MustFromSlice([]int64{-1, 1 << 40})},
		{"int64 int64_data", Tensor{Dims: []int64{2}, DataType: Int64, Int64Data: []int64{-1, 1 << 40}},
			tensor.MustFromSlice([]int64{-1, 1 << 40})},
		{"bool raw", Tensor{Dims: []int64{3}, DataType: Bool, RawData: []byte{1, 0, 1}},
			tensor.MustFromSlice([]bool{true, false, true})},
		{"bool int32_data", Tensor{Dims: []int64{3}, DataType: Bool, Int32Data: []int32{1, 0, 1}},
			tensor.MustFromSlice([]bool{true, false, true})},
		{"2x2 shape", Tensor{Dims: []int64{2, 2}, DataType: Int64, Int64Data: []int64{1, 2, 3, 4}},
			tensor.MustFromSlice([]int64{1, 2, 3, 4}, 2, 2)},
		{"scalar", Tensor{DataType: Float, FloatData: []float32{5}}, tensor.Scalar[float32](5)},
		{"scalar raw", Tensor{DataType: Uint8, RawData: []byte{9}}, tensor.Scalar[uint8](9)},
		{"zero elements", Tensor{Dims: []int64{0, 3}, DataType: Float}, tensor.MustFromSlice([]float32{}, 0, 3)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ToTensor(&tc.in, nil)
			require.NoError(t, err)
			require.Equal(t, tc.want.DType(), got.DType())
			require.Equal(t, tc.want.Shape(), got.Shape())
			require.Equal(t, tc.want.Data(), got.Data())
		})
	}
}

func TestHalfPrecisionBitPatterns(t *testing.T) {
	// 1.0 is 0x3C00 in float16 and 0x3F80 in bfloat16 (the top half of
	// float32 0x3F800000); raw_data stores them low byte first.
	h, err := ToTensor(&Tensor{DataType: Float16, RawData: []byte{0x00, 0x3c}}, nil)
	require.NoError(t, err)
	require.Equal(t, float32(1), tensor.MustView[tensor.Float16Value](h)[0].Float32())
	b, err := ToTensor(&Tensor{DataType: BFloat16, RawData: []byte{0x80, 0x3f}}, nil)
	require.NoError(t, err)
	require.Equal(t, float32(1), tensor.MustView[tensor.BFloat16Value](b)[0].Float32())

	tp, err := FromTensor("h", tensor.Scalar(float16.Fromfloat32(1)))
	require.NoError(t, err)
	require.Equal(t, []byte{0x00, 0x3c}, tp.RawData)
	require.Equal(t, Float16, tp.DataType)
	tp, err = FromTensor("b", tensor.Scalar(tensor.BFloat16FromFloat32(1)))
	require.NoError(t, err)
	require.Equal(t, []byte{0x80, 0x3f}, tp.RawData)
	require.Equal(t, BFloat16, tp.DataType)
}

// TestToTensorWideInts reads INT16 and UINT16 from int32_data, UINT32 and
// UINT64 from uint64_data, checking ranges.
func TestToTensorWideInts(t *testing.T) {
	got, err := ToTensor(&Tensor{Name: "a", Dims: []int64{2}, DataType: Int16, Int32Data: []int32{-5, 300}}, nil)
	require.NoError(t, err)
	require.Equal(t, []int16{-5, 300}, tensor.MustView[int16](got))
	got, err = ToTensor(&Tensor{Name: "b", Dims: []int64{1}, DataType: Uint16, Int32Data: []int32{65535}}, nil)
	require.NoError(t, err)
	require.Equal(t, []uint16{65535}, tensor.MustView[uint16](got))
	got, err = ToTensor(&Tensor{Name: "c", Dims: []int64{1}, DataType: Uint32, Uint64Data: []uint64{1 << 31}}, nil)
	require.NoError(t, err)
	require.Equal(t, []uint32{1 << 31}, tensor.MustView[uint32](got))
	got, err = ToTensor(&Tensor{Name: "d", Dims: []int64{1}, DataType: Uint64, Uint64Data: []uint64{1 << 63}}, nil)
	require.NoError(t, err)
	require.Equal(t, []uint64{1 << 63}, tensor.MustView[uint64](got))
	for _, bad := range []*Tensor{
		{Name: "e", Dims: []int64{1}, DataType: Uint16, Int32Data: []int32{-1}},
		{Name: "f", Dims: []int64{1}, DataType: Uint32, Uint64Data: []uint64{1 << 32}},
	} {
		_, err := ToTensor(bad, nil)
		require.ErrorIs(t, err, ErrMalformed, bad.Name)
	}
}

func TestToTensorUnsupported(t *testing.T) {
	for _, d := range []DataType{String, Complex64, Complex128, 17, 23, 99} {
		t.Run(d.String(), func(t *testing.T) {
			_, err := ToTensor(&Tensor{Name: "x", Dims: []int64{1}, DataType: d}, nil)
			require.ErrorIs(t, err, ErrUnsupported)
			require.Contains(t, err.Error(), `tensor "x": `)
			require.Contains(t, err.Error(), d.String())
		})
	}
	_, err := ToTensor(&Tensor{DataType: Float, FloatData: []float32{1}, HasSegment: true}, nil)
	require.ErrorIs(t, err, ErrUnsupported)
	require.Contains(t, err.Error(), "segmented")
}

func TestToTensorErrors(t *testing.T) {
	tests := []struct {
		name string
		in   Tensor
		is   error
		msg  string
	}{
		{"undefined", Tensor{DataType: Undefined}, ErrMalformed, "UNDEFINED"},
		{"raw too short", Tensor{Dims: []int64{2}, DataType: Float, RawData: make([]byte, 7)}, ErrMalformed,
			"raw_data has 7 bytes, want 8"},
		{"raw too long", Tensor{Dims: []int64{2}, DataType: Int64, RawData: make([]byte, 17)}, ErrMalformed,
			"raw_data has 17 bytes, want 16"},
		{"float_data too long", Tensor{Dims: []int64{2}, DataType: Float, FloatData: []float32{1, 2, 3}},
			ErrMalformed, "float_data has 3 values, want 2"},
		{"int32_data too short", Tensor{Dims: []int64{2, 2}, DataType: Int32, Int32Data: []int32{1}},
			ErrMalformed, "int32_data has 1 values, want 4"},
		{"no data", Tensor{Dims: []int64{2}, DataType: Float}, ErrMalformed, "no data for 2 elements"},
		{"data for zero elements", Tensor{Dims: []int64{0}, DataType: Float, FloatData: []float32{1}},
			ErrMalformed, "float_data has 1 values, want 0"},
		{"two forms", Tensor{Dims: []int64{1}, DataType: Float, RawData: make([]byte, 4), FloatData: []float32{1}},
			ErrMalformed, "both raw_data and float_data"},
		{"wrong typed field", Tensor{Dims: []int64{1}, DataType: Float, Int64Data: []int64{1}},
			ErrMalformed, "FLOAT tensor has data in int64_data, want raw_data or float_data"},
		{"uint64_data for int64", Tensor{Dims: []int64{1}, DataType: Int64, Uint64Data: []uint64{1}},
			ErrMalformed, "want raw_data or int64_data"},
		{"double as float_data", Tensor{Dims: []int64{1}, DataType: Double, FloatData: []float32{1}},
			ErrMalformed, "want raw_data or double_data"},
		{"int8 out of range", Tensor{Dims: []int64{2}, DataType: Int8, Int32Data: []int32{0, 128}},
			ErrMalformed, "int32_data[1] = 128 is out of range [-128, 127]"},
		{"uint8 negative", Tensor{Dims: []int64{1}, DataType: Uint8, Int32Data: []int32{-1}}, ErrMalformed, "out of range"},
		{"bool 2", Tensor{Dims: []int64{1}, DataType: Bool, Int32Data: []int32{2}}, ErrMalformed, "out of range [0, 1]"},
		{"bool raw 2", Tensor{Dims: []int64{2}, DataType: Bool, RawData: []byte{1, 2}}, ErrMalformed, "raw_data[1] = 2"},
		{"float16 beyond 16 bits", Tensor{Dims: []int64{1}, DataType: Float16, Int32Data: []int32{0x10000}},
			ErrMalformed, "out of range [0, 65535]"},
		{"bfloat16 negative", Tensor{Dims: []int64{1}, DataType: BFloat16, Int32Data: []int32{-1}},
			ErrMalformed, "out of range"},
		{"negative dim", Tensor{Dims: []int64{2, -1}, DataType: Float}, ErrMalformed, "dimension 1 is -1"},
		{"dims overflow", Tensor{Dims: []int64{1 << 30, 1 << 30, 1 << 30}, DataType: Float}, ErrMalformed,
			"more than"},
		{"huge dim", Tensor{Dims: []int64{math.MaxInt64}, DataType: Float}, ErrMalformed, "dimension 0"},
		{"rank 65", Tensor{Dims: make([]int64, 65), DataType: Float}, ErrLimit, "rank 65"},
		{"external without loader", Tensor{Dims: []int64{1}, DataType: Float, DataLocation: DataExternal,
			ExternalData: []StringPair{{"location", "w.bin"}}}, ErrUnsupported, "no external data loader"},
		{"external entries, default location", Tensor{Dims: []int64{1}, DataType: Float,
			ExternalData: []StringPair{{"location", "w.bin"}}}, ErrMalformed, "data_location is not EXTERNAL"},
		{"external without entries", Tensor{Dims: []int64{1}, DataType: Float, DataLocation: DataExternal},
			ErrMalformed, "without external_data"},
		{"external plus raw", Tensor{Dims: []int64{1}, DataType: Float, DataLocation: DataExternal,
			RawData: make([]byte, 4), ExternalData: []StringPair{{"location", "w.bin"}}}, ErrMalformed, "both"},
		{"bad data_location", Tensor{Dims: []int64{1}, DataType: Float, FloatData: []float32{1}, DataLocation: 7},
			ErrMalformed, "data_location 7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Name = "w"
			_, err := ToTensor(&tc.in, nil)
			require.ErrorIs(t, err, tc.is)
			require.Contains(t, err.Error(), tc.msg)
			var de *DecodeError
			require.True(t, errors.As(err, &de))
			require.Equal(t, `tensor "w"`, de.Path)
		})
	}
}

func TestFromTensorRoundTrip(t *testing.T) {
	tensors := []*tensor.Tensor{
		tensor.MustFromSlice([]float32{1, -2, 3.5, 0}, 2, 2),
		tensor.MustFromSlice([]float64{math.Inf(1), -0.25}),
		tensor.MustFromSlice([]tensor.Float16Value{f16(0x3c00), f16(0x7e00)}),
		tensor.MustFromSlice([]tensor.BFloat16Value{0x3f80, 0xff80}),
		tensor.MustFromSlice([]int8{-128, 5}),
		tensor.MustFromSlice([]uint8{255}),
		tensor.MustFromSlice([]int32{math.MinInt32, 7}),
		tensor.MustFromSlice([]int64{math.MaxInt64}),
		tensor.MustFromSlice([]bool{true, false}),
		tensor.Scalar[float32](2),
		tensor.MustFromSlice([]int64{}, 3, 0),
	}
	for _, tt := range tensors {
		t.Run(tt.DType().String()+tt.Shape().String(), func(t *testing.T) {
			tp, err := FromTensor("x", tt)
			require.NoError(t, err)
			require.Equal(t, "x", tp.Name)
			require.Len(t, tp.RawData, tt.NumBytes())
			if tt.NumBytes() == 0 {
				require.Nil(t, tp.RawData)
			}
			b, err := EncodeTensor(tp)
			require.NoError(t, err)
			dec, err := DecodeTensor(b)
			require.NoError(t, err)
			got, err := ToTensor(dec, nil)
			require.NoError(t, err)
			require.Equal(t, tt.DType(), got.DType())
			require.Equal(t, tt.Shape(), got.Shape())
			require.Equal(t, tt.Bytes(), got.Bytes())
		})
	}
	tp, err := FromTensor("s", tensor.Scalar[int32](1))
	require.NoError(t, err)
	require.Nil(t, tp.Dims)
	require.Equal(t, []byte{1, 0, 0, 0}, tp.RawData)

	_, err = FromTensor("n", nil)
	require.ErrorIs(t, err, ErrMalformed)
}

func TestDataTypeMapping(t *testing.T) {
	for _, d := range tensor.DTypes() {
		o, err := DataTypeOf(d)
		require.NoError(t, err)
		back, err := o.DType()
		require.NoError(t, err)
		require.Equal(t, d, back)
	}
	_, err := DataTypeOf(tensor.Invalid)
	require.ErrorIs(t, err, ErrUnsupported)
}
