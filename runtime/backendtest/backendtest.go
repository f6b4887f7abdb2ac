// Package backendtest is the conformance kit for backends, in the spirit of
// testing/fstest.TestFS: one call runs every check against any backend.
//
//	func TestConformance(t *testing.T) {
//		backendtest.Run(t, mybackend.New())
//	}
//
// It runs, as subtests:
//   - ops/…: every hand-computed op case of ops/optest, each as a one-node graph;
//   - random/…: every randomized op case, compared with the reference backend;
//   - graph/…: multi-node graphs (MLP, CNN, shared values, multiple outputs,
//     symbolic batch), compared with the reference backend;
//   - bad-input/…: wrong input count, nil, dtype and shape, cancelled
//     contexts, double Close and concurrent runs, through a Runtime.
//
// A case whose op the backend reports unsupported (Supports returning
// ErrUnsupported) is skipped with the reason, unless Options.RequireAll is set.
package backendtest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/backplane-ml/backplane/ops/optest"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Options tunes a conformance run.
type Options struct {
	// RequireAll fails, instead of skipping, cases the backend says it does not support.
	RequireAll bool
	// Tolerance overrides the per-dtype default (optest.DefaultTolerance) when
	// it returns ok; backends computing in lower precision state theirs here.
	Tolerance func(d tensor.DType) (tol tensor.Tolerance, ok bool)
	// Seed makes the randomized cases reproducible; 0 means a fixed default.
	Seed uint64
	// ConstantOperands builds every operand of an op case but the first as a
	// weight (a constant of the model) instead of a model input, as trained
	// models hold their kernels, scales and biases. Backends that compile
	// such operands into the model (Core ML's convolution and normalization
	// layers take only constant parameters) run the op cases this way too.
	ConstantOperands bool
}

// Run runs the whole kit against b with default options.
func Run(t *testing.T, b runtime.Backend) { RunWithOptions(t, b, Options{}) }

// RunWithOptions runs the whole kit against b.
func RunWithOptions(t *testing.T, b runtime.Backend, o Options) {
	t.Helper()
	if err := runtime.Availability(b); err != nil {
		t.Skipf("backend %s is unavailable here: %v", b.Name(), err)
	}
	if o.Seed == 0 {
		o.Seed = 20261122
	}
	k := &kit{b: b, o: o}
	t.Run("ops", k.opCases)
	t.Run("random", k.randomCases)
	t.Run("graph", k.graphCases)
	t.Run("bad-input", k.badInputCases)
}

type kit struct {
	b runtime.Backend
	o Options
}

func (k *kit) tolerance(d tensor.DType, override tensor.Tolerance) tensor.Tolerance {
	if override != (tensor.Tolerance{}) {
		return override
	}
	if k.o.Tolerance != nil {
		if tol, ok := k.o.Tolerance(d); ok {
			return tol
		}
	}
	return optest.DefaultTolerance(d)
}

// prepare checks support and prepares a on the backend, skipping unsupported cases.
func (k *kit) prepare(t *testing.T, a *runtime.Artifact) runtime.Prepared {
	t.Helper()
	if err := k.b.Supports(a); err != nil {
		if errors.Is(err, runtime.ErrUnsupported) && !k.o.RequireAll {
			t.Skipf("unsupported by %s: %v", k.b.Name(), err)
		}
		require.NoError(t, err, "Supports")
	}
	p, err := k.b.Prepare(context.Background(), a)
	require.NoError(t, err, "Prepare")
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	return p
}

// run executes a prepared model and checks outputs against want.
func (k *kit) check(t *testing.T, got, want []*tensor.Tensor, tolOverride tensor.Tolerance) {
	t.Helper()
	require.Len(t, got, len(want), "number of outputs")
	for i, w := range want {
		cmp := tensor.Compare(got[i], w, k.tolerance(w.DType(), tolOverride))
		require.True(t, cmp.Equal, "output %d: %v", i, cmp)
	}
}

// singleNode builds a one-node artifact applying op to inputs (nil =
// omitted); with constOperands, inputs after the first become weights.
func singleNode(name, op string, attrs map[string]any, inputs []*tensor.Tensor, outputs int, constOperands bool) (*runtime.Artifact, []*tensor.Tensor, error) {
	b := runtime.NewBuilder(name)
	vals := make([]runtime.Value, len(inputs))
	var feed []*tensor.Tensor
	for i, in := range inputs {
		if in == nil {
			vals[i] = runtime.None
			continue
		}
		if constOperands && i > 0 {
			vals[i] = b.Weight(fmt.Sprintf("w%d", i), in)
			continue
		}
		vals[i] = b.Input(fmt.Sprintf("in%d", i), in.DType(), runtime.Dims(in.Shape()...)...)
		feed = append(feed, in)
	}
	outs := b.NamedOp("node", op, outputs, attrs, vals...)
	for i, v := range outs {
		b.Output(fmt.Sprintf("out%d", i), v)
	}
	a, err := b.Build()
	return a, feed, err
}

func (k *kit) opCases(t *testing.T) {
	for _, c := range optest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			a, feed, err := singleNode(c.Name, c.Op, c.Attrs, c.Inputs, len(c.Want), k.o.ConstantOperands)
			require.NoError(t, err)
			p := k.prepare(t, a)
			got, err := p.Run(context.Background(), feed)
			require.NoError(t, err)
			k.check(t, got, c.Want, c.Tol)
		})
	}
}
