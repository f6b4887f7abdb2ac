package tensor

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRandDeterministic(t *testing.T) {
	for _, d := range DTypes() {
		t.Run(d.String(), func(t *testing.T) {
			a, err := Rand(d, 7, 0, 100, 4, 5)
			require.NoError(t, err)
			b, err := Rand(d, 7, 0, 100, 4, 5)
			require.NoError(t, err)
			require.Equal(t, a.Bytes(), b.Bytes(), "same seed, same data")
			c, err := Rand(d, 8, 0, 100, 4, 5)
			require.NoError(t, err)
			require.NotEqual(t, a.Bytes(), c.Bytes(), "different seed, different data")
			flat, err := Rand(d, 7, 0, 100, 20)
			require.NoError(t, err)
			require.Equal(t, a.Bytes(), flat.Bytes(), "the shape does not change the stream")
			require.Equal(t, Shape{4, 5}, a.Shape())
			if d.IsFloat() {
				n, err := RandNormal(d, 7, 0, 1, 4, 5)
				require.NoError(t, err)
				m, err := RandNormal(d, 7, 0, 1, 4, 5)
				require.NoError(t, err)
				require.Equal(t, n.Bytes(), m.Bytes())
			}
		})
	}
}

// Golden values pin the stream: the same numbers must come out on every
// platform and Go version. A change here breaks every seeded test and zoo
// model weight downstream, so it needs a very good reason. The values were
// cross-checked outside Go from the raw PCG outputs for seed 1 (Python:
// (r>>11)·2^-53; Lemire's high product word for the ints; the polar method
// with libm's log, which agreed to one ulp on the third normal).
func TestRandGolden(t *testing.T) {
	u, err := Rand(Float64, 1, 0, 1, 3)
	require.NoError(t, err)
	require.Equal(t, []uint64{0x3fba41596b8e5760, 0x3fd1b423b8ec7990, 0x3fede5d31780c434}, float64Bits(u.Float64s()))

	n, err := RandNormal(Float64, 1, 0, 1, 3)
	require.NoError(t, err)
	require.Equal(t, []uint64{0xbfe0f34bf0960426, 0xbfd30dc6fd2c1468, 0x3fde5911b9729599}, float64Bits(n.Float64s()))

	i, err := Rand(Int64, 1, -1e18, 1e18, 3)
	require.NoError(t, err)
	require.Equal(t, []int64{-794880697710429694, -446760310002174389, 868609515961236747}, i.Int64s())
}

func float64Bits(v []float64) []uint64 {
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = math.Float64bits(x)
	}
	return out
}

func TestRandFloatBounds(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi float64
	}{
		{"unit", 0, 1},
		{"symmetric", -1, 1},
		{"narrow", 1, 1.01},
		{"negative", -1000, -999.5},
		{"tiny", 0, 1e-30},
	}
	for _, d := range []DType{Float32, Float64, Float16, BFloat16} {
		for _, tc := range tests {
			if d == Float16 && tc.name == "tiny" {
				continue // no float16 value but 0 in [0, 1e-30); tested below
			}
			t.Run(d.String()+"/"+tc.name, func(t *testing.T) {
				x, err := Rand(d, 3, tc.lo, tc.hi, 4000)
				require.NoError(t, err)
				lo, hi := math.Inf(1), math.Inf(-1)
				for _, v := range x.Float64s() {
					if v < tc.lo || v >= tc.hi {
						t.Fatalf("%v outside [%v, %v)", v, tc.lo, tc.hi)
					}
					lo, hi = min(lo, v), max(hi, v)
				}
				if d == Float32 || d == Float64 { // the 16-bit types hold only a few values in some intervals
					// the samples spread over the interval
					require.Less(t, lo, tc.lo+(tc.hi-tc.lo)*0.05)
					require.Greater(t, hi, tc.hi-(tc.hi-tc.lo)*0.05)
				}
			})
		}
	}
}

func TestRandFloatEdges(t *testing.T) {
	// [0, 1) in float16: 1-2^-11 is the largest value below 1; many samples round toward 1
	x, err := Rand(Float16, 5, 0, 1, 20000)
	require.NoError(t, err)
	top := 0.0
	for _, v := range x.Float64s() {
		require.Less(t, v, 1.0)
		top = max(top, v)
	}
	require.Equal(t, 1-0x1p-11, top)

	// bounds beyond float16's range clamp to ±65504
	x, err = Rand(Float16, 5, -1e9, 1e9, 1000)
	require.NoError(t, err)
	for _, v := range x.Float64s() {
		require.False(t, math.IsInf(v, 0))
		require.LessOrEqual(t, math.Abs(v), 65504.0)
	}

	// the whole float64 range: b - a overflows, the samples must not
	x, err = Rand(Float64, 5, -math.MaxFloat64, math.MaxFloat64, 1000)
	require.NoError(t, err)
	for _, v := range x.Float64s() {
		require.False(t, math.IsInf(v, 0) || math.IsNaN(v))
	}

	// lo == hi fills with lo, rounded to the dtype
	x, err = Rand(Float16, 5, 1.0/3, 1.0/3, 3)
	require.NoError(t, err)
	require.Equal(t, []Float16Value{0x3555, 0x3555, 0x3555}, MustView[Float16Value](x))
}

func TestRandInts(t *testing.T) {
	tests := []struct {
		d      DType
		lo, hi float64
		first  int64 // the smallest and largest values that can come out
		last   int64
	}{
		{Int8, -2, 2, -2, 2},
		{Int8, -128, 127, -128, 127},
		{Uint8, 0, 255, 0, 255},
		{Uint8, 0.5, 3.5, 1, 3}, // bounds round inward
		{Int32, -3, 3, -3, 3},
		{Int64, -1, 1, -1, 1},
		{Int64, 5, 5, 5, 5},
	}
	for _, tc := range tests {
		t.Run(tc.d.String(), func(t *testing.T) {
			x, err := Rand(tc.d, 11, tc.lo, tc.hi, 5000)
			require.NoError(t, err)
			seen := map[int64]bool{}
			for _, v := range x.Int64s() {
				if v < tc.first || v > tc.last {
					t.Fatalf("%d outside [%d, %d]", v, tc.first, tc.last)
				}
				seen[v] = true
			}
			require.True(t, seen[tc.first], "inclusive lower bound is hit")
			require.True(t, seen[tc.last], "inclusive upper bound is hit")
		})
	}

	// the widest int64 interval float64 bounds can express
	x, err := Rand(Int64, 1, math.MinInt64, math.Nextafter(0x1p63, 0), 1000)
	require.NoError(t, err)
	neg := 0
	for _, v := range x.Int64s() {
		if v < 0 {
			neg++
		}
	}
	require.InDelta(t, 500, neg, 100)
}

func TestRandBool(t *testing.T) {
	x, err := Rand(Bool, 2, 0, 1, 10000)
	require.NoError(t, err)
	n := 0
	for _, b := range MustView[bool](x) {
		if b {
			n++
		}
	}
	require.InDelta(t, 5000, n, 250, "a fair coin")
}

func TestRandStatistics(t *testing.T) {
	u, err := Rand(Float64, 9, -1, 3, 100000)
	require.NoError(t, err)
	mean, sd := meanStd(u.Float64s())
	require.InDelta(t, 1, mean, 0.02)
	require.InDelta(t, 4/math.Sqrt(12), sd, 0.02) // uniform: (hi-lo)/√12

	n, err := RandNormal(Float32, 9, 5, 2, 100000)
	require.NoError(t, err)
	vals := n.Float64s()
	mean, sd = meanStd(vals)
	require.InDelta(t, 5, mean, 0.03)
	require.InDelta(t, 2, sd, 0.03)
	within := 0
	for _, v := range vals {
		if math.Abs(v-5) < 2 {
			within++
		}
	}
	require.InDelta(t, 0.6827, float64(within)/float64(len(vals)), 0.01, "one sigma")

	z, err := RandNormal(BFloat16, 9, -3, 0, 4)
	require.NoError(t, err)
	require.Equal(t, []float64{-3, -3, -3, -3}, z.Float64s(), "std 0 is the mean")
	o, err := RandNormal(Float64, 9, 0, 1, 5) // odd count uses half of the last pair
	require.NoError(t, err)
	require.Equal(t, 5, o.NumElements())
}

func meanStd(v []float64) (float64, float64) {
	var s, s2 float64
	for _, x := range v {
		s += x
	}
	m := s / float64(len(v))
	for _, x := range v {
		s2 += (x - m) * (x - m)
	}
	return m, math.Sqrt(s2 / float64(len(v)))
}

func TestRandErrors(t *testing.T) {
	tests := []struct {
		name   string
		d      DType
		lo, hi float64
		shape  []int
		errIs  error  // nil: any error
		errHas string // substring of the message
	}{
		{"invalid dtype", Invalid, 0, 1, []int{2}, ErrDType, ""},
		{"negative dim", Float32, 0, 1, []int{-2}, ErrShape, ""},
		{"too many elements", Float32, 0, 1, []int{1 << 30, 1 << 30}, ErrShape, ""},
		{"lo > hi", Float32, 1, 0, []int{2}, nil, "lo > hi"},
		{"lo > hi int", Int32, 5, 4, []int{2}, nil, "lo > hi"},
		{"lo > hi bool", Bool, 5, 4, []int{2}, nil, "lo > hi"},
		{"NaN", Float32, math.NaN(), 1, []int{2}, nil, "finite"},
		{"Inf", Float64, 0, math.Inf(1), []int{2}, nil, "finite"},
		{"no integer", Int8, 0.2, 0.8, []int{2}, nil, "no integer"},
		{"below int8", Int8, -200, 0, []int{2}, nil, "outside the range of int8"},
		{"above uint8", Uint8, 0, 256, []int{2}, nil, "outside the range of uint8"},
		{"negative uint8", Uint8, -1, 3, []int{2}, nil, "outside the range of uint8"},
		{"above int64", Int64, 0, 0x1p63, []int{2}, nil, "outside the range of int64"},
		{"no float16 value", Float16, 1.0001, 1.0002, []int{2}, nil, "holds no float16 value"},
		{"no float32 value above max", Float32, 3.5e38, 3.6e38, []int{2}, nil, "holds no float32 value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Rand(tc.d, 1, tc.lo, tc.hi, tc.shape...)
			require.Error(t, err)
			if tc.errIs != nil {
				require.ErrorIs(t, err, tc.errIs)
			}
			require.ErrorContains(t, err, tc.errHas)
		})
	}

	_, err := RandNormal(Int32, 1, 0, 1, 2)
	require.ErrorIs(t, err, ErrDType)
	_, err = RandNormal(Bool, 1, 0, 1, 2)
	require.ErrorIs(t, err, ErrDType)
	_, err = RandNormal(Invalid, 1, 0, 1, 2)
	require.ErrorIs(t, err, ErrDType)
	_, err = RandNormal(Float32, 1, 0, -1, 2)
	require.ErrorContains(t, err, "negative")
	_, err = RandNormal(Float32, 1, math.NaN(), 1, 2)
	require.ErrorContains(t, err, "finite")
	_, err = RandNormal(Float32, 1, 0, math.Inf(1), 2)
	require.ErrorContains(t, err, "finite")
	_, err = RandNormal(Float32, 1, 0, 1, -1)
	require.ErrorIs(t, err, ErrShape)
}

func TestPortableLog(t *testing.T) {
	for _, x := range []float64{1, 0.5, 0.75, 0.1, 1e-5, 1e-300, 0.7071067811865476, 0.9999999999999999} {
		want := math.Log(x)
		got := portableLog(x)
		require.InDelta(t, want, got, 2*math.Abs(want)*0x1p-52+1e-300, "log(%g)", x)
	}
	require.Equal(t, 0.0, portableLog(1))
	// log(2^-1074) = -1074·ln 2. (math.Log gets subnormals wrong on amd64: golang/go#56600.)
	require.InDelta(t, -1074*math.Ln2, portableLog(5e-324), 1e-12)
}
