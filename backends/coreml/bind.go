package coreml

import (
	"errors"
	"fmt"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Bind returns a copy of a in which every symbolic dimension of the inputs
// (and of the declared outputs, where the inputs name it) is fixed to the size
// given in shapes: one shape per input, in the order of a.Inputs, such as the
// shapes of the tensors of one Run. Static dimensions must match the given
// sizes, and inputs sharing a symbolic name must agree on its size. The copy
// is validated (shape inference over the whole graph) before it is returned.
//
// The copy shares Nodes, Initializers and Metadata with a; like a, it must
// not be modified. Errors are *runtime.Error values of kind
// runtime.ErrInvalidInput naming the input at fault, or the validation error
// of the bound graph.
func Bind(a *runtime.Artifact, shapes [][]int) (*runtime.Artifact, error) {
	if a == nil {
		return nil, &runtime.Error{Kind: runtime.ErrInvalidArtifact, Backend: Name, Err: errors.New("nil artifact")}
	}
	fail := func(input string, format string, args ...any) error {
		return &runtime.Error{Kind: runtime.ErrInvalidInput, Model: a.Name, Backend: Name, Input: input,
			Err: fmt.Errorf(format, args...)}
	}
	if len(shapes) != len(a.Inputs) {
		return nil, fail("", "got %d shapes, the model has %d inputs", len(shapes), len(a.Inputs))
	}
	sizes := map[string]int{} // symbolic name -> bound size
	first := map[string]string{}
	inputs := make([]runtime.ValueInfo, len(a.Inputs))
	for i, in := range a.Inputs {
		s := shapes[i]
		if len(s) != len(in.Dims) {
			return nil, fail(in.Name, "shape %v has rank %d, the input is declared with dims %v", s, len(s), in.Dims)
		}
		if err := tensor.Shape(s).Validate(); err != nil {
			return nil, fail(in.Name, "shape %v: %v", s, err)
		}
		dims := make([]runtime.Dim, len(s))
		for j, d := range in.Dims {
			switch {
			case !d.IsSymbolic() && d.Size != s[j]:
				return nil, fail(in.Name, "dim %d is static %d, shape %v gives %d", j, d.Size, s, s[j])
			case d.IsSymbolic():
				if prev, ok := sizes[d.Name]; ok && prev != s[j] {
					return nil, fail(in.Name, "dim %d (%q) is %d, but input %q bound %q to %d", j, d.Name, s[j], first[d.Name], d.Name, prev)
				}
				sizes[d.Name], first[d.Name] = s[j], in.Name
			}
			dims[j] = runtime.Static(s[j])
		}
		inputs[i] = runtime.ValueInfo{Name: in.Name, DType: in.DType, Dims: dims}
	}
	outputs := make([]runtime.ValueInfo, len(a.Outputs))
	for i, out := range a.Outputs {
		outputs[i] = out
		if out.Dims == nil {
			continue
		}
		outputs[i].Dims = make([]runtime.Dim, len(out.Dims))
		for j, d := range out.Dims {
			outputs[i].Dims[j] = d
			if v, ok := sizes[d.Name]; ok && d.IsSymbolic() {
				outputs[i].Dims[j] = runtime.Static(v)
			}
		}
	}
	b := *a
	b.Inputs, b.Outputs = inputs, outputs
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return &b, nil
}
