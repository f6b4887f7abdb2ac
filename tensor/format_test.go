package tensor

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestString(t *testing.T) {
	seq := func(n int) []int32 {
		v := make([]int32, n)
		for i := range v {
			v[i] = int32(i)
		}
		return v
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	tests := []struct {
		name string
		x    *Tensor
		want string
	}{
		{"matrix", MustFromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3), "float32[2 3] [[1 2 3] [4 5 6]]"},
		{"vector", MustFromSlice([]float64{0.1, -2.5e-8, 1e21}), "float64[3] [0.1 -2.5e-08 1e+21]"},
		{"float32 shortest", MustFromSlice([]float32{1.0 / 3}), "float32[1] [0.33333334]"},
		{"scalar", Scalar(int64(-7)), "int64[] -7"},
		{"bool scalar", Scalar(true), "bool[] true"},
		{"rank 3", MustFromSlice([]int8{1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2), "int8[2 2 2] [[[1 2] [3 4]] [[5 6] [7 8]]]"},
		{"empty vector", MustFromSlice([]float32{}), "float32[0] []"},
		{"empty rows", MustFromSlice([]uint8{}, 2, 0), "uint8[2 0] [[] []]"},
		{"empty outer", MustFromSlice([]uint8{}, 0, 3), "uint8[0 3] []"},
		{"non-finite", MustFromSlice([]float32{nan, inf, -inf}), "float32[3] [NaN +Inf -Inf]"},
		{"float16 shortest", MustFromSlice([]Float16Value{0x3555, 0x7BFF, 0x0001}),
			"float16[3] [0.3333 65500 6e-08]"}, // 1365/4096, max 65504, smallest subnormal 2^-24
		{"bfloat16 shortest", MustFromSlice([]BFloat16Value{0x3EAB, 0x3F80, 0xFFC0}), "bfloat16[3] [0.334 1 NaN]"},
		{"bool", MustFromSlice([]bool{true, false}), "bool[2] [true false]"},
		{"six elements not cut", MustFromSlice(seq(6)), "int32[6] [0 1 2 3 4 5]"},
		{"seven elements cut", MustFromSlice(seq(7)), "int32[7] [0 1 2 ... 4 5 6]"},
		{"both dims cut", MustFromSlice(seq(64), 8, 8),
			"int32[8 8] [[0 1 2 ... 5 6 7] [8 9 10 ... 13 14 15] [16 17 18 ... 21 22 23] ... " +
				"[40 41 42 ... 45 46 47] [48 49 50 ... 53 54 55] [56 57 58 ... 61 62 63]]"},
		{"outer dim cut", MustFromSlice(seq(14), 7, 2), "int32[7 2] [[0 1] [2 3] [4 5] ... [8 9] [10 11] [12 13]]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.x.String())
		})
	}
	var nilT *Tensor
	require.Equal(t, "<nil>", nilT.String())
}

func TestStringStaysShort(t *testing.T) {
	tests := []struct {
		name  string
		shape []int
	}{
		{"every dim cut", []int{7, 7, 7, 7, 7}}, // 6^5 corner elements
		{"no dim cut", []int{6, 6, 6, 6}},       // 1296 elements, all shown but for the cap
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, err := Full(-1.0/3, tc.shape...) // 19 characters each
			require.NoError(t, err)
			s := x.String()
			require.LessOrEqual(t, len(s), formatMaxBytes+64)
			require.Contains(t, s, "[[[[-0.3333333333333333 -0.3333333333333333 ")
			require.True(t, strings.HasSuffix(s, "3 ..."), s[len(s)-30:])
		})
	}
}

func TestSummary(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name string
		x    *Tensor
		want string
	}{
		// finite: -1, 2, 6, 3 → mean 10/4
		{"floats with NaN and Inf", MustFromSlice([]float32{-1, 2, float32(nan), 6, float32(inf), 3}, 2, 3),
			"float32[2 3] min=-1 max=6 mean=2.5 nan=1 inf=1"},
		{"float64", MustFromSlice([]float64{0.1, 0.2}), "float64[2] min=0.1 max=0.2 mean=0.15 nan=0 inf=0"},
		{"float16", MustFromSlice([]Float16Value{0x3555, 0xBC00}), "float16[2] min=-1 max=0.3333 mean=-0.333374 nan=0 inf=0"},
		{"bfloat16", MustFromSlice([]BFloat16Value{0x3F80}), "bfloat16[1] min=1 max=1 mean=1 nan=0 inf=0"},
		{"no finite values", MustFromSlice([]float64{nan, -inf}), "float64[2] no finite values nan=1 inf=1"},
		{"ints", MustFromSlice([]int8{-128, 127, 1}), "int8[3] min=-128 max=127 mean=0"},
		{"uint8", MustFromSlice([]uint8{255, 0}), "uint8[2] min=0 max=255 mean=127.5"},
		// min and max are exact even where float64 is not
		{"int64 exact", MustFromSlice([]int64{1<<53 + 1, 1 << 53}), "int64[2] min=9007199254740992 max=9007199254740993 mean=9.0072e+15"},
		{"int32 scalar", Scalar(int32(4)), "int32[] min=4 max=4 mean=4"},
		{"bool", MustFromSlice([]bool{true, false, true}), "bool[3] true=2 false=1"},
		{"empty", MustFromSlice([]float32{}, 0, 4), "float32[0 4] empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.x.Summary())
		})
	}
	var nilT *Tensor
	require.Equal(t, "<nil>", nilT.Summary())
}
