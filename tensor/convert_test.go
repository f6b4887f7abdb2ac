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
