package xla

import (
	"context"
	"errors"
	"fmt"
	"sync"

	gobackends "github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/backplane-ml/backplane/ops"
	"github.com/backplane-ml/backplane/runtime"
	"github.com/backplane-ml/backplane/tensor"
)

// prepared is an artifact ready to run on one engine: its weights uploaded
// once, and an LRU of executables, one per input-shape signature.
type prepared struct {
	eng    *engine
	be     gobackends.Backend
	layout *layout
	cache  *execCache
	copies copyCounters

	// mu is held shared by runs and exclusively by Close, so weights are
	// never released under a running execution.
	mu      sync.RWMutex
	closed  bool
	weights []gobackends.Buffer // in layout.paramWeights order
}

var (
	_ runtime.Prepared        = (*prepared)(nil)
	_ runtime.CompileReporter = (*prepared)(nil)
)

// CompileStats reports compiles, cache hits and evictions of the executables.
func (p *prepared) CompileStats() runtime.CompileStats { return p.cache.snapshot() }

// CopyStats reports the tensor copies made so far (see convert.go).
func (p *prepared) CopyStats() CopyStats { return p.copies.snapshot() }

// CopyReporter is implemented by Prepared models of these backends; it lets
// benchmarks and telemetry measure the copies between backplane and the engine.
type CopyReporter interface {
	CopyStats() CopyStats
}

func (p *prepared) uploadWeights() error {
	a := p.layout.plan.Artifact
	for _, name := range p.layout.paramWeights {
		w := a.Initializers[name]
		buf, err := upload(p.be, w, p.eng.carries(tensor.Float16))
		if err != nil {
			return p.errorf(runtime.ModeCompile, fmt.Errorf("uploading weight %q: %w", name, err))
		}
		p.weights = append(p.weights, buf)
		p.copies.weightBytes.Add(int64(w.NumBytes()))
	}
	return nil
}

func (p *prepared) errorf(mode runtime.FailureMode, err error) *runtime.Error {
	return &runtime.Error{Kind: runtime.ErrBackend, Model: p.layout.plan.Artifact.Name, Backend: p.eng.name,
		Mode: mode, Err: err}
}

// Run executes the model for the inputs' signature, compiling it on first use.
func (p *prepared) Run(ctx context.Context, inputs []*tensor.Tensor) (outs []*tensor.Tensor, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return nil, &runtime.Error{Kind: runtime.ErrClosed, Model: p.layout.plan.Artifact.Name, Backend: p.eng.name}
	}
	inTypes, err := p.checkInputs(inputs)
	if err != nil {
		return nil, err
	}
	key := signature(len(inputs), func(i int) tensor.Shape { return inputs[i].Shape() })
	e, err := p.cache.acquire(key, func() (*program, error) { return p.layout.build(p.eng, p.be, inTypes) })
	if err != nil {
		return nil, err
	}
	defer p.cache.release(e)
	if err := ctx.Err(); err != nil { // compiling can take a while
		return nil, err
	}
	return p.execute(e.prog, inputs)
}

// checkInputs checks count, dtypes and static dims (the runtime has done so
// already; a Prepared used directly must not crash on bad input either).
func (p *prepared) checkInputs(inputs []*tensor.Tensor) ([]ops.Type, error) {
	a := p.layout.plan.Artifact
	bad := func(input string, format string, args ...any) error {
		return &runtime.Error{Kind: runtime.ErrInvalidInput, Model: a.Name, Backend: p.eng.name, Input: input,
			Err: fmt.Errorf(format, args...)}
	}
	if len(inputs) != len(a.Inputs) {
		return nil, bad("", "got %d inputs, model has %d", len(inputs), len(a.Inputs))
	}
	types := make([]ops.Type, len(inputs))
	for i, t := range inputs {
		decl := a.Inputs[i]
		if t == nil {
			return nil, bad(decl.Name, "input is nil")
		}
		if t.DType() != decl.DType || len(t.Shape()) != len(decl.Dims) {
			return nil, bad(decl.Name, "got %v%v, model declares %v with %d dims", t.DType(), t.Shape(), decl.DType, len(decl.Dims))
		}
		for j, d := range decl.Dims {
			if !d.IsSymbolic() && d.Size != t.Shape()[j] {
				return nil, bad(decl.Name, "dim %d is %d, model declares %d", j, t.Shape()[j], d.Size)
			}
		}
		types[i] = ops.TypeOf(t)
	}
	return types, nil
}

// execute runs a compiled program: uploads the inputs it reads, runs, turns
// the graph's outputs into tensors and evaluates the run-time checks.
func (p *prepared) execute(prog *program, inputs []*tensor.Tensor) (outs []*tensor.Tensor, err error) {
	a := p.layout.plan.Artifact
	var (
		args     []gobackends.Buffer
		uploaded []gobackends.Buffer
		results  []*tensors.Tensor
	)
	defer func() {
		if r := recover(); r != nil {
			err = p.errorf(runtime.ModeRuntime, fmt.Errorf("GoMLX: %v", r))
		}
		for _, b := range uploaded {
			_ = p.be.BufferFinalize(b)
		}
		for _, t := range results {
			if t != nil { // not handed over (an error part-way)
				_ = t.FinalizeAll()
			}
		}
	}()
	if prog.g != nil {
		for _, i := range prog.inputs {
			buf, err := upload(p.be, inputs[i], p.eng.carries(tensor.Float16))
			if err != nil {
				return nil, p.errorf(runtime.ModeRuntime, fmt.Errorf("input %q: %w", a.Inputs[i].Name, err))
			}
			uploaded = append(uploaded, buf)
			args = append(args, buf)
			p.copies.inCopies.Add(1)
			p.copies.inBytes.Add(int64(inputs[i].NumBytes()))
		}
		args = append(args, p.weights...)
		results = prog.g.RunWithBuffers(args, make([]bool, len(args)), 0)
	}
	// Run-time checks first: a failed one means the outputs are meaningless.
	nOut := len(results) - len(prog.checks)
	for k, c := range prog.checks {
		t, err := p.take(results, nOut+k, tensor.Bool, tensor.Shape{})
		if err != nil {
			return nil, p.errorf(runtime.ModeRuntime, err)
		}
		if !tensor.MustView[bool](t)[0] {
			// The checks test the data (indices in range, integer divisors
			// not zero): every backend would refuse it alike.
			return nil, runtime.InputDataError(a.Name, p.eng.name, c.node, c.op, errors.New(c.msg))
		}
	}
	outs = make([]*tensor.Tensor, len(prog.outputs))
	for i, src := range prog.outputs {
		switch {
		case src.weight != "":
			outs[i] = a.Initializers[src.weight].Clone()
			p.copies.outCopies.Add(1)
			p.copies.outBytes.Add(int64(outs[i].NumBytes()))
		case src.empty:
			if outs[i], err = tensor.New(src.typ.DType, src.typ.Shape...); err != nil {
				return nil, p.errorf(runtime.ModeRuntime, fmt.Errorf("output %q: %w", a.Outputs[i].Name, err))
			}
		case src.input >= 0:
			outs[i] = inputs[src.input].Clone()
			p.copies.outCopies.Add(1)
			p.copies.outBytes.Add(int64(outs[i].NumBytes()))
		default:
			if outs[i], err = p.take(results, src.graphOut, src.typ.DType, src.typ.Shape); err != nil {
				return nil, p.errorf(runtime.ModeRuntime, fmt.Errorf("output %q: %w", a.Outputs[i].Name, err))
			}
		}
	}
	return outs, nil
}

// take turns graph result k into a tensor, taking the buffer out of GoMLX's
// tensor so that nothing else releases it.
func (p *prepared) take(results []*tensors.Tensor, k int, d tensor.DType, s tensor.Shape) (*tensor.Tensor, error) {
	buf, err := results[k].DonateBuffer(p.be, 0)
	if err != nil {
		return nil, err
	}
	results[k] = nil
	t, copied, err := download(p.be, buf, d, s, p.eng.adoptOutputs, p.eng.carries(tensor.Float16))
	if err != nil {
		return nil, err
	}
	if copied {
		p.copies.outCopies.Add(1)
		p.copies.outBytes.Add(int64(t.NumBytes()))
	} else {
		p.copies.outZero.Add(1)
	}
	return t, nil
}

// Close frees the executables and the uploaded weights, after any runs in
// progress finish. It may be called more than once.
func (p *prepared) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	p.cache.close()
	for _, b := range p.weights {
		_ = p.be.BufferFinalize(b)
	}
	p.weights = nil
	return nil
}
