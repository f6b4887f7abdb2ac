package tensor

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/x448/float16"
)

// Float64s returns a copy of t's elements widened to float64 (bool: 0 or 1).
// Every dtype but int64 beyond ±2^53 converts exactly.
func (t *Tensor) Float64s() []float64 {
	out := make([]float64, t.NumElements())
	switch v := t.data.(type) {
	case []float32:
		for i, x := range v {
			out[i] = float64(x)
		}
	case []float64:
		copy(out, v)
	case []Float16Value:
		for i, x := range v {
			out[i] = float64(x.Float32())
		}
	case []BFloat16Value:
		for i, x := range v {
			out[i] = float64(x.Float32())
		}
	case []int8:
		widen(out, v)
	case []uint8:
		widen(out, v)
	case []int32:
		widen(out, v)
	case []int64:
		widen(out, v)
	case []int16:
		widen(out, v)
	case []uint16:
		widen(out, v)
	case []uint32:
		widen(out, v)
	case []uint64:
		widen(out, v)
	case []bool:
		for i, x := range v {
			if x {
				out[i] = 1
			}
		}
	}
	return out
}

// Int64s returns a copy of t's elements converted to int64: floats are
// truncated toward zero (NaN becomes 0, ±Inf saturates), bool is 0 or 1.
func (t *Tensor) Int64s() []int64 {
	out := make([]int64, t.NumElements())
	switch v := t.data.(type) {
	case []int8:
		widen(out, v)
	case []uint8:
		widen(out, v)
	case []int32:
		widen(out, v)
	case []int64:
		copy(out, v)
	case []int16:
		widen(out, v)
	case []uint16:
		widen(out, v)
	case []uint32:
		widen(out, v)
	case []uint64:
		widen(out, v) // two's complement: values from 2^63 on read as negative
	case []bool:
		for i, x := range v {
			if x {
				out[i] = 1
			}
		}
	default:
		for i, x := range t.Float64s() {
			out[i] = float64ToInt64(x)
		}
	}
	return out
}

func widen[S int8 | uint8 | int16 | uint16 | int32 | uint32 | int64 | uint64, D float64 | int64](dst []D, src []S) {
	for i, x := range src {
		dst[i] = D(x)
	}
}

func float64ToInt64(x float64) int64 {
	switch {
	case x != x:
		return 0
	case x >= math.MaxInt64:
		return math.MaxInt64
	case x <= math.MinInt64:
		return math.MinInt64
	}
	return int64(x)
}

// FromFloat64s builds a tensor of dtype d from float64 values, rounding to
// nearest for float dtypes, truncating toward zero and wrapping to the
// dtype's width for integer dtypes (like a C cast), and x != 0 for bool.
func FromFloat64s(d DType, shape Shape, vals []float64) (*Tensor, error) {
	t, err := New(d, shape...)
	if err != nil {
		return nil, err
	}
	if len(vals) != t.NumElements() {
		return nil, fmt.Errorf("%w: %d values for shape %v", ErrShape, len(vals), shape)
	}
	switch v := t.data.(type) {
	case []float32:
		for i, x := range vals {
			v[i] = float32(x)
		}
	case []float64:
		copy(v, vals)
	case []Float16Value:
		for i, x := range vals {
			v[i] = float16.Fromfloat32(float32RoundOdd(x))
		}
	case []BFloat16Value:
		for i, x := range vals {
			v[i] = BFloat16FromFloat32(float32RoundOdd(x))
		}
	case []bool:
		for i, x := range vals {
			v[i] = x != 0
		}
	default:
		ints := make([]int64, len(vals))
		for i, x := range vals {
			ints[i] = float64ToInt64(x)
		}
		narrowInts(t, ints)
	}
	return t, nil
}

// FromInt64s builds a tensor of dtype d from int64 values, wrapping to the
// width of integer dtypes, converting to the nearest value for float dtypes,
// and x != 0 for bool.
func FromInt64s(d DType, shape Shape, vals []int64) (*Tensor, error) {
	t, err := New(d, shape...)
	if err != nil {
		return nil, err
	}
	if len(vals) != t.NumElements() {
		return nil, fmt.Errorf("%w: %d values for shape %v", ErrShape, len(vals), shape)
	}
	if d.IsFloat() {
		f := make([]float64, len(vals))
		for i, x := range vals {
			if d == Float64 {
				f[i] = float64(x) // one rounding, to nearest
			} else {
				f[i] = int64ToFloat64RoundOdd(x) // rounded once more, to nearest, below
			}
		}
		return FromFloat64s(d, shape, f)
	}
	if d == Bool {
		v := t.data.([]bool)
		for i, x := range vals {
			v[i] = x != 0
		}
		return t, nil
	}
	narrowInts(t, vals)
	return t, nil
}

func narrowInts(t *Tensor, vals []int64) {
	switch v := t.data.(type) {
	case []int8:
		narrow(v, vals)
	case []uint8:
		narrow(v, vals)
	case []int32:
		narrow(v, vals)
	case []int64:
		copy(v, vals)
	case []int16:
		narrow(v, vals)
	case []uint16:
		narrow(v, vals)
	case []uint32:
		narrow(v, vals)
	case []uint64:
		narrow(v, vals)
	}
}

func narrow[D int8 | uint8 | int16 | uint16 | int32 | uint32 | uint64](dst []D, src []int64) {
	for i, x := range src {
		dst[i] = D(x)
	}
}

// AsType returns a copy of t converted to dtype d (see FromFloat64s for the
// rounding rules). Integer-to-integer conversions are exact for int64 values.
func (t *Tensor) AsType(d DType) (*Tensor, error) {
	if d == t.dtype {
		return t.Clone(), nil
	}
	if t.dtype == Uint64 && d.IsFloat() {
		return FromFloat64s(d, t.shape, t.Float64s()) // its int64 pattern would be negative from 2^63
	}
	if t.dtype.IsInt() || t.dtype == Bool {
		return FromInt64s(d, t.shape, t.Int64s())
	}
	return FromFloat64s(d, t.shape, t.Float64s())
}

// Narrowing in two steps (float64 → float32 → float16) can round twice and
// land one ulp off the correctly rounded result when the first step lands
// exactly on a halfway point of the second. Rounding the first step to odd
// (truncate, then set the lowest bit if anything was dropped) never produces
// a halfway point of a format at least two bits narrower, so the final
// round-to-nearest-even step sees the right side and the pair rounds once.

// float32RoundOdd narrows x to float32 rounding to odd. NaN and infinities
// pass through; finite values beyond float32's range become ±MaxFloat32 with
// the sticky bit set, which still overflows to ±Inf in any narrower format.
func float32RoundOdd(x float64) float32 {
	f := float32(x)
	if float64(f) == x || x != x {
		return f // exact, or NaN
	}
	if math.Abs(float64(f)) > math.Abs(x) {
		f = math.Nextafter32(f, 0) // truncate toward zero
	}
	return math.Float32frombits(math.Float32bits(f) | 1)
}

// int64ToFloat64RoundOdd converts x to float64 rounding to odd, so that a
// later rounding to float32 or narrower is the only rounding to nearest.
func int64ToFloat64RoundOdd(x int64) float64 {
	if -1<<53 <= x && x <= 1<<53 {
		return float64(x) // exact
	}
	u := uint64(x)
	if x < 0 {
		u = -u // two's complement magnitude; right for MinInt64 too
	}
	shift := bits.Len64(u) - 53
	m := u >> shift
	if u&(1<<shift-1) != 0 {
		m |= 1
	}
	f := math.Ldexp(float64(m), shift) // m has 53 bits: exact
	if x < 0 {
		f = -f
	}
	return f
}
