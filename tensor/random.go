package tensor

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"

	"github.com/x448/float16"
)

// Seeded random tensors for tests, benchmarks and deterministic model weights.
//
// The same (dtype, seed, parameters, element count) gives the same elements
// on every run, Go port and architecture. So the only thing taken from
// math/rand/v2 is the PCG generator's raw 64-bit stream: its derived helpers
// are not portable (Rand.Uint64N takes a different path on 32-bit platforms,
// and NormFloat64's tails go through math.Exp, which has per-architecture
// assembly). Every transformation below is integer arithmetic or single
// IEEE-754 operations with explicit conversions, which the compiler may not
// fuse into FMA instructions. Elements are drawn in row-major order, so the
// data depends on the element count and not on how it is shaped.

// randStream is the PCG stream selector paired with the caller's seed.
const randStream = 0x62_61_63_6b_70_6c_61_6e // "backplan"

// Rand returns a tensor of dtype d and the given shape filled from seed:
// floats uniform in [lo, hi), integers uniform in [lo, hi] inclusive (lo
// rounded up and hi down to integers; both must lie in the dtype's range),
// bool a fair coin (lo and hi are still checked, then ignored).
//
// For floats, bounds beyond the dtype's finite range are clamped to it, and
// lo == hi fills every element with lo rounded to the dtype. It fails for an
// invalid dtype or shape, a NaN or infinite bound, lo > hi, or an interval
// that holds no value of the dtype (e.g. float16 in [1.0001, 1.0002)).
func Rand(d DType, seed uint64, lo, hi float64, shape ...int) (*Tensor, error) {
	t, err := New(d, shape...)
	if err != nil {
		return nil, err
	}
	switch {
	case math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0):
		return nil, fmt.Errorf("tensor: Rand bounds [%g, %g) must be finite", lo, hi)
	case lo > hi:
		return nil, fmt.Errorf("tensor: Rand bounds [%g, %g) have lo > hi", lo, hi)
	}
	src := rand.NewPCG(seed, randStream)
	n := t.NumElements()
	switch {
	case d == Bool:
		v := t.data.([]bool)
		for i := range v {
			v[i] = src.Uint64()>>63 == 1
		}
		return t, nil
	case d.IsInt():
		return randInts(t, src, lo, hi)
	}
	if lo == hi {
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = lo
		}
		return FromFloat64s(d, t.shape, vals)
	}
	// a and b are the smallest and largest values of d in [lo, hi). Samples
	// are drawn uniformly from [a, top), top being the value of d above b
	// (hi itself when d can represent it, so Float64 in [0, 1) yields the
	// raw 53-bit uniforms), then clamped to [a, b] in case the arithmetic
	// rounds up to top. Rounding to nearest is monotonic and a and b are
	// values of d, so the samples rounded to d stay in [a, b].
	a := roundToDType(d, lo)
	if a < lo {
		a = stepDType(d, a, true)
	}
	b := roundToDType(d, hi)
	if b >= hi {
		b = stepDType(d, b, false)
	}
	if a > b {
		return nil, fmt.Errorf("tensor: Rand interval [%g, %g) holds no %v value", lo, hi, d)
	}
	top := stepDType(d, b, true)
	if math.IsInf(top, 0) {
		top = b // b is the largest finite value of d
	}
	span := top - a // overflows only for float64 bounds near ±MaxFloat64
	vals := make([]float64, n)
	for i := range vals {
		u := unitFloat(src)
		var x float64
		if math.IsInf(span, 0) {
			x = float64(a*(1-u)) + float64(top*u)
		} else {
			x = a + float64(span*u)
		}
		vals[i] = min(max(x, a), b)
	}
	return FromFloat64s(d, t.shape, vals)
}

// RandNormal returns a float tensor of dtype d and the given shape filled
// from seed with normally distributed values of the given mean and standard
// deviation, rounded to the dtype (so large values can round to ±Inf in
// float16). It fails for a non-float dtype, an invalid shape, a NaN or
// infinite mean or std, or std < 0.
func RandNormal(d DType, seed uint64, mean, std float64, shape ...int) (*Tensor, error) {
	if d.Valid() && !d.IsFloat() {
		return nil, fmt.Errorf("%w: RandNormal needs a float dtype, not %v", ErrDType, d)
	}
	t, err := New(d, shape...)
	if err != nil {
		return nil, err
	}
	switch {
	case math.IsNaN(mean) || math.IsInf(mean, 0) || math.IsNaN(std) || math.IsInf(std, 0):
		return nil, fmt.Errorf("tensor: RandNormal mean %g and std %g must be finite", mean, std)
	case std < 0:
		return nil, fmt.Errorf("tensor: RandNormal std %g is negative", std)
	}
	src := rand.NewPCG(seed, randStream)
	vals := make([]float64, t.NumElements())
	for i := 0; i < len(vals); i += 2 {
		z0, z1 := normalPair(src)
		vals[i] = mean + float64(std*z0)
		if i+1 < len(vals) {
			vals[i+1] = mean + float64(std*z1)
		}
	}
	return FromFloat64s(d, t.shape, vals)
}

// randInts fills the integer tensor t uniformly from [ceil(lo), floor(hi)].
func randInts(t *Tensor, src *rand.PCG, lo, hi float64) (*Tensor, error) {
	a, b := math.Ceil(lo), math.Floor(hi)
	if a > b {
		return nil, fmt.Errorf("tensor: Rand interval [%g, %g] holds no integer", lo, hi)
	}
	var dmin, dmax float64
	switch t.dtype {
	case Int8:
		dmin, dmax = math.MinInt8, math.MaxInt8
	case Uint8:
		dmin, dmax = 0, math.MaxUint8
	case Int32:
		dmin, dmax = math.MinInt32, math.MaxInt32
	case Int16:
		dmin, dmax = math.MinInt16, math.MaxInt16
	case Uint16:
		dmin, dmax = 0, math.MaxUint16
	case Uint32:
		dmin, dmax = 0, math.MaxUint32
	case Int64, Uint64:
		// float64(MaxInt64) rounds up to 2^63; the largest float64 below it is 2^63-1024
		dmin, dmax = math.MinInt64, math.Nextafter(0x1p63, 0)
		if t.dtype == Uint64 {
			dmin = 0
		}
	}
	if a < dmin || b > dmax {
		return nil, fmt.Errorf("tensor: Rand interval [%g, %g] is outside the range of %v", lo, hi, t.dtype)
	}
	first, last := int64(a), int64(b)
	// b < 2^63 (checked), so count <= 2^64-1023 never wraps to 0
	count := uint64(last) - uint64(first) + 1
	vals := make([]int64, t.NumElements())
	for i := range vals {
		vals[i] = int64(uint64(first) + boundedUint64(src, count))
	}
	return FromInt64s(t.dtype, t.shape, vals)
}

// boundedUint64 returns a uniform value in [0, n), n > 0, by Lemire's
// multiply-and-reject method.
func boundedUint64(src *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(src.Uint64(), n)
	if lo < n {
		threshold := -n % n // 2^64 mod n: the low products that would bias the result
		for lo < threshold {
			hi, lo = bits.Mul64(src.Uint64(), n)
		}
	}
	return hi
}

// unitFloat returns a uniform float64 in [0, 1) with 53 random bits.
func unitFloat(src *rand.PCG) float64 {
	return float64(src.Uint64()>>11) * 0x1p-53
}

// normalPair returns two independent standard normal values by Marsaglia's
// polar method, using only operations that round the same everywhere.
func normalPair(src *rand.PCG) (float64, float64) {
	for {
		u := float64(2*unitFloat(src)) - 1
		v := float64(2*unitFloat(src)) - 1
		s := float64(u*u) + float64(v*v)
		if s >= 1 || s == 0 {
			continue
		}
		m := math.Sqrt(float64(-2*portableLog(s)) / s)
		return float64(u * m), float64(v * m)
	}
}

// portableLog is the natural logarithm of x in (0, 1], computed with the
// same roundings on every platform (math.Log has amd64 and s390x assembly).
// It writes x = 2^k·f with f in [√½, √2) and sums the series
// log f = 2·atanh(z) = 2(z + z³/3 + z⁵/5 + ...), z = (f−1)/(f+1), |z| < 0.172,
// to well under a float64 ulp.
func portableLog(x float64) float64 {
	f, k := math.Frexp(x) // x = f·2^k, f in [½, 1)
	if f < math.Sqrt2/2 {
		f *= 2
		k--
	}
	z := (f - 1) / (f + 1)
	z2 := float64(z * z)
	sum, term := 0.0, z
	for n := 1; n < 40; n += 2 {
		sum += float64(term / float64(n))
		term = float64(term * z2)
	}
	return float64(float64(k)*math.Ln2) + float64(2*sum)
}

// roundToDType rounds x to the nearest value of float dtype d, as float64.
func roundToDType(d DType, x float64) float64 {
	switch d {
	case Float32:
		return float64(float32(x))
	case Float16:
		return float64(float16.Fromfloat32(float32RoundOdd(x)).Float32())
	case BFloat16:
		return float64(BFloat16FromFloat32(float32RoundOdd(x)).Float32())
	}
	return x
}

// stepDType returns the neighbour of x, a value of float dtype d, above it
// (up) or below it. From ±Inf it steps to the largest finite value.
func stepDType(d DType, x float64, up bool) float64 {
	dir := math.Inf(-1)
	if up {
		dir = math.Inf(1)
	}
	switch d {
	case Float32:
		return float64(math.Nextafter32(float32(x), float32(dir)))
	case Float16:
		b := step16(uint16(float16.Fromfloat32(float32(x))), up)
		return float64(float16.Frombits(b).Float32())
	case BFloat16:
		b := step16(uint16(BFloat16FromFloat32(float32(x))), up)
		return float64(BFloat16Value(b).Float32())
	}
	return math.Nextafter(x, dir)
}

// step16 steps a sign-magnitude 16-bit float (float16 or bfloat16, not NaN)
// one value up or down: the magnitude grows away from zero and shrinks toward it.
func step16(b uint16, up bool) uint16 {
	const sign = 0x8000
	switch {
	case b&^sign == 0: // ±0 steps to the smallest subnormal of the chosen sign
		if up {
			return 1
		}
		return sign | 1
	case (b&sign == 0) == up:
		return b + 1
	}
	return b - 1
}
