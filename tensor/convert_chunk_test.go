package tensor

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Reading and writing in chunks gives exactly what Float64s and
// FromFloat64s give for the whole tensor, for every float dtype.
func TestChunkedFloat64sMatchWhole(t *testing.T) {
	vals := []float64{0, 1, -2.5, 1e-8, 65504, 3.14159, -1e30, 7}
	for _, d := range []DType{Float32, Float64, Float16, BFloat16} {
		whole, err := FromFloat64s(d, Shape{len(vals)}, vals)
		require.NoError(t, err)
		want := whole.Float64s()
		got := make([]float64, len(vals))
		for off := 0; off < len(vals); off += 3 {
			n := min(3, len(vals)-off)
			require.True(t, whole.ReadFloat64s(got[off:off+n], off))
		}
		require.Equal(t, want, got, "%v", d)

		back, err := New(d, len(vals))
		require.NoError(t, err)
		for off := 0; off < len(vals); off += 3 {
			n := min(3, len(vals)-off)
			back.WriteFloat64s(off, vals[off:off+n])
		}
		require.Equal(t, whole.Bytes(), back.Bytes(), "%v", d)
	}
	i, err := FromSlice([]int64{1, 2}, 2)
	require.NoError(t, err)
	require.False(t, i.ReadFloat64s(make([]float64, 2), 0), "not a float tensor")
	f, err := New(Float32, 2)
	require.NoError(t, err)
	require.False(t, f.ReadFloat64s(make([]float64, 2), 1), "out of range")
}
