package tensor

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// The double-rounding cases: the float64 input sits just above a halfway
// point of the narrow format, but its float32 rounding lands exactly on that
// halfway point, from where ties-to-even goes down. Correct rounding goes up.
func TestNarrowFloatRoundsOnce(t *testing.T) {
	tests := []struct {
		name string
		d    DType
		in   float64
		bits uint16
	}{
		// 1 + 2^-11 is halfway between float16 1 (0x3C00) and 1+2^-10 (0x3C01); +2^-30 is above it.
		{"float16 above halfway", Float16, 1 + 0x1p-11 + 0x1p-30, 0x3C01},
		{"float16 exact halfway ties to even", Float16, 1 + 0x1p-11, 0x3C00},
		{"float16 below halfway", Float16, 1 + 0x1p-11 - 0x1p-30, 0x3C00},
		// 1 + 2^-8 is halfway between bfloat16 1 (0x3F80) and 1+2^-7 (0x3F81).
		{"bfloat16 above halfway", BFloat16, 1 + 0x1p-8 + 0x1p-30, 0x3F81},
		{"bfloat16 exact halfway ties to even", BFloat16, 1 + 0x1p-8, 0x3F80},
		{"bfloat16 negative above halfway", BFloat16, -(1 + 0x1p-8 + 0x1p-30), 0xBF81},
		// beyond float32's range, still overflows to Inf: float16 +Inf 0x7C00, bfloat16 +Inf 0x7F80
		{"float16 huge", Float16, 1e300, 0x7C00},
		{"bfloat16 huge", BFloat16, 1e300, 0x7F80},
		{"bfloat16 negative huge", BFloat16, -1e300, 0xFF80},
		// far below float32's subnormals: zero of the right sign
		{"float16 tiny", Float16, 1e-300, 0x0000},
		{"bfloat16 negative tiny", BFloat16, -1e-300, 0x8000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, err := FromFloat64s(tc.d, Shape{1}, []float64{tc.in})
			require.NoError(t, err)
			require.Equal(t, tc.bits, uint16(x.Bytes()[0])|uint16(x.Bytes()[1])<<8, "bits")
		})
	}
}

func TestFromInt64sRoundsOnce(t *testing.T) {
	tests := []struct {
		name string
		d    DType
		in   int64
		want float64
	}{
		// float32 spacing at 2^60 is 2^37. 2^60+2^36+1 is above the halfway point 2^60+2^36,
		// but float64(x) rounds to exactly that halfway point (float64 spacing there is 2^8).
		{"float32 above 2^53", Float32, 1<<60 + 1<<36 + 1, 1<<60 + 1<<37},
		{"float32 negative above 2^53", Float32, -(1<<60 + 1<<36 + 1), -(1<<60 + 1<<37)},
		// bfloat16 spacing at 2^24 is 2^17; 2^24+2^16+1 is above halfway, float32(x) is halfway.
		{"bfloat16 below 2^53", BFloat16, 1<<24 + 1<<16 + 1, 1<<24 + 1<<17},
		{"bfloat16 halfway ties to even", BFloat16, 1<<24 + 1<<16, 1 << 24},
		{"float64 exact below 2^53", Float64, 1<<53 - 1, 1<<53 - 1},
		{"float64 min int64", Float64, math.MinInt64, -0x1p63},
		{"float32 min int64", Float32, math.MinInt64, -0x1p63},
		// MaxInt64 = 2^63-1 rounds up to 2^63 in every float format
		{"bfloat16 max int64", BFloat16, math.MaxInt64, 0x1p63},
		{"float16 overflows", Float16, 1 << 20, math.Inf(1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, err := FromInt64s(tc.d, Shape{1}, []int64{tc.in})
			require.NoError(t, err)
			require.Equal(t, tc.want, x.Float64s()[0])
		})
	}
}

func TestFloat64s(t *testing.T) {
	tests := []struct {
		name string
		x    *Tensor
		want []float64
	}{
		{"float32", MustFromSlice([]float32{1.5, -0.25}), []float64{1.5, -0.25}},
		{"float64", MustFromSlice([]float64{1e300, -1e-300}), []float64{1e300, -1e-300}},
		{"float16", MustFromSlice([]Float16Value{0x3C00, 0xC000, 0x3555}), []float64{1, -2, 0.333251953125}},
		{"bfloat16", MustFromSlice([]BFloat16Value{0x3F80, 0x3EAB}), []float64{1, 0.333984375}},
		{"int8", MustFromSlice([]int8{-128, 127}), []float64{-128, 127}},
		{"uint8", MustFromSlice([]uint8{0, 255}), []float64{0, 255}},
		{"int32", MustFromSlice([]int32{math.MinInt32, 7}), []float64{math.MinInt32, 7}},
		{"int64", MustFromSlice([]int64{1 << 53, -3}), []float64{1 << 53, -3}},
		{"bool", MustFromSlice([]bool{true, false}), []float64{1, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.x.Float64s()
			require.Equal(t, tc.want, got)
			got[0] = 99
			require.NotEqual(t, 99.0, tc.x.Float64s()[0], "a copy")
		})
	}
}

func TestInt64s(t *testing.T) {
	tests := []struct {
		name string
		x    *Tensor
		want []int64
	}{
		{"float truncates toward zero", MustFromSlice([]float32{2.7, -2.7, 0.5, -0.5}), []int64{2, -2, 0, 0}},
		{"NaN is zero", MustFromSlice([]float64{math.NaN()}), []int64{0}},
		{"infinities saturate", MustFromSlice([]float64{math.Inf(1), math.Inf(-1)}), []int64{math.MaxInt64, math.MinInt64}},
		{"beyond int64 saturates", MustFromSlice([]float64{1e19, -1e19}), []int64{math.MaxInt64, math.MinInt64}},
		{"float16", MustFromSlice([]Float16Value{0x4900}), []int64{10}},   // 10.0
		{"bfloat16", MustFromSlice([]BFloat16Value{0xC0B0}), []int64{-5}}, // -5.5
		{"int64 exact above 2^53", MustFromSlice([]int64{1<<53 + 1, math.MinInt64}), []int64{1<<53 + 1, math.MinInt64}},
		{"uint8", MustFromSlice([]uint8{255}), []int64{255}},
		{"bool", MustFromSlice([]bool{false, true}), []int64{0, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.x.Int64s())
		})
	}
}

func TestFromFloat64s(t *testing.T) {
	tests := []struct {
		name string
		d    DType
		in   []float64
		want []int64 // for integer and bool dtypes
	}{
		{"int8 truncates and wraps", Int8, []float64{2.9, -2.9, 127, 128, 300.7, -129}, []int64{2, -2, 127, -128, 44, 127}},
		{"uint8 wraps", Uint8, []float64{255.9, 256, -1}, []int64{255, 0, 255}},
		{"int32 wraps", Int32, []float64{1 << 31, -1<<31 - 1}, []int64{math.MinInt32, math.MaxInt32}},
		{"int64 NaN and saturation", Int64, []float64{math.NaN(), math.Inf(1), -1e300}, []int64{0, math.MaxInt64, math.MinInt64}},
		// like numpy's astype(bool): anything nonzero, NaN included, is true
		{"bool", Bool, []float64{0, -0.0, 0.5, math.NaN(), -3}, []int64{0, 0, 1, 1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, err := FromFloat64s(tc.d, Shape{len(tc.in)}, tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.d, x.DType())
			require.Equal(t, tc.want, x.Int64s())
		})
	}

	x, err := FromFloat64s(Float32, Shape{3}, []float64{1.0 / 3, 1e39, math.NaN()})
	require.NoError(t, err)
	v := MustView[float32](x)
	require.Equal(t, float32(1.0/3), v[0])
	require.True(t, math.IsInf(float64(v[1]), 1), "beyond float32 is +Inf")
	require.True(t, math.IsNaN(float64(v[2])))

	// float16(1/3): 1/3 = 1.333...·2^-2 → exponent field 13, mantissa round(0.333...·1024) = 341 = 0x155
	h, err := FromFloat64s(Float16, Shape{1}, []float64{1.0 / 3})
	require.NoError(t, err)
	require.Equal(t, Float16Value(0x3555), MustView[Float16Value](h)[0])
	require.Equal(t, 0.333251953125, h.Float64s()[0]) // 1365/4096

	// bfloat16(1/3): float32 1/3 is 0x3EAAAAAB; low half 0xAAAB > 0x8000 rounds up to 0x3EAB
	b, err := FromFloat64s(BFloat16, Shape{1}, []float64{1.0 / 3})
	require.NoError(t, err)
	require.Equal(t, BFloat16Value(0x3EAB), MustView[BFloat16Value](b)[0])

	n, err := FromFloat64s(Float16, Shape{2}, []float64{math.NaN(), math.Inf(-1)})
	require.NoError(t, err)
	require.True(t, math.IsNaN(n.Float64s()[0]))
	require.True(t, math.IsInf(n.Float64s()[1], -1))

	_, err = FromFloat64s(Float32, Shape{2}, []float64{1})
	require.ErrorIs(t, err, ErrShape)
	_, err = FromFloat64s(Invalid, Shape{1}, []float64{1})
	require.ErrorIs(t, err, ErrDType)
	_, err = FromFloat64s(Float32, Shape{-1}, nil)
	require.ErrorIs(t, err, ErrShape)
}

func TestFromInt64s(t *testing.T) {
	tests := []struct {
		name string
		d    DType
		in   []int64
		want []int64
	}{
		{"int8 wraps", Int8, []int64{127, 128, -129, 255}, []int64{127, -128, 127, -1}},
		{"uint8 wraps", Uint8, []int64{256, -1, 511}, []int64{0, 255, 255}},
		{"int32 wraps", Int32, []int64{1<<32 + 5, 1 << 31}, []int64{5, math.MinInt32}},
		{"int64 exact", Int64, []int64{1<<53 + 1, math.MaxInt64}, []int64{1<<53 + 1, math.MaxInt64}},
		{"bool", Bool, []int64{0, 2, -1}, []int64{0, 1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, err := FromInt64s(tc.d, Shape{len(tc.in)}, tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, x.Int64s())
		})
	}
	_, err := FromInt64s(Int8, Shape{2}, []int64{1})
	require.ErrorIs(t, err, ErrShape)
	_, err = FromInt64s(DType(77), Shape{1}, []int64{1})
	require.ErrorIs(t, err, ErrDType)
}

func TestAsType(t *testing.T) {
	tests := []struct {
		name string
		x    *Tensor
		to   DType
		want *Tensor
	}{
		{"float32 to int32 truncates", MustFromSlice([]float32{2.7, -2.7, float32(math.NaN())}), Int32,
			MustFromSlice([]int32{2, -2, 0})},
		{"float64 to int8 truncates then wraps", MustFromSlice([]float64{200.5, -0.9}), Int8,
			MustFromSlice([]int8{-56, 0})}, // 200 - 256
		{"float to bool", MustFromSlice([]float32{0, 0.1}), Bool, MustFromSlice([]bool{false, true})},
		{"bool to float16", MustFromSlice([]bool{true, false}), Float16,
			MustFromSlice([]Float16Value{0x3C00, 0})},
		{"int64 to int8 wraps", MustFromSlice([]int64{200, -200, 1 << 40}), Int8,
			MustFromSlice([]int8{-56, 56, 0})},
		{"int64 to int32 wraps", MustFromSlice([]int64{1<<32 + 5}), Int32, MustFromSlice([]int32{5})},
		{"uint8 to int8", MustFromSlice([]uint8{255, 128}), Int8, MustFromSlice([]int8{-1, -128})},
		{"int8 to uint8", MustFromSlice([]int8{-1}), Uint8, MustFromSlice([]uint8{255})},
		// int→int goes through int64, never float64: 2^53+1 survives
		{"int32 to int64", MustFromSlice([]int32{math.MinInt32}), Int64, MustFromSlice([]int64{math.MinInt32})},
		{"int64 to int64 above 2^53", MustFromSlice([]int64{1<<53 + 1}), Int64, MustFromSlice([]int64{1<<53 + 1})},
		{"int64 to float64 rounds", MustFromSlice([]int64{1<<53 + 1}), Float64, MustFromSlice([]float64{1 << 53})},
		{"float64 third to float16", MustFromSlice([]float64{1.0 / 3}), Float16,
			MustFromSlice([]Float16Value{0x3555})},
		{"float32 third to bfloat16", MustFromSlice([]float32{1.0 / 3}), BFloat16,
			MustFromSlice([]BFloat16Value{0x3EAB})},
		{"float16 to float32 exact", MustFromSlice([]Float16Value{0x3555}), Float32,
			MustFromSlice([]float32{0.333251953125})},
		{"bfloat16 to float16", MustFromSlice([]BFloat16Value{0x3EAB}), Float16, // 0.333984375 = 1368/4096
			MustFromSlice([]Float16Value{0x3558})},
		{"float64 to float32 overflow", MustFromSlice([]float64{-1e40}), Float32,
			MustFromSlice([]float32{float32(math.Inf(-1))})},
		{"int64 to bool", MustFromSlice([]int64{0, 1 << 40}), Bool, MustFromSlice([]bool{false, true})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.x.AsType(tc.to)
			require.NoError(t, err)
			require.Equal(t, tc.want.DType(), got.DType())
			require.Equal(t, tc.want.Data(), got.Data())
		})
	}

	x := MustFromSlice([]float32{1, 2}, 2, 1)
	c, err := x.AsType(Float32)
	require.NoError(t, err)
	MustView[float32](c)[0] = 5
	require.Equal(t, float32(1), MustView[float32](x)[0], "same-dtype AsType is a copy")
	require.Equal(t, Shape{2, 1}, c.Shape())
	_, err = x.AsType(Invalid)
	require.ErrorIs(t, err, ErrDType)
}

// Every dtype pair converts, keeps the shape and round-trips small integers.
func TestAsTypeAllPairs(t *testing.T) {
	vals := []float64{0, 1, 0, 1, 1, 0} // representable in every dtype, bool included
	for _, from := range DTypes() {
		for _, to := range DTypes() {
			x, err := FromFloat64s(from, Shape{2, 3}, vals)
			require.NoError(t, err)
			y, err := x.AsType(to)
			require.NoError(t, err, "%v→%v", from, to)
			require.Equal(t, to, y.DType())
			require.Equal(t, Shape{2, 3}, y.Shape())
			require.Equal(t, vals, y.Float64s(), "%v→%v", from, to)
		}
	}
}
