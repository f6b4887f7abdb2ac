package tensor

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompareInt64ErrorsExact(t *testing.T) {
	// float64(2^53+1) == float64(2^53), so a float64 subtraction would report 0.
	got := MustFromSlice([]int64{1<<53 + 1, 10})
	want := MustFromSlice([]int64{1 << 53, 8})
	c := Compare(got, want, Tolerance{})
	require.False(t, c.Equal)
	require.Equal(t, 2, c.Mismatches)
	require.Equal(t, []int{0}, c.FirstMismatch)
	require.Equal(t, 2.0, c.MaxAbsErr)  // |10-8|
	require.Equal(t, 0.25, c.MaxRelErr) // 2/8 beats 1/2^53

	// the difference of the extremes does not fit in int64
	c = Compare(MustFromSlice([]int64{math.MaxInt64}), MustFromSlice([]int64{math.MinInt64}), Tolerance{})
	require.Equal(t, 0x1p64, c.MaxAbsErr) // 2^64-1 rounds to 2^64
	require.Equal(t, 2.0, c.MaxRelErr)    // 2^64 / |-2^63|
}
