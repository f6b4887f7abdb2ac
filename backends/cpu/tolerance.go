package cpu

import (
	"github.com/backplane-ml/backplane/ops/optest"
	"github.com/backplane-ml/backplane/tensor"
)

// Tolerance is how closely the backend promises to match the reference
// backend on one op, per dtype (|got − want| ≤ ATol + RTol·|want|). It is
// the one table the tests use.
//
//   - float32: RTol 1e-5, ATol 1e-5. The native kernels compute in float32
//     where ref accumulates in float64 and rounds once: a GEMM or convolution
//     sums K products with FMAs in a different order (error up to about
//     K·2^-24·Σ|a·b|, so the absolute part grows with K: 1e-5 covers the kit's
//     cases, K ≤ a few hundred with values in [−1, 1]); a folded batch_norm
//     rounds its scale into the weights once. Elementwise ops, softmax,
//     layer_norm and the activations compute in float64 and round once, like
//     ref, and agree to the last bit or one ulp.
//   - every other dtype runs through ref's own kernels: exact, optest's default.
func Tolerance(d tensor.DType) tensor.Tolerance {
	if d == tensor.Float32 {
		return tensor.Tolerance{RTol: 1e-5, ATol: 1e-5}
	}
	return optest.DefaultTolerance(d)
}

// ZooTolerance is the parity asked of a whole zoo model against ref: tens of
// layers each rounding in float32, and the worst of a thousand logits
// compared.
var ZooTolerance = tensor.Tolerance{RTol: 1e-3, ATol: 1e-4}
