package runtime

import (
	"math"

	"github.com/x448/float16"

	"github.com/backplane-ml/backplane/tensor"
)

// nonFiniteOutput returns the index of the first output holding a NaN or an
// infinity, or -1. Integer and bool outputs cannot hold either.
func nonFiniteOutput(out []*tensor.Tensor) int {
	for i, t := range out {
		if !allFinite(t) {
			return i
		}
	}
	return -1
}

func allFinite(t *tensor.Tensor) bool {
	switch v := t.Data().(type) {
	case []float32:
		for _, x := range v {
			// x-x is 0 for finite x and NaN for NaN and ±Inf: one compare per element.
			if x-x != 0 {
				return false
			}
		}
	case []float64:
		for _, x := range v {
			if x-x != 0 {
				return false
			}
		}
	case []float16.Float16:
		for _, x := range v {
			if x.IsNaN() || x.IsInf(0) {
				return false
			}
		}
	case []tensor.BFloat16Value:
		for _, x := range v {
			if f := float64(x.Float32()); math.IsNaN(f) || math.IsInf(f, 0) {
				return false
			}
		}
	}
	return true
}

// finitenessPattern hashes which elements of the float outputs are NaN, +Inf
// or -Inf (FNV-1a over output index, element index and kind), so outputs
// whose non-finite elements sit in the same places get the same value.
func finitenessPattern(out []*tensor.Tensor) uint64 {
	h := uint64(14695981039346656037)
	mix := func(v uint64) {
		for range 8 {
			h ^= v & 0xff
			h *= 1099511628211
			v >>= 8
		}
	}
	note := func(o, e int, f float64) {
		kind := uint64(1) // NaN
		if math.IsInf(f, 1) {
			kind = 2
		} else if math.IsInf(f, -1) {
			kind = 3
		}
		mix(uint64(o))
		mix(uint64(e))
		mix(kind)
	}
	for o, t := range out {
		switch v := t.Data().(type) {
		case []float32:
			for e, x := range v {
				if x-x != 0 {
					note(o, e, float64(x))
				}
			}
		case []float64:
			for e, x := range v {
				if x-x != 0 {
					note(o, e, x)
				}
			}
		case []float16.Float16:
			for e, x := range v {
				if x.IsNaN() || x.IsInf(0) {
					note(o, e, float64(x.Float32()))
				}
			}
		case []tensor.BFloat16Value:
			for e, x := range v {
				if f := float64(x.Float32()); math.IsNaN(f) || math.IsInf(f, 0) {
					note(o, e, f)
				}
			}
		}
	}
	return h
}
