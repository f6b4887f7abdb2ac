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

func TestCompare(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	f64 := func(v ...float64) *Tensor { return MustFromSlice(v) }
	tests := []struct {
		name       string
		got, want  *Tensor
		tol        Tolerance
		equal      bool
		mismatches int
		first      []int
		reason     string // substring of Reason
	}{
		{"identical", f64(1, 2, 3), f64(1, 2, 3), Tolerance{}, true, 0, nil, ""},
		{"within atol", f64(1.05), f64(1), Tolerance{ATol: 0.1}, true, 0, nil, ""},
		{"within rtol", f64(105), f64(100), Tolerance{RTol: 0.06}, true, 0, nil, ""},
		// |0.25| ≤ 0.125 + 0.0625·2 = 0.25 holds (all exact in binary); the bound is inclusive
		{"atol plus rtol", f64(2.25), f64(2), Tolerance{ATol: 0.125, RTol: 0.0625}, true, 0, nil, ""},
		{"outside tol", f64(1, 2.5), f64(1, 2), Tolerance{ATol: 0.1}, false, 1, []int{1}, "rtol=0 atol=0.1"},
		{"multi-index of first mismatch",
			MustFromSlice([]float64{0, 0, 0, 0, 0, 9}, 2, 3), MustFromSlice([]float64{0, 0, 0, 0, 0, 0}, 2, 3),
			Tolerance{}, false, 1, []int{1, 2}, "differ"},
		{"first of several", MustFromSlice([]float32{0, 1, 0, 1}, 2, 1, 2), MustFromSlice([]float32{0, 0, 0, 0}, 2, 1, 2),
			Tolerance{}, false, 2, []int{0, 0, 1}, "differ"},
		{"scalar mismatch has an empty index", Scalar(1.0), Scalar(2.0), Tolerance{}, false, 1, []int{}, "differ"},
		{"NaN equals NaN", f64(nan, 1), f64(nan, 1), Tolerance{}, true, 0, nil, ""},
		{"NaN vs number", f64(nan), f64(1), Tolerance{ATol: 1e300}, false, 1, []int{0}, "differ"},
		{"number vs NaN", f64(1), f64(nan), Tolerance{ATol: 1e300}, false, 1, []int{0}, "differ"},
		{"Inf equals Inf", f64(inf, -inf), f64(inf, -inf), Tolerance{}, true, 0, nil, ""},
		{"-Inf vs Inf", f64(-inf), f64(inf), Tolerance{RTol: 1}, false, 1, []int{0}, "differ"},
		{"Inf vs huge", f64(inf), f64(math.MaxFloat64), Tolerance{RTol: 1}, false, 1, []int{0}, "differ"},
		{"dtype mismatch", MustFromSlice([]float32{1}), f64(1), Tolerance{}, false, 0, nil, "dtype float32, want float64"},
		{"shape mismatch", MustFromSlice([]float64{1, 2}, 2, 1), f64(1, 2), Tolerance{}, false, 0, nil, "shape [2 1], want [2]"},
		{"nil", nil, f64(1), Tolerance{}, false, 0, nil, "nil tensor"},
		{"ints ignore tolerance", MustFromSlice([]int32{1, 2}), MustFromSlice([]int32{1, 3}),
			Tolerance{ATol: 10, RTol: 10}, false, 1, []int{1}, "rtol=0 atol=0"},
		{"int64 above 2^53", MustFromSlice([]int64{1<<53 + 1}), MustFromSlice([]int64{1 << 53}),
			Tolerance{ATol: 10}, false, 1, []int{0}, "differ"},
		{"int64 equal above 2^53", MustFromSlice([]int64{1<<62 + 1}), MustFromSlice([]int64{1<<62 + 1}),
			Tolerance{}, true, 0, nil, ""},
		{"bool", MustFromSlice([]bool{true, false}), MustFromSlice([]bool{true, true}), Tolerance{ATol: 1},
			false, 1, []int{1}, "differ"},
		{"float16 within tol", MustFromSlice([]Float16Value{0x3C00}), MustFromSlice([]Float16Value{0x3C01}),
			Tolerance{ATol: 1e-3}, true, 0, nil, ""}, // 1 vs 1+2^-10
		{"empty", MustFromSlice([]float32{}, 0, 2), MustFromSlice([]float32{}, 0, 2), Tolerance{}, true, 0, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Compare(tc.got, tc.want, tc.tol)
			require.Equal(t, tc.equal, c.Equal, c.String())
			require.Equal(t, tc.mismatches, c.Mismatches)
			require.Equal(t, tc.first, c.FirstMismatch)
			if tc.equal {
				require.Empty(t, c.Reason)
			} else {
				require.Contains(t, c.Reason, tc.reason)
			}
		})
	}
}

func TestCompareErrorMeasures(t *testing.T) {
	got := MustFromSlice([]float64{1, 2.5, -4, 0.125})
	want := MustFromSlice([]float64{1, 2, -5, 0})
	// abs errors 0, 0.5, 1, 0.125 → max 1
	// rel errors 0, 0.5/2 = 0.25, 1/5 = 0.2, (skipped: want 0) → max 0.25
	c := Compare(got, want, Tolerance{RTol: 0.3, ATol: 0.125})
	require.True(t, c.Equal, c.String()) // 0.5 ≤ 0.125+0.6, 1 ≤ 0.125+1.5, 0.125 ≤ 0.125
	require.Equal(t, 1.0, c.MaxAbsErr)
	require.Equal(t, 0.25, c.MaxRelErr)
	require.Equal(t, "equal (max abs err 1, max rel err 0.25)", c.String())

	// rtol 0.1: element 1 needs 0.5 ≤ 0.125+0.2 (fails), element 2 needs 1 ≤ 0.125+0.5 (fails)
	c = Compare(got, want, Tolerance{RTol: 0.1, ATol: 0.125})
	require.False(t, c.Equal)
	require.Equal(t, 2, c.Mismatches)
	require.Equal(t, []int{1}, c.FirstMismatch)
	require.Equal(t, 2.5, c.Got)
	require.Equal(t, 2.0, c.Want)
	require.Equal(t, 1.0, c.MaxAbsErr)
	require.Equal(t, 0.25, c.MaxRelErr)
	require.Equal(t, "values differ beyond rtol=0.1 atol=0.125: 2 mismatches, first at [1]: got 2.5 want 2 "+
		"(max abs err 1, max rel err 0.25)", c.String())

	// non-finite elements do not feed the error measures
	c = Compare(MustFromSlice([]float32{float32(math.Inf(1)), 3}), MustFromSlice([]float32{1, 2}), Tolerance{})
	require.Equal(t, 1.0, c.MaxAbsErr)
	require.Equal(t, 0.5, c.MaxRelErr)

	require.Equal(t, "dtype int8, want uint8",
		Compare(MustFromSlice([]int8{1}), MustFromSlice([]uint8{1}), Tolerance{}).String())
}
