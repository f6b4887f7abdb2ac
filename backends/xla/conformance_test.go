package xla_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/backends/xla"
	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/ops/optest"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/runtime/backendtest"
	"github.com/backplane-ml/backplane/tensor"
)

// pendingOps are catalog ops without a lowering yet. The conformance run may
// skip cases using them, and only them; TestLoweredOps keeps this list and the
// registry in step. Every catalog op is lowered now, so it is empty: a new op
// added to the catalog must be lowered or listed here.
var pendingOps = []string{}

// TestLoweredOps: every catalog op is lowered or listed as pending, never both.
func TestLoweredOps(t *testing.T) {
	var want []string
	for _, op := range ops.Names() {
		if !slices.Contains(pendingOps, op) {
			want = append(want, op)
		}
	}
	require.Equal(t, want, xla.LoweredOps())
}

// strict narrows what the conformance kit may skip: a case may be skipped
// only when it uses a pending op or a dtype the engine lacks. Any other
// Supports error fails the case (it is reported as a backend error, which the
// kit does not skip), so every case of a lowered op provably runs.
type strict struct {
	*xla.Backend
	lacks []tensor.DType // dtypes the engine has not got
}

func (s strict) Supports(a *runtime.Artifact) error {
	for _, n := range a.Nodes {
		if slices.Contains(pendingOps, n.Op) {
			return &runtime.Error{Kind: runtime.ErrUnsupported, Backend: s.Name(), Op: n.Op,
				Err: errors.New("op is pending (issue 4 part B)")}
		}
	}
	if d, ok := usesDType(a, s.lacks); ok {
		return &runtime.Error{Kind: runtime.ErrUnsupported, Backend: s.Name(),
			Err: fmt.Errorf("the engine has no %v", d)}
	}
	if err := s.Backend.Supports(a); err != nil {
		return fmt.Errorf("Supports rejected a case of a lowered op: %v", err) // not ErrUnsupported: fails the case
	}
	return nil
}

// usesDType reports the first of ds that a graph input, weight or value of a
// (inferred with symbolic dims bound to 1) has.
func usesDType(a *runtime.Artifact, ds []tensor.DType) (tensor.DType, bool) {
	plan, err := a.Plan()
	if err != nil {
		return tensor.Invalid, false
	}
	types, err := plan.InferTypes(a.InputTypes(nil))
	if err != nil {
		return tensor.Invalid, false
	}
	for _, typ := range types {
		if slices.Contains(ds, typ.DType) {
			return typ.DType, true
		}
	}
	return tensor.Invalid, false
}

func TestConformance(t *testing.T) {
	for _, b := range engines() {
		t.Run(b.Name(), func(t *testing.T) {
			requireAvailable(t, b)
			var lacks []tensor.DType
			for _, d := range tensor.DTypes() {
				if !b.HasDType(d) {
					lacks = append(lacks, d)
				}
			}
			backendtest.RunWithOptions(t, strict{b, lacks}, backendtest.Options{
				RequireAll: b.Name() == xla.XLAName,
				Tolerance:  func(d tensor.DType) (tensor.Tolerance, bool) { return xla.Tolerance(d), true },
			})
		})
	}
}

// TestToleranceIsNoLooserThanOptest: the backends' stated tolerances are
// those every backend is held to by default; were they looser, the comment
// on xla.Tolerance would have to say why.
func TestToleranceIsNoLooserThanOptest(t *testing.T) {
	for _, d := range []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16, tensor.Int32, tensor.Bool} {
		got, def := xla.Tolerance(d), optest.DefaultTolerance(d)
		require.LessOrEqual(t, got.RTol, def.RTol, "%v", d)
		require.LessOrEqual(t, got.ATol, def.ATol, "%v", d)
	}
}
