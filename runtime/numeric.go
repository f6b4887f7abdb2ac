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
