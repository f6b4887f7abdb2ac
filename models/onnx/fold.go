package onnx

import (
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// fold computes a node whose inputs are all constants on the registered
// reference backend (runtime.GroundTruthEvaluator). The importer does not
// import the reference backend itself, so importing this package registers
// no backend; a program that imports models without any backend gets an
// error naming the missing import at the first constant to fold.
func (c *converter) fold(op string, attrs ops.Attrs, inputs []string, args []*tensor.Tensor) ([]*tensor.Tensor, error) {
	ev, err := runtime.GroundTruthEvaluator()
	if err != nil {
		return nil, c.errorf(runtime.ErrNotRegistered, "folding this constant %s needs the reference backend: %w", op, err)
	}
	res, err := ev.Eval(op, attrs, args...)
	if err != nil {
		return nil, c.opError(op, inputs, err)
	}
	return res, nil
}
