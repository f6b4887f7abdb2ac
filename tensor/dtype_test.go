package tensor

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDTypeProperties(t *testing.T) {
	tests := []struct {
		d                       DType
		name                    string
		size                    int
		float, integer, numeric bool
	}{
		{Float32, "float32", 4, true, false, true},
		{Float64, "float64", 8, true, false, true},
		{Float16, "float16", 2, true, false, true},
		{BFloat16, "bfloat16", 2, true, false, true},
		{Int8, "int8", 1, false, true, true},
		{Uint8, "uint8", 1, false, true, true},
		{Int32, "int32", 4, false, true, true},
		{Int64, "int64", 8, false, true, true},
		{Bool, "bool", 1, false, false, false},
		{Int16, "int16", 2, false, true, true},
		{Uint16, "uint16", 2, false, true, true},
		{Uint32, "uint32", 4, false, true, true},
		{Uint64, "uint64", 8, false, true, true},
	}
	require.Len(t, DTypes(), len(tests), "every dtype is in the table")
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.d, DTypes()[i], "DTypes is in declaration order")
			require.Equal(t, tc.name, tc.d.String())
			require.Equal(t, tc.size, tc.d.Size())
			require.True(t, tc.d.Valid())
			require.Equal(t, tc.float, tc.d.IsFloat())
			require.Equal(t, tc.integer, tc.d.IsInt())
			require.Equal(t, tc.numeric, tc.d.IsNumeric())
			got, err := ParseDType(tc.name)
			require.NoError(t, err)
			require.Equal(t, tc.d, got)
		})
	}
}

func TestDTypeInvalid(t *testing.T) {
	for _, d := range []DType{Invalid, numDTypes, 200} {
		require.False(t, d.Valid(), "%d", d)
		require.Zero(t, d.Size())
		require.False(t, d.IsNumeric())
	}
	require.Equal(t, "invalid", Invalid.String())
	require.Equal(t, "dtype(200)", DType(200).String())
	for _, name := range []string{"", "invalid", "Float32", "float", "int4", "dtype(200)"} {
		_, err := ParseDType(name)
		require.Error(t, err, name)
	}
}

func TestDTypeOf(t *testing.T) {
	require.Equal(t, Float32, DTypeOf[float32]())
	require.Equal(t, Float64, DTypeOf[float64]())
	require.Equal(t, Float16, DTypeOf[Float16Value]())
	require.Equal(t, BFloat16, DTypeOf[BFloat16Value]())
	require.Equal(t, Int8, DTypeOf[int8]())
	require.Equal(t, Uint8, DTypeOf[uint8]())
	require.Equal(t, Int32, DTypeOf[int32]())
	require.Equal(t, Int64, DTypeOf[int64]())
	require.Equal(t, Bool, DTypeOf[bool]())
}

func TestBFloat16FromFloat32(t *testing.T) {
	tests := []struct {
		name string
		in   uint32 // float32 bits
		want BFloat16Value
	}{
		{"one", 0x3F800000, 0x3F80},
		{"minus one", 0xBF800000, 0xBF80},
		{"zero", 0, 0},
		{"negative zero", 0x80000000, 0x8000},
		// 1.00390625 = 1+2^-8 is halfway between 0x3F80 and 0x3F81: ties to the even 0x3F80
		{"halfway to even down", 0x3F808000, 0x3F80},
		// 1.01171875 = 1+3*2^-8 is halfway between 0x3F81 and 0x3F82: ties to the even 0x3F82
		{"halfway to even up", 0x3F818000, 0x3F82},
		{"just above halfway", 0x3F808001, 0x3F81},
		{"just below halfway", 0x3F807FFF, 0x3F80},
		{"negative halfway", 0xBF818000, 0xBF82},
		{"pi", 0x40490FDB, 0x4049}, // 3.14159274: low half 0x0FDB < 0x8000
		{"+Inf", 0x7F800000, 0x7F80},
		{"-Inf", 0xFF800000, 0xFF80},
		// MaxFloat32's low half 0xFFFF is above halfway, and rounding up carries into the exponent
		{"max float32 overflows", 0x7F7FFFFF, 0x7F80},
		{"largest that stays finite", 0x7F7F7FFF, 0x7F7F},
		{"smallest subnormal rounds to zero", 0x00000001, 0x0000},
		{"subnormal halfway to even", 0x00018000, 0x0002},
		{"quiet NaN", 0x7FC00000, 0x7FC0},
		// payload only in the low 16 bits: plain truncation would make +Inf
		{"NaN with low payload", 0x7F800001, 0x7FC0},
		{"negative NaN with low payload", 0xFF800001, 0xFFC0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := BFloat16FromFloat32(math.Float32frombits(tc.in))
			require.Equal(t, tc.want, got, "got %#04x", uint16(got))
		})
	}
}

func TestBFloat16Float32(t *testing.T) {
	require.Equal(t, float32(1), BFloat16Value(0x3F80).Float32())
	require.Equal(t, float32(-2), BFloat16Value(0xC000).Float32())
	require.Equal(t, float32(1.0078125), BFloat16Value(0x3F81).Float32()) // 1+2^-7
	require.True(t, math.IsInf(float64(BFloat16Value(0xFF80).Float32()), -1))
	require.True(t, math.IsNaN(float64(BFloat16Value(0x7FC0).Float32())))
	require.Equal(t, "1.0078125", BFloat16Value(0x3F81).String())
	// every finite bfloat16 survives a round trip through float32
	for b := 0; b < 1<<16; b++ {
		v := BFloat16Value(b)
		if f := v.Float32(); f == f {
			require.Equal(t, v, BFloat16FromFloat32(f), "%#04x", b)
		}
	}
}

func TestIntRange(t *testing.T) {
	for _, c := range []struct {
		d      DType
		lo, hi int64
	}{
		{Int8, -128, 127}, {Uint8, 0, 255}, {Int32, -1 << 31, 1<<31 - 1},
		{Int64, -1 << 63, 1<<63 - 1}, {Bool, 0, 1},
	} {
		lo, hi := IntRange(c.d)
		require.Equal(t, c.lo, lo, "%v", c.d)
		require.Equal(t, c.hi, hi, "%v", c.d)
	}
}
