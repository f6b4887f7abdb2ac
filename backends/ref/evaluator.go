package ref

import (
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/ops/reference"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

var _ runtime.Evaluator = Backend{}

// Eval applies one op to concrete inputs with its reference kernel (see
// reference.Eval). A nil input is an omitted optional input.
func Eval(op string, a ops.Attrs, in ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	return reference.Eval(op, a, in...)
}

// Supported reports whether the reference backend has a kernel for op.
func Supported(op string) bool { return reference.Supported(op) }

// Eval applies one op to concrete inputs (see the package function Eval). It
// makes the registered backend a runtime.Evaluator, which importers use to
// fold constant subgraphs without importing this package.
func (Backend) Eval(op string, a ops.Attrs, in ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	return reference.Eval(op, a, in...)
}
