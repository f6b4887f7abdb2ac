package ops

import "fmt"

// checkOutputs validates what an op's inference produced, so no op can hand
// the rest of the system a shape whose element count overflows (a reduction
// with keepdims turning a zero dimension into 1 next to dimensions of 2^40,
// say) or a dimension that is negative: every output must be a valid dtype
// and a shape passing tensor.Shape.Validate, whose element count is checked
// against overflow dimension by dimension (and no dimension may exceed
// tensor.MaxElements, even next to a zero).
func checkOutputs(out []Type) error {
	for i, t := range out {
		if !t.DType.Valid() {
			return &Error{Input: -1, Kind: ErrInput, Msg: fmt.Sprintf("output %d would have invalid dtype %v", i, t.DType)}
		}
		if err := t.Shape.Validate(); err != nil {
			return &Error{Input: -1, Kind: ErrInput, Msg: fmt.Sprintf("output %d would not fit: %v", i, err)}
		}
	}
	return nil
}
