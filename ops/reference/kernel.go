package reference

import (
	"fmt"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// kernel computes one op. in[i] is nil for an omitted optional input; out
// holds the output types ops.Infer worked out, so a kernel never re-derives
// shapes. Kernels accumulate in float64 (int64 for integer dtypes) and round
// once when writing the output.
type kernel func(a ops.Attrs, in []*tensor.Tensor, out []ops.Type) ([]*tensor.Tensor, error)

var kernels = map[string]kernel{}

// register installs the kernel for op; called from the init of each family file.
func register(op string, k kernel) {
	if _, dup := kernels[op]; dup {
		panic("reference: duplicate kernel for " + op)
	}
	if _, ok := ops.Lookup(op); !ok {
		panic("reference: kernel for unknown op " + op)
	}
	kernels[op] = k
}

// Eval applies one op to concrete inputs: it infers the output types, runs the
// reference kernel and checks the outputs against the inferred types. A nil
// input is an omitted optional input.
func Eval(op string, a ops.Attrs, in ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	types := make([]ops.Type, len(in))
	for i, t := range in {
		if t != nil {
			types[i] = ops.TypeOf(t)
		}
	}
	outTypes, err := ops.Infer(op, types, a)
	if err != nil {
		return nil, err
	}
	return evalInferred(op, a, in, outTypes)
}

func evalInferred(op string, a ops.Attrs, in []*tensor.Tensor, outTypes []ops.Type) ([]*tensor.Tensor, error) {
	k, ok := kernels[op]
	if !ok {
		return nil, fmt.Errorf("reference: no kernel for op %s", op)
	}
	if empty := allEmpty(outTypes); empty != nil {
		return empty, nil
	}
	out, err := k(a, in, outTypes)
	if err != nil {
		return nil, fmt.Errorf("reference: op %s: %w", op, err)
	}
	if len(out) != len(outTypes) {
		return nil, fmt.Errorf("reference: op %s kernel returned %d outputs, want %d", op, len(out), len(outTypes))
	}
	for i, t := range out {
		if t == nil || !ops.TypeOf(t).Equal(outTypes[i]) {
			return nil, fmt.Errorf("reference: op %s kernel output %d is %v, inferred %v", op, i, typeString(t), outTypes[i])
		}
	}
	return out, nil
}

// allEmpty returns the outputs when every one has zero elements: their types
// say everything, so kernels never run on them (and never size scratch space
// by a dimension of an empty tensor, which may be huge).
func allEmpty(types []ops.Type) []*tensor.Tensor {
	for _, t := range types {
		if t.Shape.NumElements() != 0 {
			return nil
		}
	}
	out := make([]*tensor.Tensor, len(types))
	for i, t := range types {
		var err error
		if out[i], err = tensor.New(t.DType, t.Shape...); err != nil {
			return nil // cannot happen for an inferred (validated) type; let the kernel report it
		}
	}
	return out
}

func typeString(t *tensor.Tensor) string {
	if t == nil {
		return "nil"
	}
	return ops.TypeOf(t).String()
}

// single wraps a kernel's one output tensor, passing through the error that
// building it may have returned.
func single(t *tensor.Tensor, err error) ([]*tensor.Tensor, error) {
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

// Supported reports whether op has a reference kernel.
func Supported(op string) bool {
	_, ok := kernels[op]
	return ok
}
