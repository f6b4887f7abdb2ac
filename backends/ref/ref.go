// Package ref is backplane's reference backend: a plain Go interpreter over
// package ops/reference's kernels, one straightforward kernel per op,
// accumulating in float64 (int64 for integers) and rounding once per output
// element.
//
// It is the numeric ground truth every other backend is tested against, and
// the last resort of the dispatcher, so it favours obviously correct code over
// speed. Importing the package registers the backend under the name "ref".
package ref

import (
	"context"
	"fmt"

	"github.com/backplane-ml/backplane/ops/reference"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// Name is the name the backend registers under.
const Name = "ref"

func init() { runtime.Register(Backend{}) }

// Backend is the reference backend. Its zero value is ready to use.
type Backend struct{}

// Name returns "ref".
func (Backend) Name() string { return Name }

// Available always returns nil: the reference backend is pure Go.
func (Backend) Available() error { return nil }

// Supports reports the first node whose op has no reference kernel.
func (Backend) Supports(a *runtime.Artifact) error {
	for _, n := range a.Nodes {
		if !Supported(n.Op) {
			return &runtime.Error{Kind: runtime.ErrUnsupported, Model: a.Name, Backend: Name, Node: n.Name, Op: n.Op,
				Mode: runtime.ModeUnsupported, Err: fmt.Errorf("no reference kernel for op %s", n.Op)}
		}
	}
	return nil
}

// Prepare orders the graph and works out when each value can be freed.
func (Backend) Prepare(ctx context.Context, a *runtime.Artifact) (runtime.Prepared, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	plan, err := a.Plan()
	if err != nil {
		return nil, err
	}
	p := &prepared{plan: plan, lastUse: map[string]int{}}
	for step, idx := range plan.Order {
		for _, in := range a.Nodes[idx].Inputs {
			p.lastUse[in] = step
		}
	}
	for _, out := range a.Outputs {
		p.lastUse[out.Name] = len(plan.Order) // graph outputs live to the end
	}
	return p, nil
}

type prepared struct {
	plan    *runtime.Plan
	lastUse map[string]int // value -> last step that reads it
}

// Run interprets the graph node by node, checking ctx between nodes and
// dropping intermediate values after their last reader.
func (p *prepared) Run(ctx context.Context, inputs []*tensor.Tensor) ([]*tensor.Tensor, error) {
	a := p.plan.Artifact
	vals := make(map[string]*tensor.Tensor, len(a.Inputs)+len(a.Initializers)+len(a.Nodes))
	for name, t := range a.Initializers {
		vals[name] = t
	}
	for i, in := range a.Inputs {
		vals[in.Name] = inputs[i]
	}
	args := make([]*tensor.Tensor, 0, 8)
	for step, idx := range p.plan.Order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := &a.Nodes[idx]
		args = args[:0]
		for _, in := range n.Inputs {
			args = append(args, vals[in]) // "" maps to nil: an omitted optional input
		}
		out, err := Eval(n.Op, n.Attrs, args...)
		if reference.IsInputDataError(err) {
			return nil, runtime.InputDataError(a.Name, Name, n.Name, n.Op, err)
		}
		if err != nil {
			return nil, &runtime.Error{Kind: runtime.ErrBackend, Model: a.Name, Backend: Name, Node: n.Name, Op: n.Op,
				Mode: runtime.ModeRuntime, Err: err}
		}
		for i, name := range n.Outputs {
			vals[name] = out[i]
		}
		for _, in := range n.Inputs {
			if p.lastUse[in] == step {
				if _, isWeight := a.Initializers[in]; !isWeight {
					delete(vals, in)
				}
			}
		}
	}
	outs := make([]*tensor.Tensor, len(a.Outputs))
	for i, o := range a.Outputs {
		t := vals[o.Name]
		if _, isWeight := a.Initializers[o.Name]; isWeight || isInput(a, o.Name) {
			t = t.Clone() // never hand the caller an alias of a weight or of its own input
		}
		outs[i] = t
	}
	return outs, nil
}

func isInput(a *runtime.Artifact, name string) bool {
	for _, in := range a.Inputs {
		if in.Name == name {
			return true
		}
	}
	return false
}

// Close releases nothing: the interpreter holds no resources beyond memory.
func (p *prepared) Close() error { return nil }
