package runtime

import (
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/tensor"
)

// Evaluator computes one op on concrete tensors: the outputs of op with
// attributes attrs applied to args (a nil arg is an omitted optional input).
// The reference backend implements it; importers use it to fold constant
// subgraphs without running a whole model.
type Evaluator interface {
	Eval(op string, attrs ops.Attrs, args ...*tensor.Tensor) ([]*tensor.Tensor, error)
}

// GroundTruthEvaluator returns the registered reference backend (GroundTruth)
// as an Evaluator. When it is not registered the error is a *RegistryError
// (ErrNotRegistered) saying which import is missing: a package that folds
// constants does not import a backend itself, so that importing it never
// registers one as a side effect.
func GroundTruthEvaluator() (Evaluator, error) {
	b, ok := Lookup(GroundTruth)
	if !ok {
		return nil, registryError(GroundTruth)
	}
	ev, ok := b.(Evaluator)
	if !ok {
		return nil, &Error{Kind: ErrUnsupported, Backend: GroundTruth, Mode: ModeUnsupported,
			Err: errString("the registered reference backend does not evaluate single ops")}
	}
	return ev, nil
}

type errString string

func (e errString) Error() string { return string(e) }

// NewKind returns a new sentinel error with message msg that errors.Is also
// matches with kind, one of the runtime's kinds (ErrUnsupported, ErrCorrupt,
// ...). Packages above the runtime declare their own sentinels with it, so
// that callers who know only the runtime's kinds still classify their errors:
//
//	var ErrUnsupported = runtime.NewKind("not supported", runtime.ErrUnsupported)
func NewKind(msg string, kind error) error { return &kindError{msg: msg, kind: kind} }

type kindError struct {
	msg  string
	kind error
}

func (k *kindError) Error() string        { return k.msg }
func (k *kindError) Is(target error) bool { return target == k.kind }
