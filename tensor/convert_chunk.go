package tensor

import (
	"fmt"

	"github.com/x448/float16"
)

// ReadFloat64s widens the elements of a float tensor (float32, float64,
// float16, bfloat16) from flat index off into dst, len(dst) of them, so a
// kernel can work through a large tensor in bounded chunks instead of
// widening all of it at once (Float64s). It reports false, reading nothing,
// for other dtypes or a range outside the tensor.
func (t *Tensor) ReadFloat64s(dst []float64, off int) bool {
	if off < 0 || off > t.NumElements()-len(dst) {
		return false
	}
	switch v := t.data.(type) {
	case []float32:
		for i, x := range v[off : off+len(dst)] {
			dst[i] = float64(x)
		}
	case []float64:
		copy(dst, v[off:off+len(dst)])
	case []Float16Value:
		for i, x := range v[off : off+len(dst)] {
			dst[i] = float64(x.Float32())
		}
	case []BFloat16Value:
		for i, x := range v[off : off+len(dst)] {
			dst[i] = float64(x.Float32())
		}
	default:
		return false
	}
	return true
}

// WriteFloat64s rounds src into a float tensor from flat index off, as
// FromFloat64s rounds (to nearest; float16 and bfloat16 through float32
// with round-to-odd, so there is a single rounding). It panics for other
// dtypes or a range outside the tensor: callers check with ReadFloat64s.
func (t *Tensor) WriteFloat64s(off int, src []float64) {
	if off < 0 || off > t.NumElements()-len(src) {
		panic(fmt.Sprintf("tensor: WriteFloat64s of %d values at %d into %d elements", len(src), off, t.NumElements()))
	}
	switch v := t.data.(type) {
	case []float32:
		for i, x := range src {
			v[off+i] = float32(x)
		}
	case []float64:
		copy(v[off:], src)
	case []Float16Value:
		for i, x := range src {
			v[off+i] = float16.Fromfloat32(float32RoundOdd(x))
		}
	case []BFloat16Value:
		for i, x := range src {
			v[off+i] = BFloat16FromFloat32(float32RoundOdd(x))
		}
	default:
		panic("tensor: WriteFloat64s into a " + t.DType().String() + " tensor")
	}
}
