package xla

import (
	"github.com/backplane-ml/backplane/tensor"
)

// Tolerance is how closely these backends promise to match the reference
// backend on a single op, per dtype; the conformance tests hold both engines
// to it (|got − want| ≤ ATol + RTol·|want|).
//
// float32: RTol 1e-5, ATol 1e-6, the same as optest.DefaultTolerance: the
// engines need nothing looser.
// The engines compute float32 ops in float32 where ref computes in float64
// and rounds once, so each result may differ by a few rounding errors of
// float32 (2^-24 ≈ 6e-8 each):
//   - elementwise maps are within 2 ulps: measured ≤ 1.2e-7 relative;
//   - ops whose result can be near zero while their inputs are not (gelu's
//     1+erf(x/√2) for negative x, log_softmax of a dominant entry) lose
//     relative precision there but not absolute: measured ≤ 9.6e-7 absolute,
//     under ATol;
//   - reduce_sum, reduce_mean and reduce_prod accumulate in float64 as ref
//     does (lower_reduce.go), so they round once, like ref;
//   - matmul accumulates K products in float32: the error bound is about
//     K·2^-24·Σ|a·b|; the randomized cases (K ≤ 8, values in [−1, 1]) measured
//     ≤ 4.8e-6 relative and 2.4e-7 absolute.
//
// Whole models compound these: a chain of L layers of width K drifts by
// roughly L·K·6e-8 relative, which is why model-level checks (the ONNX suite)
// use ONNX's own rtol 1e-3 (onnxtest.DefaultTolerance), not this.
//
// float64, float16 and bfloat16 also equal optest's defaults (1e-12, 2e-3 and
// 1.6e-2 relative): float64 ops compute in float64 like ref; float16 (XLA
// only) and bfloat16 results are rounded to their 11 and 8 bits. XLA's CPU
// compiler evaluates a float16 elementwise op in float32 and rounds after
// each op, so a composite (gelu, sigmoid, softmax) may differ from ref's
// single rounding by an ulp or two: measured on the conformance cases
// ≤ 2 ulps, 2.4e-4 absolute on softmax's thirds (ATol 1e-3).
//
// Integer and bool results must be exact (the zero Tolerance).
func Tolerance(d tensor.DType) tensor.Tolerance {
	switch d {
	case tensor.Float32:
		return tensor.Tolerance{RTol: 1e-5, ATol: 1e-6}
	case tensor.Float64:
		return tensor.Tolerance{RTol: 1e-12, ATol: 1e-12}
	case tensor.Float16:
		return tensor.Tolerance{RTol: 2e-3, ATol: 1e-3}
	case tensor.BFloat16:
		return tensor.Tolerance{RTol: 1.6e-2, ATol: 1e-2}
	}
	return tensor.Tolerance{}
}
