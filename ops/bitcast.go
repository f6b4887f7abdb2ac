package ops

import (
	"github.com/backplane-ml/backplane/tensor"
)

func init() {
	Register(&Op{
		Name: "bitcast",
		Doc: "Reinterprets the bits of each element of x as dtype `to` (ONNX BitCast), which must have x's " +
			"element size; the shape is unchanged. A bool result must come from bytes that are 0 or 1.",
		Inputs: []InputSpec{{Name: "x"}},
		Attrs:  []AttrSpec{{Name: "to", Kind: AttrString, Required: true, Doc: "target dtype name"}},
		Infer: func(in []Type, a Attrs) ([]Type, error) {
			to, err := tensor.ParseDType(a.String("to", ""))
			if err != nil {
				return nil, AttrErrorf("to", "%v", err)
			}
			if to.Size() != in[0].DType.Size() {
				return nil, AttrErrorf("to", "%v has %d-byte elements, x's %v has %d", to, to.Size(), in[0].DType, in[0].DType.Size())
			}
			return one(Type{DType: to, Shape: in[0].Shape.Clone()}), nil
		},
	})
}
