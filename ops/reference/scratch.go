package reference

import (
	"errors"

	"github.com/backplane-ml/backplane/ops"
)

// chunkedFloat lists the unary ops whose kernels widen float tensors in
// chunks of unaryChunk elements: their scratch does not grow with the tensor.
var chunkedFloat = map[string]bool{}

// chunkedBinary lists the binary ops that run in chunks when their operands
// allow it (see binaryChunkable).
var chunkedBinary = map[string]bool{}

// ScratchBytes is the most memory one Eval of op on values of these types
// allocates besides its outputs: the float64 copies a kernel makes of its
// inputs and of its result before rounding into the output (8 bytes per
// element of each), or one chunk for the kernels that widen in chunks.
// Integer and bool inputs are counted the same way (their kernels widen to
// int64 or float64 too). A zero Type in inputs (an omitted optional input)
// counts nothing.
// Callers charge it to a memory budget before running the op.
func ScratchBytes(op string, inputs, outputs []ops.Type) int64 {
	var elems int64
	for _, t := range inputs {
		if t.DType.Valid() {
			elems += int64(t.Shape.NumElements())
		}
	}
	for _, t := range outputs {
		elems += int64(t.Shape.NumElements())
	}
	s := 8 * elems
	if chunkedFloat[op] && len(inputs) == 1 && inputs[0].DType.IsFloat() {
		s = 8 * unaryChunk
	}
	if chunkedBinary[op] && len(inputs) == 2 && len(outputs) == 1 && binaryTypesChunkable(outputs[0], inputs[0], inputs[1]) {
		s = 3 * 8 * unaryChunk
	}
	return s
}

// binaryTypesChunkable is binaryChunkable on types.
func binaryTypesChunkable(out, a, b ops.Type) bool {
	if !out.DType.IsFloat() {
		return false
	}
	for _, t := range []ops.Type{a, b} {
		if !t.DType.IsFloat() || (t.Shape.NumElements() != 1 && !t.Shape.Equal(out.Shape)) {
			return false
		}
	}
	return true
}

// inputDataError marks a kernel error the values of the data caused (an
// index out of range, an integer division by zero): any implementation would
// hit it on the same data.
type inputDataError struct{ error }

func (e inputDataError) Unwrap() error { return e.error }

// IsInputDataError reports whether err (from Eval) was caused by the values
// of the inputs, not by their types or the op: an index out of range, an
// integer division by zero. Backends report such errors as the caller's
// (runtime.ModeInputData) instead of as their own failure.
func IsInputDataError(err error) bool {
	var de inputDataError
	return errors.As(err, &de)
}
