//go:build linux && cgo && coremldouble

package coreml

import (
	"fmt"
	"strings"

	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// This file exists only in test builds with `-tags coremldouble` on Linux,
// where the bridge is the C test double: the double cannot read a Core ML
// model, so the glue hands it a description of the features instead, after
// checking that the artifact converts (so conversion errors still surface).
// The double computes output k = 2·input k + 1.

const modelExt = ".double"

func encodeModel(a *runtime.Artifact, p Precision) ([]byte, error) {
	if _, err := Convert(a, p); err != nil {
		return nil, err
	}
	plan, err := a.Plan()
	if err != nil {
		return nil, err
	}
	types, err := plan.InferTypes(a.InputTypes(nil))
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("backplane-double 1\n")
	line := func(kind, name string, d tensor.DType, s tensor.Shape) error {
		codes := map[tensor.DType]string{tensor.Float32: "f32", tensor.Float16: "f16", tensor.Float64: "f64", tensor.Int32: "i32"}
		c, ok := codes[d]
		if !ok {
			return fmt.Errorf("the test double has no dtype %v", d)
		}
		fmt.Fprintf(&b, "%s %s %s %d", kind, name, c, len(s))
		for _, n := range s {
			fmt.Fprintf(&b, " %d", n)
		}
		b.WriteByte('\n')
		return nil
	}
	for _, in := range a.Inputs {
		if err := line("input", in.Name, types[in.Name].DType, types[in.Name].Shape); err != nil {
			return nil, err
		}
	}
	for _, o := range a.Outputs {
		if err := line("output", o.Name, types[o.Name].DType, types[o.Name].Shape); err != nil {
			return nil, err
		}
	}
	return []byte(b.String()), nil
}
