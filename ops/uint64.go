package ops

import (
	"fmt"
	"slices"
	"strings"

	"github.com/backplane-ml/backplane/tensor"
)

// uint64Ops are the ops that take uint64 operands. Backplane's integer
// kernels compute in int64; two's complement makes addition, subtraction,
// multiplication, the bitwise ops, equality and data movement exact on the
// uint64 bit patterns, but ordering and division would be wrong from 2^63
// on, so every other op refuses uint64 by name.
var uint64Ops = []string{
	"add", "sub", "mul", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bit_shift", "equal",
	"where", "identity", "cast", "reshape", "transpose", "concat", "split", "tile", "expand", "slice", "gather",
	"pad", "reduce_sum", "reduce_prod", "cumsum", "matmul", "gather_elements", "gather_nd", "scatter_elements",
	"scatter_nd",
}

// checkUint64 refuses a uint64 input of an op outside uint64Ops.
func checkUint64(op string, in []Type) error {
	if slices.Contains(uint64Ops, op) {
		return nil
	}
	for i, t := range in {
		if t.DType == tensor.Uint64 {
			return &Error{Input: i, Kind: ErrUnsupported, Msg: fmt.Sprintf("uint64 is supported by %s only (integer "+
				"kernels compute in int64, so ordering and division would be wrong from 2^63)", strings.Join(uint64Ops, ", "))}
		}
	}
	return nil
}

// Uint64Ops returns the ops that take uint64 operands.
func Uint64Ops() []string { return slices.Clone(uint64Ops) }
