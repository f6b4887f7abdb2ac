// Package zoobench measures zoo models on backends and on the ONNX Runtime
// peer. It is what `go test -bench ./benchmarks` and `backplane bench` share:
// a Case is one zoo model at one batch size with fixed inputs, its FLOP count
// and its reference outputs (computed once, on the ref backend); a Runner is
// the model loaded on a backend or on ONNX Runtime; Measure times a Runner.
package zoobench

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/backplane-ml/backplane/models"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// InputSeed seeds every Case's inputs, so every runner sees the same data.
const InputSeed = 1

// Tolerance is the whole-model closeness rule between a runner and ref for
// float32 outputs: ONNX's backend tests' rtol 1e-3, with an atol that allows
// the last bits of float32 sums taken in another order over deep graphs.
var Tolerance = tensor.Tolerance{RTol: 1e-3, ATol: 1e-5}

// Case is one zoo model built at one batch size, with its inputs.
type Case struct {
	Model    models.ZooModel
	Batch    int
	Artifact *runtime.Artifact
	Inputs   []*tensor.Tensor
	// Cost is the arithmetic of one run at this batch size.
	Cost models.Cost

	mu      sync.Mutex
	refDone bool
	ref     []*tensor.Tensor
	refErr  error
}

// NewCase builds m with its batch dimension fixed to batch and draws its
// inputs (seed InputSeed).
func NewCase(m models.ZooModel, batch int) (*Case, error) {
	if batch < 1 {
		return nil, fmt.Errorf("zoobench: %s: batch %d, want at least 1", m.Name, batch)
	}
	a, err := m.Build(batch)
	if err != nil {
		return nil, fmt.Errorf("zoobench: building %s at batch %d: %w", m.Name, batch, err)
	}
	in, err := models.Inputs(a, batch, InputSeed)
	if err != nil {
		return nil, fmt.Errorf("zoobench: %w", err)
	}
	cost, err := models.FLOPs(a, nil)
	if err != nil {
		return nil, fmt.Errorf("zoobench: counting the FLOPs of %s: %w", m.Name, err)
	}
	return &Case{Model: m, Batch: batch, Artifact: a, Inputs: in, Cost: cost}, nil
}

// Name is "model/batchN", the case's name in benchmark names.
func (c *Case) Name() string { return fmt.Sprintf("%s/batch%d", c.Model.Name, c.Batch) }

// Reference returns the outputs of the ref backend on the case's inputs. It
// runs ref at most once per Case (ResNet-50 takes seconds there) and keeps
// the outcome, error included.
func (c *Case) Reference(ctx context.Context) ([]*tensor.Tensor, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.refDone {
		c.ref, c.refErr = runOnce(ctx, "ref", c)
		c.refDone = true
	}
	return c.ref, c.refErr
}

// OfferReference records outputs the ref backend produced for the case's
// inputs elsewhere (a benchmark of ref itself), saving Reference a run.
// It does nothing once the reference is known.
func (c *Case) OfferReference(outs []*tensor.Tensor) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.refDone {
		c.ref, c.refDone = outs, true
	}
}

// MaxAbsErr is the largest |got − ref| over every output of the case. It
// fails when ref cannot run the model or the outputs differ in count, dtype
// or shape, for which no error size means anything.
func (c *Case) MaxAbsErr(ctx context.Context, got []*tensor.Tensor) (float64, error) {
	want, err := c.Reference(ctx)
	if err != nil {
		return 0, err
	}
	return MaxAbsErr(got, want)
}

// Check compares outputs with the reference under Tolerance and returns an
// error naming the first output that is not close, with the comparison.
func (c *Case) Check(ctx context.Context, got []*tensor.Tensor) error {
	want, err := c.Reference(ctx)
	if err != nil {
		return err
	}
	if len(got) != len(want) {
		return fmt.Errorf("%s: %d outputs, ref has %d", c.Name(), len(got), len(want))
	}
	for i := range want {
		if cmp := tensor.Compare(got[i], want[i], Tolerance); !cmp.Equal {
			return fmt.Errorf("%s: output %q differs from ref: %s", c.Name(), c.Artifact.Outputs[i].Name, cmp)
		}
	}
	return nil
}

// MaxAbsErr is the largest |got − want| over outputs that must agree in
// count, dtype and shape.
func MaxAbsErr(got, want []*tensor.Tensor) (float64, error) {
	if len(got) != len(want) {
		return 0, fmt.Errorf("%d outputs, want %d", len(got), len(want))
	}
	worst := 0.0
	for i := range want {
		cmp := tensor.Compare(got[i], want[i], Tolerance)
		if !cmp.Equal && cmp.FirstMismatch == nil {
			return 0, fmt.Errorf("output %d: %s", i, cmp.Reason) // dtype or shape
		}
		worst = max(worst, cmp.MaxAbsErr)
		if !cmp.Equal && got[i].DType().IsFloat() && nonFiniteMismatch(got[i], want[i]) {
			worst = math.Inf(1) // NaN or ±Inf where ref has a number (or the reverse) is no small error
		}
	}
	return worst, nil
}

// nonFiniteMismatch reports whether some element is NaN or infinite in one
// tensor and not the same in the other (Compare's MaxAbsErr skips those).
func nonFiniteMismatch(got, want *tensor.Tensor) bool {
	w := want.Float64s()
	for i, g := range got.Float64s() {
		bad := math.IsNaN(g) || math.IsInf(g, 0) || math.IsNaN(w[i]) || math.IsInf(w[i], 0)
		same := g == w[i] || math.IsNaN(g) && math.IsNaN(w[i])
		if bad && !same {
			return true
		}
	}
	return false
}

// runOnce loads the case on one backend and runs it once.
func runOnce(ctx context.Context, backend string, c *Case) ([]*tensor.Tensor, error) {
	r, err := OpenBackend(ctx, backend, c.Artifact)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.Run(ctx, c.Inputs)
}
